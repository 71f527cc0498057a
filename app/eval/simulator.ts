// Correction-effort simulator: an oracle operator that fixes a segmentation towards the truth
// using only GrainLab's own edit operations, greedily, and counts the gestures it needed.
// The count of operations stands for a person's time; the map only changes through applyEdit.
import { applyEdit, planEdit, type EditContext, type EditOp, type LabelPatch, type MaskRle, type Point, type SegmentMeta } from '../edit';
import { adjustedRandIndex, classScores } from '../metrics';
import type { Box, LabelMap } from '../types';
import { chessboardDepth, longestPath, pixelCentres, simplify, traceOutline, windowOf, type Window } from './geometry';

/** What a person does in one gesture. setClassCluster / deleteCluster act on a whole k-means cluster. */
type Gesture = 'merge' | 'split' | 'brush' | 'polygon' | 'delete' | 'deleteCluster' | 'setClass' | 'setClassCluster' | 'samClick';
const GESTURES: readonly Gesture[] = ['merge', 'split', 'brush', 'polygon', 'delete', 'deleteCluster', 'setClass', 'setClassCluster', 'samClick'];

interface SimulationStep {
  /** Number of operations done so far (after this step). */
  operations: number;
  gesture: Gesture;
  ops: EditOp[];
  score: number;
}

export interface SimulationOptions {
  kind: 'grains' | 'phases';
  /** Phases: truth class of every pixel (0 = matrix); required in phase mode. */
  truthClasses?: Uint8Array;
  /** Score to reach: ARI for grains (default 0.95), the lowest per-phase IoU for phases (default 0.90). */
  target?: number;
  /** Most operations to spend (default 3 x the truth's object count, at least 10). */
  maxOps?: number;
  /** Grains: truth value whose pixels are not scored (boundary lines, unlabelled); default 0, null = score all. */
  ignoreTruth?: number | null;
  /** Phases: class of each start segment (default: none assigned). */
  startClasses?: (id: number) => number | null;
  /** Phases: k-means cluster of each start segment (undefined = in no cluster). */
  clusters?: (id: number) => number | undefined;
  /**
   * Phases: 'cluster' lets one gesture give a class to (or delete) every segment of a cluster, as
   * the UI's select-cluster does; 'segment' assigns classes one segment at a time. Default 'cluster'.
   */
  classAssign?: 'cluster' | 'segment';
  /**
   * A SAM click at image point (x, y) giving the decoded mask, when a model is installed; null when
   * it gives nothing. Without it no SAM gestures are simulated.
   */
  samClick?: (x: number, y: number) => MaskRle | null;
  /** Smallest wrong region (px) the operator bothers to fix with a stroke or outline (default 6). */
  minRegion?: number;
  /**
   * Candidates whose exact effect is tried per step, best estimates first (default 8); when none
   * of them helps the next batch is tried, so 'stuck' means no candidate helps at all.
   */
  tries?: number;
  onStep?: (step: SimulationStep) => void;
}

export interface SimulationResult {
  /** The operations in order; replayed with applyEdit on the start they give `map`. */
  ops: EditOp[];
  /** The gesture each operation belongs to (same length as ops). */
  gestures: Gesture[];
  opsByType: Record<Gesture, number>;
  operations: number;
  startScore: number;
  finalScore: number;
  /** Score at the start, then after each operation. */
  scoreTrace: number[];
  reachedTarget: boolean;
  /** target reached; the operation cap hit; or no candidate edit improves the score any more. */
  stoppedBy: 'target' | 'cap' | 'stuck';
  /**
   * Objects in the truth (grains, or phase instances) of at least minRegion pixels: the "per 100
   * grains" base (specks of a few pixels in hand-made labels are not objects anyone draws).
   */
  grains: number;
  /** The corrected map. */
  map: LabelMap;
  /** Phases: the class of each segment at the end. */
  classes: Map<number, number | null>;
}

/** A connected region of wrongly labelled pixels of one truth row (grain or class) in one segment. */
interface Region {
  row: number;
  col: number;
  area: number;
  /** Indices of its row runs. */
  runs: number[];
  pixels?: Int32Array;
}

const KEY = 0x100000000; // cell key = row * KEY + column, exact while rows stay below 2^21
const MAX_ROW = 1 << 20;
const EPS = 1e-9;

interface Candidate {
  gesture: Gesture;
  /** Estimated objective gain of the ideal version of the edit. */
  est: number;
  /** Operations it takes (2 for draw-new-then-set-class). */
  cost: number;
  /** Tie-break towards lighter gestures (a click over an outline). */
  pref: number;
  build: () => Built | null;
}

interface Built {
  ops: EditOp[];
  gesture: Gesture;
  /** Class the first op's new id will have (phases, draw-new-then-set-class). */
  newClass?: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/** Calls fn(start, length, old, new) for each row-run of changed pixels in a patch. */
function forEachPatchRun(patch: LabelPatch, W: number, fn: (start: number, len: number, oldId: number, newId: number) => void): void {
  const { box, runs } = patch;
  const bw = box.width;
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    let len = runs[r + 1]!;
    while (len > 0) {
      const row = Math.floor(pos / bw);
      const col = pos - row * bw;
      const n = Math.min(len, bw - col);
      fn((box.y + row) * W + box.x + col, n, runs[r + 2]!, runs[r + 3]!);
      pos += n;
      len -= n;
    }
  }
}

/** Changes to contingency cells: (row, column) += d. */
class Delta {
  readonly cells = new Map<number, number>();
  add(row: number, col: number, d: number): void {
    if (d === 0) return;
    const k = row * KEY + col;
    this.cells.set(k, (this.cells.get(k) ?? 0) + d);
  }
}

/**
 * The state the operator looks at each step: contingency of truth rows (grain ids or classes)
 * against segment columns, segment boxes and areas, and the wrongly labelled regions.
 */
class Simulation {
  readonly W: number;
  readonly H: number;
  readonly N: number;
  readonly map: LabelMap;
  nextId: number;
  readonly meta = new Map<number, number | null>();
  readonly clusterOf = new Map<number, number>();
  readonly grainsMode: boolean;
  ignore: number;
  readonly target: number;
  readonly rows: Uint32Array | Uint8Array;
  /** Truth objects: grain ids (same as rows) or phase instances (0 = matrix). */
  readonly objects: Uint32Array;
  readonly classList: number[] = [];
  readonly truthCount = new Float64Array(256);
  readonly minRegion: number;

