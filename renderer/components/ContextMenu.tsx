// Right-click menu on the canvas: the registry's context actions, enabled or not for the current
// selection, with their shortcuts.
import { useEffect } from 'react';
import { ACTIONS, isEnabled, keysOf, runAction, type ActionContext } from '../actions/registry';

export function ContextMenu({ x, y, ctx, onClose }: { x: number; y: number; ctx: ActionContext; onClose(): void }) {
  useEffect(() => {
    const close = () => onClose();
    window.addEventListener('pointerdown', close);
    window.addEventListener('blur', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('blur', close);
    };
  }, [onClose]);
  const items = ACTIONS.filter((a) => a.context);
  return (
    <div className="context-menu" style={{ left: x, top: y }} data-testid="context-menu" onPointerDown={(e) => e.stopPropagation()} onContextMenu={(e) => e.preventDefault()}>
      {items.map((a) => (
        <button
          key={a.name}
          disabled={!isEnabled(a, ctx)}
          onClick={() => {
            onClose();
            runAction(a, ctx);
          }}
        >
          <span>{a.label}</span>
          <kbd>{keysOf(a)[0]}</kbd>
        </button>
      ))}
    </div>
  );
}
