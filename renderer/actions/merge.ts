// Merge the selected segments into one (the survivor stays selected).
import type { EditOp } from '../../app/edit';
import type { Action } from './types';

export const merge: Action = {
  name: 'edit.merge',
  label: 'Merge selected segments',
  short: 'Merge',
  glyph: '⊕',
  group: 'Edit',
  keys: ['M'],
  toolbar: true,
  context: true,
  predicate: (c) => c.doc !== null && c.selection.ids.length > 1,
  perform: (c) => {
    const ids = [...c.selection.ids];
    if (ids.length < 2) return;
    const op: EditOp = { kind: 'merge', ids };
    c.edit([op], 'Merge', { type: 'edit', ops: [op], label: 'Merge', select: 'target' });
  },
};