  // Per segment id (index = id).
  area = new Float64Array(0);
  box = new Int32Array(0); // x0, y0, x1, y1 per id
  cls = new Uint8Array(0); // phases: class of each id (0 = none)
  // Contingency.
  cells = new Map<number, number>();
  colCells = new Map<number, number[]>(); // col -> [row, n, row, n, ...] (largest first)
  rowCells = new Map<number, number[]>(); // row -> [col, n, ...]
  colTotal = new Map<number, number>();
  rowTotal = new Map<number, number>();
  S = 0;
  A = 0;
  B = 0;
  T = 0;
  tp = new Float64Array(256);
  pred = new Float64Array(256);
  private readonly scratchTp = new Float64Array(256);
  private readonly scratchPred = new Float64Array(256);
  mainOf = new Map<number, number>();
  // Row runs of constant (truth row, segment) from the last analyse(), and the wrong regions.
  runStart = new Int32Array(1024);
  runLen = new Int32Array(1024);
  runRow = new Float64Array(1024);
  runCol = new Float64Array(1024);
  runCount = 0;
  rowFirst: Int32Array;
  regions: Region[] = [];
  samCache = new Map<number, MaskRle | null>();

  constructor(
    start: LabelMap,
    truth: LabelMap,
    readonly opts: SimulationOptions,
  ) {
    this.W = start.width;
    this.H = start.height;
    this.N = this.W * this.H;
    this.map = { width: start.width, height: start.height, data: start.data.slice() };
    let max = 0;
    for (let i = 0; i < this.N; i++) if (start.data[i]! > max) max = start.data[i]!;
    this.nextId = max + 1;
    this.grainsMode = opts.kind === 'grains';
    this.ignore = this.grainsMode && opts.ignoreTruth !== null ? (opts.ignoreTruth ?? 0) : -1;
    this.target = opts.target ?? (this.grainsMode ? 0.95 : 0.9);
    this.minRegion = opts.minRegion ?? 6;
    if (this.grainsMode) {
      let maxTruth = 0;
      for (let i = 0; i < this.N; i++) if (truth.data[i]! > maxTruth) maxTruth = truth.data[i]!;
      if (maxTruth < MAX_ROW) this.rows = truth.data;
      else {
        // Cell keys hold the truth id in the high bits: renumber sparse large ids densely.
        const dense = new Map<number, number>();
        const rows = new Uint32Array(this.N);
        if (this.ignore >= 0) dense.set(this.ignore, 0);
        for (let i = 0; i < this.N; i++) {
          const v = truth.data[i]!;
          let d = dense.get(v);
          if (d === undefined) dense.set(v, (d = dense.size + (this.ignore >= 0 ? 0 : 1)));
          rows[i] = d;
        }
        this.rows = rows;
        if (this.ignore >= 0) this.ignore = 0;
      }
    } else {
      if (!opts.truthClasses || opts.truthClasses.length !== this.N) throw new RangeError('Phase mode needs truthClasses with one class per pixel');
      this.rows = opts.truthClasses;
      for (let i = 0; i < this.N; i++) this.truthCount[opts.truthClasses[i]!]++;
      for (let k = 1; k < 256; k++) if (this.truthCount[k]! > 0) this.classList.push(k);
      const seen = new Set<number>();
      let prev = -1;
      for (let i = 0; i < this.N; i++) {
        const v = start.data[i]!;
        if (v !== prev && v !== 0) seen.add(v);
        prev = v;
      }
      for (const id of [...seen].sort((a, b) => a - b)) {
        const c = opts.startClasses?.(id) ?? null;
        this.meta.set(id, c);
        const g = opts.clusters?.(id);
        if (g !== undefined) this.clusterOf.set(id, g);
      }
    }
    this.objects = this.grainsMode ? (this.rows as Uint32Array) : truth.data;
    this.rowFirst = new Int32Array(this.H + 1);
  }

  classOf(id: number): number {
    return id === 0 ? 0 : (this.meta.get(id) ?? 0);
  }

