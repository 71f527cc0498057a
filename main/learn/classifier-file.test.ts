import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { computeFeatures, normalizedGrey, featureCount } from '../../app/learn/features';
import { predict, stretchGrey, train } from '../../app/learn/pipeline';
import { twoTextureImage } from '../../app/learn/synthetic';
import { decodeClassifierFile, encodeClassifierFile, formatOf } from './classifier-file';
import type { StoredClassifier } from './codec';

const w = 120;
const h = 96;
const img = twoTextureImage(w, h, 2, 8, 12);
const grey = normalizedGrey({ width: w, height: h, channels: 1, bitDepth: 8, data: img.data } as never);
const labels = new Uint8Array(w * h);
for (let i = 0; i < w * h; i += 9) labels[i] = img.classes[i]! + 1;
const spec = { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian', 'structure'] as never };
const stored: StoredClassifier = {
  classifier: train([{ grey, width: w, height: h, labels }], { features: spec, nClasses: 2, forest: { trees: 5 } }),
  info: {
    id: 3,
    version: 3,
    trainedAt: '2026-12-06T00:00:00.000Z',
    classes: [{ id: 4, name: 'matrix' }, { id: 9, name: 'discs' }],
    features: spec,
    autoContext: true,
    labels: { byClass: [], images: 1, total: 1200 },
    trainingSeconds: 1.5,
  },
};

test('classifier files: the format follows the extension', () => {
  assert.equal(formatOf('/x/model.ONNX'), 'onnx');
  assert.equal(formatOf('/x/model.json'), 'json');
  assert.equal(formatOf('/x/model.glclf'), 'glclf');
  assert.equal(formatOf('/x/model'), 'glclf');
});

for (const format of ['onnx', 'json', 'glclf'] as const) {
  test(`a classifier written as .${format} reads back with its header and predicts the same`, () => {
    const bytes = encodeClassifierFile(stored, format);
    const back = decodeClassifierFile(bytes, format, `model.${format}`);
    assert.deepEqual(back.info, stored.info);
    assert.deepEqual(back.classifier.features, stored.classifier.features);
    assert.deepEqual(back.classifier.contextSigmas, stored.classifier.contextSigmas);
    assert.equal(back.classifier.stage2 !== null, true);
    const a = predict(stored.classifier, grey, w, h);
    const b = predict(back.classifier, grey, w, h);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    assert.ok(diff < 1e-5, `probabilities differ by ${diff}`);
  });
}

test('the exported .onnx runs in onnxruntime: stage 1 on the filter bank gives the JS classifier\'s first stage', async () => {
  const bytes = encodeClassifierFile(stored, 'onnx');
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const meta = JSON.parse(model.metadataProps!.find((p) => p.key === 'grainlab.classifier')!.value!) as { features: unknown; info: { classes: unknown } };
  assert.deepEqual(meta.features, spec);
  assert.deepEqual(meta.info.classes, stored.info.classes);
  const session = await InferenceSession.create(bytes);
  assert.deepEqual(session.inputNames, ['features', 'features_context']);
  const F = featureCount(spec);
  const n = w * h;
  // The features are computed on the grey stretched as the metadata says (greyQuantiles).
  const q = (meta as { greyQuantiles?: [number, number] }).greyQuantiles;
  assert.deepEqual(q, stored.classifier.greyQuantiles);
  const fm = computeFeatures(stretchGrey(grey, q), w, h, spec);
  const rows = new Float32Array(n * F);
  for (let f = 0; f < F; f++) for (let i = 0; i < n; i++) rows[i * F + f] = fm[f * n + i]!;
  const K = stored.classifier.contextSigmas.length;
  const r = await session.run({ features: new Tensor('float32', rows, [n, F]), features_context: new Tensor('float32', new Float32Array(2 * (F + K)), [2, F + K]) });
  const p = r.probabilities!.data as Float32Array;
  const js = predict(stored.classifier, grey, w, h, { firstStageOnly: true });
  let diff = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < 2; c++) diff = Math.max(diff, Math.abs(p[i * 2 + c]! - js[c * n + i]!));
  assert.ok(diff < 1e-5, `stage-1 probabilities differ by ${diff}`);
  await session.release();
});

test('a damaged or foreign classifier file is a clear error naming it', () => {
  assert.throws(() => decodeClassifierFile(new TextEncoder().encode('{"format": "x"'), 'json', 'bad.json'), /bad\.json is not a usable GrainLab pixel classifier/);
  assert.throws(() => decodeClassifierFile(new Uint8Array([1, 2, 3, 4, 5]), 'onnx', 'bad.onnx'), /bad\.onnx is not a usable GrainLab pixel classifier/);
  // An ONNX model of another origin (no GrainLab metadata).
  const foreign = onnxProto.onnx.ModelProto.encode(onnxProto.onnx.ModelProto.create({ irVersion: 8, graph: { name: 'g' } })).finish();
  assert.throws(() => decodeClassifierFile(foreign, 'onnx', 'other.onnx'), /other\.onnx is not a usable .*no GrainLab metadata/);
  // A JSON file whose tree points outside its arrays.
  const j = JSON.parse(new TextDecoder().decode(encodeClassifierFile(stored, 'json'))) as { stage1: { left: number[] } };
  j.stage1.left[0] = 1e6;
  assert.throws(() => decodeClassifierFile(new TextEncoder().encode(JSON.stringify(j)), 'json', 'broken.json'), /broken\.json is not a usable GrainLab pixel classifier \(tree node out of range\)/);
});

test('a classifier trained with extra maps (elemental maps) keeps their count through every file format', () => {
  const extra = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) extra[i] = img.classes[i]!;
  const withMaps: StoredClassifier = { ...stored, classifier: train([{ grey, width: w, height: h, labels, extra }], { features: spec, nClasses: 2, forest: { trees: 3 } }) };
  assert.equal(withMaps.classifier.extraFeatures, 1);
  const expected = predict(withMaps.classifier, grey, w, h, { extra });
  for (const format of ['onnx', 'json', 'glclf'] as const) {
    const back = decodeClassifierFile(encodeClassifierFile(withMaps, format), format, `maps.${format}`);
    assert.equal(back.classifier.extraFeatures, 1, format);
    assert.equal(back.classifier.stage1.nFeatures, featureCount(spec) + 1, format);
    assert.deepEqual(predict(back.classifier, grey, w, h, { extra }), expected, format);
  }
});
