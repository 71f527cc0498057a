// Checks every classic operator against scikit-image / scipy outputs stored in fixtures/
// (generated once by fixtures/gen.py; no Python needed here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  adaptiveThreshold,
  blackTopHat,
  canny,
  connectedComponents,
  dilate,
  erode,
  fillHoles,
  gaussianBlur,
  hMaxima,
  localMeanThreshold,
  multiOtsuThresholds,
  otsuThreshold,
  reconstructByDilation,
  removeSmallHoles,
  removeSmallObjects,
  sobel,
  sobelGradients,
  squaredDistanceTransform,
  toFloat32,
  watershed,
} from './index';
import type { BorderMode } from './index';

interface Stored {
  dtype: string;
  shape: [number, number];
  z: string;
}
type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array;

function decode(s: Stored): Typed {
  const raw = inflateSync(Buffer.from(s.z, 'base64'));
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  switch (s.dtype) {
    case 'uint8':
      return new Uint8Array(buf);
    case 'uint16':
      return new Uint16Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'float32':
      return new Float32Array(buf);
    default:
      throw new Error(`unsupported fixture dtype ${s.dtype}`);
  }
}
function u8(s: Stored): Uint8Array {
  const a = decode(s);
  return a instanceof Uint8Array ? a : Uint8Array.from(a);
}
function u32(s: Stored): Uint32Array {
  return Uint32Array.from(decode(s));
}
function f32(s: Stored): Float32Array {
  const a = decode(s);
  assert.ok(a instanceof Float32Array);
  return a;
}
function grey(s: Stored) {
  const d = decode(s);
  assert.ok(!(d instanceof Uint32Array));
  return { width: s.shape[1], height: s.shape[0], data: d };
}
function mask(s: Stored) {
  return { width: s.shape[1], height: s.shape[0], data: u8(s) };
}
// Fixture JSON is read with a loose shape and narrowed by use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
function load(name: string): Json {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8'));
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) c++;
  return c;
}

const th = load('threshold.json');
const fl = load('filters.json');
const cy = load('canny.json');
const mo = load('morphology.json');

test('otsu matches threshold_otsu exactly on 8- and 16-bit images, within a bin on floats', () => {
  const [u8case, u16case, fcase] = th.otsu;
  assert.equal(otsuThreshold(grey(u8case.image).data), u8case.threshold);
  assert.equal(otsuThreshold(grey(u16case.image).data), u16case.threshold);
  const t = otsuThreshold(grey(fcase.image).data);
  assert.ok(Math.abs(t - fcase.threshold) <= fcase.binWidth * 0.5 + 1e-7, `float otsu ${t} vs ${fcase.threshold}`);
});

test('multi-otsu matches threshold_multiotsu exactly (3 and 4 classes)', () => {
  for (const c of th.multiotsu) {
    assert.deepEqual(multiOtsuThresholds(grey(c.image).data, c.classes), c.thresholds, `classes=${c.classes}`);
  }
});

test('local mean threshold matches threshold_local(method=mean) within 1e-4', () => {
  for (const c of th.local) {
    const img = grey(c.image);
    const t = localMeanThreshold(img, c.blockSize, c.offset);
    assert.ok(maxAbsDiff(t, f32(c.threshold)) < 1e-4, `block ${c.blockSize}`);
    const m = adaptiveThreshold(img, c.blockSize, c.offset);
    const ref = f32(c.threshold);
    for (let i = 0; i < ref.length; i++) {
      if (Math.abs(img.data[i]! - ref[i]!) > 1e-3) assert.equal(m.data[i], img.data[i]! > ref[i]! ? 1 : 0);
    }
  }
});

test('gaussian blur matches filters.gaussian within 1e-5 for every border mode', () => {
  const img = grey(fl.image);
  for (const c of fl.gaussian) {
    const out = gaussianBlur(img, c.sigma, { mode: c.mode as BorderMode });
    const d = maxAbsDiff(out.data, f32(c.expected));
    assert.ok(d < 1e-5, `sigma ${c.sigma} ${c.mode}: max diff ${d}`);
  }
});

