// Phase-fraction guidance: a person states the expected area fraction of each class (e.g. 10 % / 70 % /
// 20 %) and the classifier's assignments are shifted toward it as far as the scores allow.
import { ServiceError } from '../errors';

interface FractionInput {
  /** Score columns (as Classifier.classIds). */
  classIds: readonly number[];
  /** n x classIds.length scores of the segments that may change class (e.g. classifier logits). */
  logits: Float64Array;
  /** Area of each of those n segments. */
  areas: ArrayLike<number>;
  /** Target area fraction per class id; normalised to sum 1. Every class needs one. */
  targets: ReadonlyMap<number, number>;
  /** Area per class of segments whose class is fixed (labelled by a person); counted, never changed. */
  fixedAreas?: ReadonlyMap<number, number>;
}

interface FractionOptions {
  /** Sweeps over the classes in the offset search. Default 50. */
  sweeps?: number;
}

interface FractionResult {
  /** Class id of each of the n segments after guidance. */
  assignments: Int32Array;
  /** Offset added to each class's scores (classIds order) by the search. */
  offsets: Float64Array;
  /** Area fractions per class id before (plain argmax) and after guidance, fixed segments included. */
  initial: Map<number, number>;
  achieved: Map<number, number>;
  /** Sum over classes of |fraction - target|, before and after (0 = exact, at most 2). */
  errorBefore: number;
  errorAfter: number;
  /** Segments whose class differs from the plain argmax. */
  changed: number;
}

/**
 * Finds per-class offsets b so that argmax(score + b) gives area fractions close to the targets.
 * Each step fits one class exactly: segment i joins class c once b_c exceeds
 * max_{c' != c}(z_ic' + b_c') - z_ic, so sorting those thresholds gives the class's area as a step
 * function of b_c and the step nearest the target is taken. Classes are fitted in turn (as in
 * iterative proportional fitting) and the best assignment seen is kept; a last greedy pass moves
 * the cheapest segments from over- to under-represented classes while that lowers the error, in
 * score order per pair of classes.
 * Offsets act like the prior shift of a calibrated classifier, so the features still decide which
 * segments move: the least confident ones go first.
 */
