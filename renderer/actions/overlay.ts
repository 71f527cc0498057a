// Overlay on/off and outline-only view.
import { hasImage, type Action } from './types';

export const toggleOverlay: Action = {
  name: 'view.overlay',
  label: 'Show or hide the overlay',
  group: 'View',
  keys: ['O'],
  predicate: hasImage,
  perform: (c) => c.toggle('overlay'),
};

export const toggleOutlines: Action = {
  name: 'view.outlines',
  label: 'Outline-only view',
  group: 'View',
  keys: ['Shift+O'],
  predicate: hasImage,
  perform: (c) => c.toggle('outlines'),
};
