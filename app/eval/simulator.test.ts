import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdit, maskToRle, type EditOp, type MaskRle, type SegmentMeta } from '../edit';
import { adjustedRandIndex, classScores } from '../metrics';
import { generateGrains, generatePhases } from '../synth';
import type { LabelMap } from '../types';
import { phaseObjects, simulateCorrection, type SimulationResult } from './simulator';

const W = 128;
const H = 128;
const grains = generateGrains({ width: W, height: H, seed: 3, grainCount: 12 });
const truth = grains.labels;
const maxTruth = Math.max(...truth.data);
// A strict target so that a single wrong grain matters on a 12-grain map (ARI ~0.985 with one error).
const strict = { kind: 'grains' as const, target: 0.999 };

const clone = (m: LabelMap): LabelMap => ({ width: m.width, height: m.height, data: m.data.slice() });

function relabel(m: LabelMap, fn: (id: number, i: number) => number): LabelMap {
  const out = clone(m);
  for (let i = 0; i < out.data.length; i++) out.data[i] = fn(out.data[i]!, i);
  return out;
}

/** Two grains that share a boundary (first horizontal neighbours in raster order). */
function adjacentPair(): [number, number] {
  for (let i = 0; i + 1 < truth.data.length; i++) {
    if ((i + 1) % W !== 0 && truth.data[i] !== truth.data[i + 1]) return [truth.data[i]!, truth.data[i + 1]!];
  }
  throw new Error('no adjacent grains');
}

function centroidX(): Map<number, number> {
  const sum = new Map<number, number>();
  const n = new Map<number, number>();
  truth.data.forEach((t, i) => {
    sum.set(t, (sum.get(t) ?? 0) + (i % W));
    n.set(t, (n.get(t) ?? 0) + 1);
  });
  return new Map([...sum].map(([t, s]) => [t, s / n.get(t)!]));
}

/** Replays the simulator's ops with applyEdit on the start, as main/ would from the edit log. */
function replay(start: LabelMap, result: SimulationResult, startClasses?: (id: number) => number | null): { map: LabelMap; scores: number[]; classes: Map<number, number | null> } {
  const map = clone(start);
  let nextId = Math.max(0, ...start.data) + 1;
  const classes = new Map<number, number | null>();
  for (const id of new Set(start.data)) if (id !== 0) classes.set(id, startClasses?.(id) ?? null);
  const scores: number[] = [];
  for (const op of result.ops) {
    const res = applyEdit(map, op, { nextId, meta: (id): SegmentMeta => ({ classId: classes.get(id) ?? null, verified: false }) });
    nextId = res.nextId;
    for (const m of res.meta) if (m.field === 'classId') classes.set(m.id, m.new);
    scores.push(adjustedRandIndex(truth, map));
  }
  return { map, scores, classes };
}

test('a start equal to the truth needs no operation', () => {
  const r = simulateCorrection(clone(truth), truth, strict);
  assert.equal(r.operations, 0);
  assert.equal(r.reachedTarget, true);
  assert.equal(r.stoppedBy, 'target');
  assert.equal(r.grains, 12);
  assert.equal(r.finalScore, 1);
});

test('two grains merged into one segment need exactly one split along their boundary', () => {
  const [a, b] = adjacentPair();
  const start = relabel(truth, (id) => (id === b ? a : id));
  const r = simulateCorrection(start, truth, strict);
  assert.ok(r.startScore < 0.999);
  assert.equal(r.operations, 1);
  assert.equal(r.opsByType.split, 1);
  const op = r.ops[0]!;
  assert.equal(op.kind, 'splitByLine');
  // A line a person draws: a handful of points, not a pixel chain.
  if (op.kind === 'splitByLine') assert.ok(op.points.length >= 2 && op.points.length <= 20, `${op.points.length} points`);
  assert.equal(r.reachedTarget, true);
});

test('one grain cut in two needs exactly one merge', () => {
  const [a] = adjacentPair();
  const cx = centroidX().get(a)!;
  const start = relabel(truth, (id, i) => (id === a && i % W < cx ? maxTruth + 1 : id));
  const r = simulateCorrection(start, truth, strict);
  assert.equal(r.operations, 1);
  assert.deepEqual(r.ops[0], { kind: 'merge', ids: [a, maxTruth + 1], target: a });
  assert.equal(r.finalScore, 1);
});

