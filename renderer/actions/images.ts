// Move to the next or previous image of the list: D / A (as in X-AnyLabeling), or PageDown / PageUp.
import type { Action, ActionContext } from './types';

function move(c: ActionContext, by: 1 | -1): void {
  const idx = c.images.findIndex((i) => i.id === c.image?.id);
  const next = idx >= 0 ? c.images[idx + by] : undefined;
  if (next) c.openImage(next.id);
}

export const nextImage: Action = { name: 'image.next', label: 'Next image', group: 'Images', keys: ['D', 'PageDown'], perform: (c) => move(c, 1) };

export const previousImage: Action = { name: 'image.prev', label: 'Previous image', group: 'Images', keys: ['A', 'PageUp'], perform: (c) => move(c, -1) };