test('sobel magnitude and ndimage.sobel derivatives match within 1e-5', () => {
  const img = grey(fl.image);
  assert.ok(maxAbsDiff(sobel(img).data, f32(fl.sobel)) < 1e-5);
  const { gx, gy } = sobelGradients(img);
  assert.ok(maxAbsDiff(gx, f32(fl.sobelX)) < 1e-5);
  assert.ok(maxAbsDiff(gy, f32(fl.sobelY)) < 1e-5);
});

test('canny edges agree with feature.canny (default, absolute and quantile thresholds)', () => {
  const img = grey(cy.image);
  for (const c of cy.cases) {
    const ours = canny(img, { sigma: c.sigma, low: c.low, high: c.high, useQuantiles: c.useQuantiles }).data;
    const ref = u8(c.expected);
    let both = 0;
    let either = 0;
    for (let i = 0; i < ref.length; i++) {
      if (ours[i] && ref[i]) both++;
      if (ours[i] || ref[i]) either++;
    }
    const agreement = both / either; // intersection over union of the edge pixels
    assert.ok(either > 50, 'the case has edges');
    assert.ok(agreement >= 0.95, `sigma ${c.sigma}: edge IoU ${agreement.toFixed(3)}`);
  }
});

test('squared EDT matches distance_transform_edt exactly', () => {
  const m = mask(mo.edt.mask);
  assert.equal(mismatches(squaredDistanceTransform(m), u32(mo.edt.squared)), 0);
});

test('connected components match measure.label (numbering included) for 4 and 8 connectivity', () => {
  const m = mask(mo.label.mask);
  assert.deepEqual(connectedComponents(m, 4).data, u32(mo.label.conn4));
  assert.deepEqual(connectedComponents(m, 8).data, u32(mo.label.conn8));
});

test('watershed matches segmentation.watershed exactly (4, 8 connectivity, mask)', () => {
  const w = mo.watershed;
  const relief = grey(w.relief);
  const markers = { width: relief.width, height: relief.height, data: u32(w.markers) };
  assert.equal(mismatches(watershed(relief, markers, { connectivity: 4 }).data, u32(w.conn4)), 0);
  assert.equal(mismatches(watershed(relief, markers, { connectivity: 8 }).data, u32(w.conn8)), 0);
  assert.equal(mismatches(watershed(relief, markers, { connectivity: 4, mask: u8(w.mask) }).data, u32(w.masked)), 0);
});

test('fill holes, small-object and small-hole removal match scipy / scikit-image', () => {
  assert.deepEqual(fillHoles(mask(mo.fillHoles.mask)).data, u8(mo.fillHoles.expected));
  const sparse = mask(mo.removeSmall.mask);
  assert.deepEqual(removeSmallObjects(sparse, 20, 4).data, u8(mo.removeSmall.conn4));
  assert.deepEqual(removeSmallObjects(sparse, 20, 8).data, u8(mo.removeSmall.conn8));
  assert.deepEqual(removeSmallHoles(mask(mo.fillHoles.mask), 12, 4).data, u8(mo.removeSmall.holes));
});

test('grey dilation, erosion, black top-hat, reconstruction and h-maxima match exactly', () => {
  const g = mo.grey;
  const img = toFloat32(grey(g.image));
  assert.equal(maxAbsDiff(dilate(img, 5).data, decode(g.dilate5)), 0);
  assert.equal(maxAbsDiff(erode(img, 3).data, decode(g.erode3)), 0);
  assert.equal(maxAbsDiff(blackTopHat(img, 5).data, decode(g.blackTopHat5)), 0);
  const seed = img.data.map((v) => Math.max(v - 40, 0));
  assert.equal(maxAbsDiff(reconstructByDilation(seed, img.data, img.width, img.height, 8), f32(g.reconstruction)), 0);
  assert.deepEqual(hMaxima(img, 20, 8).data, u8(g.hMaxima20));
  assert.deepEqual(hMaxima(img, 20, 4).data, u8(g.hMaxima20conn4));
});
