// Delete the selected segments.
import { hasSelection, type Action } from './types';

export const deleteSelected: Action = {
  name: 'edit.delete',
  label: 'Delete selected segments',
  short: 'Delete',
  glyph: '✕',
  group: 'Edit',
  keys: ['Delete', 'Backspace'],
  toolbar: true,
  context: true,
  predicate: hasSelection,
  perform: (c) => {
    const ids = [...c.selection.ids];
    if (ids.length === 0) return;
    c.edit([{ kind: 'delete', ids }], 'Delete');
    c.selection.clear();
  },
};
