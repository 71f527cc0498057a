// Delete every segment smaller than the side panel's area, and say how many went.
import { hasSegmentation, type Action } from './types';

export const deleteSmaller: Action = {
  name: 'edit.deleteSmaller',
  label: 'Delete all segments smaller than N px',
  group: 'Edit',
  keys: ['Shift+Delete'],
  context: true,
  predicate: hasSegmentation,
  perform: (c) => {
    const minArea = c.minArea;
    // The edit applies to the open document at once, so its segment count tells what went.
    const before = c.doc?.segments.size ?? 0;
    c.edit([{ kind: 'deleteSmallerThan', minArea }], 'Delete small');
    const going = before - (c.doc?.segments.size ?? 0);
    c.notify('info', `Deleted ${going} segment${going === 1 ? '' : 's'} smaller than ${minArea} px.`);
  },
};
