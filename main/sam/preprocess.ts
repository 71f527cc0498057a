// Turns a decoded raster into what a SAM encoder takes: 8-bit RGB (contrast window for grey and 16-bit
// images), resized so its longest side is 1024 exactly as SAM's reference pipeline does (or stretched to
// 1024x1024 for SAM 2 and EfficientSAM), then laid out for the detected encoder convention.
// Pure typed-array code (no Node APIs), so it runs in the SAM worker.
import type { RasterImage } from '../../app/types';
import { percentileWindow as displayPercentileWindow } from '../../app/image/display';

/** Bumped whenever the pixels fed to the encoder change for the same raster; part of the embedding cache key. */
const PREPROCESS_VERSION = 1;
/** Side of SAM's square input frame. */
export const SAM_FRAME = 1024;
export const SAM_PIXEL_MEAN: readonly number[] = [123.675, 116.28, 103.53];
export const SAM_PIXEL_STD: readonly number[] = [58.395, 57.12, 57.375];
/** Default display percentiles used to map grey and 16-bit images to 0..255. */
const DEFAULT_PERCENTILES: readonly [number, number] = [0.5, 99.5];

/** Raw-value range mapped linearly onto 0..255 (values outside are clipped). */
export interface ContrastWindow {
  low: number;
  high: number;
}

/**
 * How raw values become 0..255:
 * - 'auto' (default): the display contrast window, percentiles 0.5 / 99.5 of the raw values (all colour
 *   channels pooled), applied to grey images of any depth and to 16-bit colour; 8-bit RGB passes unchanged,
 *   as SAM expects ordinary photos.
 * - 'full': the full range of the bit depth (0..255 or 0..65535), no stretch.
 * - an explicit window, e.g. the one the user set in the viewer.
 */
type WindowOption = 'auto' | 'full' | ContrastWindow;

export interface PreprocessOptions {
  window?: WindowOption;
  /** Percentiles for 'auto'; default [0.5, 99.5]. */
  percentiles?: readonly [number, number];
}

/** Where the image lands in SAM's 1024 frame. */
export interface FrameGeometry {
  imageWidth: number;
  imageHeight: number;
  /** Size after resizing the longest side to 1024: int(dim * 1024 / max(W, H) + 0.5). */
  resizedWidth: number;
  resizedHeight: number;
}

export function frameGeometry(width: number, height: number, frame = SAM_FRAME): FrameGeometry {
  const s = frame / Math.max(width, height);
  return {
    imageWidth: width,
    imageHeight: height,
    resizedWidth: Math.floor(width * s + 0.5),
    resizedHeight: Math.floor(height * s + 0.5),
  };
}

/** A stable text form of the preprocessing choices, for cache keys. */
export function preprocessKey(options: PreprocessOptions = {}): string {
  const w = options.window ?? 'auto';
  if (w === 'auto') {
    const [lo, hi] = options.percentiles ?? DEFAULT_PERCENTILES;
    return `v${PREPROCESS_VERSION}:auto:${lo}-${hi}`;
  }
  if (w === 'full') return `v${PREPROCESS_VERSION}:full`;
  return `v${PREPROCESS_VERSION}:win:${w.low}-${w.high}`;
}

function colourChannels(raster: RasterImage): 1 | 3 {
  return raster.channels >= 3 ? 3 : 1;
}

/**
 * Percentile window of the raw values (colour channels pooled, alpha ignored), by histogram: the
 * display's window (app/image/display.ts), except that a window with no width stays one level wide
 * even at the top of the range, as the SAM input scaling divides by it.
 */
export function percentileWindow(raster: RasterImage, percentiles: readonly [number, number] = DEFAULT_PERCENTILES): ContrastWindow {
  const w = displayPercentileWindow(raster, percentiles[0], percentiles[1]);
  return w.high <= w.low ? { low: w.low, high: w.low + 1 } : w;
}

/** The window actually applied for these options, or null when values pass through unchanged. */
export function resolveWindow(raster: RasterImage, options: PreprocessOptions = {}): ContrastWindow | null {
  const w = options.window ?? 'auto';
  if (w === 'full') return raster.bitDepth === 8 ? null : { low: 0, high: 65535 };
  if (w === 'auto') {
    if (raster.bitDepth === 8 && colourChannels(raster) === 3) return null;
    return percentileWindow(raster, options.percentiles ?? DEFAULT_PERCENTILES);
  }
  if (!(w.high > w.low)) throw new RangeError(`Contrast window high (${w.high}) must be above low (${w.low}).`);
  return w;
}

