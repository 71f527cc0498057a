// The selectable kinds beyond ilastik's six (tophat, shape, contrast): what each responds to, and
// that a tile computed with its halo equals the whole image's maps.
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

test('shape: coherence and Hessian anisotropy are high on a line, low on a round blob', () => {
  const spec: FeatureSpec = { sigmas: [1.6], kinds: ['shape'] };
  const img = blobAndLine();
  const coh = mapOf(spec, img, 'shape1@1.6');
  const aniso = mapOf(spec, img, 'shape2@1.6');
  // On the line's centre, and at the blob's centre (isotropic there).
  const line = 32 * W + 44;
  const blob = 20 * W + 20;
  assert.ok(aniso[line]! > 0.8, `anisotropy on the line ${aniso[line]}`);
  assert.ok(aniso[blob]! < 0.2, `anisotropy on the blob ${aniso[blob]}`);
  // Beside the line the gradient has one orientation; beside the blob's corner, two.
  assert.ok(coh[32 * W + 42]! > 0.9, `coherence beside the line ${coh[32 * W + 42]}`);
  assert.ok(coh[32 * W + 42]! > coh[17 * W + 17]! + 0.1, `coherence beside the line ${coh[32 * W + 42]} vs the blob's corner ${coh[17 * W + 17]}`);
});

test('contrast: the normalised value does not change when the image is scaled and offset; the local std scales', () => {
  const spec: FeatureSpec = { sigmas: [3.5], kinds: ['contrast'] };
  const r = seededRandom(4);
  const img = Float32Array.from({ length: W * H }, () => r());
  const other = Float32Array.from(img, (v) => 0.3 * v + 0.5);
  const a = mapOf(spec, img, 'contrast1@3.5');
  const b = mapOf(spec, other, 'contrast1@3.5');
  const sa = mapOf(spec, img, 'contrast2@3.5');
  const sb = mapOf(spec, other, 'contrast2@3.5');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst < 0.05, `normalised values differ by ${worst}`);
  assert.ok(Math.abs(sb[32 * W + 32]! / sa[32 * W + 32]! - 0.3) < 0.01);
});

test('new kinds: a tile with its halo equals the whole image, pyramid scales included', () => {
  const w = 230;
  const h = 190;
  const r = seededRandom(11);
  const img = Float32Array.from({ length: w * h }, () => r());
  const spec: FeatureSpec = { sigmas: [0.7, 1.6, 3.5, 10], kinds: ['gauss', 'tophat', 'shape', 'contrast', 'compact'] };
  assert.ok(featureHalo(spec) >= featureHalo({ ...spec, kinds: ['gauss'] }));
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

test('compact: high on a small bright blob, about zero on a long line and on flat background', () => {
  const spec: FeatureSpec = { sigmas: [1.6], kinds: ['compact'] };
  const img = blobAndLine();
  const bright = mapOf(spec, img, 'compact1@1.6');
  const dark = mapOf(spec, img, 'compact2@1.6');
  assert.ok(bright[20 * W + 20]! > 0.2, `on the blob ${bright[20 * W + 20]}`);
  assert.ok(bright[32 * W + 44]! < 0.02, `on the line ${bright[32 * W + 44]}`);
  assert.ok(Math.abs(bright[50 * W + 10]!) < 1e-3, `on background ${bright[50 * W + 10]}`);
  assert.ok(Math.abs(dark[20 * W + 20]!) < 1e-3, `dark map on a bright blob ${dark[20 * W + 20]}`);
  // The top-hat of the same scale keeps the line too: it cannot tell a lath from a particle.
  assert.ok(mapOf({ sigmas: [1.6], kinds: ['tophat'] }, img, 'tophat1@1.6')[32 * W + 44]! > 0.2);
});
