// Mark the selected segments verified, or unverified when all already are.
import { hasSelection, type Action } from './types';

export const toggleVerified: Action = {
  name: 'review.verify',
  label: 'Mark selected segments verified (again: unverified)',
  short: 'Verified',
  glyph: '✓',
  group: 'Classes and review',
  keys: ['V'],
  toolbar: true,
  context: true,
  predicate: hasSelection,
  perform: (c) => {
    const ids = [...c.selection.ids];
    if (!c.doc || ids.length === 0) return;
    const all = ids.every((id) => c.doc!.segments.get(id)?.verified);
    c.edit([{ kind: 'setVerified', ids, verified: !all }], all ? 'Unverify' : 'Verify');
  },
};
