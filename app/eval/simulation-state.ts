// The correction-effort simulator's state: the contingency of truth rows against segments, the
// wrongly labelled regions, the objective and its cheap estimates, and applying an edit. Finding
// candidate edits is in simulation-candidates.ts, drawing them as gestures in simulation-build.ts.
import { applyEdit, type EditContext, type EditOp, type MaskRle, type SegmentMeta } from '../edit';
import { planEdit } from '../edit/ops';
import { adjustedRandIndex, classScores } from '../metrics';
import type { Box, LabelMap } from '../types';
import { Delta, forEachPatchRun, KEY, MAX_ROW, pairs, type Built, type Region, type SimulationOptions } from './simulation-types';

/**
 * The state the operator looks at each step: contingency of truth rows (grain ids or classes)
 * against segment columns, segment boxes and areas, and the wrongly labelled regions.
 */
export class Simulation {
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
  readonly scratchTp = new Float64Array(256);
  readonly scratchPred = new Float64Array(256);
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
  /** Truth object boxes (x0, y0, x1, y1) and areas, found once (simulation-build). */
  objectBoxes: Map<number, number[]> | null = null;
  /** purest(k) per class, cleared by analyse(). */
  readonly purestCache = new Map<number, number>();

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
