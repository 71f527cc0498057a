// Select every segment of the open image.
import { hasSegmentation, type Action } from './types';

export const selectAll: Action = {
  name: 'sel.all',
  label: 'Select all segments',
  group: 'Selection',
  keys: ['Ctrl+A'],
  context: true,
  predicate: hasSegmentation,
  perform: (c) => {
    if (c.doc) c.selection.apply([...c.doc.segments.keys()], 'replace');
  },
};
