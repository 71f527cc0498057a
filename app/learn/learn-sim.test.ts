import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctiveRound, firstRound, insideDistance, paint, type StrokeImage } from './stroke-sim';
import { strokePixels } from './strokes';
import { grainSegments } from './segments';
import { colourFeatureCount, colourPlanes, computeColourFeatures, tileColourFeatures } from './colour-features';
import { argmaxClasses, predict, train } from './pipeline';
import { adjustedRandIndex } from '../metrics/ari';

/** A 120 x 80 image: matrix (0) with twelve 9x9 particles (1) in a 4 x 3 grid. */
function particles(): StrokeImage {
  const w = 120;
  const h = 80;
  const classes = new Uint8Array(w * h);
  for (let gy = 0; gy < 3; gy++) for (let gx = 0; gx < 4; gx++) for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) classes[(10 + gy * 25 + y) * w + 10 + gx * 28 + x] = 1;
  return { classes, width: w, height: h };
}

/** Which 9x9 particle (0..11) a pixel is in, or -1. */
function particleOf(i: number, w: number): number {
  const x = i % w;
  const y = Math.floor(i / w);
  for (let gy = 0; gy < 3; gy++) for (let gx = 0; gx < 4; gx++) if (x >= 10 + gx * 28 && x < 19 + gx * 28 && y >= 10 + gy * 25 && y < 19 + gy * 25) return gy * 4 + gx;
  return -1;
}

test('stroke simulator: every stroke stays inside its class, and strokes of a class go to different objects', () => {
  const im = particles();
  const strokes = firstRound([im], 2, 6, { radius: 3, length: 60, seed: 4 });
  assert.equal(strokes.length, 12);
  const touched = new Set<number>();
  for (const s of strokes) {
    let outside = 0;
    let painted = 0;
    strokePixels(im.width, im.height, s, (i) => {
      painted++;
      if (im.classes[i] !== s.cls) outside++;
    });
    assert.ok(painted > 0);
    assert.equal(outside, 0, `a class-${s.cls} stroke crossed into another class`);
    if (s.cls === 1) {
      const ids = new Set<number>();
      strokePixels(im.width, im.height, s, (i) => ids.add(particleOf(i, im.width)));
      assert.equal(ids.size, 1, 'a particle stroke stays in one particle');
      touched.add([...ids][0]!);
    }
  }
  assert.equal(touched.size, 6, 'six particle strokes, six different particles');
});

test('stroke simulator: strokes are spread round-robin over the training images that have the class', () => {
  const a = particles();
  const b = particles();
  const strokes = firstRound([a, b], 2, 4, { radius: 2, length: 40, seed: 1 });
  for (const c of [0, 1]) {
    const per = [0, 1].map((k) => strokes.filter((s) => s.cls === c && s.image === k).length);
    assert.deepEqual(per, [2, 2]);
  }
});

test('corrective round paints where the prediction is wrong', () => {
  const im = particles();
  const predicted = [new Uint8Array(im.classes.length)]; // everything predicted matrix
  const labelled = [new Uint8Array(im.classes.length)];
  const more = correctiveRound([im], predicted, labelled, 2, 3, { radius: 3, length: 40, seed: 2 });
  assert.equal(more.filter((s) => s.cls === 0).length, 0, 'no matrix pixel is wrong');
  assert.equal(more.filter((s) => s.cls === 1).length, 3);
  const labels = paint([im], more)[0]!;
  for (let i = 0; i < labels.length; i++) if (labels[i]) assert.equal(labels[i], im.classes[i]! + 1);
});

test('inside distance: 1 at a class edge, growing inward', () => {
  const w = 9;
  const cls = new Uint8Array(w * w);
  for (let y = 1; y < 8; y++) for (let x = 1; x < 8; x++) cls[y * w + x] = 1;
  const d = insideDistance(cls, w, w);
  assert.equal(d[1 * w + 1], 1);
  assert.equal(d[4 * w + 4], 4);
});

test('grain segments: a boundary network with a gap still gives one grain per cell (ARI near 1)', () => {
  // Four 30x30 cells split by 3 px boundary lines; one line has a 4 px gap.
  const w = 64;
  const h = 64;
  const b = new Float32Array(w * h);
  const truth = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const onLine = Math.abs(x - 32) <= 1 || Math.abs(y - 32) <= 1;
      const gap = Math.abs(x - 32) <= 1 && y >= 10 && y < 14;
      b[y * w + x] = onLine && !gap ? 0.9 : 0.1;
      truth[y * w + x] = 1 + (x >= 32 ? 1 : 0) + (y >= 32 ? 2 : 0);
    }
  }
  const g = grainSegments(b, w, h, { minArea: 16 });
  assert.equal(new Set(g.data).size, 4);
  assert.ok(adjustedRandIndex({ width: w, height: h, data: truth }, g) > 0.9);
});

