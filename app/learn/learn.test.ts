import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFeatures, featureNames, normalizedGrey, tileFeatures, featureCount, type FeatureSpec } from './features';
import { trainForest, predictForest } from './forest';
import { argmaxClasses, fractionWeights, predict, train } from './pipeline';
import { phaseSegments, grainSegments } from './segments';
import { replayStrokes, strokePixels } from './strokes';
import { twoTextureImage } from './synthetic';
import { seededRandom } from '../random';

/** Direct 2-D Gaussian at one pixel: a plain double sum over a wide window, borders reflected. */
function directGauss(img: Float32Array, w: number, h: number, sigma: number, x: number, y: number): number {
  const r = Math.ceil(5 * sigma);
  let acc = 0;
  let norm = 0;
  const refl = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const k = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      acc += k * img[refl(y + dy, h) * w + refl(x + dx, w)]!;
      norm += k;
    }
  }
  return acc / norm;
}

test('filter bank: Gaussian, LoG, gradient and Hessian values match a direct computation', () => {
  const w = 48;
  const h = 40;
  const r = seededRandom(3);
  const img = Float32Array.from({ length: w * h }, (_, i) => Math.sin((i % w) / 3) * 0.3 + Math.cos(Math.floor(i / w) / 4) * 0.3 + r() * 0.2);
  const spec: FeatureSpec = { sigmas: [1, 1.6], kinds: ['gauss', 'log', 'gradient', 'hessian'] };
  const names = featureNames(spec);
  const f = computeFeatures(img, w, h, spec);
  const n = w * h;
  const at = (name: string, x: number, y: number) => f[names.indexOf(name) * n + y * w + x]!;
  for (const [x, y] of [[20, 20], [10, 30], [35, 12]] as const) {
    for (const s of [1, 1.6]) {
      const g = (dx: number, dy: number) => directGauss(img, w, h, s, x + dx, y + dy);
      assert.ok(Math.abs(at(`gauss@${s}`, x, y) - g(0, 0)) < 2e-3, `gauss@${s} at ${x},${y}: ${at(`gauss@${s}`, x, y)} vs ${g(0, 0)}`);
      const dxx = (g(1, 0) - 2 * g(0, 0) + g(-1, 0)) * s * s;
      const dyy = (g(0, 1) - 2 * g(0, 0) + g(0, -1)) * s * s;
      const dxy = ((g(1, 1) - g(-1, 1) - g(1, -1) + g(-1, -1)) / 4) * s * s;
      assert.ok(Math.abs(at(`log@${s}`, x, y) - (dxx + dyy)) < 4e-3, `log@${s}`);
      const gx = ((g(1, 0) - g(-1, 0)) / 2) * s;
      const gy = ((g(0, 1) - g(0, -1)) / 2) * s;
      assert.ok(Math.abs(at(`gradient@${s}`, x, y) - Math.hypot(gx, gy)) < 3e-3, `gradient@${s}`);
      const half = (dxx + dyy) / 2;
      const d = Math.sqrt(((dxx - dyy) / 2) ** 2 + dxy * dxy);
      assert.ok(Math.abs(at(`hessian1@${s}`, x, y) - (half + d)) < 4e-3, `hessian1@${s}`);
      assert.ok(Math.abs(at(`hessian2@${s}`, x, y) - (half - d)) < 4e-3, `hessian2@${s}`);
    }
  }
});

test('filter bank: a tile with its halo equals the whole image, pyramid scales included', () => {
  const w = 200;
  const h = 180;
  const r = seededRandom(9);
  const img = Float32Array.from({ length: w * h }, () => r());
  const spec: FeatureSpec = { sigmas: [1, 3.5, 6], kinds: ['gauss', 'dog', 'structure'] };
  const whole = computeFeatures(img, w, h, spec);
  const t = { x: 96, y: 64, w: 40, h: 36 };
  const tile = tileFeatures(img, w, h, spec, t);
  const F = featureCount(spec);
  let worst = 0;
  for (let f = 0; f < F; f++) {
    for (let y = 0; y < t.h; y++) {
      for (let x = 0; x < t.w; x++) worst = Math.max(worst, Math.abs(tile[f * t.w * t.h + y * t.w + x]! - whole[f * w * h + (t.y + y) * w + t.x + x]!));
    }
  }
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
});

