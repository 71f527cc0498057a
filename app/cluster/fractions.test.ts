import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guideFractions } from './fractions';
import { seededRandom } from './random';

/** n segments with a 1-D feature; class scores are Gaussian log-likelihoods around two centres. */
function twoClassCase(n: number, seed: number) {
  const rand = seededRandom(seed);
  const x = Array.from({ length: n }, () => rand() * 10);
  const areas = Array.from({ length: n }, () => 20 + Math.floor(rand() * 80));
  const logits = new Float64Array(n * 2);
  x.forEach((v, i) => {
    logits[i * 2] = -((v - 2) ** 2) / 2; // class 10 around 2
    logits[i * 2 + 1] = -((v - 8) ** 2) / 2; // class 20 around 8
  });
  return { x, areas, logits };
}

test('guidance moves achieved fractions toward the targets, least confident segments first', () => {
  const { x, areas, logits } = twoClassCase(200, 1);
  const targets = new Map([[10, 0.7], [20, 0.3]]);
  const r = guideFractions({ classIds: [10, 20], logits, areas, targets });
  assert.ok(r.errorAfter < r.errorBefore, `error ${r.errorBefore} -> ${r.errorAfter}`);
  // The unguided split is near 50/50; with these areas the target is reachable within one segment.
  assert.ok(r.errorBefore > 0.2, `unguided error ${r.errorBefore}`);
  assert.ok(r.errorAfter < 0.02, `guided error ${r.errorAfter}`);
  assert.ok(Math.abs(r.achieved.get(10)! - 0.7) < 0.01, `achieved ${r.achieved.get(10)}`);
  assert.ok(r.changed > 0);
  // Segments that moved to class 10 are the ones nearest the boundary: a threshold on x remains.
  const maxX10 = Math.max(...x.filter((_, i) => r.assignments[i] === 10));
  const minX20 = Math.min(...x.filter((_, i) => r.assignments[i] === 20));
  assert.ok(maxX10 < minX20, 'assignments stay ordered by the feature');
  assert.ok(maxX10 > 5, 'the class boundary moved toward class 20');
  // Achieved fractions add up and match the assignments.
  const total = areas.reduce((a, b) => a + b, 0);
  const area10 = areas.reduce((a, ar, i) => a + (r.assignments[i] === 10 ? ar : 0), 0);
  assert.ok(Math.abs(r.achieved.get(10)! - area10 / total) < 1e-12);
});

test('three classes with fixed (labelled) area counted but never changed', () => {
  const rand = seededRandom(5);
  const n = 300;
  const C = 3;
  const logits = new Float64Array(n * C);
  const areas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    areas[i] = 10 + rand() * 50;
    for (let c = 0; c < C; c++) logits[i * C + c] = rand() * 3;
  }
  const fixedAreas = new Map([[1, 500], [2, 0], [3, 0]]);
  const targets = new Map([[1, 0.1], [2, 0.7], [3, 0.2]]);
  const r = guideFractions({ classIds: [1, 2, 3], logits, areas, targets, fixedAreas });
  assert.ok(r.errorAfter < r.errorBefore / 5, `error ${r.errorBefore} -> ${r.errorAfter}`);
  for (const [id, t] of targets) assert.ok(Math.abs(r.achieved.get(id)! - t) < 0.02, `class ${id}: ${r.achieved.get(id)}`);
  const total = areas.reduce((a, b) => a + b, 0) + 500;
  const free1 = areas.reduce((a, ar, i) => a + (r.assignments[i] === 1 ? ar : 0), 0);
  assert.ok(Math.abs(r.achieved.get(1)! - (free1 + 500) / total) < 1e-12, 'fixed area counted');
  const sum = [...r.achieved.values()].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12);
});

test('targets already met leave assignments unchanged; invalid targets are refused', () => {
  const logits = Float64Array.from([0, -5, 0, -5, -5, 0, -5, 0]);
  const areas = [1, 1, 1, 1];
  const r = guideFractions({ classIds: [0, 1], logits, areas, targets: new Map([[0, 1], [1, 1]]) });
  assert.equal(r.errorBefore, 0);
  assert.equal(r.changed, 0);
  assert.deepEqual([...r.assignments], [0, 0, 1, 1]);
  assert.throws(() => guideFractions({ classIds: [0, 1], logits, areas, targets: new Map([[0, 1]]) }), /class 1/);
  assert.throws(() => guideFractions({ classIds: [0, 1], logits: new Float64Array(3), areas, targets: new Map([[0, 1], [1, 1]]) }));
});
