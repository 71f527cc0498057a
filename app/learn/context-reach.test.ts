// Training predicts the first stage only within the context maps' reach of the labelled pixels
// (pipeline.contextReach): the classifier must be the same as with every pixel predicted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedGrey, DEFAULT_FEATURES } from './features';
import { train, type TrainImage, type TrainOptions } from './pipeline';
import { twoTextureImage } from './synthetic';

function image(w: number, h: number, seed: number, strokes: [number, number, number][]): TrainImage & { classes: Uint8Array } {
  const s = twoTextureImage(w, h, seed, Math.round((w * h) / 2500), 14);
  const grey = normalizedGrey({ width: w, height: h, channels: 1, bitDepth: 8, data: s.data } as never);
  const labels = new Uint8Array(w * h);
  // Short horizontal strokes (x, y, length), labelled with the texture's class under them.
  for (const [x0, y, len] of strokes) for (let x = x0; x < x0 + len; x++) for (const dy of [0, 1, 2]) labels[(y + dy) * w + x] = s.classes[(y + dy) * w + x]! + 1;
  return { grey, width: w, height: h, labels, classes: s.classes };
}

function same(imgs: TrainImage[], o: TrainOptions): void {
  const a = train(imgs, o);
  const b = train(imgs, { ...o, contextEverywhere: true });
  assert.ok(a.stage2, 'auto-context on');
  assert.deepEqual(a, b);
}

const opts: TrainOptions = { features: DEFAULT_FEATURES, nClasses: 2, forest: { trees: 6 } };

test('scribbles in a small part of the image (and at its corner) train the same classifier as predicting every pixel', () => {
  const strokes: [number, number, number][] = [];
  for (let y = 0; y < 60; y += 7) strokes.push([(y * 3) % 40, y, 30]);
  strokes.push([380, 377, 20]); // the far corner
  same([image(400, 380, 31, strokes)], opts);
});

test('the same with wider context scales (smoothed on a coarser level), two images and a pixel sample', () => {
  const a = image(360, 300, 32, [[150, 140, 40], [10, 5, 25], [300, 280, 50]]);
  const b = image(300, 340, 33, [[0, 0, 60], [200, 300, 30]]);
  same([a, b], { ...opts, contextSigmas: [2, 16] });
  same([a, b], { ...opts, maxSamples: 300 });
});

test('three classes', () => {
  const im = image(320, 300, 34, [[20, 20, 40], [200, 150, 60]]);
  // A third class painted on part of a stroke's texture.
  for (let x = 250; x < 280; x++) im.labels[250 * 320 + x] = 3;
  same([im], { ...opts, nClasses: 3 });
});
