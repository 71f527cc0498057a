// Label-map patches: the change an edit makes, as a bounding box plus run-length encoded
// old/new ids, applied forward or inverse with a check that the pixels are what the patch expects.
import { ServiceError } from '../errors';
import type { Box, LabelMap } from '../types';

/**
 * A change to a label map. `runs` holds quads (skip, length, oldId, newId) that walk `box` in
 * row-major order: skip that many unchanged pixels, then `length` pixels go from oldId to newId.
 * Runs may wrap from the end of one box row to the start of the next. The box is the tight
 * bounding box of the changed pixels; an empty patch has a 0x0 box and no runs.
 */
export interface LabelPatch {
  box: Box;
  runs: Uint32Array;
}

export type PatchDirection = 'forward' | 'inverse';

/** The map's pixels are not what the patch expects: the edit is stale (the map changed since). */
export class PatchMismatchError extends ServiceError {
  constructor(message: string) {
    super('invalid-argument', message);
    this.name = 'PatchMismatchError';
  }
}

/** Bytes that are not a valid encoded patch (truncated, corrupted, or another format). */
export class PatchDecodeError extends ServiceError {
  constructor(message: string) {
    super('io', `The edit history holds a damaged change record (${message}). The edit cannot be replayed; restore the project from its last backup or re-segment the image.`);
    this.name = 'PatchDecodeError';
  }
}

export function emptyPatch(): LabelPatch {
  return { box: { x: 0, y: 0, width: 0, height: 0 }, runs: new Uint32Array(0) };
}

export function isEmptyPatch(patch: LabelPatch): boolean {
  return patch.runs.length === 0;
}

/** Number of pixels the patch changes. */
export function patchPixelCount(patch: LabelPatch): number {
  let n = 0;
  for (let r = 1; r < patch.runs.length; r += 4) n += patch.runs[r]!;
  return n;
}

/**
 * Collects changed runs (absolute pixel index in a raster of width `stride`, each run inside one
 * row) and turns them into a LabelPatch with a tight box. Runs may arrive in any order but must
 * not overlap; in-order arrival (the common case) skips the sort.
 */
export class PatchBuilder {
  private starts = new Float64Array(64);
  private lens = new Uint32Array(64);
  private olds = new Uint32Array(64);
  private news = new Uint32Array(64);
  private n = 0;
  private sorted = true;

  constructor(readonly stride: number) {}

  get runCount(): number {
    return this.n;
  }

  /** `len` pixels from `start` (all in one row) change from oldId to newId. */
  add(start: number, len: number, oldId: number, newId: number): void {
    if (len <= 0 || oldId === newId) return;
    const n = this.n;
    if (n > 0) {
      const prevEnd = this.starts[n - 1]! + this.lens[n - 1]!;
      if (start === prevEnd && this.olds[n - 1] === oldId && this.news[n - 1] === newId && start % this.stride !== 0) {
        this.lens[n - 1] += len;
        return;
      }
      if (start < prevEnd) this.sorted = false;
    }
    if (n === this.starts.length) this.grow();
    this.starts[n] = start;
    this.lens[n] = len;
    this.olds[n] = oldId;
    this.news[n] = newId;
    this.n = n + 1;
  }

  private grow(): void {
    const cap = this.starts.length * 2;
    const s = new Float64Array(cap);
    s.set(this.starts);
    this.starts = s;
    for (const k of ['lens', 'olds', 'news'] as const) {
      const a = new Uint32Array(cap);
      a.set(this[k]);
      this[k] = a;
    }
  }

