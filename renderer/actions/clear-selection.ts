// Clear the selection.
import type { Action } from './types';

export const clearSelection: Action = {
  name: 'sel.clear',
  label: 'Clear the selection',
  group: 'Selection',
  keys: ['Escape'],
  predicate: (c) => c.selection.ids.length > 0,
  perform: (c) => c.selection.clear(),
};