export function guideFractions(input: FractionInput, options: FractionOptions = {}): FractionResult {
  const { classIds, logits, areas } = input;
  const C = classIds.length;
  const n = areas.length;
  if (C === 0) throw new ServiceError('invalid-argument', 'There are no classes to balance.');
  if (logits.length !== n * C) throw new ServiceError('invalid-argument', 'Scores and segment areas do not match.');
  const target = new Float64Array(C);
  classIds.forEach((id, c) => {
    const t = input.targets.get(id);
    if (t === undefined || !(t >= 0)) throw new ServiceError('invalid-argument', `Give a target fraction (0 or more) for class ${id}.`);
    target[c] = t;
  });
  const tSum = target.reduce((a, b) => a + b, 0);
  if (!(tSum > 0)) throw new ServiceError('invalid-argument', 'Target fractions must not all be zero.');
  for (let c = 0; c < C; c++) target[c] /= tSum;
  const fixed = new Float64Array(C);
  classIds.forEach((id, c) => { fixed[c] = input.fixedAreas?.get(id) ?? 0; });
  let total = fixed.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) total += areas[i]!;
  if (!(total > 0)) throw new ServiceError('invalid-argument', 'The segments have no area.');

  const assign = (b: Float64Array, out: Int32Array, classArea: Float64Array) => {
    classArea.set(fixed);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = logits[i * C + c]! + b[c]!;
        if (v > bestV) { bestV = v; best = c; }
      }
      out[i] = best;
      classArea[best] += areas[i]!;
    }
  };
  const error = (classArea: Float64Array) => {
    let e = 0;
    for (let c = 0; c < C; c++) e += Math.abs(classArea[c]! / total - target[c]!);
    return e;
  };

  const offsets = new Float64Array(C);
  const cur = new Int32Array(n);
  const curArea = new Float64Array(C);
  assign(offsets, cur, curArea);
  const initialAssign = Int32Array.from(cur);
  const initialArea = Float64Array.from(curArea);
  const errorBefore = error(curArea);
  let best = { err: errorBefore, assign: Int32Array.from(cur), offsets: Float64Array.from(offsets) };

  const thresholds = new Float64Array(n);
  const order = new Int32Array(n);
  const sweeps = options.sweeps ?? 50;
  for (let sweep = 0; sweep < sweeps && best.err > 1e-12 && C > 1; sweep++) {
    const before = best.err;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let o = 0; o < C; o++) if (o !== c) m = Math.max(m, logits[i * C + o]! + offsets[o]!);
        thresholds[i] = m - logits[i * C + c]!;
        order[i] = i;
      }
      order.sort((a, b) => thresholds[a]! - thresholds[b]!);
      // Take the first j segments (smallest thresholds): choose j with area nearest the target.
      const goal = target[c]! * total - fixed[c]!;
      let cum = 0;
      let bestJ = 0;
      let bestGap = Math.abs(goal);
      for (let j = 1; j <= n; j++) {
        cum += areas[order[j - 1]!]!;
        if (j < n && thresholds[order[j]!] === thresholds[order[j - 1]!]) continue; // ties move together
        const gap = Math.abs(cum - goal);
        if (gap < bestGap) { bestGap = gap; bestJ = j; }
      }
      const lo = bestJ > 0 ? thresholds[order[bestJ - 1]!]! : -Infinity;
      const hi = bestJ < n ? thresholds[order[bestJ]!]! : Infinity;
      const b = Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2
        : Number.isFinite(lo) ? lo + 1 + Math.abs(lo) * 1e-9
          : Number.isFinite(hi) ? hi - 1 - Math.abs(hi) * 1e-9 : 0;
      offsets[c] = b;
      assign(offsets, cur, curArea);
      const e = error(curArea);
      if (e < best.err - 1e-15) best = { err: e, assign: Int32Array.from(cur), offsets: Float64Array.from(offsets) };
    }
    if (best.err >= before - 1e-15 && sweep > 0) break;
  }

  // Greedy polish on top of the best offsets.
  const finalAssign = best.assign;
  const area = Float64Array.from(fixed);
  for (let i = 0; i < n; i++) area[finalAssign[i]!] += areas[i]!;
  for (let pass = 0; pass < 10 && C > 1; pass++) {
    const moves: { i: number; to: number; cost: number }[] = [];
    for (let i = 0; i < n; i++) {
      const a = finalAssign[i]!;
      if (area[a]! / total <= target[a]!) continue;
      for (let b = 0; b < C; b++) {
        if (b === a || area[b]! / total >= target[b]!) continue;
        const cost = logits[i * C + a]! + best.offsets[a]! - logits[i * C + b]! - best.offsets[b]!;
        moves.push({ i, to: b, cost });
      }
    }
    moves.sort((x, y) => x.cost - y.cost || x.i - y.i);
    const moved = new Uint8Array(n);
    // A move that does not help blocks its (from, to) pair, so segments never jump the queue:
    // within a pair, only the least confident move, and the ranking by score is kept.
    const blocked = new Uint8Array(C * C);
    let any = false;
    for (const { i, to } of moves) {
      if (moved[i]) continue;
      const from = finalAssign[i]!;
      if (blocked[from * C + to]) continue;
      const ai = areas[i]!;
      const delta =
        Math.abs(area[from]! - ai - target[from]! * total) + Math.abs(area[to]! + ai - target[to]! * total) -
        Math.abs(area[from]! - target[from]! * total) - Math.abs(area[to]! - target[to]! * total);
      if (delta < -1e-9 * total) {
        area[from] -= ai;
        area[to] += ai;
        finalAssign[i] = to;
        moved[i] = 1;
        any = true;
      } else {
        blocked[from * C + to] = 1;
      }
    }
    if (!any) break;
  }

  const toMap = (a: Float64Array) => new Map(classIds.map((id, c) => [id, a[c]! / total]));
  let changed = 0;
  for (let i = 0; i < n; i++) if (finalAssign[i] !== initialAssign[i]) changed++;
  return {
    assignments: Int32Array.from(finalAssign, (c) => classIds[c]!),
    offsets: best.offsets,
    initial: toMap(initialArea),
    achieved: toMap(area),
    errorBefore,
    errorAfter: error(area),
    changed,
  };
}
