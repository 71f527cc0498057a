// upscaleMask against a full-image bilinear resize written out plainly (PyTorch's align_corners=False).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxAbove, boxAboveWithin, paintMask, resampleLogits, upscaleMask } from './upsample';

/** The whole dw x dh resize, then threshold: what Meta's decoder output would be. */
function fullResizeMask(src: Float32Array, sw: number, sh: number, dw: number, dh: number, t: number): Uint8Array {
  const out = new Uint8Array(dw * dh);
  const coord = (d: number, sLen: number, dLen: number) => {
    const s = Math.max(0, (d + 0.5) * (sLen / dLen) - 0.5);
    const i0 = Math.min(Math.floor(s), sLen - 1);
    const i1 = Math.min(i0 + 1, sLen - 1);
    return [i0, i1, s - i0] as const;
  };
  for (let y = 0; y < dh; y++) {
    const [y0, y1, ly] = coord(y, sh, dh);
    for (let x = 0; x < dw; x++) {
      const [x0, x1, lx] = coord(x, sw, dw);
      const v = (1 - ly) * ((1 - lx) * src[y0 * sw + x0]! + lx * src[y0 * sw + x1]!) + ly * ((1 - lx) * src[y1 * sw + x0]! + lx * src[y1 * sw + x1]!);
      out[y * dw + x] = v > t ? 1 : 0;
    }
  }
  return out;
}

/** Deterministic smooth blob logits with some noise. */
function blob(sw: number, sh: number, cx: number, cy: number, r: number, seed: number): Float32Array {
  const a = new Float32Array(sw * sh);
  let s = seed;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      s = (s * 1103515245 + 12345) >>> 0;
      a[y * sw + x] = r - Math.hypot(x - cx, y - cy) + ((s / 2 ** 32) - 0.5) * 0.8;
    }
  }
  return a;
}

function expand(mask: Uint8Array, box: { x: number; y: number; width: number; height: number }, w: number, h: number): Uint8Array {
  const full = new Uint32Array(w * h);
  paintMask(full, w, box, mask, 1);
  return Uint8Array.from(full);
}

test('upscaleMask equals thresholding the full bilinear resize (up, down, non-integer ratios, at the border)', () => {
  const cases = [
    { sw: 64, sh: 48, dw: 256, dh: 192, cx: 20, cy: 30, r: 9 },
    { sw: 100, sh: 75, dw: 333, dh: 250, cx: 3, cy: 70, r: 12 },
    { sw: 120, sh: 90, dw: 80, dh: 60, cx: 60, cy: 45, r: 30 },
    { sw: 50, sh: 50, dw: 50, dh: 50, cx: 49, cy: 0, r: 6 },
  ];
  for (const [k, c] of cases.entries()) {
    const src = blob(c.sw, c.sh, c.cx, c.cy, c.r, k + 1);
    const expected = fullResizeMask(src, c.sw, c.sh, c.dw, c.dh, 0);
    const m = upscaleMask(src, c.sw, c.sh, c.dw, c.dh, 0);
    const area = expected.reduce((a, v) => a + v, 0);
    assert.ok(area > 0);
    assert.equal(m.area, area, `case ${k}`);
    assert.deepEqual(m.box, boxAbove(expected, c.dw, c.dh, 0), `case ${k}`);
    assert.deepEqual(expand(m.mask, m.box, c.dw, c.dh), expected, `case ${k}`);
  }
});

test('a window of the logits with a 2-pixel margin gives the same mask as the whole plane', () => {
  const sw = 90, sh = 70, dw = 400, dh = 311;
  const src = blob(sw, sh, 40, 33, 11, 7);
  const whole = upscaleMask(src, sw, sh, dw, dh, 0);
  const b = boxAbove(src, sw, sh, 0)!;
  const win = { x: b.x - 2, y: b.y - 2, width: b.width + 4, height: b.height + 4 };
  const part = new Int16Array(win.width * win.height);
  for (let y = 0; y < win.height; y++) for (let x = 0; x < win.width; x++) part[y * win.width + x] = Math.round(src[(win.y + y) * sw + win.x + x]! * 64);
  const fromWindow = upscaleMask(part, sw, sh, dw, dh, 0, b, win);
  assert.deepEqual(fromWindow.box, whole.box);
  // Quantised to 1/64 of a logit: at most a few contour pixels may flip.
  let diff = 0;
  const a = expand(whole.mask, whole.box, dw, dh);
  const c = expand(fromWindow.mask, fromWindow.box, dw, dh);
  for (let i = 0; i < a.length; i++) diff += a[i] !== c[i] ? 1 : 0;
  assert.ok(diff <= whole.area * 0.002, `${diff} pixels differ`);
});

test('an all-negative plane gives an empty mask', () => {
  const m = upscaleMask(new Float32Array(16).fill(-1), 4, 4, 40, 40, 0);
  assert.deepEqual(m, { box: { x: 0, y: 0, width: 0, height: 0 }, mask: new Uint8Array(0), area: 0 });
});

test('boxAboveWithin scans the hint, and the whole plane when the hint cuts the mask or misses it', () => {
  const src = blob(80, 60, 30, 25, 8, 3);
  const full = boxAbove(src, 80, 60, 0)!;
  const around = { x: full.x - 3, y: full.y - 3, width: full.width + 6, height: full.height + 6 };
  assert.deepEqual(boxAboveWithin(src, 80, 60, 0, around), full);
  assert.deepEqual(boxAboveWithin(src, 80, 60, 0, { x: full.x + 2, y: full.y, width: 4, height: 4 }), full, 'hint cuts the mask');
  assert.deepEqual(boxAboveWithin(src, 80, 60, 0, { x: 70, y: 50, width: 5, height: 5 }), full, 'hint misses the mask');
});

test('resampleLogits: a whole-plane resize thresholds like the plain resize; a window at the origin is "upsample to the frame, then crop"', () => {
  const src = blob(64, 64, 30, 20, 9, 5);
  for (const [dw, dh] of [[300, 170], [64, 64], [50, 90]] as const) {
    const r = resampleLogits(src, 64, 64, { x: 0, y: 0, width: 64, height: 64 }, dw, dh);
    assert.deepEqual(Uint8Array.from(r, (v) => (v > 0 ? 1 : 0)), fullResizeMask(src, 64, 64, dw, dh, 0), `${dw}x${dh}`);
  }
  assert.equal(resampleLogits(src, 64, 64, { x: 0, y: 0, width: 64, height: 64 }, 64, 64), src, 'same size: no copy');
  // Letterbox: upsampling 64 -> 256 and keeping the top-left 256x192 equals the window (0,0,64,48) -> 256x192.
  const whole = resampleLogits(src, 64, 64, { x: 0, y: 0, width: 64, height: 64 }, 256, 256);
  const window = resampleLogits(src, 64, 64, { x: 0, y: 0, width: 64, height: 48 }, 256, 192);
  let worst = 0;
  for (let y = 0; y < 192; y++) for (let x = 0; x < 256; x++) worst = Math.max(worst, Math.abs(whole[y * 256 + x]! - window[y * 256 + x]!));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
});
