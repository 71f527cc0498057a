import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFeatures, featureNames, normalizedGrey, tileFeatures, DEFAULT_FEATURES, type FeatureSpec } from './features';
import { computeFeatures as featuresBefore } from './testing/features-before';
import { predict, train } from './pipeline';
import { predictTiled } from './predict-tiled';
import { twoTextureImage } from './synthetic';

function texture(w: number, h: number, seed: number) {
  const s = twoTextureImage(w, h, seed, Math.round((w * h) / 2500), 14);
  return { ...s, grey: normalizedGrey({ width: w, height: h, channels: 1, bitDepth: 8, data: s.data } as never) };
}

test('the optimised filter bank equals the one before the speed work within float rounding', () => {
  const { grey } = texture(203, 157, 4);
  const specs: FeatureSpec[] = [DEFAULT_FEATURES, { sigmas: [0.5, 2, 7], kinds: ['structure', 'hessian', 'dog'] }];
  for (const spec of specs) {
    const a = featuresBefore(grey, 203, 157, spec);
    const b = computeFeatures(grey, 203, 157, spec);
    const n = 203 * 157;
    featureNames(spec).forEach((name, f) => {
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < n; i++) {
        diff = Math.max(diff, Math.abs(a[f * n + i]! - b[f * n + i]!));
        scale = Math.max(scale, Math.abs(a[f * n + i]!));
      }
      // Sums are now rounded once (double accumulators) instead of per tap.
      assert.ok(diff <= 1e-4 * Math.max(scale, 1e-3), `${name}: differs by ${diff} (map scale ${scale})`);
    });
  }
});

test('tile features with their halo equal the whole image\'s, at the border too', () => {
  const w = 260;
  const h = 190;
  const { grey } = texture(w, h, 5);
  const whole = computeFeatures(grey, w, h, DEFAULT_FEATURES);
  const F = featureNames(DEFAULT_FEATURES).length;
  const n = w * h;
  for (const t of [{ x: 0, y: 0, w: 64, h: 64 }, { x: 128, y: 64, w: 64, h: 64 }, { x: 192, y: 128, w: 68, h: 62 }]) {
    const tf = tileFeatures(grey, w, h, DEFAULT_FEATURES, t);
    let diff = 0;
    for (let f = 0; f < F; f++) for (let y = 0; y < t.h; y++) for (let x = 0; x < t.w; x++) diff = Math.max(diff, Math.abs(tf[f * t.w * t.h + y * t.w + x]! - whole[f * n + (t.y + y) * w + t.x + x]!));
    assert.ok(diff < 1e-5, `tile at ${t.x},${t.y} differs by ${diff}`);
  }
});

test('tiled prediction equals the whole-image prediction, with both stages and with the first only', async () => {
  const w = 300;
  const h = 220;
  const img = texture(w, h, 3);
  const labels = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i += 13) labels[i] = img.classes[i]! + 1;
  const clf = train([{ grey: img.grey, width: w, height: h, labels }], { features: DEFAULT_FEATURES, nClasses: 2, forest: { trees: 6 } });
  for (const firstStageOnly of [false, true]) {
    const whole = predict(clf, img.grey, w, h, { firstStageOnly });
    // Tiles of 128 keep their features for the second stage; with no budget they are computed again.
    for (const [tile, keepBytes] of [[1024, undefined], [128, undefined], [128, 0], [64, 0]] as const) {
      let ticks = 0;
      const tiled = await predictTiled(clf, img.grey, w, h, undefined, { tile, firstStageOnly, onTile: () => ticks++, ...(keepBytes === undefined ? {} : { keepBytes }) });
      let diff = 0;
      for (let i = 0; i < whole.length; i++) diff = Math.max(diff, Math.abs(whole[i]! - tiled[i]!));
      assert.ok(diff < 1e-5, `tile ${tile}${firstStageOnly ? ', first stage' : ''}: probabilities differ by ${diff}`);
      const tiles = Math.ceil(w / tile) * Math.ceil(h / tile);
      assert.equal(ticks, tiles * (firstStageOnly ? 1 : 2));
    }
  }
  // The classifier is good enough that the comparison means something.
  const cls = predict(clf, img.grey, w, h);
  let right = 0;
  for (let i = 0; i < w * h; i++) if ((cls[w * h + i]! > cls[i]! ? 1 : 0) === img.classes[i]) right++;
  assert.ok(right / (w * h) > 0.8, `accuracy ${right / (w * h)}`);
});