  finish(): LabelPatch {
    const n = this.n;
    if (n === 0) return emptyPatch();
    const stride = this.stride;
    let order: Uint32Array | null = null;
    if (!this.sorted) {
      const starts = this.starts;
      order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => starts[a]! - starts[b]!);
    }
    const at = (k: number) => (order ? order[k]! : k);
    let minX = Infinity;
    let maxX = -Infinity;
    const y0 = Math.floor(this.starts[at(0)]! / stride);
    const y1 = Math.floor(this.starts[at(n - 1)]! / stride);
    for (let k = 0; k < n; k++) {
      const i = at(k);
      const s = this.starts[i]!;
      const x = s - Math.floor(s / stride) * stride;
      if (x < minX) minX = x;
      const xe = x + this.lens[i]! - 1;
      if (xe > maxX) maxX = xe;
    }
    const bw = maxX - minX + 1;
    const out = new Uint32Array(n * 4);
    let q = 0;
    let prevEnd = 0;
    for (let k = 0; k < n; k++) {
      const i = at(k);
      const s = this.starts[i]!;
      const y = Math.floor(s / stride);
      const pos = (y - y0) * bw + (s - y * stride - minX);
      const len = this.lens[i]!;
      const skip = pos - prevEnd;
      if (skip < 0) throw new Error('PatchBuilder: overlapping runs (an edit visited a pixel twice)');
      if (skip === 0 && q > 0 && out[q - 2] === this.olds[i] && out[q - 1] === this.news[i]) {
        out[q - 3] += len;
      } else {
        out[q] = skip;
        out[q + 1] = len;
        out[q + 2] = this.olds[i]!;
        out[q + 3] = this.news[i]!;
        q += 4;
      }
      prevEnd = pos + len;
    }
    return { box: { x: minX, y: y0, width: bw, height: y1 - y0 + 1 }, runs: out.slice(0, q) };
  }
}

function checkPatchShape(map: LabelMap, patch: LabelPatch): void {
  const { box, runs } = patch;
  if (runs.length % 4 !== 0) throw new Error('Malformed patch: run array length is not a multiple of 4');
  if (runs.length === 0) return;
  if (box.x < 0 || box.y < 0 || box.width <= 0 || box.height <= 0 || box.x + box.width > map.width || box.y + box.height > map.height) {
    throw new PatchMismatchError(
      `This edit covers pixels ${box.x},${box.y} ${box.width}x${box.height}, outside the ${map.width}x${map.height} label map it is applied to. The edit belongs to another image or an older segmentation; reload the image.`,
    );
  }
}

/**
 * Applies a patch in place. Forward writes the new ids where the old ones are; inverse writes the
 * old ids back. Every changed pixel is checked first and nothing is written unless all match, so a
 * stale edit throws PatchMismatchError instead of silently corrupting the map.
 */
export function applyPatch(map: LabelMap, patch: LabelPatch, direction: PatchDirection): void {
  checkPatchShape(map, patch);
  const { runs, box } = patch;
  if (runs.length === 0) return;
  const data = map.data;
  const W = map.width;
  const bw = box.width;
  const area = bw * box.height;
  const ex = direction === 'forward' ? 2 : 3;
  const wr = direction === 'forward' ? 3 : 2;
  // Pass 1: verify.
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    let len = runs[r + 1]!;
    const expected = runs[r + ex]!;
    if (pos + len > area) throw new Error('Malformed patch: runs extend past the end of its box');
    while (len > 0) {
      const row = Math.floor(pos / bw);
      const col = pos - row * bw;
      const n = Math.min(len, bw - col);
      const base = (box.y + row) * W + box.x + col;
      for (let i = base, e = base + n; i < e; i++) {
        if (data[i] !== expected) {
          const x = i % W;
          const y = (i - x) / W;
          throw new PatchMismatchError(
            `The label map does not match this edit: pixel (${x}, ${y}) holds segment ${data[i]}, the edit expects ${expected}. The segmentation changed since the edit was recorded; reload the image and try again.`,
          );
        }
      }
      pos += n;
      len -= n;
    }
  }
  // Pass 2: write.
  pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    let len = runs[r + 1]!;
    const value = runs[r + wr]!;
    while (len > 0) {
      const row = Math.floor(pos / bw);
      const col = pos - row * bw;
      const n = Math.min(len, bw - col);
      const base = (box.y + row) * W + box.x + col;
      data.fill(value, base, base + n);
      pos += n;
      len -= n;
    }
  }
}

/** The patch that undoes `patch` (old and new ids swapped). */
export function invertPatch(patch: LabelPatch): LabelPatch {
  const runs = patch.runs.slice();
  for (let r = 0; r < runs.length; r += 4) {
    const t = runs[r + 2]!;
    runs[r + 2] = runs[r + 3]!;
    runs[r + 3] = t;
  }
  return { box: { ...patch.box }, runs };
}

