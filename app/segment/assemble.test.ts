import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box, LabelMap } from '../types';
import { assembleLabelMap, fillGaps } from './assemble';
import type { CandidateMask } from './types';

/** A candidate whose mask is the disc (or full box when r is omitted) inside `box`. */
function candidate(box: Box, score: number, opts: { r?: number; stability?: number } = {}): CandidateMask {
  const mask = new Uint8Array(box.width * box.height);
  const cx = (box.width - 1) / 2;
  const cy = (box.height - 1) / 2;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      if (opts.r === undefined || (x - cx) ** 2 + (y - cy) ** 2 <= opts.r ** 2) mask[y * box.width + x] = 1;
    }
  }
  let area = 0;
  for (const v of mask) area += v;
  return { box, mask, score, stability: opts.stability ?? 0.97, cropIndex: 0, area };
}

const at = (m: LabelMap, x: number, y: number) => m.data[y * m.width + x]!;
const count = (m: LabelMap, id: number) => m.data.reduce((n, v) => n + (v === id ? 1 : 0), 0);

test('overlapping masks: the higher predicted IoU takes the overlap', () => {
  const a = candidate({ x: 0, y: 0, width: 10, height: 10 }, 0.9);
  const b = candidate({ x: 5, y: 0, width: 10, height: 10 }, 0.95);
  const { labels, sources } = assembleLabelMap([a, b], 20, 12);
  assert.deepEqual(sources, [1, 0], 'b (index 1) is painted first and gets id 1');
  assert.equal(at(labels, 7, 5), 1, 'overlap belongs to b');
  assert.equal(at(labels, 2, 5), 2);
  assert.equal(at(labels, 12, 5), 1);
  assert.equal(at(labels, 17, 5), 0);
  assert.equal(at(labels, 2, 11), 0);
  assert.equal(count(labels, 1), 100);
  assert.equal(count(labels, 2), 50);
  // Swap the scores: a wins the overlap.
  const swapped = assembleLabelMap([{ ...a, score: 0.99 }, b], 20, 12);
  assert.equal(at(swapped.labels, 7, 5), 1);
  assert.deepEqual(swapped.sources, [0, 1]);
  // Equal scores: stability breaks the tie.
  const tie = assembleLabelMap([{ ...a, score: 0.9, stability: 0.96 }, { ...b, score: 0.9, stability: 0.99 }], 20, 12);
  assert.deepEqual(tie.sources, [1, 0]);
});

test('a mask mostly hidden by better masks is dropped, leaving its free pixels empty', () => {
  const big = candidate({ x: 0, y: 0, width: 10, height: 10 }, 0.99);
  const dup = candidate({ x: 0, y: 0, width: 10, height: 11 }, 0.9); // only its last row (10 px) is free
  const r = assembleLabelMap([big, dup], 10, 11);
  assert.deepEqual(r.sources, [0]);
  assert.equal(at(r.labels, 3, 10), 0);
  // With a low visibility bar it survives as a thin sliver.
  const loose = assembleLabelMap([big, dup], 10, 11, { minVisibleFraction: 0.05 });
  assert.deepEqual(loose.sources, [0, 1]);
  assert.equal(count(loose.labels, 2), 10);
  // minArea drops small leftovers too.
  assert.deepEqual(assembleLabelMap([big, dup], 10, 11, { minVisibleFraction: 0, minArea: 11 }).sources, [0]);
});

test("order 'area' keeps small particles inside a large, better-scored mask", () => {
  const matrix = candidate({ x: 0, y: 0, width: 30, height: 30 }, 0.99);
  const particle = candidate({ x: 10, y: 10, width: 7, height: 7 }, 0.9, { r: 3 });
  const byScore = assembleLabelMap([matrix, particle], 30, 30);
  assert.deepEqual(byScore.sources, [0], 'the particle is hidden by the matrix');
  const byArea = assembleLabelMap([matrix, particle], 30, 30, { order: 'area' });
  assert.deepEqual(byArea.sources, [1, 0]);
  assert.equal(at(byArea.labels, 13, 13), 1);
  assert.equal(at(byArea.labels, 2, 2), 2);
  assert.equal(count(byArea.labels, 1), particle.area);
});

test('a candidate partly outside the map is clipped, not wrapped', () => {
  const c = candidate({ x: 8, y: 8, width: 4, height: 4 }, 0.9);
  const r = assembleLabelMap([c], 10, 10);
  assert.equal(count(r.labels, 1), 4);
  assert.equal(at(r.labels, 0, 9), 0);
});

test('gap filling leaves no unlabelled pixel and never changes a label', () => {
  const w = 40, h = 30;
  const data = new Uint32Array(w * h);
  data[3 * w + 4] = 1;
  data[20 * w + 30] = 2;
  for (let x = 10; x < 20; x++) data[15 * w + x] = 3;
  const before = data.slice();
  const filled = fillGaps({ width: w, height: h, data });
  assert.ok(filled.data.every((v) => v !== 0), 'no unlabelled pixel left');
  for (let i = 0; i < before.length; i++) if (before[i]) assert.equal(filled.data[i], before[i]);
  assert.deepEqual(data, before, 'input untouched');
  // Without an image each pixel goes to the geodesically nearest seed.
  assert.equal(filled.data[0], 1);
  assert.equal(filled.data[(h - 1) * w + (w - 1)], 2);
});

test('gap filling with an image splits a gap along its strongest edge', () => {
  const w = 40, h = 10;
  const labels = new Uint32Array(w * h);
  const pixels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x < 3) labels[y * w + x] = 1;
      if (x >= 37) labels[y * w + x] = 2;
      // The intensity step (the real boundary) is at x = 28, far from the gap's middle (x = 20).
      pixels[y * w + x] = x < 28 ? 50 : 200;
    }
  }
  const map = { width: w, height: h, data: labels };
  const flooded = fillGaps(map, { width: w, height: h, data: pixels });
  for (let y = 0; y < h; y++) {
    assert.equal(flooded.data[y * w + 25], 1, `row ${y}: left of the edge`);
    assert.equal(flooded.data[y * w + 31], 2, `row ${y}: right of the edge`);
  }
  const bfs = fillGaps(map);
  assert.equal(bfs.data[5 * w + 25], 2, 'without the image the gap is split in its middle');
  assert.equal(bfs.data[5 * w + 15], 1);
  assert.throws(() => fillGaps(map, { width: 5, height: 5, data: new Uint8Array(25) }), /image is 5x5/);
});

test('gap filling on an empty map changes nothing', () => {
  const map = { width: 5, height: 4, data: new Uint32Array(20) };
  assert.ok(fillGaps(map).data.every((v) => v === 0), 'still empty');
});