test('an over-segmented start (every grain cut in two) needs about one merge per extra piece', () => {
  const cx = centroidX();
  const start = relabel(truth, (id, i) => (i % W < cx.get(id)! ? id + maxTruth : id));
  const r = simulateCorrection(start, truth, strict);
  const extra = 12;
  assert.equal(r.reachedTarget, true);
  assert.equal(r.opsByType.merge, r.operations, 'only merges');
  assert.ok(r.operations >= 0.75 * extra && r.operations <= extra, `${r.operations} merges for ${extra} extra pieces`);
});

test('missing grains are drawn: two unlabelled grains need one add', () => {
  // Unlabelled pixels form one cluster, so two missing grains count as merged; one drawn fixes it.
  const [a] = adjacentPair();
  const far = [...new Set(truth.data)].find((t) => t !== a && !touches(a, t))!;
  const start = relabel(truth, (id) => (id === a || id === far ? 0 : id));
  const r = simulateCorrection(start, truth, strict);
  assert.ok(r.startScore < 0.999);
  assert.equal(r.operations, 1);
  assert.ok(r.opsByType.polygon + r.opsByType.brush === 1, JSON.stringify(r.opsByType));
  assert.equal(r.reachedTarget, true);
});

function touches(a: number, b: number): boolean {
  const d = truth.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== a) continue;
    if ((i % W > 0 && d[i - 1] === b) || (i % W < W - 1 && d[i + 1] === b) || d[i - W] === b || d[i + W] === b) return true;
  }
  return false;
}

/** A rough start: pairs of neighbouring grains merged, others cut along a diagonal. */
function roughStart(): LabelMap {
  const cx = centroidX();
  return relabel(truth, (id, i) => {
    if (id % 3 === 0) return id - 1 || id;
    if (id % 3 === 1) return (i % W) + Math.floor(i / W) < 2 * cx.get(id)! ? id + maxTruth : id;
    return id;
  });
}

test('the simulation is deterministic', () => {
  const start = roughStart();
  const a = simulateCorrection(start, truth, strict);
  const b = simulateCorrection(start, truth, strict);
  assert.ok(a.operations > 2);
  assert.deepEqual(a.ops, b.ops);
  assert.deepEqual(a.scoreTrace, b.scoreTrace);
});

test('large, sparse truth ids give the same simulation', () => {
  const start = roughStart();
  const a = simulateCorrection(start, truth, strict);
  const big = relabel(truth, (id) => id * 1_000_003);
  const b = simulateCorrection(start, big, strict);
  assert.deepEqual(b.ops, a.ops);
  assert.equal(b.grains, a.grains);
});

test('replaying the returned ops with applyEdit on the start gives the final map and the traced scores', () => {
  const start = roughStart();
  const r = simulateCorrection(start, truth, strict);
  assert.ok(r.operations > 2);
  assert.equal(r.gestures.length, r.operations);
  assert.equal(r.scoreTrace.length, r.operations + 1);
  const { map, scores } = replay(start, r);
  assert.deepEqual(map.data, r.map.data);
  for (let k = 0; k < scores.length; k++) assert.ok(Math.abs(scores[k]! - r.scoreTrace[k + 1]!) < 1e-12);
  assert.equal(r.finalScore, adjustedRandIndex(truth, map));
  // The simulator never changed its input.
  assert.deepEqual(start.data, roughStart().data);
  // Every op changed something (a gesture that does nothing is never counted).
  assert.ok(new Set(r.scoreTrace).size === r.scoreTrace.length, 'scores strictly change');
});

test('the cap stops a hopeless case', () => {
  // Salt-and-pepper labels: no few gestures can fix this.
  let s = 7;
  const start = relabel(truth, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 1 + (s >>> 16) % 40;
  });
  const r = simulateCorrection(start, truth, { kind: 'grains', maxOps: 3 });
  assert.equal(r.operations, 3);
  assert.equal(r.stoppedBy, 'cap');
  assert.equal(r.reachedTarget, false);
  assert.ok(r.finalScore > r.startScore);
});

test('an empty start is drawn grain by grain and truth boundary pixels are not scored', () => {
  // Truth with 0 on grain boundaries (like the tbm maps): those pixels are ignored by default.
  const withLines = relabel(truth, (id, i) => (grains.boundaries[i] ? 0 : id));
  const r = simulateCorrection({ width: W, height: H, data: new Uint32Array(W * H) }, withLines, { kind: 'grains' });
  assert.equal(r.grains, 12);
  assert.equal(r.reachedTarget, true);
  assert.ok(r.operations >= 9 && r.operations <= 13, `${r.operations} ops`);
  assert.ok(Math.abs(r.finalScore - adjustedRandIndex(withLines, r.map, { ignoreTruth: 0 })) < 1e-12);
});

