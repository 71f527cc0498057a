// Correction-effort simulator: an oracle operator that fixes a segmentation towards the truth
// using only GrainLab's own edit operations, greedily, and counts the gestures it needed.
// The count of operations stands for a person's time; the map only changes through applyEdit.
// This is the entry point; the state is in simulation-state.ts, the candidate edits in
// simulation-candidates.ts and their drawing as gestures in simulation-build.ts.
import type { EditOp } from '../edit';
import type { LabelMap } from '../types';
import { countObjects } from './components';
import { candidates } from './simulation-candidates';
import { Simulation } from './simulation-state';
import { EPS, GESTURES, type Built, type Gesture, type SimulationOptions, type SimulationResult } from './simulation-types';

export type { SimulationOptions, SimulationResult } from './simulation-types';
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
    const cands = candidates(sim);
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
