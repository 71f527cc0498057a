// The polygon tool adds or subtracts.
import { hasImage, type Action } from './types';

export const polygonMode: Action = {
  name: 'edit.polygonMode',
  label: 'Polygon tool: switch add / subtract',
  group: 'Edit',
  keys: ['Shift+P'],
  predicate: hasImage,
  perform: (c) => c.toggle('polygonSubtract'),
};