/** Raw value -> 0..255 lookup table for a window (identity for null on 8-bit data). */
function windowLut(bitDepth: 8 | 16, window: ContrastWindow | null): Uint8Array {
  const levels = bitDepth === 16 ? 65536 : 256;
  const lut = new Uint8Array(levels);
  if (window === null) {
    for (let v = 0; v < levels; v++) lut[v] = bitDepth === 8 ? v : v >> 8;
    return lut;
  }
  const k = 255 / (window.high - window.low);
  for (let v = 0; v < levels; v++) {
    const t = (v - window.low) * k;
    lut[v] = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
  }
  return lut;
}

/** Pillow's resampling coefficients for a triangle (bilinear) filter, widened when shrinking (antialias). */
interface Coefficients {
  start: Int32Array;
  count: Int32Array;
  taps: number;
  weights: Float32Array;
}

function bilinearCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // triangle support 1, scaled
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support + 0.5));
    const hi = Math.min(inSize, Math.floor(centre + support + 0.5));
    let sum = 0;
    const n = Math.min(hi - lo, taps);
    for (let j = 0; j < n; j++) {
      const x = (lo + j + 0.5 - centre) / filterScale;
      const w = Math.max(0, 1 - Math.abs(x));
      weights[i * taps + j] = w;
      sum += w;
    }
    if (sum > 0) for (let j = 0; j < n; j++) weights[i * taps + j]! /= sum;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, taps, weights };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Horizontal pass for one row: `used` interleaved channels in, `used` interleaved 8-bit channels out. */
function resampleRow(
  data: RasterImage['data'],
  rowStart: number,
  channels: number,
  used: 1 | 3,
  lut: Uint8Array,
  hc: Coefficients,
  out: Uint8Array,
  outStart: number,
  outWidth: number,
): void {
  const { start, count, taps, weights } = hc;
  for (let x = 0; x < outWidth; x++) {
    const n = count[x]!;
    const wBase = x * taps;
    let idx = (rowStart + start[x]!) * channels;
    if (used === 1) {
      let a = 0;
      for (let j = 0; j < n; j++, idx += channels) a += weights[wBase + j]! * lut[data[idx]!]!;
      out[outStart + x] = clampByte(a);
    } else {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      for (let j = 0; j < n; j++, idx += channels) {
        const w = weights[wBase + j]!;
        a0 += w * lut[data[idx]!]!;
        a1 += w * lut[data[idx + 1]!]!;
        a2 += w * lut[data[idx + 2]!]!;
      }
      const o = outStart + x * 3;
      out[o] = clampByte(a0);
      out[o + 1] = clampByte(a1);
      out[o + 2] = clampByte(a2);
    }
  }
}

/**
 * The image SAM sees: 8-bit RGB, interleaved, resized (longest side 1024) with Pillow's antialiased
 * bilinear filter, which is what SAM's ResizeLongestSide uses; grey is replicated to three channels.
 */
export function resizeToFrame(raster: RasterImage, options: PreprocessOptions = {}, frame = SAM_FRAME): { rgb: Uint8Array; geometry: FrameGeometry } {
  const geometry = frameGeometry(raster.width, raster.height, frame);
  return { rgb: resizeRaster(raster, geometry.resizedWidth, geometry.resizedHeight, options), geometry };
}

/**
 * The raster as 8-bit RGB at exactly ow x oh (aspect ratio not kept when the caller asks for a square:
 * SAM 2 and EfficientSAM stretch the image to 1024x1024). Two separable passes of Pillow's antialiased
 * bilinear filter (horizontal into 8 bits as Pillow does, then vertical, row by row); extra memory is
 * O(height x ow).
 */
