import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { trainForest, predictForest } from '../../app/learn/forest';
import { seededRandom } from '../../app/random';
import { forestToOnnx, OnnxForest } from './onnx-forest';
import { forestEngine } from './forest-engine';

function data(C: number, n: number, F: number, seed: number) {
  const r = seededRandom(seed);
  const X = new Float32Array(n * F);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(r() * C);
    for (let f = 0; f < F; f++) X[i * F + f] = r() + (f % C === y[i] ? 0.4 : 0);
  }
  return { X, y };
}

function argmax(p: Float32Array, C: number, npx: number, i: number): number {
  let best = 0;
  for (let c = 1; c < C; c++) if (p[c * npx + i]! > p[best * npx + i]!) best = c;
  return best;
}

for (const C of [2, 3, 5]) {
  test(`the ONNX forest (${C} classes) gives the JS forest's classes and probabilities`, async () => {
    const F = 12;
    const { X, y } = data(C, 4000, F, C);
    const forest = trainForest(X, y, 4000, F, C, { trees: 7, maxDepth: 12 });
    const npx = 20000;
    const r = seededRandom(99);
    // Feature-major maps, like the filter bank's, with values on the thresholds too.
    const x = Float32Array.from({ length: F * npx }, (_, k) => (k % 97 === 0 ? forest.threshold[k % forest.threshold.length]! : r() * 1.4));
    const js = predictForest(forest, x, npx);
    const ort = await OnnxForest.create(forest);
    const onnx = await ort.predict(x, npx);
    await ort.release();
    let diff = 0;
    let mismatches = 0;
    for (let i = 0; i < js.length; i++) diff = Math.max(diff, Math.abs(js[i]! - onnx[i]!));
    for (let i = 0; i < npx; i++) if (argmax(js, C, npx, i) !== argmax(onnx, C, npx, i)) mismatches++;
    assert.ok(diff <= 1e-5, `probabilities differ by ${diff}`);
    assert.equal(mismatches, 0);
  });
}

test('the exported ONNX model runs on its own: [N, F] features in, labels and probabilities out', async () => {
  const { X, y } = data(3, 3000, 6, 8);
  const forest = trainForest(X, y, 3000, 6, 3, { trees: 4 });
  const session = await InferenceSession.create(forestToOnnx(forest, 'test'));
  assert.deepEqual(session.inputNames, ['features']);
  assert.deepEqual(session.outputNames, ['label', 'probabilities']);
  const rows = X.subarray(0, 50 * 6);
  const r = await session.run({ features: new Tensor('float32', rows, [50, 6]) });
  const labels = r.label!.data as BigInt64Array;
  const probs = r.probabilities!.data as Float32Array;
  // The same rows through the JS forest (feature-major).
  const fm = new Float32Array(6 * 50);
  for (let i = 0; i < 50; i++) for (let f = 0; f < 6; f++) fm[f * 50 + i] = rows[i * 6 + f]!;
  const js = predictForest(forest, fm, 50);
  for (let i = 0; i < 50; i++) {
    assert.equal(Number(labels[i]), argmax(js, 3, 50, i));
    let sum = 0;
    for (let c = 0; c < 3; c++) sum += probs[i * 3 + c]!;
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
  }
  await session.release();
});

test('the forest engine is the JS forest by default, and onnxruntime (loading here) when asked for, with the same results', async () => {
  const { X, y } = data(2, 500, 4, 2);
  const forest = trainForest(X, y, 500, 4, 2, { trees: 2 });
  const js = await forestEngine(forest);
  assert.equal(js.name, 'js');
  assert.equal(js.fallback, null);
  const e = await forestEngine(forest, 'onnxruntime');
  assert.equal(e.name, 'onnxruntime');
  assert.equal(e.fallback, null);
  const x = Float32Array.from({ length: 4 * 10 }, (_, i) => (i % 7) / 7);
  const a = await e.evaluate(forest, x, 10);
  const b = await js.evaluate(forest, x, 10);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5);
});