test('a cancelled tiled prediction stops', async () => {
  const { grey } = texture(64, 64, 1);
  const labels = new Uint8Array(64 * 64);
  for (let i = 0; i < labels.length; i += 5) labels[i] = (i % 2) + 1;
  const clf = train([{ grey, width: 64, height: 64, labels }], { features: { sigmas: [1], kinds: ['gauss'] }, nClasses: 2, autoContext: false, forest: { trees: 2 } });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(predictTiled(clf, grey, 64, 64, undefined, { signal: ac.signal }), /Cancelled/);
});

test('tiled prediction with extra maps (elemental maps) equals the whole-image prediction, and refuses a wrong count', async () => {
  const w = 150;
  const h = 110;
  const img = texture(w, h, 7);
  const n = w * h;
  // One extra map that carries the class (as an element map would), one of noise.
  const extra = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    extra[i] = img.classes[i]! + 0.3 * Math.sin(i);
    extra[n + i] = Math.cos(i * 0.37);
  }
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i += 11) labels[i] = img.classes[i]! + 1;
  const clf = train([{ grey: img.grey, width: w, height: h, labels, extra }], { features: { sigmas: [1, 3], kinds: ['gauss', 'gradient'] }, nClasses: 2, forest: { trees: 5 } });
  assert.equal(clf.extraFeatures, 2);
  const whole = predict(clf, img.grey, w, h, { extra });
  for (const [tile, keepBytes] of [[64, undefined], [64, 0]] as const) {
    const tiled = await predictTiled(clf, img.grey, w, h, undefined, { tile, extra, ...(keepBytes === undefined ? {} : { keepBytes }) });
    let diff = 0;
    for (let i = 0; i < whole.length; i++) diff = Math.max(diff, Math.abs(whole[i]! - tiled[i]!));
    assert.ok(diff < 1e-5, `tile ${tile}: probabilities differ by ${diff}`);
  }
  await assert.rejects(predictTiled(clf, img.grey, w, h, undefined, { extra: extra.subarray(0, n) }), /needs 2 extra feature maps/);
  await assert.rejects(predictTiled(clf, img.grey, w, h), /needs 2 extra feature maps/);
});

test('tiled prediction of a classifier with colour features and a grey stretch equals the whole-image prediction', async () => {
  const w = 140;
  const h = 100;
  const img = texture(w, h, 9);
  const n = w * h;
  // Colour planes where the classes differ by hue only.
  const colour = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    colour[i] = img.grey[i]! * (img.classes[i] ? 1 : 0.4);
    colour[n + i] = img.grey[i]!;
    colour[2 * n + i] = img.grey[i]! * (img.classes[i] ? 0.4 : 1);
  }
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i += 9) labels[i] = img.classes[i]! + 1;
  const clf = train([{ grey: img.grey, width: w, height: h, labels, colour }], { features: { sigmas: [1, 3], kinds: ['gauss'] }, nClasses: 2, colourSigmas: [1, 2.5], forest: { trees: 4 } });
  assert.deepEqual(clf.colourSigmas, [1, 2.5]);
  assert.ok(clf.greyQuantiles, 'the grey stretch is on by default');
  const whole = predict(clf, img.grey, w, h, { colour });
  const tiled = await predictTiled(clf, img.grey, w, h, undefined, { tile: 64, colour });
  let diff = 0;
  for (let i = 0; i < whole.length; i++) diff = Math.max(diff, Math.abs(whole[i]! - tiled[i]!));
  assert.ok(diff < 1e-5, `probabilities differ by ${diff}`);
});
