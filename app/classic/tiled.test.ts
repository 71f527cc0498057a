import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateGrains, generatePhases } from '../synth';
import { segmentClassicDetailed, type ClassicSettings } from './index';
import { segmentGrainsTiled, segmentPhasesTiled } from './tiled';

/** Pixels where the tiled labels differ from the untiled ones (both are numbered in raster order). */
function differing(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const cases: [string, Parameters<typeof generatePhases>[0], ClassicSettings][] = [
  ['particles, Otsu', { width: 301, height: 257, seed: 3, structure: 'particles' }, { mode: 'phase', minArea: 16, invert: false }],
  ['network, smoothed, 3 classes', { width: 290, height: 260, seed: 5, structure: 'network' }, { mode: 'phase', minArea: 24, invert: false, sigma: 1.5, classes: 3 }],
  ['lamellae, adaptive, background labelled', { width: 260, height: 300, seed: 7, structure: 'lamellae' }, { mode: 'phase', minArea: 16, invert: true, threshold: 'adaptive', blockSize: 31, labelBackground: true }],
];

for (const [name, synth, settings] of cases) {
  test(`tiled phase segmentation equals the whole-image one: ${name}`, () => {
    const { image } = generatePhases(synth);
    const whole = segmentClassicDetailed(image, settings);
    // Small tiles, so many regions are cut by tile borders and must be joined back.
    const tiled = segmentPhasesTiled(image, settings, { tile: 64, overlap: 8 });
    assert.deepEqual(tiled.thresholds, whole.thresholds);
    const maxId = whole.labels.data.reduce((m, v) => Math.max(m, v), 0);
    assert.ok(maxId > 5, `the image has regions to cut (${maxId})`);
    let cut = 0;
    const { width, height } = image;
    for (let bx = 64; bx < width; bx += 64) for (let y = 0; y < height; y++) if (whole.labels.data[y * width + bx]! !== 0 && whole.labels.data[y * width + bx] === whole.labels.data[y * width + bx - 1]) cut++;
    assert.ok(cut > 50, `regions cross tile borders (${cut} border pixel pairs) and must be joined back`);
    const off = differing(tiled.labels.data, whole.labels.data);
    assert.equal(off, 0, `${off} of ${image.width * image.height} pixels differ`);
    assert.deepEqual(tiled.segmentClass, whole.segmentClass);
  });
}

test('grain mode is refused by the tiled phase path', () => {
  const { image } = generatePhases({ width: 40, height: 40 });
  assert.throws(() => segmentPhasesTiled(image, { mode: 'grain', minArea: 16, invert: false }), /phase mode/);
});

/** Adjusted Rand index of two labellings of the same pixels. */
function adjustedRand(a: Uint32Array, b: Uint32Array): number {
  const pairs = new Map<number, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const k = a[i]! * 2 ** 32 + b[i]!;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
    ca.set(a[i]!, (ca.get(a[i]!) ?? 0) + 1);
    cb.set(b[i]!, (cb.get(b[i]!) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  const sum = (m: Map<number, number>) => [...m.values()].reduce((s, v) => s + c2(v), 0);
  const sij = sum(pairs);
  const sa = sum(ca);
  const sb = sum(cb);
  const expected = (sa * sb) / c2(a.length);
  return (sij - expected) / ((sa + sb) / 2 - expected);
}

/** Pixel pairs across tile lines that `whole` puts in one grain and `tiled` in two (grains cut at a seam), and those it keeps together. */
function seams(whole: Uint32Array, tiled: Uint32Array, width: number, height: number, tile: number): { cut: number; crossing: number } {
  let cut = 0;
  let crossing = 0;
  const pair = (p: number, q: number) => {
    if (whole[p] !== whole[q]) return;
    crossing++;
    if (tiled[p] !== tiled[q]) cut++;
  };
  for (let bx = tile; bx < width; bx += tile) for (let y = 0; y < height; y++) pair(y * width + bx - 1, y * width + bx);
  for (let by = tile; by < height; by += tile) for (let x = 0; x < width; x++) pair((by - 1) * width + x, by * width + x);
  return { cut, crossing };
}

const grainCases: [string, Parameters<typeof generateGrains>[0], ClassicSettings][] = [
  ['line boundaries', { width: 300, height: 260, seed: 3 }, { mode: 'grain', minArea: 16, invert: false }],
  ['line boundaries with gaps', { width: 320, height: 300, seed: 5, missingBoundaryFraction: 0.2 }, { mode: 'grain', minArea: 16, invert: false }],
  ['shade edges, merged by contrast', { width: 290, height: 310, seed: 7, grainContrast: 40, boundaryDepth: 0 }, { mode: 'grain', minArea: 16, invert: false }],
];

for (const [name, synth, settings] of grainCases) {
  test(`tiled grain segmentation equals the whole-image one when the margin holds a grain: ${name}`, () => {
    const { image } = generateGrains(synth);
    const whole = segmentClassicDetailed(image, settings);
    // 64 px tiles cut most grains (~50-110 px); a 128 px margin holds the largest.
    const tiled = segmentGrainsTiled(image, settings, { tile: 64, overlap: 128 });
    assert.equal(tiled.boundaryStyle, whole.boundaryStyle);
    const { width, height } = image;
    const { crossing } = seams(whole.labels.data, whole.labels.data, width, height, 64);
    assert.ok(crossing > 500, `grains cross tile lines (${crossing} pixel pairs) and must be joined back`);
    const off = differing(tiled.labels.data, whole.labels.data);
    assert.equal(off, 0, `${off} of ${width * height} pixels differ`);
    assert.equal(tiled.segmentClass.length, whole.segmentClass.length);
  });
}

test('tiled grain segmentation equals the whole-image one on a colour image (shade edges merged by colour contrast)', () => {
  const { image, labels } = generateGrains({ width: 280, height: 250, seed: 9 });
  const n = image.width * image.height;
  // Each grain gets its own tint in green; blue is the inverse of red.
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = image.data[i]!;
    data[i * 3] = v;
    data[i * 3 + 1] = Math.min(255, (v * (((labels.data[i]! * 37) % 100) + 50)) / 150);
    data[i * 3 + 2] = 255 - v;
  }
  const raster = { width: image.width, height: image.height, channels: 3 as const, bitDepth: 8 as const, data };
  const settings: ClassicSettings = { mode: 'grain', minArea: 16, invert: false };
  const whole = segmentClassicDetailed(raster, settings);
  const tiled = segmentGrainsTiled(raster, settings, { tile: 64, overlap: 128 });
  assert.equal(whole.boundaryStyle, 'edges');
  assert.ok(whole.segmentClass.length > 20, `grains to cut (${whole.segmentClass.length - 1})`);
  assert.equal(differing(tiled.labels.data, whole.labels.data), 0);
});

test('tiled grain segmentation with a margin smaller than some grains stays close and cuts no grain at a tile line', () => {
  const [, synth, settings] = grainCases[1]!;
  const { image } = generateGrains(synth);
  const { width, height } = image;
  const whole = segmentClassicDetailed(image, settings);
  for (const tile of [96, 128]) {
    const tiled = segmentGrainsTiled(image, settings, { tile, overlap: 48 });
    const ari = adjustedRand(tiled.labels.data, whole.labels.data);
    assert.ok(ari >= 0.99, `tile ${tile}: adjusted Rand index ${ari.toFixed(4)} >= 0.99`);
    const { cut, crossing } = seams(whole.labels.data, tiled.labels.data, width, height, tile);
    assert.ok(crossing > 300, `tile ${tile}: grains cross tile lines (${crossing})`);
    assert.equal(cut, 0, `tile ${tile}: ${cut} of ${crossing} pixel pairs across tile lines are cut apart`);
  }
});

test('tiled grain segmentation refuses Canny boundaries with what to do', () => {
  const { image } = generateGrains({ width: 40, height: 40 });
  assert.throws(() => segmentGrainsTiled(image, { mode: 'grain', minArea: 16, invert: false, boundaries: 'canny' }), /whole image/);
});
