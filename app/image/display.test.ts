import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentileWindow, toDisplayRGBA, toGrey, valueAt } from './display';
import type { RasterImage } from '../types';

test('16-bit percentile window ignores outliers and stretches the bulk to 0..255', () => {
  const n = 10_000;
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = 1000 + (i % 1000); // bulk in 1000..1999
  data[0] = 65535; // hot pixel
  data[1] = 0; // dead pixel
  const img: RasterImage = { width: 100, height: 100, channels: 1, bitDepth: 16, data };
  const w = percentileWindow(img, 0.5, 99.5);
  assert.ok(w.low >= 1000 && w.low < 1010, `low ${w.low}`);
  assert.ok(w.high > 1985 && w.high <= 1999, `high ${w.high}`);
  const rgba = toDisplayRGBA(img, w);
  assert.equal(rgba[0], 255);
  assert.equal(rgba[4], 0);
  const mid = data.indexOf(1500);
  assert.ok(Math.abs(rgba[mid * 4]! - 128) < 4);
  assert.deepEqual(valueAt(img, 0, 0), [65535]);
});

test('toGrey keeps raw 16-bit values and reduces RGB to luma', () => {
  const g16 = toGrey({ width: 2, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.from([300, 60000]) });
  assert.ok(g16.data instanceof Uint16Array);
  assert.deepEqual(Array.from(g16.data), [300, 60000]);
  const rgb = toGrey({ width: 1, height: 1, channels: 3, bitDepth: 8, data: Uint8Array.from([255, 0, 0]) });
  assert.equal(rgb.data[0], 76);
});
