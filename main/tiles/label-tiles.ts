// A large image's label map kept in 1024 px tiles: a tile exists only where some pixel is
// labelled; the most recently used tiles are kept decompressed and the rest deflated, so a
// 32768 x 32768 map with a few segments costs megabytes, not the 4 GiB of one Uint32Array.
// Brush/erase, delete and merge apply here; each edit keeps the packed tiles it changed so undo
// and redo restore them.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ServiceError } from '../../app/errors';
import type { Box } from '../../app/types';
import type { LargeEditOp } from '../../app/contract/tiles';
import { strokeSpans } from '../../app/edit/spans';
import type { LabelTilePersistence } from './label-tile-db';

export const LABEL_TILE = 1024;
const N = LABEL_TILE * LABEL_TILE;

/** Coarse views read every MIP-th pixel of a tile from its subsample, not the whole tile. */
const MIP = 8;
const MIP_SIDE = LABEL_TILE / MIP;

interface StoredTile {
  raw: Uint32Array | null;
  /** The deflated tile; current unless `dirty`. Null with `raw` null: read it from the saved copy. */
  packed: Buffer | null;
  /** Every MIP-th pixel (MIP_SIDE^2), made when a coarse view first needs it; null after a change. */
  mip: Uint32Array | null;
  dirty: boolean;
  used: number;
  /** Changed by the edit being applied and not yet in the saved copy (saved stores only). */
  unsaved?: boolean;
  /** Per id in the tile: pixel count and box (tile coordinates); made when first asked, null after a change. */
  stats?: Map<number, TileStat> | null;
}

interface TileStat {
  area: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function tileStats(raw: Uint32Array): Map<number, TileStat> {
  const out = new Map<number, TileStat>();
  let last = 0;
  let s: TileStat | undefined;
  for (let i = 0; i < N; i++) {
    const v = raw[i]!;
    if (v === 0) continue;
    if (v !== last) {
      last = v;
      s = out.get(v);
      if (!s) out.set(v, (s = { area: 0, x0: LABEL_TILE, y0: LABEL_TILE, x1: -1, y1: -1 }));
    }
    const x = i % LABEL_TILE;
    const y = (i / LABEL_TILE) | 0;
    s!.area++;
    if (x < s!.x0) s!.x0 = x;
    if (x > s!.x1) s!.x1 = x;
    if (y < s!.y0) s!.y0 = y;
    if (y > s!.y1) s!.y1 = y;
  }
  return out;
}

interface Step {
  /** Tile key -> packed content before (null: the tile did not exist) and after; null when saved (read on undo). */
  before: Map<number, Buffer | null> | null;
  after: Map<number, Buffer | null> | null;
  box: Box;
  /** The saved step's id (persisted stores). */
  id?: number;
}

export interface EditOutcome {
  box: Box | null;
  created: number | null;
}

/**
 * The image pixels and sample grid of view tile (level, tx, ty): renderer/viewer/tiles.ts's
 * geometry (512 px bitmaps; level L samples every 2^L-th pixel).
 */
export function viewTileRect(level: number, tx: number, ty: number, width: number, height: number): { x: number; y: number; step: number; bw: number; bh: number } {
  const step = 2 ** level;
  const span = 512 * step;
  const x = tx * span;
  const y = ty * span;
  const w = Math.min(span, width - x);
  const h = Math.min(span, height - y);
  return { x, y, step, bw: w > 0 ? Math.ceil(w / step) : 0, bh: h > 0 ? Math.ceil(h / step) : 0 };
}

function subsample(t: Uint32Array): Uint32Array {
  const out = new Uint32Array(MIP_SIDE * MIP_SIDE);
  for (let j = 0; j < MIP_SIDE; j++) for (let i = 0; i < MIP_SIDE; i++) out[j * MIP_SIDE + i] = t[j * MIP * LABEL_TILE + i * MIP]!;
  return out;
}

function pack(t: Uint32Array): Buffer {
  return deflateRawSync(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), { level: 1 });
}

