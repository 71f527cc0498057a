// COCO run-length encoding exactly as pycocotools writes it (maskApi.c): column-major runs that
// start with a run of zeros, the compact string form, area, bounding box and union of masks.
import type { LabelMap } from '../types';

/** A binary mask in GrainLab's row-major layout; any non-zero byte is "inside". */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Run lengths over the mask in column-major (Fortran) order, alternating 0-runs and 1-runs and
 * always starting with a (possibly empty) 0-run: pycocotools' RLE struct. Canonical encodings
 * (what `encodeMask` makes) have no empty runs except that first one and end with the last
 * non-empty run.
 */
export interface Rle {
  height: number;
  width: number;
  counts: Uint32Array;
}

/** COCO JSON forms: `counts` as a number list (uncompressed) or pycocotools' string. */
interface CocoUncompressedRle {
  size: [number, number];
  counts: number[];
}
interface CocoCompressedRle {
  size: [number, number];
  counts: string;
}
export type CocoRle = CocoUncompressedRle | CocoCompressedRle;

/** Caps that keep a hostile or broken header from making a decoder allocate or loop absurdly. */
interface RleLimits {
  /** Largest height*width accepted; default 16384*16384. */
  maxPixels?: number;
}
export const DEFAULT_MAX_PIXELS = 16384 * 16384;

function checkSize(height: number, width: number, limits: RleLimits | undefined): void {
  const maxPixels = limits?.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new Error(`RLE size must be two non-negative integers [height, width], got [${height}, ${width}]`);
  }
  if (height * width > maxPixels) {
    throw new Error(
      `RLE size ${height}x${width} (${height * width} pixels) exceeds the limit of ${maxPixels} pixels; ` +
        'the file is damaged or the image is too large to import (raise the pixel limit to accept it)',
    );
  }
}

/** Throws unless the counts are whole, non-negative and add up to height*width. */
function validateRle(rle: Rle, limits?: RleLimits): void {
  checkSize(rle.height, rle.width, limits);
  const n = rle.height * rle.width;
  let sum = 0;
  const c = rle.counts;
  for (let i = 0; i < c.length; i++) sum += c[i]!;
  if (sum !== n) {
    throw new Error(`RLE counts add up to ${sum} pixels but its size ${rle.height}x${rle.width} has ${n}`);
  }
}

// Collects run lengths without knowing how many there will be.
class CountsBuilder {
  buf: Uint32Array;
  length = 0;
  constructor(capacity = 64) {
    this.buf = new Uint32Array(Math.max(4, capacity));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  finish(): Uint32Array {
    return this.buf.slice(0, this.length);
  }
}

/** Encodes one binary mask (row-major, non-zero = inside) as pycocotools' `encode` would. */
export function encodeMask(mask: BinaryMask): Rle {
  const { width: w, height: h, data } = mask;
  if (data.length !== w * h) throw new Error(`mask data has ${data.length} bytes, expected ${w}x${h}`);
  let binary = data;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! > 1) {
      binary = Uint8Array.from(data, (v) => (v ? 1 : 0));
      break;
    }
  }
  const rle = encodeColumnRuns(binary, w, h, null).get(1);
  return rle ?? { height: h, width: w, counts: new Uint32Array([w * h]) };
}

/** Decodes to a row-major binary mask (0/1). Validates the counts first. */
export function decodeMask(rle: Rle, limits?: RleLimits): BinaryMask {
  validateRle(rle, limits);
  const { height: h, width: w, counts } = rle;
  const data = new Uint8Array(w * h);
  let p = 0;
  for (let j = 0; j < counts.length; j++) {
    const c = counts[j]!;
    if (j & 1) {
      // Walk the 1-run down its columns; p is the column-major index.
      let x = Math.floor(p / h);
      let y = p - x * h;
      for (let k = 0; k < c; k++) {
        data[y * w + x] = 1;
        if (++y === h) {
          y = 0;
          x++;
        }
      }
    }
    p += c;
  }
  return { width: w, height: h, data };
}

/** pycocotools' `area`: the sum of the 1-runs. */
export function rleArea(rle: Rle): number {
  let a = 0;
  const c = rle.counts;
  for (let j = 1; j < c.length; j += 2) a += c[j]!;
  return a;
}

