// Checks app/metrics against values computed by scikit-learn / scikit-image (fixtures/gen.py),
// plus invariances the definitions promise (renaming labels, symmetry, tolerance geometry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  adjustedRandIndex,
  boundaryF1,
  boundaryMask,
  classScores,
  contingency,
  foregroundScores,
  matchObjects,
  phaseIoU,
  phaseScores,
  PairCounter,
  withinDistance,
  type IndexMap,
} from './index';

interface FixtureCase {
  name: string;
  width: number;
  height: number;
  truth: number[];
  pred: number[];
  expected: {
    ari: number;
    ariIgnoreTruth?: { value: number; ari: number };
    classes: {
      labels: number[];
      confusion: number[];
      iou: number[];
      meanIoU: number;
      meanDice: number;
      macroPrecision: number;
      macroRecall: number;
      pixelAccuracy: number;
    };
    phase?: { positive: number; iou: number; f1: number; precision: number; recall: number };
    boundary: { tolerance: number; precision: number; recall: number; f1: number; truthPixels: number; predPixels: number }[];
    objects?: { iouThreshold: number; tp: number; fp: number; fn: number; precision: number; recall: number; meanMatchedIoU: number };
  };
}

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/metrics.json', import.meta.url)), 'utf8'),
) as { cases: FixtureCase[] };

