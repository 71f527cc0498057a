// [ and ] make the brush smaller or larger by a quarter (0.5 to 500 px, in half pixels).
import { hasImage, type Action } from './types';

export const resizeBrush = (r: number, factor: number): number => Math.max(0.5, Math.min(500, Math.round(r * factor * 2) / 2 || r));

export const brushSmaller: Action = {
  name: 'view.brushSmaller',
  label: 'Smaller brush',
  group: 'View',
  keys: ['['],
  predicate: hasImage,
  perform: (c) => c.setBrushRadius((r) => resizeBrush(r, 1 / 1.25)),
};

export const brushLarger: Action = {
  name: 'view.brushLarger',
  label: 'Larger brush',
  group: 'View',
  keys: [']'],
  predicate: hasImage,
  perform: (c) => c.setBrushRadius((r) => resizeBrush(r, 1.25)),
};
