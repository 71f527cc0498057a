import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampRegion, previewScale, regionRaster, scaleSettings } from './preview';

test('regionRaster: box mean over whole factors, partial boxes at the region edge', () => {
  // 5 x 3 grey image, values = x + 10 y.
  const data = new Uint8Array(15);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) data[y * 5 + x] = x + 10 * y;
  const img = { width: 5, height: 3, channels: 1 as const, bitDepth: 8 as const, data };
  const r = regionRaster(img, { x: 1, y: 0, width: 4, height: 3 }, 2);
  assert.deepEqual([r.width, r.height], [2, 2]);
  // [1,2,11,12] -> 6.5 -> 7 (round half up); [3,4,13,14] -> 8.5 -> 9; [21,22] -> 21.5 -> 22; [23,24] -> 23.5 -> 24.
  assert.deepEqual([...r.data], [7, 9, 22, 24]);
  assert.deepEqual([...regionRaster(img, { x: 2, y: 1, width: 2, height: 1 }, 1).data], [12, 13]);
});

test('previewScale, clampRegion and scaled settings', () => {
  assert.equal(previewScale({ x: 0, y: 0, width: 1024, height: 300 }, 512), 2);
  assert.equal(previewScale({ x: 0, y: 0, width: 1025, height: 300 }, 512), 3);
  assert.equal(previewScale({ x: 0, y: 0, width: 200, height: 300 }, 512), 1);
  assert.deepEqual(clampRegion({ x: -10, y: 5, width: 30, height: 100 }, 15, 40), { x: 0, y: 5, width: 15, height: 35 });
  assert.equal(clampRegion({ x: 20, y: 0, width: 5, height: 5 }, 15, 40), null);
  const s = scaleSettings({ mode: 'grain', minArea: 64, invert: false, sigma: 2, lineWidth: 3, seedDepth: 4, blockSize: 51 }, 4);
  assert.equal(s.minArea, 4);
  assert.equal(s.sigma, 0.5);
  assert.equal(s.lineWidth, 1);
  assert.equal(s.seedDepth, 1);
  assert.equal(s.blockSize! % 2, 1);
});
