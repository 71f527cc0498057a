// Fill the holes of the selected segments (at most 64 at once).
import type { EditOp } from '../../app/edit';
import { hasSelection, type Action } from './types';

export const fillHoles: Action = {
  name: 'edit.fillHoles',
  label: 'Fill holes in selected segments',
  short: 'Fill holes',
  glyph: '◉',
  group: 'Edit',
  keys: ['H'],
  toolbar: true,
  context: true,
  predicate: hasSelection,
  perform: (c) => {
    const ids = c.selection.ids;
    if (ids.length === 0) return;
    c.edit(ids.slice(0, 64).map((id): EditOp => ({ kind: 'fillHoles', id })), 'Fill holes');
  },
};
