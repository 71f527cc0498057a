// Boundary F1: how well segment outlines agree, forgiving offsets up to a pixel tolerance
// (Csurka et al. 2013). Useful for grain maps, where a one-pixel shift of every boundary is harmless.
import { assertSameSize, type IndexMap } from './contingency';
import { withinDistance } from './distance';
import { markBoundaries } from '../labelmap';

/**
 * 1 on every pixel that has a 4-neighbour (inside the image) with another value; both sides of
 * a label change are marked. Same as skimage `find_boundaries(labels, connectivity=1, mode='thick')`.
 */
export function boundaryMask(map: IndexMap): Uint8Array {
  return markBoundaries(map, { bothSides: true, includeBackground: true, value: 1 });
}

export interface BoundaryF1Options {
  /** Largest Euclidean distance (pixels) at which two boundary pixels still match. Default 2. */
  tolerance?: number;
  /** Value of a 0/0 ratio (no boundary pixels at all). Default 0, as in the pixel scores. */
  zeroDivision?: number;
}

export interface BoundaryF1 {
  /** Predicted boundary pixels within tolerance of a truth boundary / all predicted boundary pixels. */
  precision: number;
  /** Truth boundary pixels within tolerance of a predicted boundary / all truth boundary pixels. */
  recall: number;
  f1: number;
  truthPixels: number;
  predPixels: number;
}

export function boundaryF1(truth: IndexMap, pred: IndexMap, options: BoundaryF1Options = {}): BoundaryF1 {
  assertSameSize(truth, pred);
  const tol = options.tolerance ?? 2;
  const zero = options.zeroDivision ?? 0;
  const { width: w, height: h } = truth;
  const bt = boundaryMask(truth);
  const bp = boundaryMask(pred);
  const nearT = withinDistance(bt, w, h, tol);
  const nearP = withinDistance(bp, w, h, tol);
  let truthPixels = 0;
  let predPixels = 0;
  let predHit = 0;
  let truthHit = 0;
  for (let i = 0; i < bt.length; i++) {
    if (bt[i] !== 0) {
      truthPixels++;
      if (nearP[i] !== 0) truthHit++;
    }
    if (bp[i] !== 0) {
      predPixels++;
      if (nearT[i] !== 0) predHit++;
    }
  }
  const precision = predPixels === 0 ? zero : predHit / predPixels;
  const recall = truthPixels === 0 ? zero : truthHit / truthPixels;
  const f1 = predPixels === 0 && truthPixels === 0 ? zero
    : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truthPixels, predPixels };
}