  /** One pass over the map: segment boxes and areas, the contingency, and the score terms. */
  analyse(): void {
    const { W, H, map, rows, ignore } = this;
    const cap = this.nextId + 1;
    if (this.area.length < cap) {
      this.area = new Float64Array(cap * 2);
      this.box = new Int32Array(cap * 8);
      this.cls = new Uint8Array(cap * 2);
    }
    const area = this.area;
    const box = this.box;
    area.fill(0);
    this.cls.fill(0);
    for (const [id, c] of this.meta) if (id < this.cls.length) this.cls[id] = c ?? 0;
    const cells = new Map<number, number>();
    const data = map.data;
    this.runCount = 0;
    for (let y = 0; y < H; y++) {
      let x = 0;
      const row = y * W;
      this.rowFirst[y] = this.runCount;
      while (x < W) {
        const p = data[row + x]!;
        const s = x;
        while (x < W && data[row + x] === p) x++;
        if (area[p] === 0) {
          box[4 * p] = s;
          box[4 * p + 1] = y;
          box[4 * p + 2] = x - 1;
          box[4 * p + 3] = y;
        } else {
          if (s < box[4 * p]!) box[4 * p] = s;
          if (x - 1 > box[4 * p + 2]!) box[4 * p + 2] = x - 1;
          box[4 * p + 3] = y;
        }
        area[p] += x - s;
        // Contingency over the run, split where the truth changes.
        let i = row + s;
        const e = row + x;
        while (i < e) {
          const t = rows[i]!;
          const is = i;
          while (i < e && rows[i] === t) i++;
          if (t === ignore) continue;
          const k = t * KEY + p;
          cells.set(k, (cells.get(k) ?? 0) + (i - is));
          this.pushRun(is, i - is, t, p);
        }
      }
    }
    this.rowFirst[H] = this.runCount;
    this.cells = cells;
    const colCells = new Map<number, number[]>();
    const rowCells = new Map<number, number[]>();
    const colTotal = new Map<number, number>();
    const rowTotal = new Map<number, number>();
    const keys = [...cells.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const n = cells.get(k)!;
      const t = Math.floor(k / KEY);
      const p = k - t * KEY;
      let list = colCells.get(p);
      if (!list) colCells.set(p, (list = []));
      list.push(t, n);
      let rowList = rowCells.get(t);
      if (!rowList) rowCells.set(t, (rowList = []));
      rowList.push(p, n);
      colTotal.set(p, (colTotal.get(p) ?? 0) + n);
      rowTotal.set(t, (rowTotal.get(t) ?? 0) + n);
    }
    for (const list of colCells.values()) {
      const idx = Array.from({ length: list.length / 2 }, (_, j) => j).sort((a, b) => list[2 * b + 1]! - list[2 * a + 1]! || list[2 * a]! - list[2 * b]!);
      const copy = list.slice();
      idx.forEach((j, o) => {
        list[2 * o] = copy[2 * j]!;
        list[2 * o + 1] = copy[2 * j + 1]!;
      });
    }
    this.colCells = colCells;
    this.rowCells = rowCells;
    this.colTotal = colTotal;
    this.rowTotal = rowTotal;
    if (this.grainsMode) {
      let S = 0;
      let n = 0;
      for (const v of cells.values()) {
        S += pairs(v);
        n += v;
      }
      let A = 0;
      for (const v of rowTotal.values()) A += pairs(v);
      let B = 0;
      for (const v of colTotal.values()) B += pairs(v);
      this.S = S;
      this.A = A;
      this.B = B;
      this.T = pairs(n);
      // The main segment of a grain: its largest piece among segments whose largest part it is.
      const mainOf = new Map<number, number>();
      const best = new Map<number, number>();
      for (const [p, list] of colCells) {
        if (p === 0 || list.length === 0) continue;
        const t = list[0]!;
        const n0 = list[1]!;
        const b = best.get(t) ?? 0;
        if (n0 > b || (n0 === b && p < (mainOf.get(t) ?? Infinity))) {
          best.set(t, n0);
          mainOf.set(t, p);
        }
      }
      this.mainOf = mainOf;
    } else {
      this.tp.fill(0);
      this.pred.fill(0);
      for (const [k, n] of cells) {
        const t = Math.floor(k / KEY);
        const c = this.classOf(k - t * KEY);
        this.pred[c] += n;
        if (c === t) this.tp[t] += n;
      }
    }
    this.purestCache.clear();
    this.labelWrongRegions();
  }

  private pushRun(start: number, len: number, row: number, col: number): void {
    const n = this.runCount;
    if (n === this.runStart.length) {
      const grow = <T extends Int32Array | Float64Array>(arr: T, make: (n: number) => T): T => {
        const out = make(n * 2);
        out.set(arr);
        return out;
      };
      this.runStart = grow(this.runStart, (k) => new Int32Array(k));
      this.runLen = grow(this.runLen, (k) => new Int32Array(k));
      this.runRow = grow(this.runRow, (k) => new Float64Array(k));
      this.runCol = grow(this.runCol, (k) => new Float64Array(k));
    }
    this.runStart[n] = start;
    this.runLen[n] = len;
    this.runRow[n] = row;
    this.runCol[n] = col;
    this.runCount = n + 1;
  }

