// Drawing the simulator's candidate edits as GrainLab gestures: outlines of truth objects, brush
// strokes and outlines of wrong regions into the segment they belong to, SAM clicks and split
// lines, each tried in a few variants and the best kept by its exact effect (planEdit).
import type { EditOp, Point } from '../edit';
import { chessboardDepth, longestPath, pixelCentres, simplify, traceOutline, windowOf, type Window } from './geometry';
import { largestComponent4, largestComponent8 } from './components';
import type { Simulation } from './simulation-state';
import { EPS, KEY, type Built, type Region } from './simulation-types';

export function objectBox(sim: Simulation, o: number): number[] | undefined {
  if (!sim.objectBoxes) {
    const boxes = new Map<number, number[]>();
    const { W, H, objects } = sim;
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
    sim.objectBoxes = boxes;
  }
  return sim.objectBoxes.get(o);
}

/** Pixels of truth object o. */
export function objectPixels(sim: Simulation, o: number): number[] {
  const b = objectBox(sim, o);
  if (!b) return [];
  const px: number[] = [];
  for (let y = b[1]!; y <= b[3]!; y++) for (let x = b[0]!; x <= b[2]!; x++) if (sim.objects[y * sim.W + x] === o) px.push(y * sim.W + x);
  return px;
}

/** Outline polygons (a close and a looser tracing) of truth object o's largest 4-connected part. */
function objectOutlines(sim: Simulation, o: number): Point[][] {
  const px = objectPixels(sim, o);
  if (px.length === 0) return [];
  const contour = traceOutline(largestComponent4(windowOf(px, sim.W)));
  const out: Point[][] = [];
  for (const tol of px.length < 100 ? [0.5] : [0.5, 1]) {
    const points = simplify(contour, tol, true);
    if (points.length >= 3) out.push(points);
  }
  return out;
}

/** An outline of truth grain t, drawn over whatever is there as a new segment or into its main one. */
export function buildOutline(sim: Simulation, t: number): Built | null {
  const m = sim.mainOf.get(t);
  const variants: Built[] = [];
  for (const points of objectOutlines(sim, t)) {
    for (const target of m === undefined ? ['new' as const] : ['new' as const, m]) {
      variants.push({ gesture: 'polygon', ops: [{ kind: 'polygon', mode: 'add', points, target, overwrite: true }] });
    }
  }
  return bestOf(sim, variants);
}

export function buildObjectOutline(sim: Simulation, o: number, k: number): Built | null {
  const { to, newClass } = destinationFor(sim, objectPixels(sim, o), k, -1);
  if (to === 0) return null;
  const variants = objectOutlines(sim, o).map((points) => withClass(sim, { gesture: 'polygon', ops: [{ kind: 'polygon', mode: 'add', points, target: to, overwrite: true }] }, newClass));
  return bestOf(sim, variants);
}

/** Where a region's pixels should go: grains: the grain's main segment or a new one; phases: a segment of the right class. */
function destination(sim: Simulation, r: Region): { to: number | 'new'; newClass?: number } {
  if (sim.grainsMode) return { to: sim.mainOf.get(r.row) ?? 'new' };
  if (r.row === 0) return { to: 0 };
  return destinationFor(sim, sim.pixelsOf(r), r.row, r.col);
}

/**
 * A segment of class k for these pixels: one that holds or touches them (extend it), else the
 * purest one of that class, else a new one (whose class must then be set). A mostly wrong
 * segment is never grown: that would bury good pixels in it.
 */
