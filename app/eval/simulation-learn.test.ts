import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnClassifier, learnPhaseStart } from './simulation-learn';
import { phaseObjects, simulateCorrection } from './simulator';
import { twoTextureImage } from '../learn/synthetic';

const img = (seed: number) => {
  const t = twoTextureImage(96, 96, seed, 8, 12);
  return { grey: Float32Array.from(t.data, (v) => v / 255), classes: t.classes, width: t.width, height: t.height };
};

test('learn start: N strokes per class train a classifier whose phase map needs fewer corrections than none', () => {
  const { classifier, strokes } = learnClassifier([img(1), img(2)], 2, { strokes: 4, seed: 3 });
  assert.equal(strokes.length, 8, 'four strokes for each of the two classes');
  const test = img(5);
  const start = learnPhaseStart(classifier, test.grey, test.width, test.height);
  const ids = new Set(start.labels.data);
  ids.delete(0);
  assert.ok(ids.size > 0);
  for (const id of ids) assert.equal(start.startClasses(id), 1, 'only the discs get segments, with their class');
  const truth = phaseObjects(test.classes, test.width, test.height);
  const opts = { kind: 'phases' as const, truthClasses: test.classes };
  const learned = simulateCorrection(start.labels, truth, { ...opts, startClasses: start.startClasses });
  const byHand = simulateCorrection({ width: test.width, height: test.height, data: new Uint32Array(test.width * test.height) }, truth, opts);
  assert.ok(learned.startScore > 0.5, `start IoU ${learned.startScore}`);
  assert.ok(learned.operations < byHand.operations, `${learned.operations} vs ${byHand.operations} by hand`);
});

test('learn start with minConfidence keeps a subset of the segments, each with its class', () => {
  const { classifier } = learnClassifier([img(1), img(2)], 2, { strokes: 2, seed: 3 });
  const test = img(6);
  const all = learnPhaseStart(classifier, test.grey, test.width, test.height);
  const sure = learnPhaseStart(classifier, test.grey, test.width, test.height, { minConfidence: 0.9 });
  const none = learnPhaseStart(classifier, test.grey, test.width, test.height, { minConfidence: 1.01 });
  let kept = 0;
  for (let i = 0; i < sure.labels.data.length; i++) {
    if (sure.labels.data[i] === 0) continue;
    kept++;
    assert.notEqual(all.labels.data[i], 0, 'a kept pixel was in a segment before');
    assert.equal(sure.startClasses(sure.labels.data[i]!), all.startClasses(all.labels.data[i]!));
  }
  const before = all.labels.data.filter((v) => v !== 0).length;
  assert.ok(kept > 0 && kept < before, `${kept} of ${before} px kept`);
  assert.ok(none.labels.data.every((v) => v === 0), 'nothing is that sure');
});
