// Redo: main's history; possible while an undo is on its way (Ctrl+Z, Ctrl+Z, Ctrl+Shift+Z typed
// faster than main answers): the session queues it behind, and main says when there is nothing to redo.
import type { Action } from './types';

export const redo: Action = {
  name: 'edit.redo',
  label: 'Redo',
  short: 'Redo',
  glyph: '↷',
  group: 'Edit',
  keys: ['Ctrl+Shift+Z', 'Ctrl+Y'],
  toolbar: true,
  predicate: (c) => (c.doc?.redoDepth ?? 0) > 0 || c.pending > 0,
  perform: (c) => c.redo(),
};
