// Mask logits at the model frame's resolution (<= 1024 px a side) to a mask at the image's resolution,
// computed only around the mask: the bilinear resize Meta's decoder would do over the whole image (tens
// of millions of floats per candidate on a large micrograph) done for the mask's box alone.
// Pure typed-array code; used by interactive prompts and by auto-segmentation.
import type { Box } from '../../app/types';

interface CroppedMask {
  /** Tight box of the mask in destination pixels; 0x0 at the origin when empty. */
  box: Box;
  /** box.width * box.height bytes, 1 = inside. */
  mask: Uint8Array;
  area: number;
}

/** Box of the values above threshold in a w x h plane, or null when none is. */
export function boxAbove(values: ArrayLike<number>, width: number, height: number, threshold = 0): Box | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (values[row + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Like boxAbove, but scans only `hint` (a window expected to contain every value above threshold)
 * when it can: if the box found touches a side of the window that is not a side of the plane, or
 * nothing is found, the hint may have been too small and the whole plane is scanned.
 */
export function boxAboveWithin(values: ArrayLike<number>, width: number, height: number, threshold: number, hint: Box): Box | null {
  const x0 = Math.max(0, Math.floor(hint.x));
  const y0 = Math.max(0, Math.floor(hint.y));
  const x1 = Math.min(width - 1, Math.ceil(hint.x + hint.width - 1));
  const y1 = Math.min(height - 1, Math.ceil(hint.y + hint.height - 1));
  if (x1 < x0 || y1 < y0) return boxAbove(values, width, height, threshold);
  let bx0 = width, by0 = height, bx1 = -1, by1 = -1;
  for (let y = y0; y <= y1; y++) {
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      if (values[row + x]! > threshold) {
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        by1 = y;
      }
    }
  }
  const touches = bx1 >= 0 && ((bx0 === x0 && x0 > 0) || (by0 === y0 && y0 > 0) || (bx1 === x1 && x1 < width - 1) || (by1 === y1 && y1 < height - 1));
  if (bx1 < 0 || touches) return boxAbove(values, width, height, threshold);
  return { x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 };
}

/**
 * Source index pairs and weights of a half-pixel bilinear resize along one axis (PyTorch
 * align_corners=False), as indices into a window [origin, origin + size) of the source axis.
 */
function axis(srcLen: number, dstLen: number, from: number, to: number, origin = 0, size = srcLen): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const n = to - from + 1;
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w = new Float32Array(n);
  const r = srcLen / dstLen;
  const clamp = (i: number) => Math.min(size - 1, Math.max(0, i - origin));
  for (let k = 0; k < n; k++) {
    const s = Math.max(0, (from + k + 0.5) * r - 0.5);
    const a = Math.min(srcLen - 1, Math.floor(s));
    i0[k] = clamp(a);
    i1[k] = clamp(Math.min(srcLen - 1, a + 1));
    w[k] = a === srcLen - 1 ? 0 : s - a;
  }
  return { i0, i1, w };
}

/** Destination range [from, to] whose bilinear samples can touch source indices [s0, s1]. */
function reach(s0: number, s1: number, srcLen: number, dstLen: number): [number, number] {
  const r = srcLen / dstLen;
  const from = Math.max(0, Math.floor((s0 - 0.5) / r - 0.5) - 1);
  const to = Math.min(dstLen - 1, Math.ceil((s1 + 1.5) / r - 0.5) + 1);
  return [from, to];
}

const EMPTY: CroppedMask = { box: { x: 0, y: 0, width: 0, height: 0 }, mask: new Uint8Array(0), area: 0 };

/** Where `src` sits in the full sw x sh plane when it holds only a window of it. */
interface SourceWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The mask (logit > threshold) of `src` (sw x sh logits) resized bilinearly to dw x dh, cropped to
 * its box. `srcBox` (the box of src > threshold, full-plane coordinates) is computed when not given.
 * Only destination pixels whose four source samples include one inside srcBox are evaluated: a
 * bilinear mix of values <= threshold cannot exceed it, so the result equals thresholding the full
 * resize. With `window`, src holds only that part of the plane (it must contain srcBox plus a 2-pixel
 * margin where the plane has one); samples outside it are clamped into it.
 */