  /**
   * 4-connected regions of wrongly labelled pixels that share truth row and segment, by
   * union-find over row runs (runs of one row overlapping runs of the row above). Grains: a pixel
   * is wrong unless it lies in its grain's main segment; phases: unless its segment's class is
   * its truth class.
   */
  private labelWrongRegions(): void {
    const { W, H, runStart, runLen, runRow, runCol, rowFirst } = this;
    const count = this.runCount;
    const wrong = new Uint8Array(count);
    for (let r = 0; r < count; r++) {
      const t = runRow[r]!;
      const p = runCol[r]!;
      wrong[r] = (this.grainsMode ? this.mainOf.get(t) !== p : this.cls[p] !== t) ? 1 : 0;
    }
    const parent = new Int32Array(count);
    for (let r = 0; r < count; r++) parent[r] = r;
    const find = (r: number): number => {
      while (parent[r] !== r) {
        parent[r] = parent[parent[r]!]!;
        r = parent[r]!;
      }
      return r;
    };
    for (let y = 1; y < H; y++) {
      let a = rowFirst[y - 1]!;
      const aEnd = rowFirst[y]!;
      let b = rowFirst[y]!;
      const bEnd = rowFirst[y + 1]!;
      const aOff = (y - 1) * W;
      const bOff = y * W;
      while (a < aEnd && b < bEnd) {
        const as = runStart[a]! - aOff;
        const ae = as + runLen[a]!;
        const bs = runStart[b]! - bOff;
        const be = bs + runLen[b]!;
        if (as < be && bs < ae && wrong[a] && wrong[b] && runRow[a] === runRow[b] && runCol[a] === runCol[b]) {
          const ra = find(a);
          const rb = find(b);
          if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
        if (ae <= be) a++;
        else b++;
      }
    }
    const index = new Map<number, Region>();
    const regions: Region[] = [];
    for (let r = 0; r < count; r++) {
      if (!wrong[r]) continue;
      const root = find(r);
      let reg = index.get(root);
      if (!reg) {
        reg = { row: runRow[r]!, col: runCol[r]!, area: 0, runs: [] };
        index.set(root, reg);
        regions.push(reg);
      }
      reg.area += runLen[r]!;
      reg.runs.push(r);
    }
    this.regions = regions;
  }

  /** Pixel indices of a region, from its runs. */
  pixelsOf(reg: Region): Int32Array {
    if (reg.pixels) return reg.pixels;
    const out = new Int32Array(reg.area);
    let k = 0;
    for (const r of reg.runs) {
      const s = this.runStart[r]!;
      for (let i = 0; i < this.runLen[r]!; i++) out[k++] = s + i;
    }
    reg.pixels = out;
    return out;
  }

  // ----- scoring -------------------------------------------------------------------------

  objective(): number {
    return this.grainsMode ? this.ari(this.S, this.B) : this.phaseObjective(this.tp, this.pred);
  }

  private ari(S: number, B: number): number {
    const { A, T } = this;
    if (T === 0) return 1;
    const expected = (A * B) / T;
    const den = (A + B) / 2 - expected;
    if (Math.abs(den) < 1e-12) return 1;
    return (S - expected) / den;
  }

  private phaseObjective(tp: Float64Array, pred: Float64Array): number {
    let s = 0;
    for (const k of this.classList) {
      const iou = tp[k]! / (this.truthCount[k]! + pred[k]! - tp[k]!);
      s += Math.min(iou, this.target);
    }
    return s;
  }

  /** Objective after cell changes, with some columns given a new class (phases). */
  objectiveAfter(delta: Delta, classOverride?: Map<number, number>): number {
    if (this.grainsMode) {
      let S = this.S;
      const cols = new Map<number, number>();
      for (const [k, d] of delta.cells) {
        const n = this.cells.get(k) ?? 0;
        S += pairs(n + d) - pairs(n);
        const t = Math.floor(k / KEY);
        const p = k - t * KEY;
        cols.set(p, (cols.get(p) ?? 0) + d);
      }
      let B = this.B;
      for (const [p, d] of cols) {
        const b = this.colTotal.get(p) ?? 0;
        B += pairs(b + d) - pairs(b);
      }
      return this.ari(S, B);
    }
    const tp = this.scratchTp;
    const pred = this.scratchPred;
    tp.set(this.tp);
    pred.set(this.pred);
    const clsOf = (p: number) => classOverride?.get(p) ?? this.classOf(p);
    if (classOverride) {
      for (const [p, c] of classOverride) {
        const old = this.classOf(p);
        const list = this.colCells.get(p);
        if (!list || old === c) continue;
        for (let j = 0; j < list.length; j += 2) {
          const t = list[j]!;
          const n = list[j + 1]!;
          pred[old] -= n;
          pred[c] += n;
          if (t === old) tp[t] -= n;
          if (t === c) tp[t] += n;
        }
      }
    }
    for (const [k, d] of delta.cells) {
      const t = Math.floor(k / KEY);
      const c = clsOf(k - t * KEY);
      pred[c] += d;
      if (c === t) tp[t] += d;
    }
    return this.phaseObjective(tp, pred);
  }

  /** Cell changes of moving every counted pixel of column `from` to column `to`. */
  moveColumn(delta: Delta, from: number, to: number): void {
    const list = this.colCells.get(from);
    if (!list) return;
    for (let j = 0; j < list.length; j += 2) {
      delta.add(list[j]!, from, -list[j + 1]!);
      delta.add(list[j]!, to, list[j + 1]!);
    }
  }

  /** Exact objective after an edit, from the patch planEdit gives (the map is not changed). */
  exactAfter(built: Built): number {
    const ctx = this.context();
    const first = built.ops[0]!;
    if (first.kind === 'setClass') {
      const over = new Map<number, number>();
      for (const id of first.ids) over.set(id, first.classId ?? 0);
      return this.objectiveAfter(new Delta(), over);
    }
    const plan = planEdit(this.map, first, ctx);
    const delta = new Delta();
    const rows = this.rows;
    const ignore = this.ignore;
    forEachPatchRun(plan.patch, this.W, (s, len, oldId, newId) => {
      let i = s;
      const e = s + len;
      while (i < e) {
        const t = rows[i]!;
        const is = i;
        while (i < e && rows[i] === t) i++;
        if (t === ignore) continue;
        delta.add(t, oldId, is - i);
        delta.add(t, newId, i - is);
      }
    });
    const over = built.newClass !== undefined ? new Map([[this.nextId, built.newClass]]) : undefined;
    return this.objectiveAfter(delta, over);
  }

  /** The score the benchmarks report, from app/metrics on the current map. */
  exactScore(): number {
    if (this.grainsMode) return adjustedRandIndex({ width: this.W, height: this.H, data: this.rows }, this.map, this.ignore >= 0 ? { ignoreTruth: this.ignore } : {});
    if (this.classList.length === 0) return 1;
    const clsOf = new Uint8Array(this.nextId + 1);
    for (const [id, c] of this.meta) if (id <= this.nextId) clsOf[id] = c ?? 0;
    const predClass = new Uint8Array(this.N);
    const data = this.map.data;
    for (let i = 0; i < this.N; i++) predClass[i] = clsOf[data[i]!]!;
    const s = classScores({ width: this.W, height: this.H, data: this.rows }, { width: this.W, height: this.H, data: predClass }, { labels: this.classList });
    return Math.min(...s.perClass.map((c) => c.iou));
  }

  context(): EditContext {
    const box = this.box;
    const area = this.area;
    return {
      nextId: this.nextId,
      measure: false,
      bboxes: (id: number): Box | undefined =>
        id < area.length && area[id]! > 0 ? { x: box[4 * id]!, y: box[4 * id + 1]!, width: box[4 * id + 2]! - box[4 * id]! + 1, height: box[4 * id + 3]! - box[4 * id + 1]! + 1 } : undefined,
      meta: (id: number): SegmentMeta => ({ classId: this.meta.get(id) ?? null, verified: false }),
    };
  }

  // ----- candidates ----------------------------------------------------------------------

  candidates(): Candidate[] {
    const out: Candidate[] = [];
    const now = this.objective();
    const push = (gesture: Gesture, delta: Delta, cost: number, pref: number, build: () => Built | null, over?: Map<number, number>) => {
      const est = this.objectiveAfter(delta, over) - now;
      if (est > EPS) out.push({ gesture, est, cost, pref, build });
    };
    if (this.grainsMode) this.grainCandidates(push);
    else {
      this.phaseCandidates(push);
      this.phaseObjectCandidates(push);
    }
    this.regionCandidates(push);
    return out;
  }

  private grainCandidates(push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null) => void): void {
    for (const [p, list] of this.colCells) {
      if (p === 0 || list.length === 0) continue;
      const t = list[0]!;
      const m = this.mainOf.get(t);
      // Over-segmentation: a piece of a grain whose main segment is another.
      if (m !== undefined && m !== p) {
        const d = new Delta();
        this.moveColumn(d, p, m);
        push('merge', d, 1, 1, () => ({ gesture: 'merge', ops: [{ kind: 'merge', ids: [m, p], target: m }] }));
      }
      // A spurious segment: its pixels would be better unlabelled.
      const del = new Delta();
      this.moveColumn(del, p, 0);
      push('delete', del, 1, 1, () => ({ gesture: 'delete', ops: [{ kind: 'delete', ids: [p] }] }));
      // Under-segmentation: cut a grain out of the segment along the true boundary.
      const b = this.colTotal.get(p) ?? 0;
      const least = Math.max(this.minRegion, 0.02 * b);
      if (list.length >= 4 && list[3]! >= least) {
        for (let j = 0; j < list.length && j < 8; j += 2) {
          const tj = list[j]!;
          const n = list[j + 1]!;
          if (n < least) break;
          const d = new Delta();
          d.add(tj, p, -n);
          d.add(tj, this.nextId, n);
          push('split', d, 1, 0.99, () => this.buildSplit(p, tj));
        }
      }
    }
    // A grain its segments cover badly (or not at all): outline it anew, over whatever is there.
    for (const [t, list] of this.rowCells) {
      const m = this.mainOf.get(t);
      const a = this.rowTotal.get(t) ?? 0;
      if (a < this.minRegion || (m !== undefined && (this.cells.get(t * KEY + m) ?? 0) >= 0.9 * a)) continue;
      const d = new Delta();
      for (let j = 0; j < list.length; j += 2) {
        d.add(t, list[j]!, -list[j + 1]!);
        d.add(t, this.nextId, list[j + 1]!);
      }
      push('polygon', d, 1, 0.95, () => this.buildOutline(t));
    }
  }

