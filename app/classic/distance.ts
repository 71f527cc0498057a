// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, linear time): for each
// foreground pixel, the distance to the nearest background pixel, as scipy's distance_transform_edt.
import type { BinaryMask } from './components';

/** Marks "no background pixel anywhere" in squared distances. */
export const NO_BACKGROUND = 0xffffffff;

/**
 * Squared Euclidean distance from every non-zero pixel to the nearest zero pixel (0 on zero
 * pixels). Integers, exact; NO_BACKGROUND everywhere when the mask has no zero pixel. Pixels
 * outside the image do not count as background.
 */
export function squaredDistanceTransform(mask: BinaryMask): Uint32Array {
  const { width: w, height: h, data } = mask;
  const out = new Uint32Array(w * h);
  const INF = NO_BACKGROUND;
  // Pass 1, columns: vertical distance to the nearest zero in the same column, swept row by row
  // (last zero above, then next zero below) so memory is read in order.
  const near = new Int32Array(w).fill(-1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (data[row + x] === 0) near[x] = y;
      out[row + x] = near[x]! < 0 ? INF : y - near[x]!;
    }
  }
  near.fill(-1);
  for (let y = h - 1; y >= 0; y--) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (data[row + x] === 0) near[x] = y;
      let d = out[row + x]!;
      if (near[x]! >= 0 && near[x]! - y < d) d = near[x]! - y;
      out[row + x] = d === INF ? INF : d * d;
    }
  }
  // Pass 2, rows: lower envelope of parabolas f(q) + (x - q)^2 over the finite column results.
  const f = new Float64Array(w);
  const v = new Int32Array(w);
  const z = new Float64Array(w + 1);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let k = -1;
    for (let q = 0; q < w; q++) {
      const fq = out[row + q]!;
      if (fq === INF) continue;
      f[q] = fq;
      if (k < 0) {
        k = 0;
        v[0] = q;
        z[0] = -Infinity;
        z[1] = Infinity;
        continue;
      }
      let s = (fq + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * (q - v[k]!));
      while (s <= z[k]!) {
        k--;
        if (k < 0) break;
        s = (fq + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * (q - v[k]!));
      }
      k++;
      v[k] = q;
      z[k] = k === 0 ? -Infinity : s;
      z[k + 1] = Infinity;
    }
    if (k < 0) continue; // no finite parabola on this row: every column lacks background
    let j = 0;
    for (let q = 0; q < w; q++) {
      while (z[j + 1]! < q) j++;
      const d = q - v[j]!;
      out[row + q] = d * d + f[v[j]!]!;
    }
  }
  return out;
}

/** Euclidean distance to the nearest zero pixel (scipy.ndimage.distance_transform_edt). */
export function distanceTransform(mask: BinaryMask): Float32Array {
  const sq = squaredDistanceTransform(mask);
  const out = new Float32Array(sq.length);
  for (let i = 0; i < sq.length; i++) out[i] = sq[i] === NO_BACKGROUND ? Infinity : Math.sqrt(sq[i]!);
  return out;
}