/** The patch that turns `before` into `after`, looking only inside `box` (default: the whole map). */
export function diffToPatch(before: LabelMap, after: LabelMap, box?: Box): LabelPatch {
  if (before.width !== after.width || before.height !== after.height) {
    throw new Error(`diffToPatch: maps differ in size (${before.width}x${before.height} vs ${after.width}x${after.height})`);
  }
  const W = before.width;
  const b = box ?? { x: 0, y: 0, width: W, height: before.height };
  if (b.x < 0 || b.y < 0 || b.x + b.width > W || b.y + b.height > before.height) {
    throw new Error(`diffToPatch: box ${b.x},${b.y} ${b.width}x${b.height} is outside the ${W}x${before.height} map`);
  }
  const a = before.data;
  const c = after.data;
  const builder = new PatchBuilder(W);
  for (let y = b.y; y < b.y + b.height; y++) {
    const rowEnd = y * W + b.x + b.width;
    let i = y * W + b.x;
    while (i < rowEnd) {
      if (a[i] === c[i]) {
        i++;
        continue;
      }
      const o = a[i]!;
      const n = c[i]!;
      const s = i;
      i++;
      while (i < rowEnd && a[i] === o && c[i] === n) i++;
      builder.add(s, i - s, o, n);
    }
  }
  return builder.finish();
}

/** Changed runs of a patch split at box rows, as absolute indices in a raster of width `stride`. */
function rowRuns(patch: LabelPatch, stride: number): { starts: Float64Array; lens: Uint32Array; olds: Uint32Array; news: Uint32Array; n: number } {
  const { runs, box } = patch;
  const bw = box.width;
  let count = 0;
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    const len = runs[r + 1]!;
    const first = Math.floor(pos / bw);
    const last = Math.floor((pos + len - 1) / bw);
    count += last - first + 1;
    pos += len;
  }
  const starts = new Float64Array(count);
  const lens = new Uint32Array(count);
  const olds = new Uint32Array(count);
  const news = new Uint32Array(count);
  let k = 0;
  pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    let len = runs[r + 1]!;
    while (len > 0) {
      const row = Math.floor(pos / bw);
      const col = pos - row * bw;
      const n = Math.min(len, bw - col);
      starts[k] = (box.y + row) * stride + box.x + col;
      lens[k] = n;
      olds[k] = runs[r + 2]!;
      news[k] = runs[r + 3]!;
      k++;
      pos += n;
      len -= n;
    }
  }
  return { starts, lens, olds, news, n: count };
}

/**
 * One patch with the effect of applying `first` then `second`: over the union of their pixels,
 * the old id comes from the first patch that touches a pixel and the new id from the last.
 * Pixels that end where they started drop out. Throws if the patches do not chain (where both
 * touch a pixel, first's new id must be second's old id). Cost is linear in the number of runs.
 */
export function combinePatches(first: LabelPatch, second: LabelPatch): LabelPatch {
  if (first.runs.length === 0) return { box: { ...second.box }, runs: second.runs.slice() };
  if (second.runs.length === 0) return { box: { ...first.box }, runs: first.runs.slice() };
  const stride = Math.max(first.box.x + first.box.width, second.box.x + second.box.width);
  const A = rowRuns(first, stride);
  const B = rowRuns(second, stride);
  const out = new PatchBuilder(stride);
  let i = 0;
  let j = 0;
  let aS = A.n > 0 ? A.starts[0]! : 0;
  let bS = B.n > 0 ? B.starts[0]! : 0;
  while (i < A.n || j < B.n) {
    const aE = i < A.n ? A.starts[i]! + A.lens[i]! : Infinity;
    const bE = j < B.n ? B.starts[j]! + B.lens[j]! : Infinity;
    if (j >= B.n || (i < A.n && aS < bS)) {
      const end = j < B.n ? Math.min(aE, bS) : aE;
      out.add(aS, end - aS, A.olds[i]!, A.news[i]!);
      aS = end;
    } else if (i >= A.n || bS < aS) {
      const end = i < A.n ? Math.min(bE, aS) : bE;
      out.add(bS, end - bS, B.olds[j]!, B.news[j]!);
      bS = end;
    } else {
      if (A.news[i] !== B.olds[j]) {
        throw new Error(`combinePatches: patches do not chain (a pixel is set to ${A.news[i]} by the first and expected as ${B.olds[j]} by the second)`);
      }
      const end = Math.min(aE, bE);
      out.add(aS, end - aS, A.olds[i]!, B.news[j]!);
      aS = end;
      bS = end;
    }
    if (i < A.n && aS >= aE) {
      i++;
      if (i < A.n) aS = A.starts[i]!;
    }
    if (j < B.n && bS >= bE) {
      j++;
      if (j < B.n) bS = B.starts[j]!;
    }
  }
  return out.finish();
}