test('a SAM click is used when a model is given, never without one', () => {
  const [a] = adjacentPair();
  const far = [...new Set(truth.data)].find((t) => t !== a && !touches(a, t))!;
  const start = relabel(truth, (id) => (id === a || id === far ? 0 : id));
  let clicks = 0;
  // An ideal model: the click returns the grain under it.
  const samClick = (x: number, y: number): MaskRle | null => {
    clicks++;
    const t = truth.data[Math.floor(y) * W + Math.floor(x)]!;
    const bin = new Uint8Array(W * H);
    truth.data.forEach((v, i) => (bin[i] = v === t ? 1 : 0));
    return maskToRle(bin, { x: 0, y: 0, width: W, height: H });
  };
  const r = simulateCorrection(start, truth, { ...strict, samClick });
  assert.ok(clicks > 0);
  assert.equal(r.operations, 1);
  assert.equal(r.opsByType.samClick, 1);
  assert.equal(r.finalScore, 1);
});

// ----- phases -----------------------------------------------------------------------------

const P = 128;
const phases = generatePhases({ width: P, height: P, seed: 4, structure: 'particles', volumeFraction: 0.25, particles: [{ radius: 6 }] });

/** A start like the classic engine's: the particles with a rim error, all in one cluster, no class. */
function phaseStart(): LabelMap {
  const m = clone(phases.labels);
  // Some particles lost, one spurious blob, one particle grown by a pixel ring on its right.
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i]! % 7 === 3) m.data[i] = 0;
    const x = i % P;
    const y = Math.floor(i / P);
    if (x >= 5 && x < 15 && y >= 5 && y < 15 && phases.classes[i] === 0) m.data[i] = 999;
  }
  return m;
}

test('phases: assigning a class to a whole cluster is one operation; per segment it is one per segment', () => {
  const start = phaseStart();
  const ids = [...new Set(start.data)].filter((v) => v !== 0);
  const clusters = (id: number) => (id === 999 ? 2 : 1);
  const perCluster = simulateCorrection(start, phases.labels, { kind: 'phases', truthClasses: phases.classes, clusters, target: 0.95 });
  const perSegment = simulateCorrection(start, phases.labels, { kind: 'phases', truthClasses: phases.classes, clusters, classAssign: 'segment', target: 0.95 });
  assert.equal(perCluster.gestures[0], 'setClassCluster');
  const first = perCluster.ops[0]!;
  assert.ok(first.kind === 'setClass' && first.ids.length === ids.length - 1 && first.classId === 1);
  assert.equal(perSegment.opsByType.setClassCluster, 0);
  assert.ok(perSegment.opsByType.setClass >= ids.length / 2, JSON.stringify(perSegment.opsByType));
  assert.ok(perCluster.operations < perSegment.operations / 3, `${perCluster.operations} vs ${perSegment.operations}`);
  for (const r of [perCluster, perSegment]) {
    assert.equal(r.reachedTarget, true);
    assert.equal(r.grains, phases.instanceCount);
    // Honesty: the ops replayed (pixels and classes) give the same final score.
    const { map, classes } = replay(start, r);
    assert.deepEqual(map.data, r.map.data);
    const predClass = new Uint8Array(map.data.length);
    map.data.forEach((id, i) => (predClass[i] = id === 0 ? 0 : (classes.get(id) ?? 0)));
    const iou = classScores({ width: P, height: P, data: phases.classes }, { width: P, height: P, data: predClass }, { labels: [1] }).perClass[0]!.iou;
    assert.ok(Math.abs(iou - r.finalScore) < 1e-12);
  }
});

test('phases: an empty start draws the first particle as a new segment and sets its class', () => {
  const r = simulateCorrection({ width: P, height: P, data: new Uint32Array(P * P) }, phases.labels, { kind: 'phases', truthClasses: phases.classes, target: 0.8 });
  assert.equal(r.reachedTarget, true);
  assert.equal(r.opsByType.setClass, 1, 'only the first drawn segment needs a class');
  const second = r.ops[1] as EditOp;
  assert.equal(second.kind, 'setClass');
  assert.ok(r.operations > phases.instanceCount / 3);
});

test('phaseObjects labels each connected region of a class', () => {
  const classes = Uint8Array.from([1, 1, 0, 2, 0, 1, 0, 2, 2, 0, 0, 0]);
  const m = phaseObjects(classes, 4, 3);
  assert.deepEqual([...m.data], [1, 1, 0, 2, 0, 1, 0, 2, 3, 0, 0, 0]);
});