  /** Truth object boxes (x0, y0, x1, y1) and areas, found once. */
  private objectBoxes: Map<number, number[]> | null = null;

  private objectBox(o: number): number[] | undefined {
    if (!this.objectBoxes) {
      const boxes = new Map<number, number[]>();
      const { W, H, objects } = this;
      for (let y = 0; y < H; y++) {
        let x = 0;
        while (x < W) {
          const v = objects[y * W + x]!;
          const s = x;
          while (x < W && objects[y * W + x] === v) x++;
          const b = boxes.get(v);
          if (!b) boxes.set(v, [s, y, x - 1, y, x - s]);
          else {
            if (s < b[0]!) b[0] = s;
            if (x - 1 > b[2]!) b[2] = x - 1;
            b[3] = y;
            b[4]! += x - s;
          }
        }
      }
      this.objectBoxes = boxes;
    }
    return this.objectBoxes.get(o);
  }

  /** Pixels of truth object o. */
  private objectPixels(o: number): number[] {
    const b = this.objectBox(o);
    if (!b) return [];
    const px: number[] = [];
    for (let y = b[1]!; y <= b[3]!; y++) for (let x = b[0]!; x <= b[2]!; x++) if (this.objects[y * this.W + x] === o) px.push(y * this.W + x);
    return px;
  }

  /** Outline polygons (a close and a looser tracing) of truth object o's largest 4-connected part. */
  private objectOutlines(o: number): Point[][] {
    const px = this.objectPixels(o);
    if (px.length === 0) return [];
    const contour = traceOutline(largestComponent4(windowOf(px, this.W)));
    const out: Point[][] = [];
    for (const tol of px.length < 100 ? [0.5] : [0.5, 1]) {
      const points = simplify(contour, tol, true);
      if (points.length >= 3) out.push(points);
    }
    return out;
  }

  /** An outline of truth grain t, drawn over whatever is there as a new segment or into its main one. */
  private buildOutline(t: number): Built | null {
    const m = this.mainOf.get(t);
    const variants: Built[] = [];
    for (const points of this.objectOutlines(t)) {
      for (const target of m === undefined ? ['new' as const] : ['new' as const, m]) {
        variants.push({ gesture: 'polygon', ops: [{ kind: 'polygon', mode: 'add', points, target, overwrite: true }] });
      }
    }
    return this.bestOf(variants);
  }

  /**
   * Phase objects (particles, lamellae) with wrongly classed pixels, often a rim too thin to
   * stroke on its own: outline the whole object into a segment of its class.
   */
  private phaseObjectCandidates(push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
    const { N, objects, rows, cls } = this;
    const data = this.map.data;
    const wrong = new Map<number, Map<number, number>>();
    let i = 0;
    while (i < N) {
      const o = objects[i]!;
      const p = data[i]!;
      const s = i;
      while (i < N && objects[i] === o && data[i] === p) i++;
      if (o === 0 || cls[p] === rows[s]) continue;
      let m = wrong.get(o);
      if (!m) wrong.set(o, (m = new Map()));
      m.set(p, (m.get(p) ?? 0) + (i - s));
    }
    for (const [o, byCol] of wrong) {
      const box = this.objectBox(o)!;
      if (box[4]! < this.minRegion) continue;
      let n = 0;
      for (const v of byCol.values()) n += v;
      if (n < 2) continue;
      const first = this.objectPixels(o)[0]!;
      const k = rows[first]!;
      const d = new Delta();
      for (const [p, v] of byCol) {
        d.add(k, p, -v);
        d.add(k, this.nextId, v);
      }
      push('polygon', d, this.purest(k) < 0 ? 2 : 1, 0.95, () => this.buildObjectOutline(o, k), new Map([[this.nextId, k]]));
    }
  }

  private buildObjectOutline(o: number, k: number): Built | null {
    const { to, newClass } = this.destinationFor(this.objectPixels(o), k, -1);
    if (to === 0) return null;
    const variants = this.objectOutlines(o).map((points) => this.withClass({ gesture: 'polygon', ops: [{ kind: 'polygon', mode: 'add', points, target: to, overwrite: true }] }, newClass));
    return this.bestOf(variants);
  }

  private aliveMembers(): Map<number, number[]> {
    const byCluster = new Map<number, number[]>();
    for (const [id, g] of this.clusterOf) {
      if (id >= this.area.length || this.area[id] === 0) continue;
      let list = byCluster.get(g);
      if (!list) byCluster.set(g, (list = []));
      list.push(id);
    }
    return byCluster;
  }