// ---- Binary form (edit log) ----
// Layout: "GLPT", version byte, varints x, y, width, height, runCount, then per run the varints
// skip, length, oldId, newId, then a little-endian CRC-32 of everything before it.

const MAGIC = [0x47, 0x4c, 0x50, 0x54];
const VERSION = 1;

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

export function encodePatch(patch: LabelPatch): Uint8Array {
  const { box, runs } = patch;
  if (runs.length % 4 !== 0) throw new Error('encodePatch: run array length is not a multiple of 4');
  const head = [box.x, box.y, box.width, box.height, runs.length / 4];
  for (const v of head) if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`encodePatch: bad box or run count ${v}`);
  let size = 5 + 4;
  for (const v of head) size += varintSize(v);
  for (let i = 0; i < runs.length; i++) size += varintSize(runs[i]!);
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  let p = 5;
  const put = (v: number) => {
    while (v >= 0x80) {
      out[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
  };
  for (const v of head) put(v);
  for (let i = 0; i < runs.length; i++) put(runs[i]!);
  const crc = crc32(out, p);
  out[p] = crc & 0xff;
  out[p + 1] = (crc >>> 8) & 0xff;
  out[p + 2] = (crc >>> 16) & 0xff;
  out[p + 3] = (crc >>> 24) & 0xff;
  return out;
}

/** Parses encodePatch output; throws PatchDecodeError on anything malformed (bounded work, never hangs). */
export function decodePatch(bytes: Uint8Array): LabelPatch {
  const len = bytes.length;
  if (len < 5 + 5 + 4) throw new PatchDecodeError(`${len} bytes is too short`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new PatchDecodeError('not a GrainLab patch');
  if (bytes[4] !== VERSION) throw new PatchDecodeError(`unknown patch version ${bytes[4]}`);
  const end = len - 4;
  const stored = (bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24)) >>> 0;
  if (crc32(bytes, end) !== stored) throw new PatchDecodeError('checksum mismatch');
  let p = 5;
  const get = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 5; k++) {
      if (p >= end) throw new PatchDecodeError('truncated');
      const b = bytes[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > 0xffffffff) throw new PatchDecodeError('number out of range');
        return v;
      }
      mul *= 128;
    }
    throw new PatchDecodeError('number too long');
  };
  const x = get();
  const y = get();
  const width = get();
  const height = get();
  const count = get();
  // Each run takes at least 4 bytes, so a count the remaining bytes cannot hold is corrupt
  // (checked before allocating).
  if (count * 4 > end - p) throw new PatchDecodeError(`claims ${count} runs in ${end - p} bytes`);
  if (count === 0) {
    if (p !== end) throw new PatchDecodeError('trailing bytes');
    return emptyPatch();
  }
  if (width === 0 || height === 0) throw new PatchDecodeError('empty box with runs');
  const area = width * height;
  const runs = new Uint32Array(count * 4);
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    const skip = get();
    const n = get();
    const o = get();
    const w = get();
    if (n === 0) throw new PatchDecodeError('zero-length run');
    if (o === w) throw new PatchDecodeError('run that changes nothing');
    pos += skip + n;
    if (pos > area) throw new PatchDecodeError('runs extend past the box');
    runs[r] = skip;
    runs[r + 1] = n;
    runs[r + 2] = o;
    runs[r + 3] = w;
  }
  if (p !== end) throw new PatchDecodeError('trailing bytes');
  return { box: { x, y, width, height }, runs };
}
