// Pixel-level pseudo-labels for phase images: k-means on pixel intensity (optionally with local
// texture) over a seeded sample of pixels, then every pixel goes to its nearest centre.
import { ServiceError } from '../errors';
import type { GreyImage } from '../types';
import { kmeansCluster } from './kmeans';
import { sampleIndices } from './random';

interface PixelKMeansOptions {
  /** Number of classes, 1..255 (lowered when the image has fewer distinct values). */
  k: number;
  /** Add the local standard deviation in a 5x5 window (clipped at the border) as a second channel. */
  texture?: boolean;
  /** Weight of the texture channel once both channels are z-scored. Default 1. */
  textureWeight?: number;
  /** Pixels sampled for k-means. Default 10000 (plenty for one or two channels). */
  sampleSize?: number;
  seed?: number;
  /** k-means++ restarts. Default 2. */
  restarts?: number;
}

interface PixelKMeansResult {
  /** One class per pixel; classes are ordered by mean intensity, 0 = darkest. */
  classes: Uint8Array;
  k: number;
  /** Centre of each class in raw units: intensity, and local std (empty without texture). */
  centreIntensity: Float64Array;
  centreLocalStd: Float64Array;
}

const RADIUS = 2;

/** Population standard deviation of the (2r+1)^2 window around (x, y), clipped to the image. */
function localStdAt(data: GreyImage['data'], w: number, h: number, x: number, y: number): number {
  let s = 0;
  let ss = 0;
  let cnt = 0;
  for (let yy = Math.max(0, y - RADIUS); yy <= Math.min(h - 1, y + RADIUS); yy++) {
    for (let xx = Math.max(0, x - RADIUS); xx <= Math.min(w - 1, x + RADIUS); xx++) {
      const v = data[yy * w + xx]!;
      s += v;
      ss += v * v;
      cnt++;
    }
  }
  const m = s / cnt;
  return Math.sqrt(Math.max(0, ss / cnt - m * m));
}

/**
 * Calls `onRow(y, std)` for every row with the 5x5 local standard deviation of that row, using
 * running column sums so the cost is O(pixels) and memory O(width).
 */
export function forEachLocalStdRow(image: GreyImage, onRow: (y: number, std: Float64Array) => void): void {
  const { width: w, height: h, data } = image;
  const colS = new Float64Array(w);
  const colSS = new Float64Array(w);
  const out = new Float64Array(w);
  const addRow = (y: number, sign: number) => {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const v = data[o + x]!;
      colS[x] += sign * v;
      colSS[x] += sign * v * v;
    }
  };
  for (let y = 0; y < Math.min(h, RADIUS); y++) addRow(y, 1);
  for (let y = 0; y < h; y++) {
    if (y + RADIUS < h) addRow(y + RADIUS, 1);
    if (y - RADIUS - 1 >= 0) addRow(y - RADIUS - 1, -1);
    const rows = Math.min(h - 1, y + RADIUS) - Math.max(0, y - RADIUS) + 1;
    let s = 0;
    let ss = 0;
    for (let x = 0; x < Math.min(w, RADIUS); x++) { s += colS[x]!; ss += colSS[x]!; }
    for (let x = 0; x < w; x++) {
      if (x + RADIUS < w) { s += colS[x + RADIUS]!; ss += colSS[x + RADIUS]!; }
      if (x - RADIUS - 1 >= 0) { s -= colS[x - RADIUS - 1]!; ss -= colSS[x - RADIUS - 1]!; }
      const cnt = rows * (Math.min(w - 1, x + RADIUS) - Math.max(0, x - RADIUS) + 1);
      const m = s / cnt;
      out[x] = Math.sqrt(Math.max(0, ss / cnt - m * m));
    }
    onRow(y, out);
  }
}

function meanStd(values: Float64Array, stride: number, offset: number): [number, number] {
  const n = values.length / stride;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i * stride + offset]!;
  const m = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i * stride + offset]! - m) ** 2;
  return [m, Math.sqrt(v / n)];
}

/**
 * K-means pseudo-labels for every pixel (the first stage of pseudo-label pipelines for phase
 * segmentation). Deterministic for a given seed.
 */
