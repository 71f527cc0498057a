// Auto-segment the open image.
import { hasImage, type Action } from './types';

export const segmentImage: Action = {
  name: 'image.segment',
  label: 'Auto-segment this image',
  group: 'Images',
  keys: ['S'],
  predicate: hasImage,
  perform: (c) => {
    if (c.image) c.segment([c.image.id]);
  },
};
