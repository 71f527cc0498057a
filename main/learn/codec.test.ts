import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClassifier, encodeClassifier } from './codec';
import { predict, train } from '../../app/learn/pipeline';
import { colourPlanes } from '../../app/learn/colour-features';
import type { LearnClassifierInfo } from '../../app/contract/learn';

test('a saved classifier keeps its grey stretch and colour scales, and predicts the same after reading', () => {
  const w = 32;
  const h = 24;
  const rgb = new Uint8Array(w * h * 3);
  const labels = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const right = i % w >= 16;
    rgb[3 * i] = right ? 200 : 40;
    rgb[3 * i + 1] = right ? 40 : 200;
    if (i % w === 4 || i % w === 28) labels[i] = right ? 2 : 1;
  }
  const grey = Float32Array.from({ length: w * h }, (_, i) => (i % 7) / 7);
  const colour = colourPlanes(rgb, 3, w, h);
  const classifier = train([{ grey, width: w, height: h, labels, colour }], { features: { sigmas: [1], kinds: ['gauss'] }, nClasses: 2, colourSigmas: [1, 2], autoContext: true, contextSigmas: [1] });
  const info = { id: 1, version: 1, trainedAt: '2026-01-01T00:00:00Z', classes: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], features: { sigmas: [1], kinds: ['gauss'] }, autoContext: true, labels: {}, trainingSeconds: 0 } as unknown as LearnClassifierInfo;
  const back = decodeClassifier(encodeClassifier({ classifier, info }), 'test').classifier;
  assert.deepEqual(back.greyQuantiles, classifier.greyQuantiles);
  assert.deepEqual(back.colourSigmas, [1, 2]);
  assert.deepEqual(predict(back, grey, w, h, { colour }), predict(classifier, grey, w, h, { colour }));
});

test('a classifier trained with the added tophat kind reads back and predicts the same', () => {
  const w = 40;
  const h = 30;
  const grey = Float32Array.from({ length: w * h }, (_, i) => ((i % w) >= 20 ? 0.8 : 0.2) + ((i * 7919) % 13) / 100);
  const labels = new Uint8Array(w * h);
  for (let y = 2; y < h - 2; y++) {
    labels[y * w + 5] = 1;
    labels[y * w + 34] = 2;
  }
  const features = { sigmas: [1, 3.5], kinds: ['gauss', 'tophat'] as const };
  const classifier = train([{ grey, width: w, height: h, labels }], { features: { sigmas: features.sigmas, kinds: [...features.kinds] }, nClasses: 2 });
  const info = { id: 1, version: 1, trainedAt: '2026-01-01T00:00:00Z', classes: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], features, autoContext: true, labels: {}, trainingSeconds: 0 } as unknown as LearnClassifierInfo;
  const back = decodeClassifier(encodeClassifier({ classifier, info }), 'test').classifier;
  assert.deepEqual(back.features, { sigmas: [1, 3.5], kinds: ['gauss', 'tophat'] });
  assert.deepEqual(predict(back, grey, w, h), predict(classifier, grey, w, h));
});