export function upscaleMask(
  src: ArrayLike<number>,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  threshold = 0,
  srcBox?: Box | null,
  window?: SourceWindow,
): CroppedMask {
  const win = window ?? { x: 0, y: 0, width: sw, height: sh };
  const b = srcBox === undefined ? boxAbove(src, win.width, win.height, threshold) : srcBox;
  if (b === null || b.width <= 0 || b.height <= 0) return EMPTY;
  const box0 = srcBox === undefined ? { ...b, x: b.x + win.x, y: b.y + win.y } : b;
  const [rx0, rx1] = reach(box0.x, box0.x + box0.width - 1, sw, dw);
  const [ry0, ry1] = reach(box0.y, box0.y + box0.height - 1, sh, dh);
  const rw = rx1 - rx0 + 1;
  const rh = ry1 - ry0 + 1;
  const ax = axis(sw, dw, rx0, rx1, win.x, win.width);
  const ay = axis(sh, dh, ry0, ry1, win.y, win.height);
  const stride = win.width;
  const region = new Uint8Array(rw * rh);
  let x0 = rw, y0 = rh, x1 = -1, y1 = -1, area = 0;
  for (let y = 0; y < rh; y++) {
    const r0 = ay.i0[y]! * stride;
    const r1 = ay.i1[y]! * stride;
    const wy = ay.w[y]!;
    const out = y * rw;
    let rowAny = false;
    for (let x = 0; x < rw; x++) {
      const c0 = ax.i0[x]!;
      const c1 = ax.i1[x]!;
      const wx = ax.w[x]!;
      const top = src[r0 + c0]! + (src[r0 + c1]! - src[r0 + c0]!) * wx;
      const bottom = src[r1 + c0]! + (src[r1 + c1]! - src[r1 + c0]!) * wx;
      if (top + (bottom - top) * wy > threshold) {
        region[out + x] = 1;
        area++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        rowAny = true;
      }
    }
    if (rowAny) {
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  if (x1 < 0) return EMPTY;
  const box = { x: rx0 + x0, y: ry0 + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  const mask = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (y0 + y) * rw + x0;
    mask.set(region.subarray(from, from + box.width), y * box.width);
  }
  return { box, mask, area };
}

/** Side of the decoder's low-resolution logits. */
const LOW_RES = 256;

/**
 * Bilinear resize (half-pixel centres, PyTorch's align_corners=False, edges clamped) of the part
 * `window` (fractional, in source pixels) of a sw x sh plane to dw x dh. With the whole plane as the
 * window this is F.interpolate(..., mode="bilinear"); with a window at the origin it is "upsample to
 * the model frame, then crop" in one step, which is how letterboxed decoders' low-res logits become
 * masks of the resized image.
 */
export function resampleLogits(src: Float32Array, sw: number, sh: number, window: SourceWindow, dw: number, dh: number): Float32Array {
  if (window.x === 0 && window.y === 0 && window.width === sw && window.height === sh && dw === sw && dh === sh) return src;
  const along = (len: number, origin: number, extent: number, outLen: number) => {
    const i0 = new Int32Array(outLen);
    const i1 = new Int32Array(outLen);
    const w = new Float32Array(outLen);
    const r = extent / outLen;
    for (let k = 0; k < outLen; k++) {
      const s = Math.max(0, origin + (k + 0.5) * r - 0.5);
      const a = Math.min(len - 1, Math.floor(s));
      i0[k] = a;
      i1[k] = Math.min(len - 1, a + 1);
      w[k] = a === len - 1 ? 0 : s - a;
    }
    return { i0, i1, w };
  };
  const ax = along(sw, window.x, window.width, dw);
  const ay = along(sh, window.y, window.height, dh);
  // Separable: each source row is resized horizontally once (kept while output rows use it), then
  // every output row is one lerp between two such rows.
  const rows = new Map<number, Float32Array>();
  const rowOf = (r: number): Float32Array => {
    let row = rows.get(r);
    if (row !== undefined) return row;
    row = new Float32Array(dw);
    const base = r * sw;
    for (let x = 0; x < dw; x++) {
      const a = src[base + ax.i0[x]!]!;
      row[x] = a + (src[base + ax.i1[x]!]! - a) * ax.w[x]!;
    }
    if (rows.size >= 2) rows.delete(rows.keys().next().value!);
    rows.set(r, row);
    return row;
  };
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const top = rowOf(ay.i0[y]!);
    const bottom = rowOf(ay.i1[y]!);
    const wy = ay.w[y]!;
    const o = y * dw;
    if (wy === 0) out.set(top, o);
    else for (let x = 0; x < dw; x++) out[o + x] = top[x]! + (bottom[x]! - top[x]!) * wy;
  }
  return out;
}

/**
 * The image-resolution mask of one decoder candidate. `masks` holds its logits at width x height
 * (the image, or the decoder's frame); `lowRes` its 256x256 low-res logits when known, of which the
 * part `lowResExtent` (at the origin) covers the image. The masks are a bilinear upsampling of the
 * low-res logits, so their box (plus a margin) bounds the search for the mask's box; without it the
 * whole plane is scanned (see boxAboveWithin).
 */
export function maskFromDecoder(
  masks: Float32Array,
  width: number,
  height: number,
  lowRes: Float32Array | null,
  lowResExtent: { width: number; height: number },
  outWidth: number,
  outHeight: number,
  threshold = 0,
): CroppedMask {
  let srcBox: Box | null | undefined;
  const lowBox = lowRes === null || lowRes.length !== LOW_RES * LOW_RES ? null : boxAbove(lowRes, LOW_RES, LOW_RES, threshold);
  if (lowBox !== null) {
    const fx = width / lowResExtent.width;
    const fy = height / lowResExtent.height;
    const hint = { x: (lowBox.x - 2) * fx, y: (lowBox.y - 2) * fy, width: (lowBox.width + 4) * fx, height: (lowBox.height + 4) * fy };
    srcBox = boxAboveWithin(masks, width, height, threshold, hint);
  }
  return upscaleMask(masks, width, height, outWidth, outHeight, threshold, srcBox);
}

/** Writes `id` into a label map wherever the box-cropped mask is set (how an accepted candidate lands). */
export function paintMask(labels: Uint32Array, width: number, box: Box, mask: Uint8Array, id: number): void {
  for (let y = 0; y < box.height; y++) {
    const src = y * box.width;
    const dst = (box.y + y) * width + box.x;
    for (let x = 0; x < box.width; x++) if (mask[src + x]) labels[dst + x] = id;
  }
}
