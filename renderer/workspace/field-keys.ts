// Which keys a focused form field keeps for itself (pure, so the renderer tests can check it).
/** Input types whose focus does not take letter keys: a ticked checkbox leaves S to the app. */
const CLICKED_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file', 'range']);
const RANGE_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);

/** Whether a key pressed in a form field belongs to the field (typing, toggling, moving a slider) rather than to the app. */
export function keyBelongsToField(tag: string, type: string, editable: boolean, key: string): boolean {
  if (editable || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const t = type.toLowerCase();
  if (!CLICKED_INPUTS.has(t)) return true;
  if (key === ' ' || key === 'Enter') return true;
  return t === 'range' && RANGE_KEYS.has(key);
}