function destinationFor(sim: Simulation, pixels: ArrayLike<number>, k: number, exclude: number): { to: number | 'new'; newClass?: number } {
  const { W, H } = sim;
  const data = sim.map.data;
  const count = new Map<number, number>();
  const consider = (v: number) => {
    if (v !== 0 && v !== exclude && sim.classOf(v) === k && purity(sim, v, k) >= 0.5) count.set(v, (count.get(v) ?? 0) + 1);
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
  const pure = purest(sim, k);
  if (pure > 0) return { to: pure };
  return { to: 'new', newClass: k };
}

/** Fraction of a segment's pixels whose truth class is k. */
function purity(sim: Simulation, id: number, k: number): number {
  const b = sim.colTotal.get(id) ?? 0;
  return b > 0 ? (sim.cells.get(k * KEY + id) ?? 0) / b : 0;
}

/** The segment of class k with the highest purity (at least 0.5; larger on ties), or -1. */
export function purest(sim: Simulation, k: number): number {
  const cached = sim.purestCache.get(k);
  if (cached !== undefined) return cached;
  let best = -1;
  let bestP = 0.5;
  for (const [id, c] of sim.meta) {
    if (c !== k || id >= sim.area.length || sim.area[id] === 0) continue;
    const p = purity(sim, id, k);
    if (p > bestP || (p === bestP && best > 0 && sim.area[id]! > sim.area[best]!)) [best, bestP] = [id, p];
  }
  sim.purestCache.set(k, best);
  return best;
}

function withClass(sim: Simulation, built: Built, newClass: number | undefined): Built {
  if (newClass === undefined) return built;
  // A new segment drawn for a phase needs its class set: a second gesture.
  return { ...built, newClass, ops: [...built.ops, { kind: 'setClass', ids: [sim.nextId], classId: newClass }] };
}

/** The best of a few drawings (exact effect via planEdit), or null when none is possible. */
function bestOf(sim: Simulation, variants: Built[]): Built | null {
  let best: Built | null = null;
  let bestValue = -Infinity;
  for (const v of variants) {
    const value = sim.exactAfter(v);
    if (value > bestValue + EPS) [best, bestValue] = [v, value];
  }
  return best;
}

/**
 * Stroke or outline a wrong region into the segment it belongs to. Thin regions get a brush
 * stroke along their long axis, thick ones an outline polygon; a person adjusts the brush size
 * and traces more or less closely, so a few radii and tolerances are tried and the best kept.
 */
export function buildRegion(sim: Simulation, r: Region): Built | null {
  const pixels = sim.pixelsOf(r);
  const win = windowOf(pixels, sim.W);
  const depth = chessboardDepth(win);
  let rmax = 0;
  for (let k = 0; k < depth.length; k++) if (depth[k]! > rmax) rmax = depth[k]!;
  const from = r.col;
  const { to, newClass } = destination(sim, r);
  const variants: Built[] = [];
  if (rmax <= 3) {
    const path = simplify(pixelCentres(win, longestPath(win)), 0.75);
    for (const radius of [rmax - 0.25, rmax + 0.25, rmax + 0.75]) {
      if (radius < 0.75) continue;
      let op: EditOp;
      if (to === 0) op = { kind: 'brush', mode: 'erase', points: path, radius, onlyInto: from };
      else if (from === 0) op = { kind: 'brush', mode: 'paint', points: path, radius, target: to, protect: true };
      else op = { kind: 'brush', mode: 'paint', points: path, radius, target: to, onlyInto: from };
      variants.push(withClass(sim, { gesture: 'brush', ops: [op] }, newClass));
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
      variants.push(withClass(sim, { gesture: 'polygon', ops: [op] }, newClass));
    }
  }
  return bestOf(sim, variants);
}

export function buildSam(sim: Simulation, r: Region): Built | null {
  const click = sim.opts.samClick;
  if (!click) return null;
  const pixels = sim.pixelsOf(r);
  const win = windowOf(pixels, sim.W);
  const depth = chessboardDepth(win);
  let at = 0;
  for (let k = 0; k < depth.length; k++) if (depth[k]! > depth[at]!) at = k;
  const x = win.x0 + (at % win.width);
  const y = win.y0 + Math.floor(at / win.width);
  const key = y * sim.W + x;
  let mask = sim.samCache.get(key);
  if (mask === undefined) {
    mask = click(x + 0.5, y + 0.5);
    sim.samCache.set(key, mask);
  }
  if (!mask) return null;
  const { to, newClass } = destination(sim, r);
  if (to === 0) return null;
  return withClass(sim, { gesture: 'samClick', ops: [{ kind: 'addFromMask', mask, target: to, overwrite: true }] }, newClass);
}

/**
 * A cut along the true boundary between grain t's part of segment p and the rest of p: the
 * boundary pixels ordered end to end, each end carried on to the nearest pixel outside p so
 * the cut crosses the segment, simplified to a few points.
 */
export function buildSplit(sim: Simulation, p: number, t: number): Built | null {
  const { W, H } = sim;
  const data = sim.map.data;
  const rows = sim.rows;
  const x0 = sim.box[4 * p]!;
  const y0 = sim.box[4 * p + 1]!;
  const x1 = sim.box[4 * p + 2]!;
  const y1 = sim.box[4 * p + 3]!;
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
  return bestOf(sim, variants);
}