function decode(rle: number[], width: number, height: number): IndexMap {
  const data = new Uint32Array(width * height);
  let k = 0;
  for (let i = 0; i < rle.length; i += 2) {
    data.fill(rle[i]!, k, k + rle[i + 1]!);
    k += rle[i + 1]!;
  }
  assert.equal(k, width * height, 'fixture run lengths cover the map');
  return { width, height, data };
}

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: ${actual} vs expected ${expected}`);

test('fixtures cover random and real label maps', () => {
  const names = fixture.cases.map((c) => c.name);
  assert.ok(names.length >= 5);
  assert.ok(names.some((n) => n.startsWith('tbm')), 'has a real grain-map crop');
  assert.ok(names.some((n) => n.startsWith('uhcs')), 'has a real phase-map crop');
});

for (const c of fixture.cases) {
  const truth = decode(c.truth, c.width, c.height);
  const pred = decode(c.pred, c.width, c.height);
  const e = c.expected;

  test(`${c.name}: ARI matches sklearn adjusted_rand_score`, () => {
    close(adjustedRandIndex(truth, pred), e.ari, 'ari');
    if (e.ariIgnoreTruth) {
      close(adjustedRandIndex(truth, pred, { ignoreTruth: e.ariIgnoreTruth.value }), e.ariIgnoreTruth.ari, 'ari ignoring truth label');
    }
  });

  test(`${c.name}: confusion matrix and macro scores match sklearn`, () => {
    const s = classScores(truth, pred);
    assert.deepEqual(s.labels, e.classes.labels);
    assert.deepEqual([...s.confusion], e.classes.confusion);
    s.perClass.forEach((pc, i) => close(pc.iou, e.classes.iou[i]!, `iou of class ${pc.label}`));
    close(s.meanIoU, e.classes.meanIoU, 'mean IoU');
    close(s.meanDice, e.classes.meanDice, 'mean Dice (macro F1)');
    close(s.macroPrecision, e.classes.macroPrecision, 'macro precision');
    close(s.macroRecall, e.classes.macroRecall, 'macro recall');
    close(s.pixelAccuracy, e.classes.pixelAccuracy, 'pixel accuracy');
  });

  if (e.phase) {
    const ph = e.phase;
    test(`${c.name}: phase ${ph.positive} IoU, F1, precision, recall match sklearn`, () => {
      const s = phaseScores(truth, pred, ph.positive);
      close(s.iou, ph.iou, 'iou');
      close(phaseIoU(truth, pred, ph.positive), ph.iou, 'phaseIoU');
      close(s.f1, ph.f1, 'f1');
      close(s.dice, ph.f1, 'dice');
      close(s.precision, ph.precision, 'precision');
      close(s.recall, ph.recall, 'recall');
    });
  }

  test(`${c.name}: boundary F1 matches skimage find_boundaries + scipy EDT`, () => {
    for (const b of e.boundary) {
      const s = boundaryF1(truth, pred, { tolerance: b.tolerance });
      assert.equal(s.truthPixels, b.truthPixels, `truth boundary pixels at tol ${b.tolerance}`);
      assert.equal(s.predPixels, b.predPixels, `pred boundary pixels at tol ${b.tolerance}`);
      close(s.precision, b.precision, `precision at tol ${b.tolerance}`);
      close(s.recall, b.recall, `recall at tol ${b.tolerance}`);
      close(s.f1, b.f1, `f1 at tol ${b.tolerance}`);
    }
  });

  if (e.objects) {
    const o = e.objects;
    test(`${c.name}: object matching at IoU >= ${o.iouThreshold} matches the reference`, () => {
      const s = matchObjects(truth, pred, { iouThreshold: o.iouThreshold });
      assert.deepEqual([s.tp, s.fp, s.fn], [o.tp, o.fp, o.fn]);
      close(s.precision, o.precision, 'precision');
      close(s.recall, o.recall, 'recall');
      close(s.meanMatchedIoU, o.meanMatchedIoU, 'mean matched IoU');
    });
  }
}

function randomMap(width: number, height: number, labels: number, seed: number): IndexMap {
  const data = new Uint32Array(width * height);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s >>> 8) % labels;
  }
  return { width, height, data };
}

test('ARI is 1 for the same partition under other ids, symmetric, and near 0 for independent maps', () => {
  const a = randomMap(64, 48, 7, 1);
  const renamed = { ...a, data: a.data.map((v) => 4_000_000_000 - v * 13) };
  assert.equal(adjustedRandIndex(a, renamed), 1);
  const b = randomMap(64, 48, 5, 2);
  close(adjustedRandIndex(a, b), adjustedRandIndex(b, a), 'symmetry');
  assert.ok(Math.abs(adjustedRandIndex(a, b)) < 0.02, `independent maps give ${adjustedRandIndex(a, b)}`);
});

test('ARI of one-cluster maps and of mismatched sizes', () => {
  const one = { width: 4, height: 4, data: new Uint32Array(16).fill(3) };
  assert.equal(adjustedRandIndex(one, one), 1);
  const half = { width: 4, height: 4, data: new Uint32Array(16).map((_, i) => (i < 8 ? 1 : 2)) };
  // All-in-one vs a split: no agreement beyond chance, sklearn gives 0.
  assert.equal(adjustedRandIndex(one, half), 0);
  assert.throws(() => adjustedRandIndex(one, { width: 2, height: 8, data: new Uint32Array(16) }), RangeError);
});

test('ARI on a large, coherent map with thousands of labels', () => {
  // 1024 x 1024 blocks of 16 x 16 (4096 labels) vs the same blocks shifted by 8 px horizontally.
  const w = 1024;
  const truth = new Uint32Array(w * w);
  const pred = new Uint32Array(w * w);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      truth[y * w + x] = 1 + (y >> 4) * 64 + (x >> 4);
      pred[y * w + x] = 1 + (y >> 4) * 65 + ((x + 8) >> 4);
    }
  }
  // Each truth block splits into two 16x8 halves; each pred block joins two halves.
  // S = sum C(128,2) over 8192 cells; A = B' computed the same way: closed form below.
  const cell = 128;
  const S = 2 * 64 * 64 * (cell * (cell - 1)) / 2;
  const A = 64 * 64 * (256 * 255) / 2;
  // Pred: 65 columns per row band: 63 full blocks of 256 px and two edge halves of 128 px.
  const B = 64 * (63 * (256 * 255) / 2 + 2 * (cell * (cell - 1)) / 2);
  const n = w * w;
  const N = (n * (n - 1)) / 2;
  const expected = (S - (A * B) / N) / ((A + B) / 2 - (A * B) / N);
  close(adjustedRandIndex({ width: w, height: w, data: truth }, { width: w, height: w, data: pred }), expected, 'block ARI');
});

test('ignoreTruth drops pixels whose truth is the void label', () => {
  const truth = { width: 4, height: 1, data: new Uint8Array([1, 1, 255, 2]) };
  const pred = { width: 4, height: 1, data: new Uint8Array([1, 1, 2, 2]) };
  assert.equal(adjustedRandIndex(truth, pred, { ignoreTruth: 255 }), 1);
  const s = classScores(truth, pred, { ignoreTruth: 255 });
  assert.equal(s.pixelAccuracy, 1);
  assert.deepEqual(s.labels, [1, 2]);
});

test('phase scores: empty phase uses zeroDivision, foreground scores compare non-zero masks', () => {
  const truth = { width: 3, height: 1, data: new Uint8Array([0, 0, 0]) };
  const pred = { width: 3, height: 1, data: new Uint8Array([0, 0, 0]) };
  assert.equal(phaseScores(truth, pred, 1).iou, 0);
  assert.equal(phaseScores(truth, pred, 1, { zeroDivision: 1 }).iou, 1);
  const t2 = { width: 4, height: 1, data: new Uint32Array([5, 5, 0, 9]) };
  const p2 = { width: 4, height: 1, data: new Uint32Array([1, 0, 0, 2]) };
  const f = foregroundScores(t2, p2);
  assert.deepEqual([f.tp, f.fp, f.fn, f.tn], [2, 0, 1, 1]);
  close(f.iou, 2 / 3, 'foreground iou');
});

test('withinDistance equals a brute-force disk dilation', () => {
  const w = 37;
  const h = 23;
  const mask = new Uint8Array(w * h);
  let s = 7;
  for (let i = 0; i < mask.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    mask[i] = (s >>> 16) % 29 === 0 ? 1 : 0;
  }
  for (const r of [0, 1, 1.5, 2.9, 4]) {
    const got = withinDistance(mask, w, h, r);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let best = Infinity;
        for (let j = 0; j < mask.length; j++) {
          if (!mask[j]) continue;
          const dx = (j % w) - x;
          const dy = Math.floor(j / w) - y;
          best = Math.min(best, dx * dx + dy * dy);
        }
        assert.equal(got[y * w + x], best <= r * r ? 1 : 0, `pixel ${x},${y} at radius ${r}`);
      }
    }
  }
});

test('boundary F1: a 1-px shift scores 1 within tolerance 1 and less at 0', () => {
  const w = 20;
  const a = new Uint32Array(w * w);
  const b = new Uint32Array(w * w);
  for (let i = 0; i < a.length; i++) {
    a[i] = i % w < 10 ? 1 : 2;
    b[i] = i % w < 11 ? 1 : 2;
  }
  const ta = { width: w, height: w, data: a };
  const tb = { width: w, height: w, data: b };
  assert.equal(boundaryMask(ta).reduce((s, v) => s + v, 0), 2 * w);
  assert.equal(boundaryF1(ta, tb, { tolerance: 1 }).f1, 1);
  close(boundaryF1(ta, tb, { tolerance: 0 }).f1, 0.5, 'f1 at tolerance 0');
});

test('object matching: one-to-one, threshold inclusive, background ignored', () => {
  // Truth: object 1 = 4 px. Pred 7 covers 2 of them (IoU 0.5), pred 8 the other 2 (IoU 0.5).
  const truth = { width: 6, height: 1, data: new Uint32Array([1, 1, 1, 1, 0, 0]) };
  const pred = { width: 6, height: 1, data: new Uint32Array([7, 7, 8, 8, 0, 9]) };
  const s = matchObjects(truth, pred);
  assert.deepEqual([s.tp, s.fp, s.fn], [1, 2, 0]);
  assert.deepEqual(s.matches, [{ truth: 1, pred: 7, iou: 0.5 }]);
  const strict = matchObjects(truth, pred, { iouThreshold: 0.51 });
  assert.deepEqual([strict.tp, strict.fp, strict.fn], [0, 3, 1]);
});

test('dense contingency (noise-like maps) gives the same cells as the hash table', () => {
  const t = randomMap(120, 90, 300, 11);
  const p = randomMap(120, 90, 250, 12);
  p.data[5] = 4_294_967_295;
  const sorted = (e: { a: Uint32Array; b: Uint32Array; count: Float64Array }): string[] =>
    [...e.a].map((a, i) => `${a},${e.b[i]},${e.count[i]}`).sort();
  for (const opts of [{}, { ignoreTruth: 7 }, { foregroundOnly: true }]) {
    const hashed = contingency(t, p, opts);
    const dense = contingency(t, p, { ...opts, denseAfterPairs: 100 });
    assert.ok(!(dense instanceof PairCounter), 'switched to the dense table');
    assert.equal(dense.size, hashed.size);
    assert.deepEqual(sorted(dense.entries()), sorted(hashed.entries()));
  }
});