  private phaseCandidates(push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
    const classes = this.classList;
    for (const [p, list] of this.colCells) {
      if (p === 0) continue;
      const c = this.classOf(p);
      let bestK = 0;
      let bestN = 0;
      for (let j = 0; j < list.length; j += 2) {
        if (list[j]! >= 1 && list[j + 1]! > bestN) {
          bestN = list[j + 1]!;
          bestK = list[j]!;
        }
      }
      if (bestK !== 0 && bestK !== c) {
        push('setClass', new Delta(), 1, 1, () => ({ gesture: 'setClass', ops: [{ kind: 'setClass', ids: [p], classId: bestK }] }), new Map([[p, bestK]]));
      }
      if (c !== 0) {
        const d = new Delta();
        this.moveColumn(d, p, 0);
        push('delete', d, 1, 1, () => ({ gesture: 'delete', ops: [{ kind: 'delete', ids: [p] }] }));
      }
    }
    if ((this.opts.classAssign ?? 'cluster') !== 'cluster') return;
    for (const [, members] of this.aliveMembers()) {
      for (const k of [...classes, 0]) {
        const over = new Map<number, number>();
        for (const id of members) over.set(id, k);
        push('setClassCluster', new Delta(), 1, 1, () => ({ gesture: 'setClassCluster', ops: [{ kind: 'setClass', ids: members, classId: k === 0 ? null : k }] }), over);
      }
      const d = new Delta();
      for (const id of members) this.moveColumn(d, id, 0);
      push('deleteCluster', d, 1, 1, () => ({ gesture: 'deleteCluster', ops: [{ kind: 'delete', ids: members }] }));
    }
  }

  /** Fixing one wrong region: stroke or outline it into the segment it belongs to (or a SAM click). */
  private regionCandidates(push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
    const samMin = 64;
    for (const r of this.regions) {
      if (r.area < this.minRegion) continue;
      const d = new Delta();
      let cost = 1;
      let over: Map<number, number> | undefined;
      if (this.grainsMode) {
        const to = this.mainOf.get(r.row) ?? this.nextId;
        d.add(r.row, r.col, -r.area);
        d.add(r.row, to, r.area);
      } else {
        const to = r.row === 0 ? 0 : this.nextId;
        d.add(r.row, r.col, -r.area);
        d.add(r.row, to, r.area);
        if (r.row !== 0) {
          over = new Map([[this.nextId, r.row]]);
          if (this.purest(r.row) < 0) cost = 2;
        }
      }
      push('polygon', d, cost, 0.96, () => this.buildRegion(r), over);
      if (this.opts.samClick && r.area >= samMin && !(this.grainsMode === false && r.row === 0)) {
        push('samClick', d, cost, 0.99, () => this.buildSam(r), over);
      }
    }
  }

  /** Where a region's pixels should go: grains: the grain's main segment or a new one; phases: a segment of the right class. */
  private destination(r: Region): { to: number | 'new'; newClass?: number } {
    if (this.grainsMode) return { to: this.mainOf.get(r.row) ?? 'new' };
    if (r.row === 0) return { to: 0 };
    return this.destinationFor(this.pixelsOf(r), r.row, r.col);
  }

  /**
   * A segment of class k for these pixels: one that holds or touches them (extend it), else the
   * purest one of that class, else a new one (whose class must then be set). A mostly wrong
   * segment is never grown: that would bury good pixels in it.
   */
  private destinationFor(pixels: ArrayLike<number>, k: number, exclude: number): { to: number | 'new'; newClass?: number } {
    const { W, H } = this;
    const data = this.map.data;
    const count = new Map<number, number>();
    const consider = (v: number) => {
      if (v !== 0 && v !== exclude && this.classOf(v) === k && this.purity(v, k) >= 0.5) count.set(v, (count.get(v) ?? 0) + 1);
    };
    for (let j = 0; j < pixels.length; j++) {
      const i = pixels[j]!;
      const x = i % W;
      const y = (i - x) / W;
      consider(data[i]!);
      if (x > 0) consider(data[i - 1]!);
      if (x < W - 1) consider(data[i + 1]!);
      if (y > 0) consider(data[i - W]!);
      if (y < H - 1) consider(data[i + W]!);
    }
    let best = -1;
    let bestN = 0;
    for (const [v, n] of count) if (n > bestN || (n === bestN && v < best)) [best, bestN] = [v, n];
    if (best > 0) return { to: best };
    const pure = this.purest(k);
    if (pure > 0) return { to: pure };
    return { to: 'new', newClass: k };
  }

  /** Fraction of a segment's pixels whose truth class is k. */
  private purity(id: number, k: number): number {
    const b = this.colTotal.get(id) ?? 0;
    return b > 0 ? (this.cells.get(k * KEY + id) ?? 0) / b : 0;
  }

  private purestCache = new Map<number, number>();

  /** The segment of class k with the highest purity (at least 0.5; larger on ties), or -1. */
  private purest(k: number): number {
    const cached = this.purestCache.get(k);
    if (cached !== undefined) return cached;
    let best = -1;
    let bestP = 0.5;
    for (const [id, c] of this.meta) {
      if (c !== k || id >= this.area.length || this.area[id] === 0) continue;
      const p = this.purity(id, k);
      if (p > bestP || (p === bestP && best > 0 && this.area[id]! > this.area[best]!)) [best, bestP] = [id, p];
    }
    this.purestCache.set(k, best);
    return best;
  }

  private withClass(built: Built, newClass: number | undefined): Built {
    if (newClass === undefined) return built;
    // A new segment drawn for a phase needs its class set: a second gesture.
    return { ...built, newClass, ops: [...built.ops, { kind: 'setClass', ids: [this.nextId], classId: newClass }] };
  }

  /** The best of a few drawings (exact effect via planEdit), or null when none is possible. */
  private bestOf(variants: Built[]): Built | null {
    let best: Built | null = null;
    let bestValue = -Infinity;
    for (const v of variants) {
      const value = this.exactAfter(v);
      if (value > bestValue + EPS) [best, bestValue] = [v, value];
    }
    return best;
  }

