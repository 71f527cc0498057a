import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polygonSpans, type Point } from '../edit';
import { chessboardDepth, longestPath, pixelCentres, simplify, traceOutline, windowOf } from './geometry';

const IW = 40;
const IH = 30;

/** Pixel indices (image width IW) set by a predicate. */
function pixels(pred: (x: number, y: number) => boolean): number[] {
  const out: number[] = [];
  for (let y = 0; y < IH; y++) for (let x = 0; x < IW; x++) if (pred(x, y)) out.push(y * IW + x);
  return out;
}

/** Pixels whose centres a polygon covers, as sorted image indices. */
function filled(points: readonly Point[]): number[] {
  const s = polygonSpans(points, IW, IH);
  const out: number[] = [];
  for (let r = 0; r < s.rows; r++) {
    for (let k = s.offsets[r]!; k < s.offsets[r + 1]!; k++) for (let x = s.xs[2 * k]!; x <= s.xs[2 * k + 1]!; x++) out.push((s.y0 + r) * IW + x);
  }
  return out.sort((a, b) => a - b);
}

test('an outline traced at pixel corners fills back to the region (holes filled)', () => {
  const shapes: [string, (x: number, y: number) => boolean, (x: number, y: number) => boolean][] = [
    ['single pixel', (x, y) => x === 5 && y === 7, (x, y) => x === 5 && y === 7],
    ['rectangle', (x, y) => x >= 3 && x < 12 && y >= 4 && y < 9, (x, y) => x >= 3 && x < 12 && y >= 4 && y < 9],
    ['disc', (x, y) => (x - 20) ** 2 + (y - 15) ** 2 < 80, (x, y) => (x - 20) ** 2 + (y - 15) ** 2 < 80],
    // A U shape (concave) and a ring whose hole the outline fills.
    ['U', (x, y) => x >= 2 && x < 14 && y >= 2 && y < 14 && !(x >= 5 && x < 11 && y < 10), (x, y) => x >= 2 && x < 14 && y >= 2 && y < 14 && !(x >= 5 && x < 11 && y < 10)],
    ['ring', (x, y) => { const d = (x - 20) ** 2 + (y - 15) ** 2; return d < 100 && d >= 20; }, (x, y) => (x - 20) ** 2 + (y - 15) ** 2 < 100],
    // Two squares touching at a corner are two 4-connected regions: only the first is traced.
    ['diagonal pair', (x, y) => (x >= 2 && x < 5 && y >= 2 && y < 5) || (x >= 5 && x < 8 && y >= 5 && y < 8), (x, y) => x >= 2 && x < 5 && y >= 2 && y < 5],
  ];
  for (const [name, shape, expected] of shapes) {
    const outline = traceOutline(windowOf(pixels(shape), IW));
    assert.deepEqual(filled(outline), pixels(expected), name);
    // Vertices only where the direction turns: a rectangle has 4.
    if (name === 'rectangle') assert.equal(outline.length, 4);
  }
});

test('simplify keeps the ends and stays within the tolerance', () => {
  const pts: Point[] = [];
  for (let i = 0; i <= 100; i++) pts.push([i, Math.sin(i / 10) * 5 + (i % 2) * 0.3]);
  for (const tol of [0.5, 1, 2]) {
    const s = simplify(pts, tol);
    assert.deepEqual(s[0], pts[0]);
    assert.deepEqual(s[s.length - 1], pts[100]);
    assert.ok(s.length < 30, `${s.length} points at tolerance ${tol}`);
    // Every dropped point lies within tol of the kept polyline (x is monotone: check its segment).
    for (const [x, y] of pts) {
      const k = s.findIndex((q, j) => j + 1 < s.length && q[0] <= x && s[j + 1]![0] >= x);
      const [ax, ay] = s[k]!;
      const [bx, by] = s[k + 1]!;
      const d = Math.abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / Math.hypot(bx - ax, by - ay);
      assert.ok(d <= tol + 1e-9);
    }
  }
  // A closed square outline with extra collinear points simplifies to its corners.
  const square: Point[] = [[0, 0], [5, 0], [10, 0], [10, 5], [10, 10], [5, 10], [0, 10], [0, 5]];
  assert.deepEqual(simplify(square, 0.1, true), [[0, 0], [10, 0], [10, 10], [0, 10]]);
});

test('longestPath runs end to end along a thin region', () => {
  // An L-shaped 1 px line: the path goes from one tip to the other through the corner.
  const win = windowOf(pixels((x, y) => (y === 3 && x >= 2 && x <= 20) || (x === 20 && y >= 3 && y <= 12)), IW);
  const path = pixelCentres(win, longestPath(win));
  // 8-connected: the corner pixel itself is cut diagonally.
  assert.equal(path.length, 19 + 9 - 1);
  const ends = [path[0]!, path[path.length - 1]!].map(([x, y]) => `${x},${y}`).sort();
  assert.deepEqual(ends, ['2.5,3.5', '20.5,12.5']);
});

test('chessboardDepth gives half the thickness', () => {
  const win = windowOf(pixels((x, y) => x >= 2 && x < 9 && y >= 2 && y < 5), IW);
  const d = chessboardDepth(win);
  assert.equal(Math.max(...d), 2);
  const thin = windowOf(pixels((x, y) => y === 4 && x < 10), IW);
  assert.equal(Math.max(...chessboardDepth(thin)), 1);
});
