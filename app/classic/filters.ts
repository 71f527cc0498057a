// Linear filters on grey images: Gaussian blur, Sobel gradients and magnitude, box mean.
// Separable passes over typed arrays; border handling follows scipy.ndimage's modes.
import type { GreyImage } from '../types';

export type BorderMode = 'reflect' | 'mirror' | 'nearest' | 'constant';

/** A float image (the output type of every filter here). */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Copies any grey image to 32-bit floats (values unscaled). */
export function toFloat32(image: GreyImage): FloatImage {
  const data = image.data instanceof Float32Array ? image.data.slice() : Float32Array.from(image.data);
  return { width: image.width, height: image.height, data };
}

/** Maps an out-of-range index into [0, n) for the given border mode; -1 means "use the constant". */
function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      // Half-sample symmetric: d c b a | a b c d | d c b a.
      const p = 2 * n;
      let k = ((i % p) + p) % p;
      if (k >= n) k = p - 1 - k;
      return k;
    }
    case 'mirror': {
      // Whole-sample symmetric: d c b | a b c d | c b a.
      if (n === 1) return 0;
      const p = 2 * n - 2;
      let k = ((i % p) + p) % p;
      if (k >= n) k = p - k;
      return k;
    }
  }
}

/** Normalised 1-D Gaussian weights with radius round(truncate * sigma), as scipy builds them. */
export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * Correlates with `ky` along columns then `kx` along rows (either may be null to skip that axis).
 * Kernels have odd length and are centred. Accumulates in float64, stores float32.
 */
export function correlateSeparable(
  src: GreyImage['data'],
  width: number,
  height: number,
  kx: Float64Array | null,
  ky: Float64Array | null,
  mode: BorderMode,
  cval = 0,
): Float32Array {
  const out = new Float32Array(width * height);
  // Vertical pass as a weighted sum of whole rows: cache-friendly on wide images.
  if (ky) {
    const r = (ky.length - 1) >> 1;
    const acc = new Float64Array(width);
    for (let y = 0; y < height; y++) {
      acc.fill(0);
      for (let j = -r; j <= r; j++) {
        const wgt = ky[j + r]!;
        if (wgt === 0) continue;
        const yy = borderIndex(y + j, height, mode);
        if (yy < 0) {
          if (cval !== 0) for (let x = 0; x < width; x++) acc[x] = acc[x]! + wgt * cval;
          continue;
        }
        const row = yy * width;
        for (let x = 0; x < width; x++) acc[x] = acc[x]! + wgt * src[row + x]!;
      }
      out.set(acc, y * width);
    }
  } else {
    for (let i = 0; i < out.length; i++) out[i] = src[i]!;
  }
  if (kx) {
    const r = (kx.length - 1) >> 1;
    const line = new Float64Array(width + 2 * r);
    const n = kx.length;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      // Interior copied straight; only the 2r padding cells go through the border rule.
      line.set(out.subarray(row, row + width), r);
      for (let x = -r; x < 0; x++) {
        const xx = borderIndex(x, width, mode);
        line[x + r] = xx < 0 ? cval : out[row + xx]!;
      }
      for (let x = width; x < width + r; x++) {
        const xx = borderIndex(x, width, mode);
        line[x + r] = xx < 0 ? cval : out[row + xx]!;
      }
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += kx[j]! * line[x + j]!;
        out[row + x] = s;
      }
    }
  }
  return out;
}

interface GaussianOptions {
  /** Kernel radius in standard deviations (scipy's `truncate`). */
  truncate?: number;
  /** Border handling; scikit-image's `filters.gaussian` defaults to 'nearest'. */
  mode?: BorderMode;
  cval?: number;
}

/**
 * Gaussian blur (scipy `gaussian_filter` / scikit-image `filters.gaussian` with
 * preserve_range=True): values stay in the input's units. sigma <= 0 returns a float copy.
 */
export function gaussianBlur(image: GreyImage, sigma: number, options: GaussianOptions = {}): FloatImage {
  const { width, height } = image;
  if (!(sigma > 0)) return toFloat32(image);
  const k = gaussianKernel(sigma, options.truncate ?? 4);
  const data = correlateSeparable(image.data, width, height, k, k, options.mode ?? 'nearest', options.cval ?? 0);
  return { width, height, data };
}

const DERIV = Float64Array.from([-1, 0, 1]);
const SMOOTH = Float64Array.from([1, 2, 1]);