function unpack(b: Buffer): Uint32Array {
  const bytes = inflateRawSync(b);
  const out = new Uint32Array(N);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function union(a: Box | null, b: Box | null): Box | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

export class LabelTileStore {
  private readonly tiles = new Map<number, StoredTile>();
  private readonly cols: number;
  private readonly rows: number;
  private clock = 0;
  private hot = 0;
  private maxId = 0;
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  /** Tiles touched by the edit being applied (their content before it). */
  private recording: Map<number, Buffer | null> | null = null;
  private fillingNow = false;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Decompressed tiles kept (4 MiB each). */
    private readonly hotLimit = 32,
    private readonly undoLimit = 50,
    /** The saved copy (images over the decode limit): every edit, undo and redo is written to it. */
    private readonly saved: LabelTilePersistence | null = null,
  ) {
    this.cols = Math.ceil(width / LABEL_TILE);
    this.rows = Math.ceil(height / LABEL_TILE);
    if (saved) {
      // Only the keys, the largest id and the step list are read now; tiles come when needed.
      for (const key of saved.keys()) this.tiles.set(key, { raw: null, packed: null, mip: null, dirty: false, used: 0 });
      this.maxId = saved.maxId();
      const steps = saved.steps();
      for (const st of steps) if (!st.undone) this.undoStack.push({ before: null, after: null, box: st.box, id: st.id });
      // Undone steps are redone newest undo first: the oldest undone step is redone first.
      for (const st of steps.reverse()) if (st.undone) this.redoStack.push({ before: null, after: null, box: st.box, id: st.id });
    }
  }

  /** A store kept in step with a saved copy (`cols` = ceil(width / LABEL_TILE) is the key's row length). */
  static persisted(width: number, height: number, saved: LabelTilePersistence, hotLimit?: number, undoLimit?: number): LabelTileStore {
    return new LabelTileStore(width, height, hotLimit, undoLimit, saved);
  }

  /** The packed content of a tile, read from the saved copy when it is not in memory. */
  private packedFor(key: number, t: StoredTile): Buffer {
    if (t.packed) return t.packed;
    const b = this.saved?.read(key);
    if (!b) throw new Error(`Label tile ${key} is missing from the project.`);
    // Kept while decompressed or until evicted (then dropped again: the saved copy has it).
    t.packed = b;
    return b;
  }

  /** Seeds the store from a whole label map (an existing segmentation of an image within the old limits). */
  static fromLabels(width: number, height: number, data: Uint32Array, hotLimit?: number): LabelTileStore {
    const s = new LabelTileStore(width, height, hotLimit);
    for (let ty = 0; ty < s.rows; ty++) {
      for (let tx = 0; tx < s.cols; tx++) {
        let t: Uint32Array | null = null;
        const x0 = tx * LABEL_TILE;
        const y0 = ty * LABEL_TILE;
        const w = Math.min(LABEL_TILE, width - x0);
        const h = Math.min(LABEL_TILE, height - y0);
        for (let y = 0; y < h; y++) {
          const row = data.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w);
          for (let x = 0; x < w; x++) {
            const v = row[x]!;
            if (v === 0) continue;
            t ??= new Uint32Array(N);
            t[y * LABEL_TILE + x] = v;
            if (v > s.maxId) s.maxId = v;
          }
        }
        if (t) s.tiles.set(ty * s.cols + tx, { raw: null, packed: pack(t), mip: subsample(t), dirty: false, used: 0 });
      }
    }
    return s;
  }

  get tileCount(): number {
    return this.tiles.size;
  }

  get decompressedCount(): number {
    return this.hot;
  }

  /** Bytes held: decompressed tiles plus packed ones. */
  get bytes(): number {
    let b = 0;
    for (const t of this.tiles.values()) b += (t.raw ? t.raw.byteLength : 0) + (t.packed ? t.packed.byteLength : 0);
    return b;
  }

  get nextId(): number {
    return this.maxId + 1;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** The raw tile (decompressing it), or null when it holds nothing and `create` is false. */
  private tile(key: number, create: boolean): Uint32Array | null {
    let t = this.tiles.get(key);
    if (!t) {
      if (!create) return null;
      t = { raw: new Uint32Array(N), packed: null, mip: null, dirty: true, used: 0 };
      this.tiles.set(key, t);
      this.hot++;
    } else if (!t.raw) {
      t.raw = unpack(this.packedFor(key, t));
      this.hot++;
    }
    t.used = ++this.clock;
    if (this.hot > this.hotLimit) this.evict();
    return t.raw;
  }

  /** Packs the least recently used decompressed tiles until within the limit. */
  private evict(): void {
    const hot = [...this.tiles.entries()].filter(([, t]) => t.raw).sort((a, b) => a[1].used - b[1].used);
    for (const [, t] of hot) {
      if (this.hot <= this.hotLimit) break;
      if (t.used === this.clock) continue;
      // A tile only read keeps its packed copy: dropping the raw one costs nothing.
      if (t.dirty || !t.packed) t.packed = pack(t.raw!);
      t.dirty = false;
      t.raw = null;
      // A saved store keeps no packed copies of settled tiles: the saved tile is current.
      if (this.saved && !t.unsaved) t.packed = null;
      this.hot--;
    }
  }

  /** Notes a tile's content before the current edit first changes it. */
  private touch(key: number): Uint32Array {
    if (this.recording && !this.recording.has(key)) {
      const t = this.tiles.get(key);
      this.recording.set(key, t ? (t.raw && (t.dirty || !t.packed) ? pack(t.raw) : this.packedFor(key, t)) : null);
    }
    const raw = this.tile(key, true)!;
    const t = this.tiles.get(key)!;
    t.dirty = true;
    t.unsaved = true;
    t.mip = null;
    t.stats = null;
    return raw;
  }

  /** A tile's subsample (every MIP-th pixel), or null when the tile holds nothing. */
  private mipOf(key: number): Uint32Array | null {
    const t = this.tiles.get(key);
    if (!t) return null;
    if (!t.mip) t.mip = subsample(this.tile(key, false)!);
    return t.mip;
  }

  labelAt(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return 0;
    const t = this.tile(Math.floor(y / LABEL_TILE) * this.cols + Math.floor(x / LABEL_TILE), false);
    return t ? t[(y % LABEL_TILE) * LABEL_TILE + (x % LABEL_TILE)]! : 0;
  }

  /**
   * The labels of one view tile: `bw` x `bh` samples, sample (i, j) being pixel
   * (x0 + i * step, y0 + j * step). Null when no stored tile intersects it.
   */
  sample(x0: number, y0: number, step: number, bw: number, bh: number): Uint32Array | null {
    const x1 = Math.min(this.width, x0 + bw * step);
    const y1 = Math.min(this.height, y0 + bh * step);
    let any = false;
    for (let ty = Math.floor(y0 / LABEL_TILE); ty <= Math.floor((y1 - 1) / LABEL_TILE) && !any; ty++) {
      for (let tx = Math.floor(x0 / LABEL_TILE); tx <= Math.floor((x1 - 1) / LABEL_TILE); tx++) {
        if (this.tiles.has(ty * this.cols + tx)) {
          any = true;
          break;
        }
      }
    }
    if (!any) return null;
    const out = new Uint32Array(bw * bh);
    // Coarse levels sample pixels on the subsample grid (x0, y0 and step are multiples of MIP there).
    const coarse = step >= MIP && step % MIP === 0 && x0 % MIP === 0 && y0 % MIP === 0;
    for (let j = 0; j < bh; j++) {
      const y = y0 + j * step;
      if (y >= this.height) break;
      const ty = Math.floor(y / LABEL_TILE);
      const ry = (y % LABEL_TILE) * LABEL_TILE;
      let key = -1;
      let t: Uint32Array | null = null;
      for (let i = 0; i < bw; i++) {
        const x = x0 + i * step;
        if (x >= this.width) break;
        const k = ty * this.cols + Math.floor(x / LABEL_TILE);
        if (k !== key) {
          key = k;
          t = coarse ? this.mipOf(k) : this.tile(k, false);
        }
        if (t) out[j * bw + i] = coarse ? t[((y % LABEL_TILE) / MIP) * MIP_SIDE + (x % LABEL_TILE) / MIP]! : t[ry + (x % LABEL_TILE)]!;
      }
    }
    return out;
  }

  /**
   * Segments' areas and bounding boxes (those with no pixel left out) from per-tile counts: a
   * tile's counts are made the first time they are asked (inflating it if needed, not keeping
   * it) and again only after it changes, so the first call scans every labelled tile and later
   * ones only the tiles edited since. Waits a turn every few scans so main keeps answering.
   */
  async segmentStats(ids: readonly number[]): Promise<{ id: number; area: number; bbox: Box }[]> {
    const acc = new Map(ids.map((id) => [id, { area: 0, x0: Infinity, y0: Infinity, x1: -1, y1: -1 }]));
    let scans = 0;
    for (const key of [...this.tiles.keys()]) {
      const t = this.tiles.get(key);
      if (!t) continue;
      if (!t.stats) {
        const packed = t.raw ? null : (t.packed ?? this.saved?.read(key) ?? null);
        const raw = t.raw ?? (packed ? unpack(packed) : null);
        if (!raw) continue;
        t.stats = tileStats(raw);
        if (++scans % 4 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const bx = (key % this.cols) * LABEL_TILE;
      const by = Math.floor(key / this.cols) * LABEL_TILE;
      for (const [id, a] of acc) {
        const s = t.stats?.get(id);
        if (!s) continue;
        a.area += s.area;
        a.x0 = Math.min(a.x0, bx + s.x0);
        a.y0 = Math.min(a.y0, by + s.y0);
        a.x1 = Math.max(a.x1, bx + s.x1);
        a.y1 = Math.max(a.y1, by + s.y1);
      }
    }
    return [...acc].filter(([, a]) => a.area > 0).map(([id, a]) => ({ id, area: a.area, bbox: { x: a.x0, y: a.y0, width: a.x1 - a.x0 + 1, height: a.y1 - a.y0 + 1 } }));
  }

  /** Applies edits as one undoable step. */
  apply(ops: readonly LargeEditOp[]): EditOutcome {
    this.assertIdle();
    this.recording = new Map();
    let box: Box | null = null;
    let created: number | null = null;
    let failed = false;
    let pending: Step | null = null;
    try {
      for (const op of ops) {
        if (op.kind === 'brush') {
          let value = 0;
          if (op.mode === 'paint') {
            value = op.target === undefined || op.target === 'new' ? this.maxId + 1 : op.target;
            if (op.target === undefined || op.target === 'new') created = value;
          }
          box = union(box, this.brush(op.points, op.radius, value, op.mode === 'erase' ? op.onlyInto : op.onlyInto, op.mode === 'paint' && !!op.protect));
          if (value > this.maxId && box) this.maxId = value;
        } else if (op.kind === 'delete') {
          const ids = new Set(op.ids);
          box = union(box, this.remap((v) => (ids.has(v) ? 0 : v)));
        } else {
          const target = op.target ?? Math.min(...op.ids);
          const ids = new Set(op.ids);
          box = union(box, this.remap((v) => (ids.has(v) ? target : v)));
        }
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      pending = this.endRecording(box, failed);
    }
    if (pending) this.save(pending);
    return { box, created };
  }

  /** Ends the edit being recorded: keeps its step (unsaved stores), takes it back when it failed, or returns it to save. */
  private endRecording(box: Box | null, failed: boolean, takeBack = false): Step | null {
    const before = this.recording!;
    this.recording = null;
    if (!box || before.size === 0) return null;
    const after = new Map<number, Buffer | null>();
    for (const key of before.keys()) after.set(key, this.packedOf(key));
    this.dropEmpty(before.keys());
    // Coarse views of the changed tiles, made now while they are decompressed.
    for (const key of before.keys()) {
      const t = this.tiles.get(key);
      if (t?.raw) t.mip = subsample(t.raw);
    }
    // A saved store saves the step; one that failed midway is taken back (nothing saved).
    // (An unsaved store keeps what an edit changed before it failed; a failed fill is taken back.)
    if (!this.saved && !(failed && takeBack)) this.push({ before, after, box });
    else if (failed) this.restore(before);
    else return { before, after, box };
    return null;
  }

  /**
   * Writes an automatic result as one undoable step, block by block: `blocks` yields pieces of
   * the label map (ids already final, 0 = none); only pixels that hold no label are written, so
   * what is there stays as it was. An error (a cancel) thrown by `blocks` takes the whole step
   * back and nothing is saved. `maxId` is the largest id the result uses.
   */
  async fill(blocks: AsyncIterable<{ x: number; y: number; width: number; height: number; data: Uint32Array }>, maxId: number): Promise<EditOutcome> {
    if (this.recording) throw new ServiceError('invalid-argument', 'Another change to these labels is in progress (a segmentation being written); try again when it is done.');
    this.recording = new Map();
    this.fillingNow = true;
    let box: Box | null = null;
    let failed = false;
    let pending: Step | null = null;
    try {
      for await (const b of blocks) box = union(box, this.writeBlock(b.x, b.y, b.width, b.height, b.data));
      if (box && maxId > this.maxId) this.maxId = maxId;
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.fillingNow = false;
      pending = this.endRecording(box, failed, true);
    }
    if (pending) this.save(pending);
    return { box, created: null };
  }

  /** Copies a block's labels into the pixels that hold none; returns the box of pixels written. */
  private writeBlock(x0: number, y0: number, w: number, h: number, data: Uint32Array): Box | null {
    let box: Box | null = null;
    for (let ty = Math.floor(y0 / LABEL_TILE); ty <= Math.floor((y0 + h - 1) / LABEL_TILE); ty++) {
      for (let tx = Math.floor(x0 / LABEL_TILE); tx <= Math.floor((x0 + w - 1) / LABEL_TILE); tx++) {
        const ax = Math.max(x0, tx * LABEL_TILE);
        const ay = Math.max(y0, ty * LABEL_TILE);
        const bx = Math.min(x0 + w, (tx + 1) * LABEL_TILE);
        const by = Math.min(y0 + h, (ty + 1) * LABEL_TILE);
        let any = false;
        for (let y = ay; y < by && !any; y++) for (let x = ax; x < bx; x++) if (data[(y - y0) * w + (x - x0)] !== 0) { any = true; break; }
        if (!any) continue;
        const t = this.touch(ty * this.cols + tx);
        let cx0 = Infinity, cy0 = Infinity, cx1 = -1, cy1 = -1;
        for (let y = ay; y < by; y++) {
          const row = (y % LABEL_TILE) * LABEL_TILE;
          for (let x = ax; x < bx; x++) {
            const v = data[(y - y0) * w + (x - x0)]!;
            const i = row + (x % LABEL_TILE);
            if (v === 0 || t[i] !== 0) continue;
            t[i] = v;
            if (x < cx0) cx0 = x;
            if (x > cx1) cx1 = x;
            if (y < cy0) cy0 = y;
            if (y > cy1) cy1 = y;
          }
        }
        if (cx1 >= 0) box = union(box, { x: cx0, y: cy0, width: cx1 - cx0 + 1, height: cy1 - cy0 + 1 });
      }
    }
    return box;
  }

  private assertIdle(): void {
    if (this.fillingNow) throw new ServiceError('invalid-argument', 'This image is being segmented; edit it when the segmentation is done or cancelled.');
  }

  private push(step: Step): void {
    this.undoStack.push(step);
    if (this.undoStack.length > this.undoLimit) this.undoStack.shift();
    this.redoStack.length = 0;
  }

  /** Saves an edit's step (its tiles after it) in one transaction, then settles its tiles. */
  private save(step: Step): void {
    const before = step.before!;
    const after = step.after!;
    try {
      step.id = this.saved!.saveEdit({ before, after }, step.box, this.maxId, this.undoLimit);
    } catch (e) {
      // Not saved: the edit is taken back, so what is shown is what the project holds.
      this.restore(before);
      throw e;
    }
    // Settled tiles: what is in memory is what was saved.
    for (const [key, packed] of after) {
      const t = this.tiles.get(key);
      if (t) {
        t.dirty = false;
        t.unsaved = false;
        t.packed = t.raw ? packed : null;
      }
    }
    step.before = null;
    step.after = null;
    this.push(step);
  }

  undo(): Box | null {
    this.assertIdle();
    const s = this.undoStack[this.undoStack.length - 1];
    if (!s) return null;
    this.restore(this.stepContent(s, 'before'), s.id, true);
    this.undoStack.pop();
    this.redoStack.push(s);
    return s.box;
  }

  redo(): Box | null {
    this.assertIdle();
    const s = this.redoStack[this.redoStack.length - 1];
    if (!s) return null;
    this.restore(this.stepContent(s, 'after'), s.id, false);
    this.redoStack.pop();
    this.undoStack.push(s);
    return s.box;
  }

  private stepContent(s: Step, which: 'before' | 'after'): Map<number, Buffer | null> {
    const mem = s[which];
    if (mem) return mem;
    if (s.id === undefined || !this.saved) throw new Error('An undo step lost its tiles.');
    return this.saved.stepTiles(s.id)[which];
  }

  private packedOf(key: number): Buffer | null {
    const t = this.tiles.get(key);
    if (!t) return null;
    if (t.raw && t.raw.every((v) => v === 0)) return null;
    return t.raw && (t.dirty || !t.packed) ? pack(t.raw) : this.packedFor(key, t);
  }

  /** Sets tiles to packed content; with `id`, saves it first as undo (`undone`) or redo of that step. */
  private restore(content: Map<number, Buffer | null>, id?: number, undone?: boolean): void {
    if (this.saved && id !== undefined) this.saved.saveStep(id, content, !!undone);
    for (const [key, packed] of content) {
      const old = this.tiles.get(key);
      if (old?.raw) this.hot--;
      if (packed) this.tiles.set(key, { raw: null, packed: this.saved ? null : packed, mip: null, dirty: false, used: 0 });
      else this.tiles.delete(key);
    }
  }

  /** Tiles left all zero by an edit are dropped (so erased areas cost nothing). */
  private dropEmpty(keys: Iterable<number>): void {
    for (const key of keys) {
      const t = this.tiles.get(key);
      if (t?.raw && t.raw.every((v) => v === 0)) {
        this.tiles.delete(key);
        this.hot--;
      }
    }
  }

  /** Rewrites every stored pixel through `f`; returns the box of pixels that changed. */
  private remap(f: (v: number) => number): Box | null {
    let box: Box | null = null;
    for (const key of [...this.tiles.keys()]) {
      const t = this.tile(key, false)!;
      let changed = false;
      for (let i = 0; i < N; i++) {
        const v = t[i]!;
        if (v !== 0 && f(v) !== v) {
          changed = true;
          break;
        }
      }
      if (!changed) continue;
      const w = this.touch(key);
      let x0 = LABEL_TILE, y0 = LABEL_TILE, x1 = -1, y1 = -1;
      for (let i = 0; i < N; i++) {
        const v = w[i]!;
        if (v === 0) continue;
        const nv = f(v);
        if (nv === v) continue;
        w[i] = nv;
        const x = i % LABEL_TILE;
        const y = (i / LABEL_TILE) | 0;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      const bx = (key % this.cols) * LABEL_TILE;
      const by = Math.floor(key / this.cols) * LABEL_TILE;
      box = union(box, { x: bx + x0, y: by + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
    }
    return box;
  }

  /**
   * A brush stroke: the pixels app/edit's brush paints (strokeSpans: centres within `radius` of
   * the polyline) get `value`; `onlyInto` limits it to pixels holding that id, `protect` to empty ones.
   */
  private brush(points: readonly (readonly [number, number])[], radius: number, value: number, onlyInto: number | undefined, protect: boolean): Box | null {
    const spans = strokeSpans(points as [number, number][], radius, this.width, this.height);
    let cx0 = Infinity, cy0 = Infinity, cx1 = -1, cy1 = -1;
    for (let r = 0; r < spans.rows; r++) {
      const y = spans.y0 + r;
      const ty = Math.floor(y / LABEL_TILE);
      const row = (y % LABEL_TILE) * LABEL_TILE;
      for (let k = spans.offsets[r]!; k < spans.offsets[r + 1]!; k++) {
        const xa = spans.xs[2 * k]!;
        const xb = spans.xs[2 * k + 1]!;
        for (let x = xa; x <= xb; ) {
          const tx = Math.floor(x / LABEL_TILE);
          const end = Math.min(xb, tx * LABEL_TILE + LABEL_TILE - 1);
          const key = ty * this.cols + tx;
          // Erasing or painting only into a segment never needs a tile that holds nothing.
          const t = this.tiles.has(key) || (value !== 0 && onlyInto === undefined) ? this.touch(key) : null;
          if (t) {
            for (let xx = x; xx <= end; xx++) {
              const i = row + (xx % LABEL_TILE);
              const old = t[i]!;
              if (old === value) continue;
              if (onlyInto !== undefined ? old !== onlyInto : protect && old !== 0) continue;
              t[i] = value;
              if (xx < cx0) cx0 = xx;
              if (xx > cx1) cx1 = xx;
              if (y < cy0) cy0 = y;
              if (y > cy1) cy1 = y;
            }
          }
          x = end + 1;
        }
      }
    }
    return cx1 >= 0 ? { x: cx0, y: cy0, width: cx1 - cx0 + 1, height: cy1 - cy0 + 1 } : null;
  }
}
