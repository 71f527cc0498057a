// Candidate edits of the correction-effort simulator, each step: per gesture (merge, split, delete,
// outline, set class on a segment or a cluster, stroke or outline or SAM-click a wrong region), with
// the estimated gain of its ideal version; the exact drawing is built lazily (simulation-build.ts).
import { buildObjectOutline, buildOutline, buildRegion, buildSam, buildSplit, objectBox, objectPixels, purest } from './simulation-build';
import type { Simulation } from './simulation-state';
import { Delta, EPS, KEY, type Built, type Candidate, type Gesture } from './simulation-types';

export function candidates(sim: Simulation): Candidate[] {
  const out: Candidate[] = [];
  const now = sim.objective();
  const push = (gesture: Gesture, delta: Delta, cost: number, pref: number, build: () => Built | null, over?: Map<number, number>) => {
    const est = sim.objectiveAfter(delta, over) - now;
    if (est > EPS) out.push({ gesture, est, cost, pref, build });
  };
  if (sim.grainsMode) grainCandidates(sim, push);
  else {
    phaseCandidates(sim, push);
    phaseObjectCandidates(sim, push);
  }
  regionCandidates(sim, push);
  return out;
}

function grainCandidates(sim: Simulation, push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null) => void): void {
  for (const [p, list] of sim.colCells) {
    if (p === 0 || list.length === 0) continue;
    const t = list[0]!;
    const m = sim.mainOf.get(t);
    // Over-segmentation: a piece of a grain whose main segment is another.
    if (m !== undefined && m !== p) {
      const d = new Delta();
      sim.moveColumn(d, p, m);
      push('merge', d, 1, 1, () => ({ gesture: 'merge', ops: [{ kind: 'merge', ids: [m, p], target: m }] }));
    }
    // A spurious segment: its pixels would be better unlabelled.
    const del = new Delta();
    sim.moveColumn(del, p, 0);
    push('delete', del, 1, 1, () => ({ gesture: 'delete', ops: [{ kind: 'delete', ids: [p] }] }));
    // Under-segmentation: cut a grain out of the segment along the true boundary.
    const b = sim.colTotal.get(p) ?? 0;
    const least = Math.max(sim.minRegion, 0.02 * b);
    if (list.length >= 4 && list[3]! >= least) {
      for (let j = 0; j < list.length && j < 8; j += 2) {
        const tj = list[j]!;
        const n = list[j + 1]!;
        if (n < least) break;
        const d = new Delta();
        d.add(tj, p, -n);
        d.add(tj, sim.nextId, n);
        push('split', d, 1, 0.99, () => buildSplit(sim, p, tj));
      }
    }
  }
  // A grain its segments cover badly (or not at all): outline it anew, over whatever is there.
  for (const [t, list] of sim.rowCells) {
    const m = sim.mainOf.get(t);
    const a = sim.rowTotal.get(t) ?? 0;
    if (a < sim.minRegion || (m !== undefined && (sim.cells.get(t * KEY + m) ?? 0) >= 0.9 * a)) continue;
    const d = new Delta();
    for (let j = 0; j < list.length; j += 2) {
      d.add(t, list[j]!, -list[j + 1]!);
      d.add(t, sim.nextId, list[j + 1]!);
    }
    push('polygon', d, 1, 0.95, () => buildOutline(sim, t));
  }
}

/**
 * Phase objects (particles, lamellae) with wrongly classed pixels, often a rim too thin to
 * stroke on its own: outline the whole object into a segment of its class.
 */
function phaseObjectCandidates(sim: Simulation, push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
  const { N, objects, rows, cls } = sim;
  const data = sim.map.data;
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
    const box = objectBox(sim, o)!;
    if (box[4]! < sim.minRegion) continue;
    let n = 0;
    for (const v of byCol.values()) n += v;
    if (n < 2) continue;
    const first = objectPixels(sim, o)[0]!;
    const k = rows[first]!;
    const d = new Delta();
    for (const [p, v] of byCol) {
      d.add(k, p, -v);
      d.add(k, sim.nextId, v);
    }
    push('polygon', d, purest(sim, k) < 0 ? 2 : 1, 0.95, () => buildObjectOutline(sim, o, k), new Map([[sim.nextId, k]]));
  }
}

function aliveMembers(sim: Simulation): Map<number, number[]> {
  const byCluster = new Map<number, number[]>();
  for (const [id, g] of sim.clusterOf) {
    if (id >= sim.area.length || sim.area[id] === 0) continue;
    let list = byCluster.get(g);
    if (!list) byCluster.set(g, (list = []));
    list.push(id);
  }
  return byCluster;
}

function phaseCandidates(sim: Simulation, push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
  const classes = sim.classList;
  for (const [p, list] of sim.colCells) {
    if (p === 0) continue;
    const c = sim.classOf(p);
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
      sim.moveColumn(d, p, 0);
      push('delete', d, 1, 1, () => ({ gesture: 'delete', ops: [{ kind: 'delete', ids: [p] }] }));
    }
  }
  if ((sim.opts.classAssign ?? 'cluster') !== 'cluster') return;
  for (const [, members] of aliveMembers(sim)) {
    for (const k of [...classes, 0]) {
      const over = new Map<number, number>();
      for (const id of members) over.set(id, k);
      push('setClassCluster', new Delta(), 1, 1, () => ({ gesture: 'setClassCluster', ops: [{ kind: 'setClass', ids: members, classId: k === 0 ? null : k }] }), over);
    }
    const d = new Delta();
    for (const id of members) sim.moveColumn(d, id, 0);
    push('deleteCluster', d, 1, 1, () => ({ gesture: 'deleteCluster', ops: [{ kind: 'delete', ids: members }] }));
  }
}

/** Fixing one wrong region: stroke or outline it into the segment it belongs to (or a SAM click). */
function regionCandidates(sim: Simulation, push: (g: Gesture, d: Delta, cost: number, pref: number, b: () => Built | null, over?: Map<number, number>) => void): void {
  const samMin = 64;
  for (const r of sim.regions) {
    if (r.area < sim.minRegion) continue;
    const d = new Delta();
    let cost = 1;
    let over: Map<number, number> | undefined;
    if (sim.grainsMode) {
      const to = sim.mainOf.get(r.row) ?? sim.nextId;
      d.add(r.row, r.col, -r.area);
      d.add(r.row, to, r.area);
    } else {
      const to = r.row === 0 ? 0 : sim.nextId;
      d.add(r.row, r.col, -r.area);
      d.add(r.row, to, r.area);
      if (r.row !== 0) {
        over = new Map([[sim.nextId, r.row]]);
        if (purest(sim, r.row) < 0) cost = 2;
      }
    }
    push('polygon', d, cost, 0.96, () => buildRegion(sim, r), over);
    if (sim.opts.samClick && r.area >= samMin && !(sim.grainsMode === false && r.row === 0)) {
      push('samClick', d, cost, 0.99, () => buildSam(sim, r), over);
    }
  }
}
