// Edit operations on a label map (merge, split, brush, delete, fill holes, masks, polygons, class
// and verified flags). Each returns its change as a LabelPatch, so it can be undone and logged.
import { ServiceError } from '../errors';
import type { Box, LabelMap } from '../types';
import { measurePatch, noSegmentChanges, type SegmentChanges } from './measure';
import { PatchBuilder, applyPatch, emptyPatch, isEmptyPatch, type LabelPatch } from './patch';
import { clipBox, statsFullScan } from './scan';
import { markPolyline, maskSpans, polygonSpans, strokeSpans, type RowSpans } from './spans';

export type { BrushOp, PolygonOp, EditOp, EditKind, SegmentMeta, MetaChange, EditContext, EditPlan, EditResult } from './op-types';
import type { Target, MergeOp, SplitByLineOp, DeleteOp, DeleteSmallerThanOp, FillHolesOp, SetClassOp, SetVerifiedOp, EditOp, MetaChange, EditContext, EditPlan, EditResult } from './op-types';

const MAX_ID = 0xffffffff;

function invalid(message: string): ServiceError {
  return new ServiceError('invalid-argument', message);
}

function checkId(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ID) throw invalid(`${what} must be a segment id (a positive integer), got ${String(v)}`);
  return v;
}

/** An explicit id written into the map must have been handed out already (below nextId). */
function checkKnownId(v: unknown, what: string, ctx: EditContext): number {
  const id = checkId(v, what);
  if (id >= ctx.nextId) throw invalid(`${what} ${id} was never allocated in this image (next free id is ${ctx.nextId}); use "new" for a new segment`);
  return id;
}

function uniqueIds(ids: readonly number[], what: string): number[] {
  return [...new Set(ids.map((v) => checkId(v, what)))];
}

function checkNextId(ctx: EditContext): number {
  const n = ctx.nextId;
  if (!Number.isInteger(n) || n < 1) throw invalid(`nextId must be a positive integer, got ${n}`);
  if (n > MAX_ID) throw invalid('This image has used every available segment id; renumber its segments before adding more');
  return n;
}

/** Boxes of segments (clipped to the map), null for ids with no pixels. */
function boxesOf(map: LabelMap, ids: number[], ctx: EditContext): Map<number, Box | null> {
  const out = new Map<number, Box | null>();
  if (ctx.bboxes) {
    for (const id of ids) {
      const b = ctx.bboxes(id);
      out.set(id, b ? clipBox(b, map) : null);
    }
  } else {
    for (const s of statsFullScan(map, ids)) out.set(s.id, s.area > 0 ? s.bbox : null);
  }
  return out;
}

/** Adds runs turning every pixel of `id` inside `box` into `newId`. */
function emitIdInBox(builder: PatchBuilder, map: LabelMap, box: Box, id: number, newId: number): void {
  const { width: W, data } = map;
  for (let y = box.y; y < box.y + box.height; y++) {
    const end = y * W + box.x + box.width;
    let i = y * W + box.x;
    while (i < end) {
      if (data[i] !== id) {
        i++;
        continue;
      }
      const s = i;
      while (i < end && data[i] === id) i++;
      builder.add(s, i - s, id, newId);
    }
  }
}

// Which covered pixels a span write may change.
const ACCEPT_ALL = 0; // anything that is not already newId
const ACCEPT_ONLY = 1; // only pixels holding `only`
const ACCEPT_EMPTY = 2; // only 0 pixels

function emitSpans(builder: PatchBuilder, map: LabelMap, spans: RowSpans, newId: number, accept: number, only: number): void {
  const { width: W, data } = map;
  const { offsets, xs } = spans;
  for (let r = 0; r < spans.rows; r++) {
    const row = (spans.y0 + r) * W;
    for (let k = offsets[r]!; k < offsets[r + 1]!; k++) {
      let x = xs[2 * k]!;
      const xb = xs[2 * k + 1]!;
      while (x <= xb) {
        const v = data[row + x]!;
        const ok = accept === ACCEPT_ALL ? v !== newId : accept === ACCEPT_ONLY ? v === only : v === 0;
        if (!ok || v === newId) {
          x++;
          continue;
        }
        const s = x;
        x++;
        while (x <= xb && data[row + x] === v) x++;
        builder.add(row + s, x - s, v, newId);
      }
    }
  }
}

