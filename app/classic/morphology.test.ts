import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dilate, erode, hMaxima } from './morphology';

/** Max/min over the window clipped to the image, the obvious way. */
function bruteRank(w: number, h: number, data: Float32Array, size: number, max: boolean): Float32Array {
  const r = (size - 1) >> 1;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let m = max ? -Infinity : Infinity;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          const v = data[yy * w + xx]!;
          m = max ? Math.max(m, v) : Math.min(m, v);
        }
      }
      out[y * w + x] = m;
    }
  }
  return out;
}

test('square dilation and erosion equal the brute-force window extrema for any size and shape', () => {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  for (const [w, h] of [[1, 1], [7, 3], [3, 9], [17, 11], [32, 5]] as const) {
    const data = Float32Array.from({ length: w * h }, () => Math.floor(rnd() * 100) - 50);
    for (const size of [1, 3, 5, 9, 15]) {
      const img = { width: w, height: h, data };
      assert.deepEqual(dilate(img, size).data, bruteRank(w, h, data, size, true), `dilate ${w}x${h} size ${size}`);
      assert.deepEqual(erode(img, size).data, bruteRank(w, h, data, size, false), `erode ${w}x${h} size ${size}`);
    }
  }
});

test('h-maxima keeps peaks at least h above their saddle and drops shallower ones', () => {
  // Profile along a row: a peak of 10 (dynamic 10 above the saddle at 0), a peak of 3.
  const row = [0, 5, 10, 5, 0, 1, 3, 1, 0];
  const img = { width: row.length, height: 1, data: Float32Array.from(row) };
  assert.deepEqual(Array.from(hMaxima(img, 4).data), [0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(hMaxima(img, 2).data), [0, 0, 1, 0, 0, 0, 1, 0, 0]);
});