/**
 * pycocotools' `toBbox`: [x, y, width, height] of the 1-pixels, in pixels, [0,0,0,0] when empty.
 * Same arithmetic as maskApi.c's rleToBbox, so a run that wraps to the next column widens the
 * box to the full image height, exactly as pycocotools reports it.
 */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const { height: h, width: w, counts } = rle;
  const m = counts.length - (counts.length % 2);
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j]!;
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    if (x < xs) xs = x;
    if (x > xe) xe = x;
    if (y < ys) ys = y;
    if (y > ye) ye = y;
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * pycocotools' compact string ("rleToString"): each count, minus the count two places earlier
 * from the fourth on, written 5 bits per character (sign-extended, 0x20 = more follows) + 48.
 */
export function rleCountsToString(counts: ArrayLike<number>): string {
  const chars: number[] = [];
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    if (!Number.isInteger(x) || Math.abs(x) >= 2 ** 31) throw new Error(`RLE count ${counts[i]} cannot be encoded`);
    for (;;) {
      let c = x & 0x1f;
      x >>= 5;
      const more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
      if (!more) break;
    }
    if (chars.length > 8192) {
      out += String.fromCharCode(...chars);
      chars.length = 0;
    }
  }
  return out + String.fromCharCode(...chars);
}

/**
 * Inverse of `rleCountsToString`, with validation pycocotools does not do: characters must lie
 * in '0'..'o', the last value must be complete, counts must be non-negative and must add up to
 * height*width (checked while reading, so a bad string stops early).
 */
export function rleCountsFromString(s: string, height: number, width: number, limits?: RleLimits): Rle {
  checkSize(height, width, limits);
  const n = height * width;
  if (s.length > 7 * (n + 1) + 16) throw new Error(`RLE string of ${s.length} characters is too long for ${height}x${width}`);
  const out = new CountsBuilder(Math.min(s.length + 1, 1 << 16));
  let p = 0;
  let sum = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    let c = 0;
    while (more) {
      if (p >= s.length) throw new Error(`RLE string ends in the middle of a value (at character ${p})`);
      c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE string has an invalid character '${s[p]}' at position ${p}`);
      if (k >= 7) throw new Error(`RLE string has an over-long value at position ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
    }
    if (c & 0x10) x -= 2 ** (5 * k);
    const m = out.length;
    if (m > 2) x += out.buf[m - 2]!;
    if (x < 0) throw new Error(`RLE string decodes to a negative run length (${x}) at value ${m}`);
    sum += x;
    if (sum > n) throw new Error(`RLE string covers more than the ${n} pixels of a ${height}x${width} mask`);
    out.push(x);
  }
  if (sum !== n) throw new Error(`RLE string covers ${sum} pixels but the mask ${height}x${width} has ${n}`);
  return { height, width, counts: out.finish() };
}

/** COCO JSON form of an RLE; `compressed` is what pycocotools' `encode` returns (decoded to str). */
export function toCocoRle(rle: Rle, format: 'compressed'): CocoCompressedRle;
export function toCocoRle(rle: Rle, format: 'uncompressed'): CocoUncompressedRle;
export function toCocoRle(rle: Rle, format: 'compressed' | 'uncompressed'): CocoRle;
export function toCocoRle(rle: Rle, format: 'compressed' | 'uncompressed'): CocoRle {
  const size: [number, number] = [rle.height, rle.width];
  return format === 'compressed' ? { size, counts: rleCountsToString(rle.counts) } : { size, counts: Array.from(rle.counts) };
}

