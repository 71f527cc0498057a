// Small image filters for the coarse pre-segmentation that places prompts: box downsampling,
// Sobel gradients, Canny edges with thresholds relative to the image's own edges, binary
// dilation and a chamfer distance inside labelled regions (app/classic's versions follow
// scikit-image and threshold differently; these are what the prompt tuning was measured with).
// All linear-time on typed arrays, image borders handled by clamping.
import { histogramQuantile } from '../image/quantile';

export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Converts to float, shrinking by an integer factor (mean of factor x factor blocks, partial blocks
 * at the right/bottom averaged over the pixels they have) so that the long side is <= maxSide.
 */
export function toWorkingImage(
  src: { width: number; height: number; data: ArrayLike<number> },
  maxSide: number,
): { image: FloatImage; factor: number } {
  const { width: w, height: h, data } = src;
  const factor = Math.max(1, Math.ceil(Math.max(w, h) / Math.max(1, maxSide)));
  if (factor === 1) return { image: { width: w, height: h, data: Float32Array.from(data) }, factor };
  const ow = Math.ceil(w / factor);
  const oh = Math.ceil(h / factor);
  const sum = new Float64Array(ow * oh);
  const count = new Uint32Array(ow * oh);
  const col = new Int32Array(w);
  for (let x = 0; x < w; x++) col[x] = Math.floor(x / factor);
  for (let y = 0; y < h; y++) {
    const oy = Math.floor(y / factor) * ow;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const o = oy + col[x]!;
      sum[o]! += data[row + x]!;
      count[o]!++;
    }
  }
  const out = new Float32Array(ow * oh);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / count[i]!;
  return { image: { width: ow, height: oh, data: out }, factor };
}

interface Gradient {
  gx: Float32Array;
  gy: Float32Array;
  magnitude: Float32Array;
}

/** 3x3 Sobel derivatives and their magnitude. */
function sobel(img: FloatImage): Gradient {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  const magnitude = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    const ym = (y > 0 ? y - 1 : 0) * w;
    const y0 = y * w;
    const yp = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) {
      const xm = x > 0 ? x - 1 : 0;
      const xp = x < w - 1 ? x + 1 : x;
      const a = data[ym + xm]!, b = data[ym + x]!, c = data[ym + xp]!;
      const d = data[y0 + xm]!, f = data[y0 + xp]!;
      const g = data[yp + xm]!, hh = data[yp + x]!, k = data[yp + xp]!;
      const dx = c + 2 * f + k - (a + 2 * d + g);
      const dy = g + 2 * hh + k - (a + 2 * b + c);
      const i = y0 + x;
      gx[i] = dx;
      gy[i] = dy;
      magnitude[i] = Math.sqrt(dx * dx + dy * dy);
    }
  }
  return { gx, gy, magnitude };
}

/**
 * Canny edges on a (pre-blurred) image: non-maximum suppression along the gradient direction,
 * then hysteresis. Thresholds are quantiles of the magnitude over the pixels that survive
 * suppression, so they adapt to the image's contrast. Returns 1 on edge pixels.
 */
export function cannyEdges(img: FloatImage, lowQuantile: number, highQuantile: number): { edges: Uint8Array; gradient: Gradient } {
  const { width: w, height: h } = img;
  const gradient = sobel(img);
  const { gx, gy, magnitude: m } = gradient;
  const n = w * h;
  const thin = new Uint8Array(n);
  const tan22 = 0.41421356;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = m[i]!;
      if (v === 0) continue;
      const ax = Math.abs(gx[i]!);
      const ay = Math.abs(gy[i]!);
      let a: number, b: number;
      if (ay <= ax * tan22) {
        a = m[i - 1]!;
        b = m[i + 1]!;
      } else if (ax <= ay * tan22) {
        a = m[i - w]!;
        b = m[i + w]!;
      } else if (gx[i]! * gy[i]! > 0) {
        a = m[i - w - 1]!;
        b = m[i + w + 1]!;
      } else {
        a = m[i - w + 1]!;
        b = m[i + w - 1]!;
      }
      // >= on one side and > on the other keeps exactly one pixel of a two-pixel plateau.
      if (v >= a && v > b) thin[i] = 1;
    }
  }
  const high = histogramQuantile(m, highQuantile, thin);
  const low = histogramQuantile(m, lowQuantile, thin);
  const edges = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  for (let i = 0; i < n; i++) {
    if (thin[i] && m[i]! >= high && m[i]! > 0) {
      edges[i] = 1;
      stack[sp++] = i;
    }
  }
  while (sp > 0) {
    const i = stack[--sp]!;
    const x = i % w;
    const y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= h) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= w) continue;
        const j = yy * w + xx;
        if (!edges[j] && thin[j] && m[j]! >= low) {
          edges[j] = 1;
          stack[sp++] = j;
        }
      }
    }
  }
  return { edges, gradient };
}

/** 3x3 binary dilation, repeated `times` times. */
export function dilate(mask: Uint8Array, w: number, h: number, times: number): Uint8Array {
  let cur = mask;
  for (let t = 0; t < times; t++) {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!cur[y * w + x]) continue;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) out[yy * w + xx] = 1;
      }
    }
    cur = out;
  }
  return cur;
}

/**
 * Chamfer (3-4) distance of every labelled pixel to the nearest pixel outside its own region
 * (another label, label 0, or beyond the image edge), measured through the region. Pixels with
 * label 0 get 0. Units: 3 per axial step, so divide by 3 for pixels.
 */
export function regionDistance(labels: Uint32Array, w: number, h: number): Uint32Array {
  const n = w * h;
  const d = new Uint32Array(n);
  const INF = 0xffffffff;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = labels[i]!;
      if (l === 0) continue;
      const border =
        x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
        labels[i - 1] !== l || labels[i + 1] !== l || labels[i - w] !== l || labels[i + w] !== l;
      d[i] = border ? 3 : INF;
    }
  }
  const relax = (i: number, j: number, cost: number) => {
    const c = d[j]! + cost;
    if (c < d[i]!) d[i] = c;
  };
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = labels[i]!;
      if (l === 0 || d[i] === 3) continue;
      if (labels[i - w - 1] === l) relax(i, i - w - 1, 4);
      if (labels[i - w] === l) relax(i, i - w, 3);
      if (labels[i - w + 1] === l) relax(i, i - w + 1, 4);
      if (labels[i - 1] === l) relax(i, i - 1, 3);
    }
  }
  for (let y = h - 2; y >= 1; y--) {
    for (let x = w - 2; x >= 1; x--) {
      const i = y * w + x;
      const l = labels[i]!;
      if (l === 0 || d[i] === 3) continue;
      if (labels[i + w + 1] === l) relax(i, i + w + 1, 4);
      if (labels[i + w] === l) relax(i, i + w, 3);
      if (labels[i + w - 1] === l) relax(i, i + w - 1, 4);
      if (labels[i + 1] === l) relax(i, i + 1, 3);
    }
  }
  return d;
}

/** For each region id 1..regionCount, the pixel index of its largest distance (-1 if absent). */
export function deepestPixels(labels: Uint32Array, dist: Uint32Array, regionCount: number): Int32Array {
  const best = new Uint32Array(regionCount + 1);
  const at = new Int32Array(regionCount + 1).fill(-1);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l !== 0 && (at[l]! < 0 || dist[i]! > best[l]!)) {
      best[l] = dist[i]!;
      at[l] = i;
    }
  }
  return at;
}
