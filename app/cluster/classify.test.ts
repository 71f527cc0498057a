import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentFeatures } from './features';
import { concatRows } from './feature-matrix';
import { chooseClassifier, crossValidatedAccuracy, predictRows, propagateClasses, trainLogisticRegression, trainNearestCentroid } from './classify';
import { zScore } from './normalise';
import { twoPhaseImage } from '../../test/support/cluster-synthetic';

const CLASS_A = 7; // arbitrary database class ids
const CLASS_B = 3;

function labelledDiscs(seed: number) {
  const { image, labels, kindOf } = twoPhaseImage({ width: 192, height: 192, seed });
  // Intensity features: with a single example per class, noisy features (LBP of pure noise, the
  // eccentricity of a digital disc) would weigh as much as the informative ones.
  const { matrix } = zScore(segmentFeatures(image, labels, { groups: ['intensity'] }));
  const truth = Array.from(matrix.segmentIds, (id) => (kindOf[id] === 0 ? CLASS_A : CLASS_B));
  return { matrix, truth };
}

test('two labelled segments (one per class) propagate the right class to all others', () => {
  const { matrix, truth } = labelledDiscs(21);
  const rowClasses: (number | null)[] = truth.map(() => null);
  rowClasses[truth.indexOf(CLASS_A)] = CLASS_A;
  rowClasses[truth.indexOf(CLASS_B)] = CLASS_B;
  for (const model of ['nearest-centroid', 'logreg', 'auto'] as const) {
    const out = propagateClasses(matrix, rowClasses, { model });
    assert.equal(out.predictions.length, truth.length - 2);
    out.predictions.forEach((p, i) => {
      const row = out.rows[i]!;
      assert.equal(p.segmentId, matrix.segmentIds[row]);
      assert.equal(p.classId, truth[row], `${model}: segment ${p.segmentId}`);
      assert.ok(p.confidence > 0.5 && p.confidence <= 1, `${model}: confidence ${p.confidence}`);
      assert.equal(p.version, out.classifier.version);
    });
    assert.deepEqual(out.classifier.classIds, [CLASS_B, CLASS_A]);
    assert.equal(out.logits.length, out.predictions.length * 2);
  }
});

test('labels given on one image propagate to the segments of another', () => {
  const one = twoPhaseImage({ width: 128, height: 128, seed: 31 });
  const two = twoPhaseImage({ width: 160, height: 128, seed: 32, noise: 12 });
  const f1 = segmentFeatures(one.image, one.labels, { groups: ['intensity', 'boundary'] });
  const f2 = segmentFeatures(two.image, two.labels, { groups: ['intensity', 'boundary'] });
  const { matrix: stacked, offsets } = concatRows([f1, f2]);
  const { matrix } = zScore(stacked);
  const rowClasses: (number | null)[] = Array.from(stacked.segmentIds, () => null);
  // Three labelled discs of each kind, all on the first image.
  const kinds = Array.from(f1.segmentIds, (id) => one.kindOf[id]!);
  for (const kind of [0, 1]) {
    kinds.map((k, r) => (k === kind ? r : -1)).filter((r) => r >= 0).slice(0, 3)
      .forEach((r) => { rowClasses[r] = kind === 0 ? CLASS_A : CLASS_B; });
  }
  const out = propagateClasses(matrix, rowClasses);
  let onSecond = 0;
  out.predictions.forEach((p, i) => {
    const row = out.rows[i]!;
    const kind = row >= offsets[1]! ? two.kindOf[p.segmentId]! : one.kindOf[p.segmentId]!;
    if (row >= offsets[1]!) onSecond++;
    assert.equal(p.classId, kind === 0 ? CLASS_A : CLASS_B, `row ${row}`);
  });
  assert.equal(onSecond, f2.segmentIds.length);
  assert.ok(out.accuracy !== null && out.accuracy['nearest-centroid'] === 1, 'cross-validated accuracy');
});

test('training is deterministic and the version follows the training set', () => {
  const { matrix, truth } = labelledDiscs(22);
  const rows = [0, 1, 2, 3, 4, 5];
  const p = { data: matrix.data.slice(0, rows.length * matrix.names.length), cols: matrix.names.length };
  const y = rows.map((r) => truth[r]!);
  const a = trainLogisticRegression(p, y);
  const b = trainLogisticRegression(p, y);
  const all = { data: matrix.data, cols: matrix.names.length };
  assert.deepEqual(a.logits(all), b.logits(all));
  assert.equal(a.version, b.version);
  assert.notEqual(a.version, trainNearestCentroid(p, y).version);
  const y2 = [...y];
  y2[0] = y2[0] === CLASS_A ? CLASS_B : CLASS_A;
  assert.notEqual(trainLogisticRegression(p, y2).version, a.version);
});

test('confidence is high at a class centre and about one half midway between two classes', () => {
  const p = { data: Float64Array.from([0, 0, 0.2, 0, 4, 0, 4.2, 0]), cols: 2 };
  const y = [1, 1, 2, 2];
  for (const clf of [trainNearestCentroid(p, y), trainLogisticRegression(p, y)]) {
    const pred = predictRows(clf, { data: Float64Array.from([0.1, 0, 2.1, 0, 4.1, 0]), cols: 2 });
    assert.deepEqual([pred.classIds[0], pred.classIds[2]], [1, 2]);
    assert.ok(pred.confidence[0]! > 0.9 && pred.confidence[2]! > 0.9, `${clf.model} centre confidence`);
    assert.ok(Math.abs(pred.confidence[1]! - 0.5) < 0.05, `${clf.model} midway confidence ${pred.confidence[1]}`);
  }
});

test('cross-validation prefers logistic regression when one feature is noise with a large spread', () => {
  // Class is the sign of x0; x1 is large and, in this sample, leans the wrong way for some rows.
  const x1a = [8, 9, 10, 11, -12, 7];
  const x1b = [-8, -9, -10, -11, 12, -7];
  const rows: number[] = [];
  const y: number[] = [];
  x1a.forEach((v) => { rows.push(-1, v); y.push(0); });
  x1b.forEach((v) => { rows.push(1, v); y.push(1); });
  const p = { data: Float64Array.from(rows), cols: 2 };
  const nc = crossValidatedAccuracy('nearest-centroid', p, y);
  const lr = crossValidatedAccuracy('logreg', p, y);
  assert.ok(nc < 1, `nearest centroid ${nc}`);
  assert.equal(lr, 1);
  const chosen = chooseClassifier(p, y);
  assert.equal(chosen.classifier.model, 'logreg');
  assert.deepEqual(chosen.accuracy, { 'nearest-centroid': nc, logreg: lr });
});

test('leave-one-out on well separated classes is perfect; bad input is refused', () => {
  const p = { data: Float64Array.from([0, 0.1, 0.2, 5, 5.1, 5.2]), cols: 1 };
  assert.equal(crossValidatedAccuracy('nearest-centroid', p, [0, 0, 0, 1, 1, 1]), 1);
  assert.throws(() => trainNearestCentroid(p, [0, 1]));
  assert.throws(() => trainNearestCentroid({ data: new Float64Array(0), cols: 1 }, []));
});
