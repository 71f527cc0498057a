// Classic segmentation engine entry point: the default when no SAM model is installed.
import type { ClassicOptions } from '../contract';
import type { GreyImage, LabelMap } from '../types';
import { otsuThreshold } from './threshold';
import { connectedComponents, removeSmallComponents } from './components';

export { otsuThreshold } from './threshold';
export { connectedComponents, removeSmallComponents } from './components';

export interface ClassicProgress {
  (done: number, total: number, stage: string): void;
}

/**
 * Segments one grey image. Phase mode: Otsu threshold, foreground = the brighter side (or the
 * darker with `invert`), then 8-connected components with small ones dropped. The result ids
 * are consecutive from 1.
 */
export function segmentClassic(image: GreyImage, options: ClassicOptions, progress?: ClassicProgress): LabelMap {
  const { width, height, data } = image;
  progress?.(0, 3, 'threshold');
  const t = otsuThreshold(data);
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) {
    const fg = data[i]! > t;
    mask[i] = (options.invert ? !fg : fg) ? 1 : 0;
  }
  progress?.(1, 3, 'components');
  const labels = connectedComponents({ width, height, data: mask }, 8);
  progress?.(2, 3, 'cleanup');
  const cleaned = removeSmallComponents(labels, options.minArea);
  progress?.(3, 3, 'done');
  return cleaned;
}
