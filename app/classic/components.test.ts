import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelRegions, mergeSmallRegions, regionAreas, relabelSequential, removeSmallComponents } from './components';
import { mergeSimilarRegions } from './regions';
import { squaredDistanceTransform, distanceTransform, NO_BACKGROUND } from './distance';
import { multiOtsuThresholds, classify } from './threshold';
import { watershed } from './watershed';

/** Builds a label/class array from rows of single-character cells. */
function grid(rows: string[]): { width: number; height: number; data: Uint32Array } {
  const width = rows[0]!.length;
  const data = new Uint32Array(width * rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === '.' ? 0 : c.charCodeAt(0) - 96)));
  return { width, height: rows.length, data };
}

test('labelRegions joins equal values only, and can leave a background value at 0', () => {
  const g = grid(['aab', 'abb', 'cca']);
  const all = labelRegions(g.width, g.height, g.data, 4, null);
  assert.equal(all.count, 4); // a-top-left, b, c, a-bottom-right
  const noA = labelRegions(g.width, g.height, g.data, 4, 1);
  assert.equal(noA.count, 2);
  assert.equal(noA.labels[0], 0);
});

test('mergeSmallRegions absorbs small regions into the longest-border neighbour, leaving no gap', () => {
  const g = grid([
    'aaaaabbbbb',
    'aaaaabbbbb',
    'aacaabbbbb',
    'aaaaabbddb',
    'aaaaabbbbb',
  ]);
  const out = mergeSmallRegions(g.width, g.height, g.data, 3);
  assert.equal(out[2 * 10 + 2], 1, 'c (1 px, inside a) becomes a');
  assert.equal(out[3 * 10 + 7], 2, 'd (2 px, inside b) becomes b');
  assert.deepEqual([...new Set(out)].sort(), [1, 2]);
  // A pair of small regions next to each other moves together into the big one around them.
  const h = grid(['aaaaaa', 'abbcca', 'aaaaaa']);
  assert.deepEqual([...new Set(mergeSmallRegions(h.width, h.height, h.data, 3))], [1]);
  // Nothing is small: unchanged copy.
  assert.deepEqual(mergeSmallRegions(g.width, g.height, g.data, 1), g.data);
});

test('removeSmallComponents and relabelSequential renumber from 1 in raster order', () => {
  const g = grid(['c.a', '..a', 'b..']);
  const kept = removeSmallComponents({ width: 3, height: 3, data: g.data }, 2);
  assert.deepEqual(Array.from(kept.data), [0, 0, 1, 0, 0, 1, 0, 0, 0]);
  const r = g.data.slice();
  assert.equal(relabelSequential(r), 3);
  assert.deepEqual(Array.from(r), [1, 0, 2, 0, 0, 2, 3, 0, 0]);
  assert.deepEqual(Array.from(regionAreas(r)), [5, 1, 2, 1]);
});

test('mergeSimilarRegions merges neighbours with close means and keeps contrasting ones', () => {
  // Four vertical bands: means 10, 12, 100, 104. Limit 5 merges 1+2 and 3+4 only.
  const w = 8, h = 4;
  const labels = new Uint32Array(w * h);
  const f = new Float32Array(w * h);
  const means = [10, 12, 100, 104];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    labels[y * w + x] = (x >> 1) + 1;
    f[y * w + x] = means[x >> 1]!;
  }
  const out = mergeSimilarRegions(w, h, labels, [f], 5);
  assert.equal(out[0], out[2]);
  assert.equal(out[4], out[6]);
  assert.notEqual(out[0], out[4]);
  // After 1+2 merge (mean 11) the next closest pair, 11 vs 102, stays above any small limit.
  assert.equal(new Set(mergeSimilarRegions(w, h, labels, [f], 95)).size, 1);
});

test('distance transform: no background anywhere gives NO_BACKGROUND / Infinity', () => {
  const m = { width: 3, height: 2, data: new Uint8Array(6).fill(1) };
  assert.ok(squaredDistanceTransform(m).every((v) => v === NO_BACKGROUND));
  assert.ok(distanceTransform(m).every((v) => v === Infinity));
  m.data[5] = 0;
  assert.deepEqual(Array.from(squaredDistanceTransform(m)), [5, 2, 1, 4, 1, 0]);
});

test('watershed floods a float relief after quantising it', () => {
  // Two basins separated by a ridge at x = 5.
  const w = 11, h = 3;
  const relief = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) relief[y * w + x] = 0.01 * (5 - Math.abs(x - 5)) ** 2;
  const markers = new Uint32Array(w * h);
  markers[w + 0] = 1;
  markers[w + 10] = 2;
  const out = watershed({ width: w, height: h, data: relief }, { width: w, height: h, data: markers }).data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < 5; x++) assert.equal(out[y * w + x], 1);
    for (let x = 6; x < w; x++) assert.equal(out[y * w + x], 2);
  }
});

test('multi-Otsu rejects impossible class counts and classify puts ties in the lower class', () => {
  const d = Uint8Array.from([10, 10, 50, 50, 90, 90]);
  assert.throws(() => multiOtsuThresholds(d, 6), RangeError);
  assert.throws(() => multiOtsuThresholds(Uint8Array.from([1, 1, 2]), 3), RangeError);
  const t = multiOtsuThresholds(d, 3);
  assert.deepEqual(t, [10, 50]);
  assert.deepEqual(Array.from(classify(d, t)), [0, 0, 1, 1, 2, 2]);
});