export function resizeRaster(raster: RasterImage, ow: number, oh: number, options: PreprocessOptions = {}): Uint8Array {
  const { width, height, channels, data } = raster;
  if (width <= 0 || height <= 0) throw new RangeError(`Empty image (${width}x${height}).`);
  if (data.length < width * height * channels) {
    throw new RangeError(`Pixel buffer holds ${data.length} values; ${width}x${height}x${channels} needs ${width * height * channels}.`);
  }
  const lut = windowLut(raster.bitDepth, resolveWindow(raster, options));
  const used = colourChannels(raster);
  const rowLen = ow * used;
  // Horizontal pass (skipped when the width does not change).
  let mid: Uint8Array;
  if (ow === width) {
    mid = new Uint8Array(height * rowLen);
    for (let i = 0, n = width * height; i < n; i++) {
      const src = i * channels;
      const dst = i * used;
      for (let c = 0; c < used; c++) mid[dst + c] = lut[data[src + c]!]!;
    }
  } else {
    const hc = bilinearCoefficients(width, ow);
    mid = new Uint8Array(height * rowLen);
    // Cost per input value is about (2 * scale + 1) / scale < 3 multiply-adds: linear in the image size.
    for (let y = 0; y < height; y++) resampleRow(data, y * width, channels, used, lut, hc, mid, y * rowLen, ow);
  }
  // Vertical pass, one output row at a time: a weighted sum of whole mid rows (sequential memory access).
  const small = new Uint8Array(oh * rowLen);
  if (oh === height) small.set(mid);
  else {
    const vc = bilinearCoefficients(height, oh);
    const acc = new Float64Array(rowLen);
    for (let y = 0; y < oh; y++) {
      acc.fill(0);
      const s = vc.start[y]!;
      const wBase = y * vc.taps;
      for (let j = 0, n = vc.count[y]!; j < n; j++) {
        const w = vc.weights[wBase + j]!;
        const off = (s + j) * rowLen;
        for (let i = 0; i < rowLen; i++) acc[i]! += w * mid[off + i]!;
      }
      const o = y * rowLen;
      for (let i = 0; i < rowLen; i++) small[o + i] = clampByte(acc[i]!);
    }
  }
  if (used === 3) return small;
  const rgb = new Uint8Array(ow * oh * 3);
  for (let i = 0, n = ow * oh; i < n; i++) {
    const v = small[i]!;
    rgb[i * 3] = v;
    rgb[i * 3 + 1] = v;
    rgb[i * 3 + 2] = v;
  }
  return rgb;
}

/** [1,3,frame,frame], (v - mean) / std, zero padding bottom/right ('nchw-normalized'; SAM 2 fills the square). */
export function nchwNormalised(rgb: Uint8Array, width: number, height: number, frame = SAM_FRAME): Float32Array {
  const plane = frame * frame;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = SAM_PIXEL_MEAN[c]!;
    const inv = 1 / SAM_PIXEL_STD[c]!;
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v - mean) * inv;
    for (let y = 0; y < height; y++) {
      const o = c * plane + y * frame;
      const i = y * width;
      for (let x = 0; x < width; x++) out[o + x] = lut[rgb[(i + x) * 3 + c]!]!;
    }
  }
  return out;
}

/** [1,3,width,height] in 0..1, no padding ('nchw-unit', EfficientSAM). */
export function nchwUnit(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = rgb[i * 3]! / 255;
    out[plane + i] = rgb[i * 3 + 1]! / 255;
    out[2 * plane + i] = rgb[i * 3 + 2]! / 255;
  }
  return out;
}

/** [H,W,3] in 0..255 ('hwc-0-255'); padded with zeros to padWidth x padHeight when the graph has fixed dims. */
export function hwcRaw(rgb: Uint8Array, width: number, height: number, padWidth = width, padHeight = height): Float32Array {
  if (padWidth < width || padHeight < height) {
    throw new RangeError(`The encoder's fixed input ${padWidth}x${padHeight} is smaller than the resized image ${width}x${height}.`);
  }
  const out = new Float32Array(padWidth * padHeight * 3);
  if (padWidth === width) {
    for (let i = 0; i < rgb.length; i++) out[i] = rgb[i]!;
    return out;
  }
  for (let y = 0; y < height; y++) {
    const o = y * padWidth * 3;
    const i = y * width * 3;
    for (let x = 0; x < width * 3; x++) out[o + x] = rgb[i + x]!;
  }
  return out;
}
