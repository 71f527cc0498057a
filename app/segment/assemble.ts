// Turns overlapping candidate masks into one non-overlapping label map (better masks win each
// pixel) and optionally grows the labels into the unlabelled gaps so a grain map has no holes.
import type { GreyImage, LabelMap } from '../types';
import { gaussianBlur, sobel, watershed } from '../classic';
import type { CandidateMask } from './types';

export interface AssembleOptions {
  /**
   * Painting order: 'score' = by predicted IoU, then stability (the better mask takes a
   * contested pixel); 'area' = smallest first (small particles survive inside large masks).
   */
  order: 'score' | 'area';
  /** A mask whose still-free pixels are fewer than this fraction of its area is dropped. */
  minVisibleFraction: number;
  /** A mask with fewer still-free pixels than this is dropped. */
  minArea: number;
}

const defaultAssembleOptions: AssembleOptions = { order: 'score', minVisibleFraction: 0.3, minArea: 1 };

export interface Assembly {
  labels: LabelMap;
  /** For label id k (1-based), sources[k - 1] is the index of its candidate in the input. */
  sources: number[];
}

/**
 * Paints candidates in order into an empty label map; each pixel goes to the first (best) mask
 * that covers it, ids 1..K in painting order. A mask is skipped entirely (its pixels stay free for
 * later masks) when too little of it is still free: it is mostly a duplicate of better masks.
 */
export function assembleLabelMap(
  candidates: readonly CandidateMask[],
  width: number,
  height: number,
  options: Partial<AssembleOptions> = {},
): Assembly {
  const o = { ...defaultAssembleOptions, ...options };
  const data = new Uint32Array(width * height);
  const order = Array.from(candidates.keys());
  if (o.order === 'area') order.sort((i, j) => candidates[i]!.area - candidates[j]!.area || candidates[j]!.score - candidates[i]!.score || i - j);
  else order.sort((i, j) => candidates[j]!.score - candidates[i]!.score || candidates[j]!.stability - candidates[i]!.stability || i - j);
  const sources: number[] = [];
  for (const ci of order) {
    const c = candidates[ci]!;
    const { x: bx, y: by, width: bw, height: bh } = c.box;
    // Only the part inside the image counts (a candidate's box always is, unless built by hand).
    const x0 = Math.max(0, bx), y0 = Math.max(0, by);
    const x1 = Math.min(width, bx + bw), y1 = Math.min(height, by + bh);
    let area = 0;
    let free = 0;
    for (let y = y0; y < y1; y++) {
      const src = (y - by) * bw - bx;
      const dst = y * width;
      for (let x = x0; x < x1; x++) {
        if (!c.mask[src + x]) continue;
        area++;
        if (data[dst + x] === 0) free++;
      }
    }
    if (free === 0 || free < o.minArea || free < o.minVisibleFraction * area) continue;
    const id = sources.length + 1;
    sources.push(ci);
    for (let y = y0; y < y1; y++) {
      const src = (y - by) * bw - bx;
      const dst = y * width;
      for (let x = x0; x < x1; x++) if (c.mask[src + x] && data[dst + x] === 0) data[dst + x] = id;
    }
  }
  return { labels: { width, height, data }, sources };
}

export interface FillGapsOptions {
  /** Gaussian sigma applied before the Sobel gradient that orders the flooding. */
  sigma: number;
  /** Number of priority levels the gradient is quantised into (2..65536). */
  levels: number;
}

const defaultFillGapsOptions: FillGapsOptions = { sigma: 1, levels: 256 };

/**
 * Gives every unlabelled pixel to a neighbouring segment: a marker watershed (app/classic's
 * bucket-queue flood) on the image's gradient magnitude, seeded by the existing labels, so gaps
 * are split along their strongest edges. Without an image the relief is flat and the flood is a
 * breadth-first growth (each gap pixel goes to the geodesically nearest label). Labelled pixels
 * never change; a map without any label is returned unchanged. Linear time.
 */
export function fillGaps(labels: LabelMap, image?: GreyImage, options: Partial<FillGapsOptions> = {}): LabelMap {
  const o = { ...defaultFillGapsOptions, ...options };
  const { width: w, height: h } = labels;
  if (image && (image.width !== w || image.height !== h)) {
    throw new Error(`fillGaps: image is ${image.width}x${image.height}, labels are ${w}x${h}`);
  }
  const relief: GreyImage = image ? sobel(gaussianBlur(image, o.sigma)) : { width: w, height: h, data: new Uint8Array(w * h) };
  return watershed(relief, labels, { levels: Math.min(65536, Math.max(2, Math.floor(o.levels))) });
}
