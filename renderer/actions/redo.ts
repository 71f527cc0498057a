// Redo: main's history.
import type { Action } from './types';

export const redo: Action = {
  name: 'edit.redo',
  label: 'Redo',
  short: 'Redo',
  glyph: '↷',
  group: 'Edit',
  keys: ['Ctrl+Shift+Z', 'Ctrl+Y'],
  toolbar: true,
  predicate: (c) => (c.doc?.redoDepth ?? 0) > 0,
  perform: (c) => c.redo(),
};