test('colour features: hue differences show where grey is flat, and tiles equal the whole image', () => {
  // Left half red, right half green, same brightness.
  const w = 40;
  const h = 30;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const left = i % w < 20;
    rgb[3 * i] = left ? 200 : 0;
    rgb[3 * i + 1] = left ? 0 : 200;
  }
  const planes = colourPlanes(rgb, 3, w, h);
  const sigmas = [1, 2.5];
  const f = computeColourFeatures(planes, w, h, sigmas);
  const n = w * h;
  assert.equal(f.length, colourFeatureCount(sigmas) * n);
  assert.ok(f[15 * w + 5]! > 0.5 && f[15 * w + 35]! < -0.5, 'opponent red-green separates the halves');
  const grad = (x: number) => f[2 * n + 15 * w + x]!;
  assert.ok(grad(20) > 10 * Math.max(1e-6, grad(5)), 'colour gradient peaks at the hue edge');
  const t = { x: 8, y: 6, w: 20, h: 16 };
  const tile = tileColourFeatures(planes, w, h, sigmas, t);
  for (let k = 0; k < colourFeatureCount(sigmas); k++) {
    for (const [x, y] of [[0, 0], [12, 9], [19, 15]] as const) assert.ok(Math.abs(tile[k * t.w * t.h + y * t.w + x]! - f[k * n + (t.y + y) * w + t.x + x]!) < 1e-4);
  }
});

test('a classifier with colour features learns a hue boundary that grey cannot see', () => {
  const w = 48;
  const h = 32;
  const rgb = new Uint8Array(w * h * 3);
  const truth = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const cls = x >= 16 && x < 32 ? 1 : 0;
    truth[i] = cls;
    rgb[3 * i] = cls ? 180 : 60;
    rgb[3 * i + 1] = cls ? 60 : 180;
    rgb[3 * i + 2] = 120;
  }
  const grey = Float32Array.from({ length: w * h }, () => 0.5);
  const colour = colourPlanes(rgb, 3, w, h);
  const labels = new Uint8Array(w * h);
  for (let y = 4; y < 28; y++) {
    labels[y * w + 6] = 1;
    labels[y * w + 24] = 2;
    labels[y * w + 40] = 1;
  }
  const clf = train([{ grey, width: w, height: h, labels, colour }], { features: { sigmas: [1, 2], kinds: ['gauss', 'gradient'] }, nClasses: 2, colourSigmas: [1, 2], autoContext: false });
  assert.deepEqual(clf.colourSigmas, [1, 2]);
  const accuracy = (pred: Uint8Array) => pred.reduce((a, p, i) => a + (p === truth[i] ? 1 : 0), 0) / pred.length;
  const withColour = accuracy(argmaxClasses(predict(clf, grey, w, h, { colour }), 2, w * h));
  assert.ok(withColour > 0.85, `accuracy with colour ${withColour}`);
  const greyOnly = train([{ grey, width: w, height: h, labels }], { features: { sigmas: [1, 2], kinds: ['gauss', 'gradient'] }, nClasses: 2, autoContext: false });
  const without = accuracy(argmaxClasses(predict(greyOnly, grey, w, h), 2, w * h));
  assert.ok(without < 0.7, `grey only cannot tell the stripes apart (${without})`);
});

test('grey stretch: a classifier trained on one exposure reads another (contrast, offset, a few outlier specks)', () => {
  const w = 64;
  const h = 48;
  const truth = new Uint8Array(w * h);
  const a = new Float32Array(w * h);
  let s = 7;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < a.length; i++) {
    const x = i % w;
    truth[i] = (x >> 4) % 2;
    a[i] = (truth[i] ? 0.8 : 0.2) + (rnd() - 0.5) * 0.1;
  }
  // The other image: a fifth of the contrast, much brighter, and a few saturated specks.
  const b = Float32Array.from(a, (v, i) => (i % 499 === 0 ? 5 : 0.2 * v + 0.85));
  const labels = new Uint8Array(w * h);
  for (let y = 4; y < 44; y += 2) for (const x of [6, 24, 38, 56]) labels[y * w + x] = truth[y * w + x]! + 1;
  const spec = { sigmas: [1], kinds: ['gauss' as const] };
  const accuracy = (clf: ReturnType<typeof train>) => {
    const p = argmaxClasses(predict(clf, b, w, h), 2, w * h);
    return p.reduce((acc, v, i) => acc + (i % 499 !== 0 && v === truth[i] ? 1 : 0), 0) / (w * h);
  };
  const stretched = train([{ grey: a, width: w, height: h, labels }], { features: spec, nClasses: 2, autoContext: false });
  assert.deepEqual(stretched.greyQuantiles, [0.02, 0.98]);
  assert.ok(accuracy(stretched) > 0.85, `with the stretch ${accuracy(stretched)}`);
  const raw = train([{ grey: a, width: w, height: h, labels }], { features: spec, nClasses: 2, autoContext: false, greyQuantiles: null });
  assert.equal(raw.greyQuantiles, undefined);
  assert.ok(accuracy(raw) < 0.7, `without it ${accuracy(raw)}`);
});
