// Mark the open image reviewed, or back to in review.
import { hasImage, type Action } from './types';

export const reviewImage: Action = {
  name: 'review.image',
  label: 'Mark this image reviewed (again: back to in review)',
  short: 'Image reviewed',
  group: 'Classes and review',
  keys: ['R'],
  predicate: hasImage,
  perform: (c) => {
    if (c.image) c.setImageStatus(c.image.id, c.image.status === 'verified' ? 'in-review' : 'verified');
  },
};