function plan(patch: LabelPatch, extra: Partial<EditPlan> = {}): EditPlan {
  return { patch, meta: [], idsUsed: 0, derivedFrom: [], ...extra };
}

/** Writes spans with a target that may be a fresh id (0 erases); reports the id as used only if a pixel got it. */
function paintSpans(map: LabelMap, spans: RowSpans, target: Target | undefined, accept: number, only: number, ctx: EditContext): EditPlan {
  const fresh = target === undefined || target === 'new';
  const id = fresh ? checkNextId(ctx) : target === 0 ? 0 : checkKnownId(target, 'Target', ctx);
  const builder = new PatchBuilder(map.width);
  emitSpans(builder, map, spans, id, accept, only);
  const patch = builder.finish();
  return plan(patch, { idsUsed: fresh && !isEmptyPatch(patch) ? 1 : 0 });
}

function planMerge(map: LabelMap, op: MergeOp, ctx: EditContext): EditPlan {
  const ids = uniqueIds(op.ids, 'Merge id');
  if (ids.length === 0) return plan(emptyPatch());
  const target = op.target === undefined ? Math.min(...ids) : checkKnownId(op.target, 'Merge target', ctx);
  const sources = ids.filter((v) => v !== target);
  const boxes = boxesOf(map, sources, ctx);
  const builder = new PatchBuilder(map.width);
  for (const s of sources) {
    const b = boxes.get(s);
    if (b) emitIdInBox(builder, map, b, s, target);
  }
  return plan(builder.finish());
}

function planDelete(map: LabelMap, op: DeleteOp, ctx: EditContext): EditPlan {
  const ids = uniqueIds(op.ids, 'Delete id');
  const boxes = boxesOf(map, ids, ctx);
  const builder = new PatchBuilder(map.width);
  for (const s of ids) {
    const b = boxes.get(s);
    if (b) emitIdInBox(builder, map, b, s, 0);
  }
  return plan(builder.finish());
}

function planDeleteSmaller(map: LabelMap, op: DeleteSmallerThanOp, ctx: EditContext): EditPlan {
  const minArea = op.minArea;
  if (!Number.isFinite(minArea) || minArea < 0) throw invalid(`minArea must be a non-negative number, got ${minArea}`);
  const { width: W, height: H, data } = map;
  // Ids below nextId count in a typed table; stray larger ids fall back to a Map.
  const size = Math.min(Math.max(1, Math.floor(ctx.nextId) || 1), 1 << 24);
  const counts = new Float64Array(size);
  const extra = new Map<number, number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < size) counts[v]++;
    else extra.set(v, (extra.get(v) ?? 0) + 1);
  }
  const small = new Uint8Array(size);
  let any = false;
  for (let v = 1; v < size; v++) {
    if (counts[v]! > 0 && counts[v]! < minArea) {
      small[v] = 1;
      any = true;
    }
  }
  const smallExtra = new Set([...extra].filter(([, n]) => n < minArea).map(([v]) => v));
  const builder = new PatchBuilder(W);
  if (!any && smallExtra.size === 0) return plan(builder.finish());
  for (let y = 0; y < H; y++) {
    const end = (y + 1) * W;
    let i = y * W;
    while (i < end) {
      const v = data[i]!;
      if (v < size ? small[v] === 0 : !smallExtra.has(v)) {
        i++;
        continue;
      }
      const s = i;
      while (i < end && data[i] === v) i++;
      builder.add(s, i - s, v, 0);
    }
  }
  return plan(builder.finish());
}

