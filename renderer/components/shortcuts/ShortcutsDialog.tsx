// The Shortcuts dialog: every action of the registry with the keys that run it. Click a key to
// rebind it (the next key pressed becomes the action's key; a key another action has, or one the
// browser owns in web mode, is refused with a message); reset one action or all to the defaults.
// Rebinds are stored per user (renderer/workspace/shortcuts.ts), never in the project.
import { useEffect, useState } from 'react';
import { ACTIONS, keyCombo, type Action, type ActionGroup } from '../../actions/registry';
import { saveKeymap, useKeymap } from '../../workspace/shortcuts';
import { Modal } from '../export/Modal';
import '../export/export.css';
import './shortcuts.css';

function groups(): [ActionGroup, Action[]][] {
  const m = new Map<ActionGroup, Action[]>();
  for (const a of ACTIONS) m.set(a.group, [...(m.get(a.group) ?? []), a]);
  return [...m.entries()];
}

export function ShortcutsDialog({ onClose }: { onClose(): void }) {
  const keymap = useKeymap();
  const [recording, setRecording] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);

  // While the dialog is open its keys are its own: nothing reaches the workspace's shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (recording === null) {
        if (e.key !== 'Escape' && e.key !== 'Tab' && e.key !== 'Enter' && e.key !== ' ') e.stopImmediatePropagation();
        return;
      }
      e.preventDefault();
      e.stopImmediatePropagation();
      if (e.key === 'Escape') {
        setRecording(null);
        setMessage(null);
        return;
      }
      const combo = keyCombo(e);
      if (/^(Ctrl\+|Alt\+|Shift\+)*(Control|Shift|Alt|Meta)$/.test(combo)) return;
      const next = keymap.rebind(recording, combo);
      if (typeof next === 'string') {
        setMessage({ kind: 'error', text: next });
        return;
      }
      saveKeymap(next);
      setRecording(null);
      setMessage({ kind: 'info', text: `${combo} now runs "${ACTIONS.find((a) => a.name === recording)?.label}".` });
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [recording, keymap]);

  const reset = (name: string | null) => {
    const next = keymap.reset(name);
    if (typeof next === 'string') setMessage({ kind: 'error', text: next });
    else {
      saveKeymap(next);
      setMessage({ kind: 'info', text: name === null ? 'Every shortcut is back to its default.' : 'Back to its default key.' });
    }
  };

  return (
    <Modal title="Shortcuts" onClose={recording === null ? onClose : undefined} testId="shortcuts-dialog">
      <p className="muted small-text">
        Click a key, then press the new one (Esc cancels). Saved for you in this {keymap.platform === 'web' ? 'browser' : 'app'}, not in the project.
      </p>
      <div className={`shortcuts-message ${message?.kind ?? ''}`} role={message?.kind === 'error' ? 'alert' : 'status'} data-testid="shortcuts-message">
        {message?.text ?? '\u00a0'}
      </div>
      <div className="shortcuts-list">
        {groups().map(([group, list]) => (
          <section key={group}>
            <h3>{group}</h3>
            <table>
              <tbody>
                {list.map((a) => {
                  const keys = keymap.keysOf(a);
                  return (
                    <tr key={a.name} data-testid={`shortcut-${a.name}`}>
                      <td>{a.label}</td>
                      <td className="keys">
                        <button className={`small key-button${recording === a.name ? ' recording' : ''}`} onClick={() => { setRecording(recording === a.name ? null : a.name); setMessage(null); }} title="Click, then press the new key" data-testid={`rebind-${a.name}`}>
                          {recording === a.name ? 'Press a key…' : keys.length ? keys.map((k) => <kbd key={k}>{k}</kbd>) : <span className="muted">none</span>}
                        </button>
                        {!keymap.isDefault(a) && (
                          <button className="small link" onClick={() => reset(a.name)} title={`Default: ${keymap.defaultsOf(a).join(', ') || 'none'}`} data-testid={`reset-${a.name}`}>
                            default
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </section>
        ))}
      </div>
      <div className="gl-row">
        <span className="spacer" />
        <button className="small" disabled={Object.keys(keymap.overrides).length === 0} onClick={() => reset(null)} data-testid="shortcuts-reset-all">
          Reset all to defaults
        </button>
        <button className="small primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