/** Reads either COCO RLE form, validating size, counts and their total against the limits. */
export function fromCocoRle(obj: CocoRle, limits?: RleLimits): Rle {
  // Untrusted JSON may not have the declared shape at all.
  if (typeof obj !== 'object' || obj === null || !Array.isArray(obj.size) || obj.size.length !== 2) throw new Error('RLE size must be [height, width]');
  if (typeof obj.counts !== 'string' && !Array.isArray(obj.counts)) throw new Error('RLE counts must be a string or a list of integers');
  const [h, w] = obj.size;
  if (typeof obj.counts === 'string') return rleCountsFromString(obj.counts, h, w, limits);
  checkSize(h, w, limits);
  const n = h * w;
  if (obj.counts.length > n + 1) throw new Error(`RLE has ${obj.counts.length} counts, more than a ${h}x${w} mask can have`);
  const counts = new Uint32Array(obj.counts.length);
  let sum = 0;
  for (let i = 0; i < obj.counts.length; i++) {
    const c = obj.counts[i]!;
    if (!Number.isInteger(c) || c < 0) throw new Error(`RLE count ${i} is ${c}; counts must be non-negative integers`);
    sum += c;
    if (sum > n) throw new Error(`RLE counts cover more than the ${n} pixels of a ${h}x${w} mask`);
    counts[i] = c;
  }
  if (sum !== n) throw new Error(`RLE counts cover ${sum} pixels but the mask ${h}x${w} has ${n}`);
  return { height: h, width: w, counts };
}

/**
 * Union (or intersection) of masks of one size, as pycocotools' `merge`; the result is canonical.
 * Runs in time proportional to the number of runs, never the pixel count.
 */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) return { height: 0, width: 0, counts: new Uint32Array([0]) };
  const { height: h, width: w } = rles[0]!;
  let acc = rles[0]!.counts;
  for (let i = 1; i < rles.length; i++) {
    const b = rles[i]!;
    if (b.height !== h || b.width !== w) throw new Error(`cannot merge masks of sizes ${h}x${w} and ${b.height}x${b.width}`);
    acc = mergeTwo(acc, b.counts, intersect);
  }
  // pycocotools returns a lone mask unchanged (not re-canonicalised); so do we.
  if (rles.length === 1) acc = acc.slice();
  return { height: h, width: w, counts: acc };
}

function mergeTwo(a: Uint32Array, b: Uint32Array, intersect: boolean): Uint32Array {
  const out = new CountsBuilder(a.length + b.length + 1);
  let ia = 0;
  let ib = 0;
  let ca = a.length ? a[0]! : 0;
  let cb = b.length ? b[0]! : 0;
  let va = 0;
  let vb = 0;
  let v = 0;
  let cc = 0;
  for (;;) {
    // Skip exhausted (or empty) runs; each skip flips that input's value.
    while (ca === 0 && ia + 1 < a.length) {
      ca = a[++ia]!;
      va ^= 1;
    }
    while (cb === 0 && ib + 1 < b.length) {
      cb = b[++ib]!;
      vb ^= 1;
    }
    if (ca === 0 && cb === 0) break;
    // A mask that ran out (malformed) reads as zeros for the rest.
    const c = ca === 0 ? cb : cb === 0 ? ca : Math.min(ca, cb);
    const av = ca === 0 ? 0 : va;
    const bv = cb === 0 ? 0 : vb;
    const nv = intersect ? av & bv : av | bv;
    if (nv !== v) {
      out.push(cc);
      cc = 0;
      v = nv;
    }
    cc += c;
    if (ca) ca -= c;
    if (cb) cb -= c;
  }
  out.push(cc);
  return trimCanonical(out.finish());
}

function trimCanonical(c: Uint32Array): Uint32Array {
  // A trailing empty 0-run is not written by pycocotools (except for an empty mask: [0]).
  if (c.length > 1 && c[c.length - 1] === 0) return c.slice(0, c.length - 1);
  return c;
}

/** Ids to encode, or all non-zero ids. */
interface EncodeLabelMapOptions {
  ids?: Iterable<number>;
}

/**
 * Encodes every segment of a label map (or the given ids) in one pass, so the cost is one read of
 * the map plus the runs, not one full pass per segment. Result keyed by id, in ascending id order;
 * ids with no pixels are absent.
 */
export function encodeLabelMap(map: LabelMap, options: EncodeLabelMapOptions = {}): Map<number, Rle> {
  const { width: w, height: h, data } = map;
  if (data.length !== w * h) throw new Error(`label map has ${data.length} pixels, expected ${w}x${h}`);
  return encodeColumnRuns(data, w, h, options.ids ? new Set(options.ids) : null);
}

