// Colour features for the pixel classifier, beside the grey filter bank (features.ts): on
// colour-etched or polarised micrographs grains differ by hue, not brightness, so their
// boundaries are invisible in grey. Per scale: the two opponent-colour channels smoothed
// ((R-G)/sqrt2 and (R+G-2B)/sqrt6; brightness is already in the grey bank) and the colour
// gradient magnitude (Di Zenzo: all three channels' gradients together). Large images are done
// tile by tile with a halo, so a tile equals the whole image's maps.
import { smooth } from './features';

export const DEFAULT_COLOUR_SIGMAS = [1, 2.5, 5] as const;
const PER_SCALE = 3;

export function colourFeatureCount(sigmas: readonly number[]): number {
  return sigmas.length * PER_SCALE;
}

/** Whether interleaved pixels are colour: three or more channels that differ somewhere (sampled). */
export function isColour(data: ArrayLike<number>, channels: number): boolean {
  if (channels < 3) return false;
  for (let i = 0; i + 2 < data.length; i += channels * 7) if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return true;
  return false;
}

/**
 * Three colour planes (channel-major, 3 x n) in 0..1 from interleaved pixels: the 0.1th..99.9th
 * percentile of all channels together spans 0..1, so colour ratios survive. Grey images give
 * three equal planes (opponent channels 0).
 */
export function colourPlanes(data: ArrayLike<number>, channels: number, w: number, h: number): Float32Array {
  const n = w * h;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = data[i * channels + (channels >= 3 ? c : 0)]!;
  const sample: number[] = [];
  const stride = Math.max(1, Math.floor(out.length / 200_000));
  for (let i = 0; i < out.length; i += stride) sample.push(out[i]!);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(0.001 * (sample.length - 1))]!;
  const hi = sample[Math.ceil(0.999 * (sample.length - 1))]!;
  const s = hi > lo ? 1 / (hi - lo) : 1;
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - lo) * s;
  return out;
}

/** Colour maps of a w x h image (planes from colourPlanes), feature-major: sigma-major, 3 per scale. */
export function computeColourFeatures(planes: Float32Array, w: number, h: number, sigmas: readonly number[]): Float32Array {
  const n = w * h;
  const out = new Float32Array(colourFeatureCount(sigmas) * n);
  const r = planes.subarray(0, n);
  const g = planes.subarray(n, 2 * n);
  const b = planes.subarray(2 * n, 3 * n);
  const o1 = new Float32Array(n);
  const o2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    o1[i] = (r[i]! - g[i]!) / Math.SQRT2;
    o2[i] = (r[i]! + g[i]! - 2 * b[i]!) / Math.sqrt(6);
  }
  sigmas.forEach((sigma, k) => {
    const at = k * PER_SCALE * n;
    smooth(o1, w, h, sigma, out.subarray(at, at + n));
    smooth(o2, w, h, sigma, out.subarray(at + n, at + 2 * n));
    const grad = out.subarray(at + 2 * n, at + 3 * n);
    for (const ch of [r, g, b]) {
      const s = smooth(ch, w, h, sigma);
      for (let y = 0; y < h; y++) {
        const ym = (y > 0 ? y - 1 : 0) * w;
        const yp = (y < h - 1 ? y + 1 : h - 1) * w;
        for (let x = 0; x < w; x++) {
          const dx = (s[y * w + (x < w - 1 ? x + 1 : x)]! - s[y * w + (x > 0 ? x - 1 : x)]!) * 0.5 * sigma;
          const dy = (s[yp + x]! - s[ym + x]!) * 0.5 * sigma;
          grad[y * w + x] = grad[y * w + x]! + dx * dx + dy * dy;
        }
      }
    }
    for (let i = 0; i < n; i++) grad[i] = Math.sqrt(grad[i]!);
  });
  return out;
}

/** The colour maps of one tile of the image: computed on the tile plus a halo, then cut. */
export function tileColourFeatures(planes: Float32Array, w: number, h: number, sigmas: readonly number[], t: { x: number; y: number; w: number; h: number }): Float32Array {
  if (t.x === 0 && t.y === 0 && t.w === w && t.h === h) return computeColourFeatures(planes, w, h, sigmas);
  const halo = Math.ceil(4 * Math.max(...sigmas)) + 4;
  const x0 = Math.max(0, t.x - halo);
  const y0 = Math.max(0, t.y - halo);
  const x1 = Math.min(w, t.x + t.w + halo);
  const y1 = Math.min(h, t.y + t.h + halo);
  const cw = x1 - x0;
  const ch = y1 - y0;
  const n = w * h;
  const crop = new Float32Array(3 * cw * ch);
  for (let c = 0; c < 3; c++) for (let y = 0; y < ch; y++) crop.set(planes.subarray(c * n + (y0 + y) * w + x0, c * n + (y0 + y) * w + x1), c * cw * ch + y * cw);
  const full = computeColourFeatures(crop, cw, ch, sigmas);
  const K = colourFeatureCount(sigmas);
  const tn = t.w * t.h;
  const out = new Float32Array(K * tn);
  for (let k = 0; k < K; k++) {
    for (let y = 0; y < t.h; y++) {
      const s = k * cw * ch + (t.y - y0 + y) * cw + (t.x - x0);
      out.set(full.subarray(s, s + t.w), k * tn + y * t.w);
    }
  }
  return out;
}