test('16-bit images give the same normalised grey as their 8-bit version', () => {
  const tex = twoTextureImage(64, 64, 1);
  const g8 = normalizedGrey({ width: 64, height: 64, channels: 1, bitDepth: 8, data: tex.data });
  const g16 = normalizedGrey({ width: 64, height: 64, channels: 1, bitDepth: 16, data: Uint16Array.from(tex.data, (v) => v * 257) });
  let worst = 0;
  for (let i = 0; i < g8.length; i++) worst = Math.max(worst, Math.abs(g8[i]! - g16[i]!));
  assert.ok(worst < 0.02, `largest difference ${worst}`);
});

function iou(pred: Uint8Array, truth: Uint8Array, c: number): number {
  let i = 0;
  let u = 0;
  for (let k = 0; k < pred.length; k++) {
    const a = pred[k] === c;
    const b = truth[k] === c;
    if (a && b) i++;
    if (a || b) u++;
  }
  return i / u;
}

/** Scribbles: one stroke across the middle of a few discs and a few matrix strokes. */
function scribbles(tex: ReturnType<typeof twoTextureImage>): Uint8Array {
  const labels = new Uint8Array(tex.classes.length);
  const r = seededRandom(5);
  let painted = [0, 0];
  for (let tries = 0; tries < 4000 && (painted[0]! < 6 || painted[1]! < 6); tries++) {
    const x = Math.floor(r() * tex.width);
    const y = Math.floor(r() * tex.height);
    const c = tex.classes[y * tex.width + x]!;
    if (painted[c]! >= 6) continue;
    // Short horizontal stroke, radius 2, kept only where it stays in its class (a careful painter).
    strokePixels(tex.width, tex.height, { points: [x - 4, y, x + 4, y], radius: 2 }, (i) => {
      if (tex.classes[i] === c) labels[i] = c + 1;
    });
    painted = painted.map((v, k) => (k === c ? v + 1 : v));
  }
  return labels;
}

