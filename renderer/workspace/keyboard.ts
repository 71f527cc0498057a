// Keyboard: the active tool first (Enter, Escape, Backspace in a gesture), then the actions
// registry; Escape or ? close the help. Keys typed into a field are left alone (a checkbox or
// button keeps only Space and Enter, a slider its arrows).
import { useEffect, useRef } from 'react';
import { actionForKey, runAction, type ActionContext } from '../actions/registry';
import { markInput } from '../debug';
import { keyBelongsToField } from './field-keys';
import type { Tool, ToolContext } from '../tools/types';

function typingIn(t: EventTarget | null, key: string): boolean {
  return t instanceof HTMLElement && keyBelongsToField(t.tagName, t instanceof HTMLInputElement ? t.type : '', t.isContentEditable, key);
}

interface KeyboardDeps {
  tool: () => Tool;
  toolContext: () => ToolContext;
  /** The action context of the latest render. */
  actions: ActionContext;
  helpOpen: boolean;
  closeHelp(): void;
  /** A tool used the key: redraw its preview. */
  toolChanged(): void;
}

export function useKeyboard(deps: KeyboardDeps): void {
  const latest = useRef(deps);
  latest.current = deps;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingIn(e.target, e.key)) return;
      const d = latest.current;
      if (d.helpOpen && (e.key === 'Escape' || e.key === '?')) {
        d.closeHelp();
        e.preventDefault();
        return;
      }
      markInput(e.timeStamp);
      if (d.tool().onKey({ key: e.key, shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey || e.metaKey }, d.toolContext())) {
        e.preventDefault();
        d.toolChanged();
        return;
      }
      const action = actionForKey(e);
      if (action) e.preventDefault();
      if (!action || !runAction(action, d.actions)) markInput(0);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
