import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentFeatures, type FeatureMatrix } from './features';
import { selectGroups, concatRows } from './feature-matrix';
import { seededRandom } from './random';
import { twoPhaseImage } from '../../test/support/cluster-synthetic';
import type { GreyImage, LabelMap } from '../types';

const col = (m: FeatureMatrix, row: number, name: string) => {
  const c = m.names.indexOf(name);
  assert.ok(c >= 0, `no column ${name}`);
  return m.data[row * m.names.length + c]!;
};
const rowOf = (m: FeatureMatrix, id: number) => m.segmentIds.indexOf(id);
const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} +- ${tol}`);

/** numpy.percentile(values, 100 p), linear interpolation. */
function percentile(sorted: number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

function randomCase(w: number, h: number, sixteen: boolean, seed: number): { image: GreyImage; labels: LabelMap } {
  const rand = seededRandom(seed);
  const data = sixteen ? new Uint16Array(w * h) : new Uint8Array(w * h);
  const lab = new Uint32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    data[i] = Math.floor(rand() * (sixteen ? 65536 : 256));
    // Vertical bands of ids 0..4 with ragged edges; 0 is background.
    lab[i] = Math.min(4, Math.floor(((i % w) + rand() * 3) / (w / 5)));
  }
  return { image: { width: w, height: h, data }, labels: { width: w, height: h, data: lab } };
}

function direct(image: GreyImage, labels: LabelMap, id: number): number[] {
  const v: number[] = [];
  for (let i = 0; i < labels.data.length; i++) if (labels.data[i] === id) v.push(image.data[i]!);
  return v.sort((a, b) => a - b);
}

test('intensity features of an 8-bit image equal mean, std and numpy percentiles', () => {
  const { image, labels } = randomCase(50, 40, false, 3);
  const m = segmentFeatures(image, labels, { groups: ['intensity'] });
  assert.deepEqual([...m.segmentIds], [1, 2, 3, 4]);
  assert.deepEqual(m.groups, ['intensity', 'intensity', 'intensity', 'intensity', 'intensity']);
  for (const id of m.segmentIds) {
    const v = direct(image, labels, id);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    const r = rowOf(m, id);
    near(col(m, r, 'mean'), mean, 1e-9, 'mean');
    near(col(m, r, 'std'), std, 1e-9, 'std');
    for (const [name, p] of [['p10', 0.1], ['p50', 0.5], ['p90', 0.9]] as const) {
      near(col(m, r, name), percentile(v, p), 1e-9, `${name} of ${id}`);
    }
  }
});

test('16-bit intensities: exact mean/std, percentiles within one histogram bin', () => {
  const { image, labels } = randomCase(60, 60, true, 5);
  const m = segmentFeatures(image, labels, { groups: ['intensity'] });
  const binWidth = 65536 / 4096;
  for (const id of m.segmentIds) {
    const v = direct(image, labels, id);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    const r = rowOf(m, id);
    near(col(m, r, 'mean'), mean, 1e-6, 'mean');
    near(col(m, r, 'std'), std, 1e-6, 'std');
    near(col(m, r, 'p50'), percentile(v, 0.5), binWidth, 'p50');
    near(col(m, r, 'p90'), percentile(v, 0.9), binWidth, 'p90');
  }
  const unit = segmentFeatures(image, labels, { groups: ['intensity'], unitIntensity: true });
  near(col(unit, 0, 'mean'), col(m, 0, 'mean') / 65535, 1e-12, 'mean');
});

function paint(w: number, h: number, shapes: { id: number; value: number; inside: (x: number, y: number) => boolean }[], bg = 0) {
  const data = new Uint8Array(w * h).fill(bg);
  const lab = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (const s of shapes) if (s.inside(x, y)) { lab[y * w + x] = s.id; data[y * w + x] = s.value; }
    }
  }
  return { image: { width: w, height: h, data }, labels: { width: w, height: h, data: lab } };
}

test('shape of a rectangle, an L, a disc, a diagonal line and a ring', () => {
  const { image, labels } = paint(60, 40, [
    { id: 1, value: 10, inside: (x, y) => x >= 2 && x < 14 && y >= 3 && y < 7 }, // 12 x 4
    { id: 2, value: 10, inside: (x, y) => x >= 20 && x < 24 && y >= 2 && y < 6 && !(x >= 22 && y < 4) }, // L
    { id: 3, value: 10, inside: (x, y) => (x - 20) ** 2 + (y - 25) ** 2 <= 100 },
    { id: 4, value: 10, inside: (x, y) => x >= 30 && x < 40 && y === x - 28 },
    { id: 5, value: 10, inside: (x, y) => { const d = (x - 48) ** 2 + (y - 25) ** 2; return d <= 64 && d > 36; } },
  ]);
  const m = segmentFeatures(image, labels, { groups: ['shape'] });
  assert.equal(col(m, 0, 'area'), 48);
  assert.equal(col(m, 0, 'perimeter'), 32);
  near(col(m, 0, 'solidity'), 1, 1e-12, 'rectangle solidity');
  // Unit-square pixels: the rectangle's variances are 12^2/12 and 4^2/12.
  near(col(m, 0, 'aspectRatio'), 3, 1e-9, 'rectangle aspect ratio');
  near(col(m, 0, 'eccentricity'), Math.sqrt(1 - 1 / 9), 1e-9, 'rectangle eccentricity');
  near(col(m, 0, 'equivDiameter'), Math.sqrt((4 * 48) / Math.PI), 1e-12, 'equivalent diameter');
  // L: 4x4 square minus its 2x2 top-right corner; the hull of pixel centres holds 13 centres.
  assert.equal(col(m, 1, 'area'), 12);
  assert.equal(col(m, 1, 'perimeter'), 16);
  near(col(m, 1, 'solidity'), 12 / 13, 1e-12, 'L solidity');
  // A digitised disc is digitally convex: solidity exactly 1; nearly round.
  near(col(m, 2, 'solidity'), 1, 1e-12, 'disc solidity');
  assert.ok(col(m, 2, 'eccentricity') < 0.15, 'disc eccentricity');
  near(col(m, 2, 'aspectRatio'), 1, 0.02, 'disc aspect ratio');
  // Diagonal line: convex, elongated (8-connected pixels, each its own 4-neighbour island).
  near(col(m, 3, 'solidity'), 1, 1e-12, 'line solidity');
  assert.equal(col(m, 3, 'perimeter'), 40);
  assert.ok(col(m, 3, 'aspectRatio') > 5, 'line aspect ratio');
  // Ring: the hole lowers solidity.
  assert.ok(col(m, 4, 'solidity') < 0.6, `ring solidity ${col(m, 4, 'solidity')}`);
});

test('perimeter counts the image border; boundary contrast is signed inside minus outside', () => {
  // Two touching blocks (100 and 180) on background 50, the first touching the left image border.
  const { image, labels } = paint(20, 10, [
    { id: 1, value: 100, inside: (x, y) => x < 6 && y >= 2 && y < 8 },
    { id: 2, value: 180, inside: (x, y) => x >= 6 && x < 12 && y >= 2 && y < 8 },
  ], 50);
  const m = segmentFeatures(image, labels, { groups: ['shape', 'boundary'] });
  assert.equal(col(m, 0, 'perimeter'), 24);
  // Block 1: 6 edges against block 2 (-80), 12 against background (+50), none across the border.
  near(col(m, 0, 'boundaryContrast'), (6 * -80 + 12 * 50) / 18, 1e-12, 'boundaryContrast');
  near(col(m, 0, 'boundaryAbsContrast'), (6 * 80 + 12 * 50) / 18, 1e-12, 'boundaryAbsContrast');
  // Block 2: 6 edges against block 1 (+80), 18 against background (+130).
  near(col(m, 1, 'boundaryContrast'), (6 * 80 + 18 * 130) / 24, 1e-12, 'boundaryContrast');
});

test('LBP: flat regions give code 8, ramps give code 5 in any direction', () => {
  const lbpOf = (value: (x: number, y: number) => number) => {
    const w = 16;
    const data = new Uint8Array(w * w);
    for (let i = 0; i < w * w; i++) data[i] = value(i % w, Math.floor(i / w));
    const m = segmentFeatures({ width: w, height: w, data }, { width: w, height: w, data: new Uint32Array(w * w).fill(1) }, { groups: ['texture'] });
    assert.equal(m.names.length, 10);
    return Array.from(m.data);
  };
  const unit = (bin: number) => Array.from({ length: 10 }, (_, b) => (b === bin ? 1 : 0));
  assert.deepEqual(lbpOf(() => 77), unit(8));
  assert.deepEqual(lbpOf((x) => 10 * x), unit(5));
  assert.deepEqual(lbpOf((_, y) => 8 * y), unit(5));
  assert.deepEqual(lbpOf((x, y) => 200 - 6 * y), unit(5));
  // A checkerboard: every pixel is a local extremum of alternating neighbours (non-uniform code 9 or 0/8).
  const checker = lbpOf((x, y) => ((x + y) % 2 ? 200 : 20));
  near(checker.reduce((a, b) => a + b, 0), 1, 1e-12, 'checkerboard histogram sum');
  assert.equal(checker[5], 0);
});

test('embedding feature averages the grid cells under a segment (non-square image)', () => {
  // 128 x 64 image: the longest side maps to the 64-cell grid, so a cell is 2 x 2 pixels.
  const w = 128;
  const h = 64;
  const channels = 2;
  const grid = 64;
  const emb = new Float32Array(channels * grid * grid);
  for (let cy = 0; cy < grid; cy++) {
    for (let cx = 0; cx < grid; cx++) {
      emb[cy * grid + cx] = cx;
      emb[grid * grid + cy * grid + cx] = cy < 32 ? 1 : 1000; // rows >= 32 are padding, never used
    }
  }
  const lab = new Uint32Array(w * h);
  for (let i = 0; i < w * h; i++) lab[i] = i % w < 64 ? 1 : 2;
  lab[0] = 3; // one pixel in cell (0, 0)
  const m = segmentFeatures(
    { width: w, height: h, data: new Uint8Array(w * h) }, { width: w, height: h, data: lab },
    { groups: ['embedding'], embedding: { data: emb, imageWidth: w, imageHeight: h, channels, grid } },
  );
  assert.deepEqual(m.names, ['sam0', 'sam1']);
  // Segment 2: x in 64..127 -> cells 32..63, mean 47.5.
  near(col(m, 1, 'sam0'), 47.5, 1e-9, 'sam0');
  assert.equal(col(m, 1, 'sam1'), 1);
  assert.equal(col(m, 2, 'sam0'), 0);
  assert.throws(() => segmentFeatures({ width: w, height: h, data: new Uint8Array(w * h) }, { width: w, height: h, data: lab }, { groups: ['embedding'] }));
});

test('very large segment ids give the same features as small ones', () => {
  const { image, labels } = twoPhaseImage({ width: 80, height: 80, seed: 2 });
  const small = segmentFeatures(image, labels);
  const big = { ...labels, data: labels.data.map((id) => (id === 0 ? 0 : id + 2 ** 30)) };
  const large = segmentFeatures(image, big);
  assert.deepEqual([...large.segmentIds], [...small.segmentIds].map((id) => id + 2 ** 30));
  assert.deepEqual(large.data, small.data);
});

test('group selection, column order and row concatenation', () => {
  const { image, labels } = twoPhaseImage({ width: 64, height: 64, seed: 4 });
  const all = segmentFeatures(image, labels);
  assert.equal(all.names.length, 5 + 10 + 6 + 2);
  assert.equal(all.data.length, all.segmentIds.length * all.names.length);
  const shapeOnly = segmentFeatures(image, labels, { groups: ['shape'] });
  assert.deepEqual(selectGroups(all, ['shape']), shapeOnly);
  const both = concatRows([all, all]);
  assert.deepEqual(both.offsets, [0, all.segmentIds.length]);
  assert.deepEqual(both.matrix.data.subarray(all.data.length), all.data);
  assert.throws(() => concatRows([all, shapeOnly]));
  assert.throws(() => segmentFeatures({ ...image, width: 63 }, labels));
});