const SPEC: FeatureSpec = { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian', 'structure'] };

test('the forest learns a two-texture image from scribbles and predicts another image of it', () => {
  const a = twoTextureImage(128, 128, 11);
  const b = twoTextureImage(128, 128, 12);
  const img = (t: typeof a) => normalizedGrey({ width: t.width, height: t.height, channels: 1, bitDepth: 8, data: t.data });
  const clf = train([{ grey: img(a), width: 128, height: 128, labels: scribbles(a) }], { features: SPEC, nClasses: 2, autoContext: false });
  const pred = argmaxClasses(predict(clf, img(b), 128, 128), 2, 128 * 128);
  const score = iou(pred, b.classes, 1);
  assert.ok(score > 0.75, `disc IoU ${score.toFixed(3)}`);
});

test('auto-context improves or equals the first stage', () => {
  const a = twoTextureImage(128, 128, 21);
  const b = twoTextureImage(128, 128, 22);
  const img = (t: typeof a) => normalizedGrey({ width: t.width, height: t.height, channels: 1, bitDepth: 8, data: t.data });
  const data = [{ grey: img(a), width: 128, height: 128, labels: scribbles(a) }];
  const one = train(data, { features: SPEC, nClasses: 2, autoContext: false });
  const two = train(data, { features: SPEC, nClasses: 2, autoContext: true });
  const s1 = iou(argmaxClasses(predict(one, img(b), 128, 128), 2, 128 * 128), b.classes, 1);
  const s2 = iou(argmaxClasses(predict(two, img(b), 128, 128), 2, 128 * 128), b.classes, 1);
  assert.ok(s2 >= s1 - 0.005, `auto-context ${s2.toFixed(3)} vs first stage ${s1.toFixed(3)}`);
});

test('a random forest separates a noisy linear boundary; class balancing lets a rare class be found', () => {
  const r = seededRandom(4);
  const n = 3000;
  const X = new Float32Array(n * 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = r();
    X[2 * i + 1] = r();
    // The rare class: 5 % of samples, in a corner.
    y[i] = X[2 * i]! > 0.8 && X[2 * i + 1]! > 0.75 ? 1 : 0;
  }
  const forest = trainForest(X, y, n, 2, 2, { trees: 16, balance: 1 });
  // Points (0.9, 0.9), (0.1, 0.1), (0.5, 0.2), feature-major: all x, then all y.
  const fm = new Float32Array([0.9, 0.1, 0.5, 0.9, 0.1, 0.2]);
  const p = predictForest(forest, fm, 3);
  assert.ok(p[3 + 0]! > 0.5, `rare corner probability ${p[3]}`);
  assert.ok(p[3 + 1]! < 0.5 && p[3 + 2]! < 0.5);
});

test('phase-fraction targets move the predicted fraction toward the target', () => {
  const n = 10000;
  const r = seededRandom(8);
  const probs = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const p1 = r() * 0.8; // class 1 wins on about 37 % of pixels
    probs[n + i] = p1;
    probs[i] = 1 - p1;
  }
  const frac = (cls: Uint8Array) => cls.reduce((a, v) => a + v, 0) / n;
  const before = frac(argmaxClasses(probs, 2, n));
  const target = 0.6;
  const w = fractionWeights(probs, 2, n, [null, target]);
  const after = frac(argmaxClasses(probs, 2, n, w));
  assert.ok(Math.abs(after - target) < Math.abs(before - target), `before ${before}, after ${after}`);
  assert.ok(Math.abs(after - target) < 0.03, `after ${after}`);
});

test('phase segments: regions of one class with their class, tiny specks absorbed, skipped classes left out', () => {
  const w = 20;
  const h = 10;
  const cls = new Uint8Array(w * h);
  for (let y = 2; y < 8; y++) for (let x = 2; x < 8; x++) cls[y * w + x] = 1;
  for (let y = 2; y < 8; y++) for (let x = 12; x < 18; x++) cls[y * w + x] = 1;
  cls[0] = 1; // a one-pixel speck
  const s = phaseSegments(cls, w, h, { minArea: 4, skip: [0] });
  const ids = new Set(s.labels.data);
  ids.delete(0);
  assert.equal(ids.size, 2);
  assert.equal(s.labels.data[0], 0, 'the speck joined the matrix, which gets no segment');
  for (const id of ids) assert.equal(s.classOf[id], 1);
  // Grains: two interiors split by a boundary line.
  const b = new Float32Array(w * h);
  for (let y = 0; y < h; y++) b[y * w + 10] = 1;
  const g = grainSegments(b, w, h, { minArea: 4 });
  assert.notEqual(g.data[0], g.data[w - 1]);
  assert.ok(g.data.every((v) => v > 0));
});

test('strokes replay in order: erase clears, later paint wins, undo is dropping the last', () => {
  const strokes = [
    { kind: 'paint' as const, classId: 5, points: [2, 2, 12, 2], radius: 1 },
    { kind: 'paint' as const, classId: 7, points: [6, 2], radius: 1 },
    { kind: 'erase' as const, classId: null, points: [11, 2], radius: 1 },
  ];
  const v = (c: number) => (c === 5 ? 1 : 2);
  const all = replayStrokes(strokes, 16, 6, v);
  assert.equal(all[2 * 16 + 3], 1);
  assert.equal(all[2 * 16 + 6], 2);
  assert.equal(all[2 * 16 + 11], 0);
  const undone = replayStrokes(strokes.slice(0, 2), 16, 6, v);
  assert.equal(undone[2 * 16 + 11], 1);
});
