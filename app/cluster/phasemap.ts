// A phase map in one call: k-means on pixel intensities (optionally local texture), a mode filter
// against speckle, small regions merged into their neighbours, and the connected regions as
// segments, each with its phase. Pure, so the service runs it inline for small images and in a
// worker for large ones.
import { labelRegions, mergeSmallRegions } from '../classic';
import { segmentStats, type SegmentStats } from '../labelmap';
import type { GreyImage, LabelMap } from '../types';
import { autoKMeans } from './kmeans';
import { pixelKMeans } from './pixelkmeans';

export interface PhaseMapOptions {
  /** Number of phases, or 'auto' (silhouette over 2..5 on a sample of pixel values). */
  k: number | 'auto';
  texture: boolean;
  seed: number;
  /** Radius of the mode filter (0 = none). */
  smooth: number;
  /** Regions smaller than this many pixels join their neighbours. */
  minArea: number;
}

export interface PhaseMap {
  k: number;
  labels: LabelMap;
  stats: SegmentStats[];
  /** Phase (0..k-1, darkest first) of segment id i at index i. */
  phaseOf: Uint8Array;
}

export function phaseMap(grey: GreyImage, o: PhaseMapOptions): PhaseMap {
  const k = o.k === 'auto' ? choosePhaseCount(grey.data, o.seed) : o.k;
  const r = pixelKMeans(grey, { k, texture: o.texture, seed: o.seed });
  let classes = r.classes;
  if (o.smooth > 0) classes = modeFilter(classes, grey.width, grey.height, o.smooth);
  if (o.minArea > 1) classes = mergeSmallRegions(grey.width, grey.height, classes, o.minArea);
  const { labels: ids } = labelRegions(grey.width, grey.height, classes, 4);
  const labels: LabelMap = { width: grey.width, height: grey.height, data: ids };
  const stats = segmentStats(labels);
  let maxId = 0;
  for (const s of stats) if (s.id > maxId) maxId = s.id;
  const phaseOf = new Uint8Array(maxId + 1);
  for (let p = 0; p < ids.length; p++) phaseOf[ids[p]!] = classes[p]!;
  return { k: r.k, labels, stats, phaseOf };
}

/** Number of phases by silhouette over 2..5 on 2,000 evenly spaced pixel values. */
function choosePhaseCount(data: ArrayLike<number>, seed: number): number {
  const n = data.length;
  const size = Math.min(n, 2000);
  const sample = new Float64Array(size);
  for (let i = 0; i < size; i++) sample[i] = data[Math.floor(((i + 0.5) * n) / size)]!;
  const r = autoKMeans({ data: sample, cols: 1 }, { seed, kMin: 2, kMax: 5 });
  return Math.max(2, r.result.k);
}

/** Most frequent class in a (2r+1)² window (ties keep the pixel's own class), with a sliding histogram per row. */
function modeFilter(classes: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const out = new Uint8Array(classes.length);
  let maxC = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i]! > maxC) maxC = classes[i]!;
  const counts = new Int32Array(maxC + 1);
  for (let y = 0; y < h; y++) {
    counts.fill(0);
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(h - 1, y + radius);
    // Sliding window along the row: add the entering column, drop the leaving one.
    for (let x = -radius; x < w; x++) {
      const xin = x + radius;
      if (xin < w) for (let yy = y0; yy <= y1; yy++) counts[classes[yy * w + xin]!]!++;
      const xout = x - radius - 1;
      if (xout >= 0) for (let yy = y0; yy <= y1; yy++) counts[classes[yy * w + xout]!]!--;
      if (x < 0) continue;
      let best = classes[y * w + x]!;
      let bestN = counts[best]!;
      for (let c = 0; c <= maxC; c++) if (counts[c]! > bestN) [best, bestN] = [c, counts[c]!];
      out[y * w + x] = best;
    }
  }
  return out;
}
