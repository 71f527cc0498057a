// Canny edge detector: Gaussian smoothing, Sobel gradients, non-maximum suppression with
// interpolation between neighbours, and hysteresis. Follows scikit-image's `feature.canny`.
import type { GreyImage } from '../types';
import type { BinaryMask } from './components';
import { connectedComponents } from './components';
import { correlateSeparable, gaussianKernel, sobelGradients } from './filters';
import { quantile } from '../image/quantile';

interface CannyOptions {
  /** Gaussian smoothing before the gradient, in pixels. */
  sigma?: number;
  /**
   * Hysteresis thresholds on the gradient magnitude. In image units by default (scikit-image's
   * defaults are 0.1 and 0.2 of the type's maximum: 25.5 and 51 for 8-bit); quantiles in [0, 1]
   * of the magnitude with `useQuantiles`.
   */
  low?: number;
  high?: number;
  useQuantiles?: boolean;
}

interface CannyResult extends BinaryMask {
  /** Gradient magnitude of the smoothed image (before suppression), for reuse by callers. */
  magnitude: Float32Array;
}

function typeMax(data: GreyImage['data']): number {
  if (data instanceof Uint8Array) return 255;
  if (data instanceof Uint16Array) return 65535;
  return 1;
}

/**
 * Canny edges. Smoothing uses a zero border renormalised by the smoothed all-ones image (so
 * border pixels are not darkened), the one-pixel image border never holds an edge, and
 * hysteresis keeps 8-connected chains of candidates above `low` that reach `high`.
 */
export function canny(image: GreyImage, options: CannyOptions = {}): CannyResult {
  const { width: w, height: h } = image;
  const sigma = options.sigma ?? 1;
  const n = w * h;

  let smoothed: Float32Array;
  if (sigma > 0) {
    const k = gaussianKernel(sigma, 4);
    smoothed = correlateSeparable(image.data, w, h, k, k, 'constant', 0);
    // The blur of an all-ones image with a zero border is separable: a product of 1-D sums.
    const r = (k.length - 1) >> 1;
    const inside = (len: number) => {
      const s = new Float64Array(len);
      for (let i = 0; i < len; i++) {
        let acc = 0;
        for (let j = -r; j <= r; j++) if (i + j >= 0 && i + j < len) acc += k[j + r]!;
        s[i] = acc;
      }
      return s;
    };
    const bx = inside(w);
    const by = inside(h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) smoothed[y * w + x] = smoothed[y * w + x]! / (bx[x]! * by[y]! + Number.EPSILON);
    }
  } else {
    smoothed = Float32Array.from(image.data);
  }

  const { gx, gy } = sobelGradients({ width: w, height: h, data: smoothed }, 'reflect');
  const mag = new Float32Array(n);
  for (let i = 0; i < n; i++) mag[i] = Math.sqrt(gx[i]! * gx[i]! + gy[i]! * gy[i]!);

  let low: number;
  let high: number;
  if (options.useQuantiles) {
    low = quantile(mag, options.low ?? 0.1);
    high = quantile(mag, options.high ?? 0.2);
  } else {
    const tmax = typeMax(image.data);
    low = options.low ?? 0.1 * tmax;
    high = options.high ?? 0.2 * tmax;
  }
  if (high < low) throw new RangeError('canny: the low threshold must not exceed the high one');

  // Non-maximum suppression: compare with the magnitude interpolated along the gradient direction.
  // gi is the derivative along rows (down), gj along columns (right), as in scikit-image.
  const cand = new Uint8Array(n); // 1 = above low, 2 = above high
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = mag[i]!;
      if (!(m > 0) || m < low) continue;
      const gi = gy[i]!;
      const gj = gx[i]!;
      const ai = Math.abs(gi);
      const aj = Math.abs(gj);
      const horizontal = ai >= aj;
      const vertical = ai <= aj;
      const diag = (gi >= 0 && gj >= 0) || (gi <= 0 && gj <= 0);
      const anti = (gi <= 0 && gj >= 0) || (gi >= 0 && gj <= 0);
      // scikit-image evaluates the four sectors in order and the last one that applies wins.
      let keep = -1;
      if (diag && horizontal) {
        const wt = aj / ai;
        keep = +(mag[i + w + 1]! * wt + mag[i + w]! * (1 - wt) <= m && mag[i - w - 1]! * wt + mag[i - w]! * (1 - wt) <= m);
      }
      if (diag && vertical) {
        const wt = ai / aj;
        keep = +(mag[i + w + 1]! * wt + mag[i + 1]! * (1 - wt) <= m && mag[i - w - 1]! * wt + mag[i - 1]! * (1 - wt) <= m);
      }
      if (anti && vertical) {
        const wt = ai / aj;
        keep = +(mag[i - w + 1]! * wt + mag[i + 1]! * (1 - wt) <= m && mag[i + w - 1]! * wt + mag[i - 1]! * (1 - wt) <= m);
      }
      if (anti && horizontal) {
        const wt = aj / ai;
        keep = +(mag[i - w + 1]! * wt + mag[i - w]! * (1 - wt) <= m && mag[i + w - 1]! * wt + mag[i + w]! * (1 - wt) <= m);
      }
      if (keep === 1) cand[i] = m >= high ? 2 : 1;
    }
  }

  // Hysteresis: keep 8-connected candidate chains that contain a strong pixel.
  const comps = connectedComponents({ width: w, height: h, data: cand }, 8);
  let count = 0;
  for (let i = 0; i < n; i++) if (comps.data[i]! > count) count = comps.data[i]!;
  const strong = new Uint8Array(count + 1);
  for (let i = 0; i < n; i++) if (cand[i] === 2) strong[comps.data[i]!] = 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = strong[comps.data[i]!]!;
  return { width: w, height: h, data: out, magnitude: mag };
}
