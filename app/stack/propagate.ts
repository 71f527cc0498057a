// Classic propagation of a corrected slice to the next one (no model needed): every segment's
// mask, shrunk by a margin and kept only where the next slice still looks like that segment,
// seeds a marker watershed on the next slice's gradient; the region around the segments seeds
// the background. A segment with no seed left has ended between the slices. Ids stay the
// source slice's ids, so callers know which segment each propagated one came from.
import type { GreyImage, LabelMap } from '../types';
import { gaussianBlur, sobel } from '../classic/filters';
import { watershed } from '../classic/watershed';
import { labelMaskComponents } from '../classic/components';

export interface ClassicPropagateOptions {
  /** Pixels a segment's seed is shrunk by, so a boundary that moved a little is found again (default 2). */
  margin?: number;
  /** Smoothing of both slices before intensities are compared (default 1). */
  sigma?: number;
  /** Propagated regions smaller than this are dropped (default 4 px). */
  minArea?: number;
}

/** Mean of `values` per label id (index = id); NaN for ids with no pixels. */
function meansOf(labels: Uint32Array, values: Float32Array, count: number): Float64Array {
  const sum = new Float64Array(count + 1);
  const n = new Float64Array(count + 1);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    sum[v]! += values[i]!;
    n[v]!++;
  }
  for (let k = 0; k <= count; k++) sum[k] = n[k]! > 0 ? sum[k]! / n[k]! : NaN;
  return sum;
}

/** Pixels whose whole (2m+1)² window carries the same label (the label map eroded per label). */
function interior(labels: Uint32Array, w: number, h: number, m: number): Uint8Array {
  // Row pass then column pass: "same as the centre over the run" in each direction.
  const rowOk = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = labels[i]!;
      let ok = x - m >= 0 && x + m < w;
      for (let d = -m; ok && d <= m; d++) if (labels[i + d] !== v) ok = false;
      rowOk[i] = ok ? 1 : 0;
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = m; y < h - m; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = labels[i]!;
      let ok = true;
      for (let d = -m; ok && d <= m; d++) if (!rowOk[i + d * w] || labels[i + d * w] !== v) ok = false;
      out[i] = ok ? 1 : 0;
    }
  }
  return out;
}

/**
 * The next slice's segmentation predicted from `labels` on `current`. Both slices must have the
 * same size. Returns a label map with the source ids (segments that ended are absent).
 */
export function propagateClassic(current: GreyImage, labels: LabelMap, next: GreyImage, o: ClassicPropagateOptions = {}): LabelMap {
  const { width: w, height: h } = labels;
  if (current.width !== w || current.height !== h || next.width !== w || next.height !== h) {
    throw new RangeError(`Slices differ in size: ${current.width}x${current.height}, ${labels.width}x${labels.height} and ${next.width}x${next.height}.`);
  }
  const margin = o.margin ?? 2;
  const sigma = o.sigma ?? 1;
  const minArea = o.minArea ?? 4;
  const n = w * h;
  // Dense ids for the arrays below; the source ids are restored at the end.
  const dense = new Uint32Array(n);
  const sourceId: number[] = [0];
  const denseOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const v = labels.data[i]!;
    if (v === 0) continue;
    let d = denseOf.get(v);
    if (d === undefined) {
      d = sourceId.length;
      denseOf.set(v, d);
      sourceId.push(v);
    }
    dense[i] = d;
  }
  const count = sourceId.length - 1;
  const out = new Uint32Array(n);
  if (count === 0) return { width: w, height: h, data: out };
  const cur = gaussianBlur(current, sigma).data;
  const nxt = gaussianBlur(next, sigma).data;
  const mean = meansOf(dense, cur, count);
  let background = 0;
  for (let i = 0; i < n; i++) if (dense[i] === 0) background++;
  // A background (matrix around particles) takes part when there is enough of it to measure.
  const hasBackground = background >= Math.max(16, n * 0.01);
  let fgSum = 0;
  for (let i = 0; i < n; i++) if (dense[i] !== 0) fgSum += cur[i]!;
  const fgMean = fgSum / Math.max(1, n - background);
  const bgMean = mean[0]!;
  const BG = count + 1;
  const seedOk = interior(dense, w, h, margin);
  const interiorCount = new Uint32Array(count + 1);
  for (let i = 0; i < n; i++) if (seedOk[i]) interiorCount[dense[i]!]!++;
  const seeds = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const d = dense[i]!;
    const v = nxt[i]!;
    if (d === 0) {
      if (hasBackground && seedOk[i] && Math.abs(v - bgMean) < Math.abs(v - fgMean)) seeds[i] = BG;
      continue;
    }
    // Small segments have no interior: their own pixels seed them.
    if (!seedOk[i] && interiorCount[d]! > 0) continue;
    if (hasBackground && Math.abs(v - mean[d]!) > Math.abs(v - bgMean)) continue;
    seeds[i] = d;
  }
  // One seed per segment: its largest connected piece (stray pixels in the matrix are noise).
  const comp = labelMaskComponents(Uint8Array.from(seeds, (s) => (s !== 0 && s !== BG ? 1 : 0)), w, h, 8);
  const compSize = new Uint32Array(comp.count + 1);
  for (let i = 0; i < n; i++) compSize[comp.labels[i]!]!++;
  const bestComp = new Uint32Array(count + 1);
  const bestSize = new Uint32Array(count + 1);
  for (let i = 0; i < n; i++) {
    const c = comp.labels[i]!;
    if (c === 0) continue;
    const d = seeds[i]!;
    if (compSize[c]! > bestSize[d]!) {
      bestSize[d] = compSize[c]!;
      bestComp[d] = c;
    }
  }
  for (let i = 0; i < n; i++) {
    const c = comp.labels[i]!;
    if (c !== 0 && bestComp[seeds[i]!] !== c) seeds[i] = 0;
  }
  const relief = sobel({ width: w, height: h, data: nxt });
  const flooded = watershed(relief, { width: w, height: h, data: seeds }).data;
  const area = new Uint32Array(count + 2);
  for (let i = 0; i < n; i++) area[flooded[i]!]!++;
  // A region that looks like the matrix on the next slice has ended there.
  const after = meansOf(flooded, nxt, count + 1);
  for (let i = 0; i < n; i++) {
    const d = flooded[i]!;
    if (d === 0 || d === BG || area[d]! < minArea) continue;
    if (hasBackground && Math.abs(after[d]! - bgMean) < Math.abs(after[d]! - mean[d]!)) continue;
    out[i] = sourceId[d]!;
  }
  return { width: w, height: h, data: out };
}
