import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classCounts, crossValidate, stratifiedFolds, trainingWarnings } from './validate';
import { seededRandom } from './random';

test('stratified folds hold every class in proportion', () => {
  const y = [...Array(10).fill(1), ...Array(5).fill(2)];
  const f = stratifiedFolds(y, 5);
  for (let k = 0; k < 5; k++) {
    const rows = [...f.keys()].filter((r) => f[r] === k);
    assert.equal(rows.filter((r) => y[r] === 1).length, 2, `fold ${k}: two of class 1`);
    assert.equal(rows.filter((r) => y[r] === 2).length, 1, `fold ${k}: one of class 2`);
  }
});

test('a 4-vs-210 training set: accuracy looks high, balanced accuracy and recall tell the truth, and warnings say why', () => {
  // Class 2 sits inside class 1's cloud: no classifier can find its 4 examples.
  const r = seededRandom(3);
  const rows: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 210; i++) {
    rows.push(r() * 2 - 1, r() * 2 - 1);
    y.push(1);
  }
  for (let i = 0; i < 4; i++) {
    rows.push(r() * 0.2 - 0.1, r() * 0.2 - 0.1);
    y.push(2);
  }
  const cv = crossValidate('logreg', { data: Float64Array.from(rows), cols: 2 }, y)!;
  assert.equal(cv.folds, 4, 'folds limited by the smallest class');
  assert.ok(cv.accuracy > 0.95, `plain accuracy ${cv.accuracy}`);
  const small = cv.perClass.find((c) => c.classId === 2)!;
  assert.equal(small.count, 4);
  assert.equal(small.recall, 0, 'none of the 4 is found');
  assert.ok(cv.balancedAccuracy <= 0.5 + 1e-9, `balanced accuracy ${cv.balancedAccuracy}`);
  const w = trainingWarnings(classCounts(y), (c) => (c === 1 ? 'spheroidite' : 'network'));
  assert.equal(w.length, 2);
  assert.match(w[0]!, /network has only 4 examples/);
  assert.match(w[1]!, /spheroidite has 210 examples and network 4/);
});

test('no cross-validation with a single example of a class or a single class', () => {
  const p = { data: Float64Array.from([0, 1, 2, 3]), cols: 1 };
  assert.equal(crossValidate('nearest-centroid', p, [1, 1, 1, 2]), null);
  assert.equal(crossValidate('nearest-centroid', p, [1, 1, 1, 1]), null);
  const ok = crossValidate('nearest-centroid', p, [1, 1, 2, 2])!;
  assert.equal(ok.folds, 2);
  assert.deepEqual(trainingWarnings([{ classId: 1, count: 6 }, { classId: 2, count: 7 }]), []);
});