function planFillHoles(map: LabelMap, op: FillHolesOp, ctx: EditContext): EditPlan {
  const id = checkId(op.id, 'Fill-holes segment');
  const box = boxesOf(map, [id], ctx).get(id);
  if (!box) return plan(emptyPatch());
  const { width: W, data } = map;
  const bw = box.width;
  const bh = box.height;
  const n = bw * bh;
  // Flood the non-segment pixels reachable from the box border: what stays unreached is enclosed.
  const reached = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  const at = (k: number) => data[(box.y + Math.floor(k / bw)) * W + box.x + (k % bw)];
  const seed = (k: number) => {
    if (!reached[k] && at(k) !== id) {
      reached[k] = 1;
      stack[sp++] = k;
    }
  };
  for (let x = 0; x < bw; x++) {
    seed(x);
    seed((bh - 1) * bw + x);
  }
  for (let y = 0; y < bh; y++) {
    seed(y * bw);
    seed(y * bw + bw - 1);
  }
  const visit = (q: number, g: number) => {
    if (!reached[q] && data[g] !== id) {
      reached[q] = 1;
      stack[sp++] = q;
    }
  };
  while (sp > 0) {
    const k = stack[--sp]!;
    const ly = Math.floor(k / bw);
    const lx = k - ly * bw;
    const g = (box.y + ly) * W + box.x + lx;
    if (lx > 0) visit(k - 1, g - 1);
    if (lx < bw - 1) visit(k + 1, g + 1);
    if (ly > 0) visit(k - bw, g - W);
    if (ly < bh - 1) visit(k + bw, g + W);
  }
  const absorb = op.absorbEnclosed === true;
  const builder = new PatchBuilder(W);
  for (let ly = 0; ly < bh; ly++) {
    const row = (box.y + ly) * W + box.x;
    let lx = 0;
    while (lx < bw) {
      const v = data[row + lx]!;
      if (reached[ly * bw + lx] || v === id || (v !== 0 && !absorb)) {
        lx++;
        continue;
      }
      const s = lx;
      lx++;
      while (lx < bw && !reached[ly * bw + lx] && data[row + lx] === v) lx++;
      builder.add(row + s, lx - s, v, id);
    }
  }
  return plan(builder.finish());
}

/**
 * Labels the pieces of a cut segment in padded box-local arrays: segment pixels off the line,
 * 4-connected, plus diagonal steps whose two bridging pixels are both off the line (an
 * 8-connected line blocks exactly the diagonal steps across it). Returns the piece count.
 */
