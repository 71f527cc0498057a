// Tests for SAM preprocessing: frame geometry, contrast window, Pillow-equivalent resize, tensor layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RasterImage } from '../../app/types';
import {
  frameGeometry,
  hwcRaw,
  nchwNormalised,
  percentileWindow,
  preprocessKey,
  resizeToFrame,
  resolveWindow,
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD,
} from './preprocess';

interface PilCase {
  width: number;
  height: number;
  channels: 1 | 3;
  frame: number;
  outWidth: number;
  outHeight: number;
  input: number[];
  expected: number[];
}
const pil = JSON.parse(readFileSync(new URL('./fixtures/pil-resize.json', import.meta.url), 'utf8')) as { cases: PilCase[] };

test('frame geometry follows SAM: longest side 1024, other side int(dim * s + 0.5)', () => {
  assert.deepEqual(frameGeometry(800, 600), { imageWidth: 800, imageHeight: 600, resizedWidth: 1024, resizedHeight: 768 });
  // 1000 * 1024 / 3000 = 341.33 -> 341; 8192 x 5461: 5461 / 8 = 682.6 -> 683
  assert.equal(frameGeometry(1000, 3000).resizedWidth, 341);
  assert.equal(frameGeometry(8192, 5461).resizedHeight, 683);
  assert.equal(frameGeometry(512, 512).resizedWidth, 1024);
});

test('resize matches Pillow bilinear (antialiased) within one grey level', () => {
  for (const c of pil.cases) {
    const raster: RasterImage = { width: c.width, height: c.height, channels: c.channels, bitDepth: 8, data: Uint8Array.from(c.input) };
    // 'full' keeps 8-bit values as they are (no contrast stretch), as Pillow sees them.
    const { rgb, geometry } = resizeToFrame(raster, { window: 'full' }, c.frame);
    assert.equal(geometry.resizedWidth, c.outWidth);
    assert.equal(geometry.resizedHeight, c.outHeight);
    let worst = 0;
    const n = c.outWidth * c.outHeight;
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const want = c.channels === 3 ? c.expected[i * 3 + ch]! : c.expected[i]!;
        worst = Math.max(worst, Math.abs(rgb[i * 3 + ch]! - want));
      }
    }
    assert.ok(worst <= 1, `case ${c.width}x${c.height}->${c.outWidth}x${c.outHeight}: max difference ${worst}`);
  }
});

test('percentile window ignores outliers; explicit and full windows resolve as documented', () => {
  const n = 10_000;
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = 1000 + (i % 1000); // 1000..1999
  data[0] = 0;
  data[1] = 65535; // two outliers, 0.02% of the pixels
  const grey16: RasterImage = { width: 100, height: 100, channels: 1, bitDepth: 16, data };
  const w = percentileWindow(grey16);
  assert.ok(w.low >= 1000 && w.low <= 1010, `low ${w.low}`);
  assert.ok(w.high >= 1990 && w.high <= 1999, `high ${w.high}`);
  assert.deepEqual(resolveWindow(grey16, { window: { low: 5, high: 10 } }), { low: 5, high: 10 });
  assert.deepEqual(resolveWindow(grey16, { window: 'full' }), { low: 0, high: 65535 });
  const rgb8: RasterImage = { width: 1, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array([1, 2, 3]) };
  assert.equal(resolveWindow(rgb8), null, '8-bit RGB passes unchanged by default');
  assert.throws(() => resolveWindow(grey16, { window: { low: 10, high: 10 } }), RangeError);
});

test('16-bit grey is windowed to 0..255 and replicated to three channels', () => {
  // 1024 wide so no resize happens; values 1000 and 3000 with the window [1000, 3000].
  const w = 1024;
  const h = 4;
  const data = new Uint16Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = i % w < 512 ? 1000 : 3000;
  const { rgb, geometry } = resizeToFrame({ width: w, height: h, channels: 1, bitDepth: 16, data }, { window: { low: 1000, high: 3000 } });
  assert.equal(geometry.resizedWidth, 1024);
  assert.deepEqual([...rgb.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...rgb.subarray(1000 * 3, 1000 * 3 + 3)], [255, 255, 255]);
});

test('RGBA drops alpha; grey+alpha uses the grey channel', () => {
  const rgba: RasterImage = { width: 2, height: 1, channels: 4, bitDepth: 8, data: new Uint8Array([10, 20, 30, 0, 40, 50, 60, 255]) };
  const { rgb } = resizeToFrame(rgba, {}, 2);
  assert.deepEqual([...rgb], [10, 20, 30, 40, 50, 60]);
  const ga: RasterImage = { width: 2, height: 1, channels: 2, bitDepth: 8, data: new Uint8Array([0, 9, 255, 9]) };
  assert.deepEqual([...resizeToFrame(ga, { window: 'full' }, 2).rgb], [0, 0, 0, 255, 255, 255]);
});

test('NCHW input is normalised per channel and zero-padded bottom/right', () => {
  const frame = 4;
  const rgb = new Uint8Array([255, 0, 128, 10, 20, 30]); // 2x1 image
  const t = nchwNormalised(rgb, 2, 1, frame);
  assert.equal(t.length, 3 * frame * frame);
  assert.ok(Math.abs(t[0]! - (255 - SAM_PIXEL_MEAN[0]!) / SAM_PIXEL_STD[0]!) < 1e-5);
  assert.ok(Math.abs(t[frame * frame + 1]! - (20 - SAM_PIXEL_MEAN[1]!) / SAM_PIXEL_STD[1]!) < 1e-5);
  assert.ok(Math.abs(t[2 * frame * frame]! - (128 - SAM_PIXEL_MEAN[2]!) / SAM_PIXEL_STD[2]!) < 1e-5);
  assert.equal(t[2], 0, 'padding right of the image');
  assert.equal(t[frame], 0, 'padding below the image');
});

test('HWC input keeps 0..255 and pads to fixed dims when asked', () => {
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6]); // 2x1
  assert.deepEqual([...hwcRaw(rgb, 2, 1)], [1, 2, 3, 4, 5, 6]);
  const padded = hwcRaw(rgb, 2, 1, 3, 2);
  assert.equal(padded.length, 3 * 2 * 3);
  assert.deepEqual([...padded.subarray(0, 9)], [1, 2, 3, 4, 5, 6, 0, 0, 0]);
  assert.throws(() => hwcRaw(rgb, 2, 1, 1, 1), RangeError);
});

test('preprocess key changes with the window', () => {
  assert.notEqual(preprocessKey(), preprocessKey({ window: 'full' }));
  assert.notEqual(preprocessKey({ window: { low: 0, high: 10 } }), preprocessKey({ window: { low: 0, high: 11 } }));
  assert.equal(preprocessKey(), preprocessKey({ window: 'auto', percentiles: [0.5, 99.5] }));
});

test('a short pixel buffer is rejected', () => {
  assert.throws(() => resizeToFrame({ width: 10, height: 10, channels: 1, bitDepth: 8, data: new Uint8Array(50) }), RangeError);
});