/**
 * Sobel derivatives as scipy's `ndimage.sobel` (unnormalised [1,2,1] x [-1,0,1]):
 * gx along x (columns), gy along y (rows), default border 'reflect'.
 */
export function sobelGradients(image: GreyImage, mode: BorderMode = 'reflect'): { gx: Float32Array; gy: Float32Array } {
  const { width: w, height: h, data } = image;
  if (w < 3 || h < 3 || mode === 'constant') {
    return {
      gx: correlateSeparable(data, w, h, DERIV, SMOOTH, mode),
      gy: correlateSeparable(data, w, h, SMOOTH, DERIV, mode),
    };
  }
  // One fused 3x3 pass over a float copy; border rows and columns use the border rule.
  const src = data instanceof Float32Array ? data : Float32Array.from(data);
  const gx = new Float32Array(w * h);
  const gy = new Float32Array(w * h);
  const at = (x: number, y: number) => src[borderIndex(y, h, mode) * w + borderIndex(x, w, mode)]!;
  const edge = (x: number, y: number) => {
    const a = at(x - 1, y - 1), b = at(x, y - 1), c = at(x + 1, y - 1);
    const d = at(x - 1, y), f = at(x + 1, y);
    const g = at(x - 1, y + 1), k = at(x, y + 1), l = at(x + 1, y + 1);
    gx[y * w + x] = c + 2 * f + l - (a + 2 * d + g);
    gy[y * w + x] = g + 2 * k + l - (a + 2 * b + c);
  };
  for (let x = 0; x < w; x++) {
    edge(x, 0);
    edge(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    edge(0, y);
    edge(w - 1, y);
    const row = y * w;
    for (let i = row + 1; i < row + w - 1; i++) {
      const a = src[i - w - 1]!, b = src[i - w]!, c = src[i - w + 1]!;
      const d = src[i - 1]!, f = src[i + 1]!;
      const g = src[i + w - 1]!, k = src[i + w]!, l = src[i + w + 1]!;
      gx[i] = c + 2 * f + l - (a + 2 * d + g);
      gy[i] = g + 2 * k + l - (a + 2 * b + c);
    }
  }
  return { gx, gy };
}

/**
 * Sobel gradient magnitude as scikit-image's `filters.sobel`: sqrt((gx^2 + gy^2) / 2) with the
 * smoothing weights normalised to [1,2,1]/4, in the input's units (scikit-image first rescales
 * integer images to [0, 1]).
 */
export function sobel(image: GreyImage, mode: BorderMode = 'reflect'): FloatImage {
  const { gx, gy } = sobelGradients(image, mode);
  const out = gx;
  // Unnormalised Sobel is 4x the normalised one in each axis.
  for (let i = 0; i < out.length; i++) {
    const a = gx[i]!;
    const b = gy[i]!;
    out[i] = Math.sqrt((a * a + b * b) / 2) / 4;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Mean over a size x size window (scipy `uniform_filter`, default border 'reflect'), by running
 * sums: constant time per pixel whatever the window.
 */
export function boxMean(image: GreyImage, size: number, mode: BorderMode = 'reflect'): Float32Array {
  const { width, height, data } = image;
  const r = (size - 1) >> 1;
  const out = new Float32Array(width * height);
  const inv = 1 / size;
  // Horizontal pass.
  const line = new Float64Array(width + 2 * r + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    line[0] = 0;
    // Prefix sums over the padded row.
    for (let x = -r; x < width + r; x++) {
      const xx = borderIndex(x, width, mode);
      line[x + r + 1] = line[x + r]! + (xx < 0 ? 0 : data[row + xx]!);
    }
    for (let x = 0; x < width; x++) out[row + x] = (line[x + size]! - line[x]!) * inv;
  }
  // Vertical pass with a running sum of rows.
  const acc = new Float64Array(width);
  const result = new Float32Array(width * height);
  for (let j = -r; j <= r; j++) {
    const yy = borderIndex(j, height, mode);
    if (yy < 0) continue;
    for (let x = 0; x < width; x++) acc[x] = acc[x]! + out[yy * width + x]!;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) result[row + x] = acc[x]! * inv;
    if (y + 1 === height) break;
    const addY = borderIndex(y + r + 1, height, mode);
    const subY = borderIndex(y - r, height, mode);
    for (let x = 0; x < width; x++) {
      acc[x] = acc[x]! + (addY < 0 ? 0 : out[addY * width + x]!) - (subY < 0 ? 0 : out[subY * width + x]!);
    }
  }
  return result;
}
