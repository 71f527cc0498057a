// The selectable kind beyond ilastik's six (tophat): what it responds to, and that a tile
// computed with its halo equals the whole image's maps.
import assert from 'node:assert/strict';
import test from 'node:test';
import { seededRandom } from '../random';
import { computeFeatures, DEFAULT_FEATURES, featureCount, featureHalo, featureNames, tileFeatures, type FeatureSpec } from './features';

const W = 64;
const H = 64;

function mapOf(spec: FeatureSpec, img: Float32Array, name: string): Float32Array {
  const maps = computeFeatures(img, W, H, spec);
  const f = featureNames(spec).indexOf(name);
  assert.ok(f >= 0, `no map ${name}`);
  return maps.subarray(f * W * H, (f + 1) * W * H);
}

/** Flat 0.2 background with a bright 4x4 blob at (20, 20) and a bright 2 px wide vertical line at x = 44. */
function blobAndLine(): Float32Array {
  const img = new Float32Array(W * H).fill(0.2);
  for (let y = 18; y < 22; y++) for (let x = 18; x < 22; x++) img[y * W + x] = 0.9;
  for (let y = 4; y < 60; y++) for (let x = 44; x < 46; x++) img[y * W + x] = 0.9;
  return img;
}

test('tophat: the white top-hat is high on a small bright blob and about zero on flat background; the black one on a dark blob', () => {
  const spec: FeatureSpec = { sigmas: [1], kinds: ['tophat'] };
  const img = blobAndLine();
  const white = mapOf(spec, img, 'tophat1@1');
  const black = mapOf(spec, img, 'tophat2@1');
  assert.ok(white[20 * W + 20]! > 0.3, `white top-hat on the blob ${white[20 * W + 20]}`);
  assert.ok(Math.abs(white[50 * W + 10]!) < 1e-3, `white top-hat on background ${white[50 * W + 10]}`);
  assert.ok(Math.abs(black[20 * W + 20]!) < 1e-3, `black top-hat on a bright blob ${black[20 * W + 20]}`);
  const dark = Float32Array.from(img, (v) => 1.1 - v);
  assert.ok(mapOf(spec, dark, 'tophat2@1')[20 * W + 20]! > 0.3, 'black top-hat on a dark blob');
});

test('tophat: an object wider than the structuring element is not kept', () => {
  const spec: FeatureSpec = { sigmas: [1], kinds: ['tophat'] };
  const img = new Float32Array(W * H).fill(0.2);
  for (let y = 10; y < 50; y++) for (let x = 10; x < 50; x++) img[y * W + x] = 0.9;
  assert.ok(Math.abs(mapOf(spec, img, 'tophat1@1')[30 * W + 30]!) < 1e-3);
});

test('tophat: a tile with its halo equals the whole image, pyramid scales included', () => {
  const w = 230;
  const h = 190;
  const r = seededRandom(11);
  const img = Float32Array.from({ length: w * h }, () => r());
  const spec: FeatureSpec = { sigmas: [0.7, 1.6, 3.5, 10], kinds: ['gauss', 'tophat'] };
  assert.ok(featureHalo(spec) > featureHalo({ ...spec, kinds: ['gauss'] }), 'the top-hat widens the halo');
  const whole = computeFeatures(img, w, h, spec);
  const F = featureCount(spec);
  for (const t of [{ x: 96, y: 64, w: 40, h: 36 }, { x: 0, y: 0, w: 64, h: 64 }, { x: 192, y: 128, w: 38, h: 62 }]) {
    const tile = tileFeatures(img, w, h, spec, t);
    let worst = 0;
    for (let f = 0; f < F; f++) {
      for (let y = 0; y < t.h; y++) {
        for (let x = 0; x < t.w; x++) worst = Math.max(worst, Math.abs(tile[f * t.w * t.h + y * t.w + x]! - whole[f * w * h + (t.y + y) * w + t.x + x]!));
      }
    }
    assert.ok(worst < 1e-3, `tile at ${t.x},${t.y}: largest difference ${worst}`);
  }
});

test('the default set keeps ilastik\'s six kinds', () => {
  assert.deepEqual(DEFAULT_FEATURES.kinds, ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure']);
  assert.equal(featureCount(DEFAULT_FEATURES), 48);
});
