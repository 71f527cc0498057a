import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentClassic, otsuThreshold, connectedComponents } from './index';

test('otsu separates a bimodal histogram between its modes', () => {
  const d = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) d[i] = i < 600 ? 40 + (i % 5) : 200 + (i % 7);
  const t = otsuThreshold(d);
  assert.ok(t >= 44 && t < 200, `threshold ${t}`);
});

test('connected components: 4- vs 8-connectivity on a diagonal', () => {
  const mask = { width: 3, height: 3, data: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
  assert.equal(Math.max(...connectedComponents(mask, 8).data), 1);
  assert.equal(Math.max(...connectedComponents(mask, 4).data), 3);
});

test('segmentClassic finds bright blobs on a dark background and drops specks', () => {
  const w = 40, h = 30;
  const data = new Uint8Array(w * h).fill(20);
  const square = (x0: number, y0: number, s: number) => {
    for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) data[y * w + x] = 220;
  };
  square(2, 2, 8);
  square(20, 10, 10);
  square(35, 25, 1);
  const lm = segmentClassic({ width: w, height: h, data }, { mode: 'phase', minArea: 4, invert: false });
  const ids = new Set(lm.data);
  ids.delete(0);
  assert.equal(ids.size, 2);
  assert.notEqual(lm.data[3 * w + 3], lm.data[12 * w + 22]);
  assert.equal(lm.data[25 * w + 35], 0);
});