/**
 * The column-major runs of every non-zero value, found while reading the map row by row (the
 * cache-friendly order): each column keeps its current value and where its run started. Runs are
 * then ordered by column (counting sort; within a column they already come top to bottom) and
 * grouped by value; a run that ends at the bottom of a column and one that starts at the top of
 * the next are one run in column-major order, as in pycocotools.
 */
function encodeColumnRuns(data: Uint8Array | Uint32Array, w: number, h: number, want: ReadonlySet<number> | null): Map<number, Rle> {
  const n = w * h;
  let cap = 1 << 14;
  let evId = new Uint32Array(cap);
  let evCol = new Uint32Array(cap);
  let evY0 = new Uint32Array(cap);
  let evY1 = new Uint32Array(cap);
  let nev = 0;
  const grow = () => {
    cap *= 2;
    const g = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a);
      return b;
    };
    evId = g(evId);
    evCol = g(evCol);
    evY0 = g(evY0);
    evY1 = g(evY1);
  };
  const cur = new Uint32Array(w);
  const start = new Uint32Array(w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const v = data[row + x]!;
      const c = cur[x]!;
      if (v === c) continue;
      if (c !== 0 && (want === null || want.has(c))) {
        if (nev === cap) grow();
        evId[nev] = c;
        evCol[nev] = x;
        evY0[nev] = start[x]!;
        evY1[nev] = y;
        nev++;
      }
      cur[x] = v;
      start[x] = y;
    }
  }
  for (let x = 0; x < w; x++) {
    const c = cur[x]!;
    if (c !== 0 && (want === null || want.has(c))) {
      if (nev === cap) grow();
      evId[nev] = c;
      evCol[nev] = x;
      evY0[nev] = start[x]!;
      evY1[nev] = h;
      nev++;
    }
  }

  // Stable counting sort by column: runs of one column were emitted top to bottom.
  const colStart = new Uint32Array(w + 1);
  for (let e = 0; e < nev; e++) colStart[evCol[e]! + 1]!++;
  for (let x = 0; x < w; x++) colStart[x + 1]! += colStart[x]!;
  const byCol = new Uint32Array(nev);
  for (let e = 0; e < nev; e++) byCol[colStart[evCol[e]!]!++] = e;

  // Stable counting sort of that order by id.
  const ids = [...new Set(evId.subarray(0, nev))].sort((a, b) => a - b);
  const index = new Map<number, number>();
  ids.forEach((id, i) => index.set(id, i));
  const evIdx = new Uint32Array(nev);
  const per = new Uint32Array(ids.length + 1);
  let lastId = -1;
  let lastIdx = 0;
  for (let e = 0; e < nev; e++) {
    const id = evId[e]!;
    if (id !== lastId) {
      lastId = id;
      lastIdx = index.get(id)!;
    }
    evIdx[e] = lastIdx;
    per[lastIdx + 1]!++;
  }
  for (let i = 0; i < ids.length; i++) per[i + 1]! += per[i]!;
  const fill = per.slice(0, ids.length);
  const order = new Uint32Array(nev);
  for (let k = 0; k < nev; k++) {
    const e = byCol[k]!;
    order[fill[evIdx[e]!]!++] = e;
  }

  const result = new Map<number, Rle>();
  const counts = new CountsBuilder(1024);
  for (let i = 0; i < ids.length; i++) {
    counts.length = 0;
    let prevEnd = 0;
    let first = true;
    for (let k = per[i]!; k < per[i + 1]!; k++) {
      const e = order[k]!;
      const s0 = evCol[e]! * h + evY0[e]!;
      const s1 = evCol[e]! * h + evY1[e]!;
      if (!first && s0 === prevEnd) {
        // Continues the previous run across a column boundary.
        counts.buf[counts.length - 1]! += s1 - s0;
      } else {
        counts.push(s0 - prevEnd);
        counts.push(s1 - s0);
      }
      first = false;
      prevEnd = s1;
    }
    if (prevEnd < n) counts.push(n - prevEnd);
    result.set(ids[i]!, { height: h, width: w, counts: counts.finish() });
  }
  return result;
}
