// Moving through the slices of a stack: the next slice (. or Alt+Up) and the previous one (, or Alt+Down).
import type { Action, ActionContext } from './types';

function move(c: ActionContext, by: 1 | -1): void {
  const ids = c.stack?.imageIds;
  const at = ids && c.image ? ids.indexOf(c.image.id) : -1;
  const next = ids && at >= 0 ? ids[at + by] : undefined;
  if (next !== undefined) c.openImage(next);
}

const inStack = (c: ActionContext): boolean => (c.stack?.imageIds.length ?? 0) > 1;

export const nextSlice: Action = { name: 'stack.next', label: 'Next slice of the stack', group: 'Images', keys: ['.', 'Alt+ArrowUp'], predicate: inStack, perform: (c) => move(c, 1) };

export const previousSlice: Action = { name: 'stack.prev', label: 'Previous slice of the stack', group: 'Images', keys: [',', 'Alt+ArrowDown'], predicate: inStack, perform: (c) => move(c, -1) };