  /**
   * Stroke or outline a wrong region into the segment it belongs to. Thin regions get a brush
   * stroke along their long axis, thick ones an outline polygon; a person adjusts the brush size
   * and traces more or less closely, so a few radii and tolerances are tried and the best kept.
   */
  private buildRegion(r: Region): Built | null {
    const pixels = this.pixelsOf(r);
    const win = windowOf(pixels, this.W);
    const depth = chessboardDepth(win);
    let rmax = 0;
    for (let k = 0; k < depth.length; k++) if (depth[k]! > rmax) rmax = depth[k]!;
    const from = r.col;
    const { to, newClass } = this.destination(r);
    const variants: Built[] = [];
    if (rmax <= 3) {
      const path = simplify(pixelCentres(win, longestPath(win)), 0.75);
      for (const radius of [rmax - 0.25, rmax + 0.25, rmax + 0.75]) {
        if (radius < 0.75) continue;
        let op: EditOp;
        if (to === 0) op = { kind: 'brush', mode: 'erase', points: path, radius, onlyInto: from };
        else if (from === 0) op = { kind: 'brush', mode: 'paint', points: path, radius, target: to, protect: true };
        else op = { kind: 'brush', mode: 'paint', points: path, radius, target: to, onlyInto: from };
        variants.push(this.withClass({ gesture: 'brush', ops: [op] }, newClass));
      }
    }
    if (rmax >= 2) {
      const contour = traceOutline(win);
      for (const tol of r.area < 100 ? [0.5] : [0.5, 1]) {
        const outline = simplify(contour, tol, true);
        if (outline.length < 3) continue;
        let op: EditOp;
        if (to === 0) op = { kind: 'polygon', mode: 'subtract', points: outline, target: from };
        else op = { kind: 'polygon', mode: 'add', points: outline, target: to, overwrite: from !== 0 };
        variants.push(this.withClass({ gesture: 'polygon', ops: [op] }, newClass));
      }
    }
    return this.bestOf(variants);
  }

  private buildSam(r: Region): Built | null {
    const click = this.opts.samClick;
    if (!click) return null;
    const pixels = this.pixelsOf(r);
    const win = windowOf(pixels, this.W);
    const depth = chessboardDepth(win);
    let at = 0;
    for (let k = 0; k < depth.length; k++) if (depth[k]! > depth[at]!) at = k;
    const x = win.x0 + (at % win.width);
    const y = win.y0 + Math.floor(at / win.width);
    const key = y * this.W + x;
    let mask = this.samCache.get(key);
    if (mask === undefined) {
      mask = click(x + 0.5, y + 0.5);
      this.samCache.set(key, mask);
    }
    if (!mask) return null;
    const { to, newClass } = this.destination(r);
    if (to === 0) return null;
    return this.withClass({ gesture: 'samClick', ops: [{ kind: 'addFromMask', mask, target: to, overwrite: true }] }, newClass);
  }

  /**
   * A cut along the true boundary between grain t's part of segment p and the rest of p: the
   * boundary pixels ordered end to end, each end carried on to the nearest pixel outside p so
   * the cut crosses the segment, simplified to a few points.
   */
  private buildSplit(p: number, t: number): Built | null {
    const { W, H } = this;
    const data = this.map.data;
    const rows = this.rows;
    const x0 = this.box[4 * p]!;
    const y0 = this.box[4 * p + 1]!;
    const x1 = this.box[4 * p + 2]!;
    const y1 = this.box[4 * p + 3]!;
    const win: Window = { x0: x0 - 1, y0: y0 - 1, width: x1 - x0 + 3, height: y1 - y0 + 3, mask: new Uint8Array((x1 - x0 + 3) * (y1 - y0 + 3)) };
    const ww = win.width;
    // Pixels of t inside p that touch (4-neighbour) the rest of p.
    let any = false;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * W + x;
        if (data[i] !== p || rows[i] !== t) continue;
        const other = (q: number) => data[q] === p && rows[q] !== t;
        if ((x > 0 && other(i - 1)) || (x < W - 1 && other(i + 1)) || (y > 0 && other(i - W)) || (y < H - 1 && other(i + W))) {
          win.mask[(y - win.y0) * ww + (x - win.x0)] = 1;
          any = true;
        }
      }
    }
    if (!any) return null;
    // The largest 8-connected run of boundary pixels carries the cut.
    const keep = largestComponent8(win);
    const path = longestPath(keep);
    const pts = pixelCentres(keep, path);
    const extend = (end: Point): Point | null => {
      const ex = Math.floor(end[0]);
      const ey = Math.floor(end[1]);
      if (ex === 0 || ey === 0 || ex === W - 1 || ey === H - 1) return null;
      for (let r = 1; r <= 8; r++) {
        let best: Point | null = null;
        let bestD = Infinity;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            if (Math.max(Math.abs(dx), Math.abs(dy)) !== r) continue;
            const x = ex + dx;
            const y = ey + dy;
            if (x < 0 || y < 0 || x >= W || y >= H || data[y * W + x] === p) continue;
            const dd = dx * dx + dy * dy;
            if (dd < bestD) [best, bestD] = [[x + 0.5, y + 0.5], dd];
          }
        }
        if (best) return best;
      }
      return null;
    };
    const head = extend(pts[0]!);
    const tail = extend(pts[pts.length - 1]!);
    const variants: Built[] = [];
    for (const tol of [0.5, 1.5]) {
      const points: Point[] = [...(head ? [head] : []), ...simplify(pts, tol), ...(tail ? [tail] : [])];
      if (points.length >= 2) variants.push({ gesture: 'split', ops: [{ kind: 'splitByLine', segmentId: p, points }] });
    }
    return this.bestOf(variants);
  }

  /** Applies a chosen edit through applyEdit and keeps the segment table (classes) in step. */
  apply(ops: EditOp[]): void {
    for (const op of ops) {
      const res = applyEdit(this.map, op, this.context());
      this.nextId = res.nextId;
      for (const m of res.meta) if (m.field === 'classId') this.meta.set(m.id, m.new);
      if (!this.grainsMode) {
        // Split pieces inherit their segment's class, as the app does (derivedFrom).
        for (const [nid, from] of res.derivedFrom) this.meta.set(nid, this.meta.get(from) ?? null);
        for (let id = this.nextId - res.idsUsed; id < this.nextId; id++) if (!this.meta.has(id)) this.meta.set(id, null);
      }
    }
  }
}

function largestComponent8(win: Window): Window {
  const w = win.width;
  return largestComponent(win, [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1]);
}

