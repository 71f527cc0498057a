// Display mapping of raw pixels: percentile contrast windows (for 16-bit and dim images) and
// conversion to 8-bit RGBA or grey. Raw values are never changed; this only decides what is shown.
import type { GreyImage, RasterImage } from '../types';

export interface DisplayWindow {
  low: number;
  high: number;
}

/**
 * The values at the given lower/upper percentiles of all channel samples (alpha excluded), from a
 * full-resolution histogram (65,536 bins for 16-bit), so it is exact and linear in the pixel count.
 */
export function percentileWindow(image: RasterImage, lowPct = 0.5, highPct = 99.5): DisplayWindow {
  const bins = image.bitDepth === 16 ? 65536 : 256;
  const hist = new Float64Array(bins);
  const colour = image.channels >= 3 ? 3 : 1;
  const { data, channels } = image;
  let n = 0;
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < colour; c++) hist[data[i + c]!]!++;
    n += colour;
  }
  const lowTarget = (lowPct / 100) * n;
  const highTarget = (highPct / 100) * n;
  let acc = 0;
  let low = 0;
  let high = bins - 1;
  let lowFound = false;
  for (let b = 0; b < bins; b++) {
    acc += hist[b]!;
    if (!lowFound && acc > lowTarget) {
      low = b;
      lowFound = true;
    }
    // The high end is a value that occurs (only differs from the plain crossing when highPct is 0).
    if (acc >= highTarget && hist[b]! > 0) {
      high = b;
      break;
    }
  }
  if (high <= low) high = Math.min(bins - 1, low + 1);
  return { low, high };
}

/** The full value range of the image's bit depth (identity mapping for 8-bit). */
export function fullWindow(image: RasterImage): DisplayWindow {
  return { low: 0, high: image.bitDepth === 16 ? 65535 : 255 };
}

/** Maps raw pixels through a window to RGBA bytes for a canvas. Grey images become grey RGB. */
export function toDisplayRGBA(image: RasterImage, window: DisplayWindow, out?: Uint8ClampedArray): Uint8ClampedArray {
  const { width, height, channels, data } = image;
  const rgba = out ?? new Uint8ClampedArray(width * height * 4);
  const span = Math.max(1e-9, window.high - window.low);
  const lutSize = image.bitDepth === 16 ? 65536 : 256;
  const lut = new Uint8ClampedArray(lutSize);
  for (let v = 0; v < lutSize; v++) lut[v] = Math.round(((v - window.low) / span) * 255);
  const n = width * height;
  for (let p = 0, i = 0, o = 0; p < n; p++, i += channels, o += 4) {
    if (channels >= 3) {
      rgba[o] = lut[data[i]!]!;
      rgba[o + 1] = lut[data[i + 1]!]!;
      rgba[o + 2] = lut[data[i + 2]!]!;
    } else {
      const g = lut[data[i]!]!;
      rgba[o] = g;
      rgba[o + 1] = g;
      rgba[o + 2] = g;
    }
    rgba[o + 3] = 255;
  }
  return rgba;
}

/**
 * One channel for analysis, keeping raw values (16-bit stays 16-bit). RGB is reduced to luma
 * (ITU-R BT.601 weights, as scikit-image's rgb2gray uses BT.709; both are fine for micrographs,
 * which are grey at heart); alpha is ignored.
 */
export function toGrey(image: RasterImage): GreyImage {
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = image.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  if (channels <= 2) {
    for (let p = 0; p < n; p++) out[p] = data[p * channels]!;
  } else {
    for (let p = 0, i = 0; p < n; p++, i += channels) {
      out[p] = Math.round(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
    }
  }
  return { width, height, data: out };
}

/** The raw value(s) at a pixel, for the status bar. */
export function valueAt(image: RasterImage, x: number, y: number): number[] | null {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return null;
  const i = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(i, i + Math.min(image.channels, 3)));
}
