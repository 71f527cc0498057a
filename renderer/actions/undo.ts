// Undo: main's history (it spans sessions and reloads); possible while an edit is still on its way.
import type { Action } from './types';

export const undo: Action = {
  name: 'edit.undo',
  label: 'Undo',
  short: 'Undo',
  glyph: '↶',
  group: 'Edit',
  keys: ['Ctrl+Z'],
  toolbar: true,
  predicate: (c) => (c.doc?.undoDepth ?? 0) > 0 || c.pending > 0,
  perform: (c) => c.undo(),
};