export function pixelKMeans(image: GreyImage, options: PixelKMeansOptions): PixelKMeansResult {
  const { width: w, height: h, data } = image;
  const k = options.k;
  if (!Number.isInteger(k) || k < 1 || k > 255) throw new ServiceError('invalid-argument', `The number of classes must be 1 to 255 (got ${k}).`);
  const N = w * h;
  if (N === 0) throw new ServiceError('invalid-argument', 'The image is empty.');
  const texture = options.texture ?? false;
  const dims = texture ? 2 : 1;
  const tw = options.textureWeight ?? 1;

  // Sample, z-score each channel on the sample, cluster.
  const idx = sampleIndices(N, options.sampleSize ?? 10000, options.seed ?? 1);
  const m = idx.length;
  const raw = new Float64Array(m * dims);
  for (let i = 0; i < m; i++) {
    const p = idx[i]!;
    raw[i * dims] = data[p]!;
    if (texture) raw[i * dims + 1] = localStdAt(data, w, h, p % w, Math.floor(p / w));
  }
  const [mI, sI0] = meanStd(raw, dims, 0);
  const [mS, sS0] = texture ? meanStd(raw, dims, 1) : [0, 1];
  const sI = sI0 > 0 ? sI0 : 1;
  const sS = sS0 > 0 ? sS0 : 1;
  const z = new Float64Array(m * dims);
  for (let i = 0; i < m; i++) {
    z[i * dims] = (raw[i * dims]! - mI) / sI;
    if (texture) z[i * dims + 1] = ((raw[i * dims + 1]! - mS) / sS) * tw;
  }
  const result = kmeansCluster({ data: z, cols: dims }, k, { seed: options.seed ?? 1, restarts: options.restarts ?? 2 });
  const kk = result.k;

  // Order classes by intensity (darkest first) so labels do not depend on the k-means start.
  const rank = Array.from({ length: kk }, (_, c) => c).sort((a, b) => result.centroids[a * dims]! - result.centroids[b * dims]!);
  const cz = new Float64Array(kk * dims);
  rank.forEach((c, r) => { for (let d = 0; d < dims; d++) cz[r * dims + d] = result.centroids[c * dims + d]!; });
  const centreIntensity = new Float64Array(kk);
  const centreLocalStd = new Float64Array(texture ? kk : 0);
  for (let r = 0; r < kk; r++) {
    centreIntensity[r] = cz[r * dims]! * sI + mI;
    if (texture) centreLocalStd[r] = (cz[r * dims + 1]! / tw) * sS + mS;
  }

  const classes = new Uint8Array(N);
  if (!texture) {
    // One dimension: nearest centre = position among the midpoints between sorted centres.
    const cuts = new Float64Array(Math.max(0, kk - 1));
    for (let r = 0; r + 1 < kk; r++) cuts[r] = (centreIntensity[r]! + centreIntensity[r + 1]!) / 2;
    const classOf = (v: number) => {
      let c = 0;
      while (c < cuts.length && v > cuts[c]!) c++;
      return c;
    };
    if (data instanceof Float32Array) {
      for (let i = 0; i < N; i++) classes[i] = classOf(data[i]!);
    } else {
      // Integer images: a lookup table over the value range, one read per pixel.
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < N; i++) { const v = data[i]!; if (v < lo) lo = v; if (v > hi) hi = v; }
      const lut = new Uint8Array(hi - lo + 1);
      for (let v = lo; v <= hi; v++) lut[v - lo] = classOf(v);
      for (let i = 0; i < N; i++) classes[i] = lut[data[i]! - lo]!;
    }
  } else {
    forEachLocalStdRow(image, (y, std) => {
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const zi = (data[o + x]! - mI) / sI;
        const zs = ((std[x]! - mS) / sS) * tw;
        let best = 0;
        let bestD = Infinity;
        for (let r = 0; r < kk; r++) {
          const di = zi - cz[r * 2]!;
          const ds = zs - cz[r * 2 + 1]!;
          const d = di * di + ds * ds;
          if (d < bestD) { bestD = d; best = r; }
        }
        classes[o + x] = best;
      }
    });
  }
  return { classes, k: kk, centreIntensity, centreLocalStd };
}