function labelPieces(seg: Uint8Array, line: Uint8Array, piece: Int32Array, stack: Int32Array, pw: number): number {
  const pn = seg.length;
  let count = 0;
  for (let k0 = 0; k0 < pn; k0++) {
    if (seg[k0] === 0 || line[k0] !== 0 || piece[k0] !== 0) continue;
    const label = ++count;
    piece[k0] = label;
    let sp = 0;
    stack[sp++] = k0;
    while (sp > 0) {
      const k = stack[--sp]!;
      const up = line[k - pw] !== 0;
      const down = line[k + pw] !== 0;
      const left = line[k - 1] !== 0;
      const right = line[k + 1] !== 0;
      let q = k - 1;
      if (seg[q] !== 0 && !left && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k + 1;
      if (seg[q] !== 0 && !right && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k - pw;
      if (seg[q] !== 0 && !up && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k + pw;
      if (seg[q] !== 0 && !down && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k - pw - 1;
      if (!up && !left && seg[q] !== 0 && line[q] === 0 && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k - pw + 1;
      if (!up && !right && seg[q] !== 0 && line[q] === 0 && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k + pw - 1;
      if (!down && !left && seg[q] !== 0 && line[q] === 0 && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
      q = k + pw + 1;
      if (!down && !right && seg[q] !== 0 && line[q] === 0 && piece[q] === 0) {
        piece[q] = label;
        stack[sp++] = q;
      }
    }
  }
  return count;
}

function planSplit(map: LabelMap, op: SplitByLineOp, ctx: EditContext): EditPlan {
  const id = checkId(op.segmentId, 'Split segment');
  if (op.points.length < 2) throw invalid(`A split line needs at least 2 points, got ${op.points.length}`);
  const box = boxesOf(map, [id], ctx).get(id);
  if (!box) return plan(emptyPatch());
  const { width: W, data } = map;
  const bw = box.width;
  const bh = box.height;
  // Box-local arrays with a 1 px empty border, so neighbour lookups need no bounds checks.
  const pw = bw + 2;
  const pn = pw * (bh + 2);
  const line = new Uint8Array(pn);
  markPolyline(op.points, box, line, pw, pw + 1);
  const seg = new Uint8Array(pn);
  let cutCount = 0;
  for (let ly = 0; ly < bh; ly++) {
    const row = (box.y + ly) * W + box.x;
    const k0 = (ly + 1) * pw + 1;
    for (let lx = 0; lx < bw; lx++) {
      if (data[row + lx] === id) {
        seg[k0 + lx] = 1;
        if (line[k0 + lx]) cutCount++;
      }
    }
  }
  if (cutCount === 0) return plan(emptyPatch());
  const N8 = [-pw - 1, -pw, -pw + 1, -1, 1, pw - 1, pw, pw + 1];
  const piece = new Int32Array(pn);
  const stack = new Int32Array(pn);
  const pieceCount = labelPieces(seg, line, piece, stack, pw);
  if (pieceCount < 2) return plan(emptyPatch());
  // Which pieces were one part before the cut (8-connected through line pixels or blocked
  // diagonals)? Union-find over piece labels, visiting only the line's neighbourhood.
  const parent = new Int32Array(pieceCount + 1);
  for (let p = 0; p <= pieceCount; p++) parent[p] = p;
  const find = (p: number): number => {
    while (parent[p] !== p) {
      parent[p] = parent[parent[p]!]!;
      p = parent[p]!;
    }
    return p;
  };
  const cuts = new Int32Array(cutCount);
  let c = 0;
  for (let k = 0; k < pn; k++) if (seg[k] && line[k]) cuts[c++] = k;
  // Cut pixels connect to each other 8-wise; label each run of connected cut pixels by flooding.
  const cutGroup = new Int32Array(pn);
  let groups = 0;
  const groupPiece: number[] = [0];
  for (let g = 0; g < cutCount; g++) {
    const k0 = cuts[g]!;
    if (cutGroup[k0]) continue;
    const label = ++groups;
    groupPiece.push(0);
    cutGroup[k0] = label;
    let sp = 0;
    stack[sp++] = k0;
    while (sp > 0) {
      const k = stack[--sp]!;
      for (let d = 0; d < 8; d++) {
        const q = k + N8[d]!;
        if (!seg[q]) continue;
        if (line[q]) {
          if (!cutGroup[q]) {
            cutGroup[q] = label;
            stack[sp++] = q;
          }
        } else {
          const p = piece[q]!;
          const first = groupPiece[label]!;
          if (first === 0) groupPiece[label] = p;
          else {
            const ra = find(first);
            const rb = find(p);
            if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
          }
        }
      }
    }
  }
  // Blocked diagonal steps: both ends off the line, a bridge on it (so the bridge is a line pixel).
  for (let k = 0; k < pn; k++) {
    if (!line[k]) continue;
    const pairs = [[-1, -pw], [-pw, 1], [1, pw], [pw, -1]];
    for (const [a, b] of pairs) {
      const p = seg[k + a!] && !line[k + a!] ? piece[k + a!]! : 0;
      const q = seg[k + b!] && !line[k + b!] ? piece[k + b!]! : 0;
      if (p && q) {
        const ra = find(p);
        const rb = find(q);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  const piecesPerPart = new Int32Array(pieceCount + 1);
  for (let p = 1; p <= pieceCount; p++) piecesPerPart[find(p)]!++;
  let anySplit = false;
  for (let p = 1; p <= pieceCount; p++) if (piecesPerPart[p]! > 1) anySplit = true;
  if (!anySplit) return plan(emptyPatch());
  // Line pixels on the segment join a neighbouring piece (4-neighbours first, then diagonal), so no gap opens.
  const joinPass = (offsets: number[]): boolean => {
    let progress = false;
    for (let g = 0; g < cutCount; g++) {
      const k = cuts[g]!;
      if (piece[k]) continue;
      for (const o of offsets) {
        const p = piece[k + o]!;
        if (p > 0) {
          piece[k] = p;
          progress = true;
          break;
        }
      }
    }
    return progress;
  };
  const n4 = [-1, -pw, 1, pw];
  const diag = [-pw - 1, -pw + 1, pw - 1, pw + 1];
  while (joinPass(n4));
  while (joinPass(diag));
  const size = new Float64Array(pieceCount + 1);
  for (let k = 0; k < pn; k++) if (piece[k]) size[piece[k]!]++;
  // Per original part that was cut: the largest piece keeps the id, the others get new ids in raster order.
  const keeper = new Int32Array(pieceCount + 1);
  for (let p = 1; p <= pieceCount; p++) {
    const r = find(p);
    if (keeper[r] === 0 || size[p]! > size[keeper[r]!]!) keeper[r] = p;
  }
  const newIdOf = new Float64Array(pieceCount + 1);
  let next = checkNextId(ctx);
  const first = next;
  const derivedFrom: [number, number][] = [];
  for (let p = 1; p <= pieceCount; p++) {
    if (keeper[find(p)] === p) {
      newIdOf[p] = id;
      continue;
    }
    if (next > MAX_ID) throw invalid('This image has used every available segment id; renumber its segments before splitting');
    newIdOf[p] = next;
    derivedFrom.push([next, id]);
    next++;
  }
  const builder = new PatchBuilder(W);
  for (let ly = 0; ly < bh; ly++) {
    const row = (box.y + ly) * W + box.x;
    const k0 = (ly + 1) * pw + 1;
    let lx = 0;
    while (lx < bw) {
      const p = piece[k0 + lx]!;
      if (!p || newIdOf[p] === id) {
        lx++;
        continue;
      }
      const s = lx;
      lx++;
      while (lx < bw && piece[k0 + lx] === p) lx++;
      builder.add(row + s, lx - s, id, newIdOf[p]!);
    }
  }
  return plan(builder.finish(), { idsUsed: next - first, derivedFrom });
}

function planMeta(op: SetClassOp | SetVerifiedOp, ctx: EditContext): EditPlan {
  const ids = uniqueIds(op.ids, op.kind === 'setClass' ? 'Class target' : 'Verify target');
  if (!ctx.meta) throw new Error(`${op.kind} needs ctx.meta to record the old values for undo`);
  if (op.kind === 'setClass' && op.classId !== null && (!Number.isInteger(op.classId) || op.classId < 1)) {
    throw invalid(`A class id must be a positive integer or null, got ${op.classId}`);
  }
  const meta: MetaChange[] = [];
  for (const id of ids) {
    const m = ctx.meta(id);
    if (!m) throw new ServiceError('not-found', `Segment ${id} does not exist in this image; reload the segmentation and try again`);
    if (op.kind === 'setClass') {
      if (m.classId !== op.classId) meta.push({ id, field: 'classId', old: m.classId, new: op.classId });
    } else if (m.verified !== op.verified) meta.push({ id, field: 'verified', old: m.verified, new: op.verified });
  }
  return plan(emptyPatch(), { meta });
}

/** Computes an edit's patch without changing the map (deterministic; the same in renderer and main). */
export function planEdit(map: LabelMap, op: EditOp, ctx: EditContext): EditPlan {
  const { width: W, height: H } = map;
  switch (op.kind) {
    case 'merge':
      return planMerge(map, op, ctx);
    case 'splitByLine':
      return planSplit(map, op, ctx);
    case 'delete':
      return planDelete(map, op, ctx);
    case 'deleteSmallerThan':
      return planDeleteSmaller(map, op, ctx);
    case 'fillHoles':
      return planFillHoles(map, op, ctx);
    case 'brush': {
      const spans = strokeSpans(op.points, op.radius, W, H);
      const only = op.onlyInto === undefined ? 0 : checkId(op.onlyInto, 'onlyInto');
      if (op.mode === 'erase') return paintSpans(map, spans, 0, op.onlyInto === undefined ? ACCEPT_ALL : ACCEPT_ONLY, only, ctx);
      if (op.mode !== 'paint') throw invalid(`Unknown brush mode ${String(op.mode)}`);
      if (op.target === undefined) throw invalid('A paint stroke needs a target segment (an id or "new")');
      const accept = op.onlyInto !== undefined ? ACCEPT_ONLY : op.protect ? ACCEPT_EMPTY : ACCEPT_ALL;
      return paintSpans(map, spans, op.target, accept, only, ctx);
    }
    case 'addFromMask':
      return paintSpans(map, maskSpans(op.mask, W, H), op.target, op.overwrite ? ACCEPT_ALL : ACCEPT_EMPTY, 0, ctx);
    case 'polygon': {
      const spans = polygonSpans(op.points, W, H);
      if (op.mode === 'add') return paintSpans(map, spans, op.target ?? 'new', op.overwrite === false ? ACCEPT_EMPTY : ACCEPT_ALL, 0, ctx);
      if (op.mode !== 'subtract') throw invalid(`Unknown polygon mode ${String(op.mode)}`);
      if (op.target === 'new') throw invalid('Subtracting needs an existing segment id, not "new"');
      if (op.target === undefined) return paintSpans(map, spans, 0, ACCEPT_ALL, 0, ctx);
      return paintSpans(map, spans, 0, ACCEPT_ONLY, checkId(op.target, 'Subtract target'), ctx);
    }
    case 'setClass':
    case 'setVerified':
      return planMeta(op, ctx);
    default: {
      const never: never = op;
      throw invalid(`Unknown edit kind ${String((never as { kind?: unknown }).kind)}`);
    }
  }
}

/**
 * Applies an edit to `map` in place and returns its patch (apply it 'inverse' to undo), the meta
 * changes, the ids it used, and the segment-table changes (area and bbox of touched segments).
 */
export function applyEdit(map: LabelMap, op: EditOp, ctx: EditContext): EditResult {
  const p = planEdit(map, op, ctx);
  applyPatch(map, p.patch, 'forward');
  let segmentChanges: SegmentChanges;
  if (ctx.measure === false || isEmptyPatch(p.patch)) {
    segmentChanges = noSegmentChanges();
    segmentChanges.derivedFrom = p.derivedFrom.slice();
  } else {
    segmentChanges = measurePatch(map, p.patch, 'forward', { ...(ctx.bboxes ? { bboxes: ctx.bboxes } : {}), ...(ctx.areas ? { areas: ctx.areas } : {}) });
    const created = new Set(segmentChanges.created);
    segmentChanges.derivedFrom = p.derivedFrom.filter(([nid]) => created.has(nid));
  }
  return { ...p, segmentChanges, nextId: ctx.nextId + p.idsUsed };
}

/** Meta changes that undo `changes` (old and new swapped, last change undone first). */
export function invertMeta(changes: readonly MetaChange[]): MetaChange[] {
  return changes.map((c): MetaChange => (c.field === 'classId' ? { ...c, old: c.new, new: c.old } : { ...c, old: c.new, new: c.old })).reverse();
}