function largestComponent4(win: Window): Window {
  return largestComponent(win, [-win.width, -1, 1, win.width]);
}

/** The largest connected component (neighbour offsets given) of a window's mask, as a window of the same frame. */
function largestComponent(win: Window, N8: readonly number[]): Window {
  const { mask } = win;
  const label = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
  let best = 0;
  let bestN = 0;
  let n = 0;
  for (let k0 = 0; k0 < mask.length; k0++) {
    if (!mask[k0] || label[k0]) continue;
    const l = ++n;
    let sp = 0;
    let size = 0;
    label[k0] = l;
    stack[sp++] = k0;
    while (sp > 0) {
      const k = stack[--sp]!;
      size++;
      for (const o of N8) {
        const q = k + o;
        if (q >= 0 && q < mask.length && mask[q] && !label[q]) {
          label[q] = l;
          stack[sp++] = q;
        }
      }
    }
    if (size > bestN) [best, bestN] = [l, size];
  }
  const out = new Uint8Array(mask.length);
  for (let k = 0; k < mask.length; k++) if (label[k] === best) out[k] = 1;
  return { ...win, mask: out };
}

/** Objects (distinct non-ignored ids) in a truth map with at least `minArea` pixels. */
function countObjects(map: { data: ArrayLike<number> }, ignore: number, minArea: number): number {
  const area = new Map<number, number>();
  const d = map.data;
  let i = 0;
  while (i < d.length) {
    const v = d[i]!;
    const s = i;
    while (i < d.length && d[i] === v) i++;
    if (v !== ignore) area.set(v, (area.get(v) ?? 0) + (i - s));
  }
  let n = 0;
  for (const a of area.values()) if (a >= minArea) n++;
  return n;
}

/**
 * Simulates a person correcting `start` until it matches `truth` well enough: each step the
 * operator estimates the gain of every candidate edit (merge pieces of one grain, cut a segment
 * along a true boundary, delete, outline or stroke a wrong region into the right segment, set a
 * class on a segment or a whole cluster, a SAM click), tries the most promising ones exactly
 * (planEdit), applies the best with applyEdit and rescores with app/metrics. Deterministic.
 * Grains: `truth` is the grain map, score = ARI. Phases: `truth` holds the objects (instances,
 * for the per-grain count; 0 = matrix) and `truthClasses` the class of every pixel; score = the
 * lowest IoU over the phases present.
 */
export function simulateCorrection(start: LabelMap, truth: LabelMap, opts: SimulationOptions): SimulationResult {
  if (start.width !== truth.width || start.height !== truth.height || start.data.length !== truth.data.length) {
    throw new RangeError(`start ${start.width}x${start.height} and truth ${truth.width}x${truth.height} differ in size`);
  }
  const sim = new Simulation(start, truth, opts);
  const grains = opts.kind === 'grains' ? countObjects({ data: sim.rows }, sim.ignore, sim.minRegion) : countObjects(truth, 0, sim.minRegion);
  const maxOps = opts.maxOps ?? Math.max(10, 3 * grains);
  const tries = Math.max(1, opts.tries ?? 8);
  const ops: EditOp[] = [];
  const gestures: Gesture[] = [];
  const opsByType = Object.fromEntries(GESTURES.map((g) => [g, 0])) as Record<Gesture, number>;
  let score = sim.exactScore();
  const startScore = score;
  const scoreTrace = [score];
  let stoppedBy: SimulationResult['stoppedBy'] = 'stuck';
  for (;;) {
    if (score >= sim.target - 1e-12) {
      stoppedBy = 'target';
      break;
    }
    if (ops.length >= maxOps) {
      stoppedBy = 'cap';
      break;
    }
    sim.analyse();
    const now = sim.objective();
    const cands = sim.candidates();
    // Estimates rank the candidates; the exact effect (planEdit, no change to the map) decides.
    // Stable sort: ties keep generation order, which is deterministic.
    cands.sort((a, b) => (b.est * b.pref) / b.cost - (a.est * a.pref) / a.cost);
    let best: { built: Built; value: number } | null = null;
    for (let from = 0; from < cands.length && !best; from += tries) {
      for (const c of cands.slice(from, from + tries)) {
        if (ops.length + c.cost > maxOps) continue;
        const built = c.build();
        if (!built) continue;
        const gain = sim.exactAfter(built) - now;
        const value = (gain * c.pref) / built.ops.length;
        if (gain > EPS && (!best || value > best.value + EPS)) best = { built, value };
      }
    }
    if (!best) break;
    const { built } = best;
    for (const op of built.ops) {
      sim.apply([op]);
      ops.push(op);
      gestures.push(op.kind === 'setClass' && built.gesture !== 'setClassCluster' ? 'setClass' : built.gesture);
      opsByType[gestures[gestures.length - 1]!]++;
      score = sim.exactScore();
      scoreTrace.push(score);
    }
    opts.onStep?.({ operations: ops.length, gesture: built.gesture, ops: built.ops, score });
  }
  return {
    ops,
    gestures,
    opsByType,
    operations: ops.length,
    startScore,
    finalScore: score,
    scoreTrace,
    reachedTarget: stoppedBy === 'target',
    stoppedBy,
    grains,
    map: sim.map,
    classes: new Map(sim.meta),
  };
}

/**
 * Objects of a phase map: connected regions (4-connected) of each non-zero class, ids from 1 in
 * raster order, 0 = matrix. For truths given only as class maps.
 */
export function phaseObjects(classes: Uint8Array, width: number, height: number): LabelMap {
  const n = width * height;
  const out = new Uint32Array(n);
  const stack = new Int32Array(n);
  let next = 0;
  for (let i0 = 0; i0 < n; i0++) {
    const c = classes[i0]!;
    if (c === 0 || out[i0] !== 0) continue;
    const id = ++next;
    out[i0] = id;
    let sp = 0;
    stack[sp++] = i0;
    while (sp > 0) {
      const i = stack[--sp]!;
      const x = i % width;
      const visit = (q: number) => {
        if (out[q] === 0 && classes[q] === c) {
          out[q] = id;
          stack[sp++] = q;
        }
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (i >= width) visit(i - width);
      if (i + width < n) visit(i + width);
    }
  }
  return { width, height, data: out };
}
