// Per-grain measurements from a label map, defined as scikit-image's regionprops defines them so
// numbers agree with the tools materials scientists already use (fixtures compare to skimage 0.19).
//
// - area: pixel count. ecd (equivalent circle diameter) = sqrt(4 area / pi).
// - perimeter: skimage `perimeter(region, 4)` (Benkrid & Crookes): border pixels of the region
//   (4-neighbourhood erosion), each weighted 1, sqrt(2) or (1 + sqrt(2)) / 2 by its border
//   neighbours. perimeterCrofton: skimage `perimeter_crofton(region, 4)` (Crofton formula, 4
//   directions, 2x2 configurations).
// - majorAxis / minorAxis: 4 sqrt(eigenvalues) of the inertia tensor of the second central moments.
// - orientationRad: skimage's convention, angle between the row axis (down) and the major axis,
//   in [-pi/2, pi/2]. orientationDeg: the same axis as seen on screen, degrees counter-clockwise
//   from the +x axis, in (-90, 90] (0 = horizontal).
// - convexArea: pixels whose centres lie in or on the convex hull of the region's pixel-edge
//   midpoints (skimage convex_hull_image); solidity = area / convexArea.
// - touchesEdge: the grain has a pixel in the image's outermost row or column.
import type { Box, LabelMap } from '../types';

export interface GrainMeasurement {
  id: number;
  classId: number | null;
  area: number;
  ecd: number;
  perimeter: number;
  perimeterCrofton: number;
  majorAxis: number;
  minorAxis: number;
  orientationRad: number;
  orientationDeg: number;
  /** majorAxis / minorAxis; null when the minor axis is 0 (a one-pixel-wide line). */
  aspectRatio: number | null;
  convexArea: number;
  solidity: number;
  centroidX: number;
  centroidY: number;
  bbox: Box;
  touchesEdge: boolean;
  /** Physical values when the pixel size is known, else null. */
  areaUm2: number | null;
  ecdUm: number | null;
  perimeterUm: number | null;
  majorAxisUm: number | null;
  minorAxisUm: number | null;
}

interface MeasureOptions {
  /** Micrometres per pixel; null or absent gives only pixel units. */
  pixelSizeUm?: number | null;
  /** Class of each segment id (absent = null). */
  classOf?: ReadonlyMap<number, number | null>;
}

/** Dense index for the ids of a label map, with a one-entry cache because ids come in runs. */
class IdIndex {
  private readonly map = new Map<number, number>();
  ids: number[] = [];
  private lastId = -1;
  private lastIdx = -1;
  get(id: number): number {
    if (id === this.lastId) return this.lastIdx;
    let i = this.map.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.map.set(id, i);
    }
    this.lastId = id;
    this.lastIdx = i;
    return i;
  }
  find(id: number): number {
    if (id === this.lastId) return this.lastIdx;
    const i = this.map.get(id);
    this.lastId = id;
    this.lastIdx = i ?? -1;
    return this.lastIdx;
  }
  get size(): number {
    return this.ids.length;
  }
}

/** Growable struct-of-arrays of float64 fields. */
class Columns {
  cap = 256;
  cols: Float64Array[];
  constructor(n: number) {
    this.cols = Array.from({ length: n }, () => new Float64Array(this.cap));
  }
  ensure(size: number): void {
    if (size <= this.cap) return;
    while (this.cap < size) this.cap *= 2;
    this.cols = this.cols.map((c) => {
      const n = new Float64Array(this.cap);
      n.set(c);
      return n;
    });
  }
}

// Benkrid-Crookes weights by neighbourhood code (1 + 2 * edge neighbours + 10 * diagonal ones).
const PERIMETER_WEIGHTS = (() => {
  const w = new Float64Array(50);
  for (const k of [5, 7, 15, 17, 25, 27]) w[k] = 1;
  for (const k of [21, 33]) w[k] = Math.SQRT2;
  for (const k of [13, 23]) w[k] = (1 + Math.SQRT2) / 2;
  return w;
})();

// Crofton coefficients (4 directions) by 2x2 code: 1 = (y,x), 2 = (y-1,x), 4 = (y,x-1), 8 = (y-1,x-1).
const CROFTON = (() => {
  const p = Math.PI;
  const s = Math.SQRT2;
  return Float64Array.from([0, (p / 4) * (1 + 1 / s), p / (4 * s), p / (2 * s), 0, (p / 4) * (1 + 1 / s), 0, p / (4 * s), p / 4, p / 2, p / (4 * s), p / (4 * s), p / 4, p / 2, 0, 0]);
})();

/** 2x2 pattern of id v: 1 = (y,x), 2 = (y-1,x), 4 = (y,x-1), 8 = (y-1,x-1). */
function code2x2(v: number, a: number, b: number, c: number, d: number): number {
  return (d === v ? 1 : 0) | (b === v ? 2 : 0) | (c === v ? 4 : 0) | (a === v ? 8 : 0);
}

/** Measures every non-zero id of the map; results in ascending id order. Linear in the pixel count. */
export function measureGrains(map: LabelMap, options: MeasureOptions = {}): GrainMeasurement[] {
  const { width: W, height: H, data } = map;
  const idx = new IdIndex();
  // Fields: n, ox, oy, sX, sY, sXX, sYY, sXY, x0, x1, y0, y1, perimeter, crofton
  const F = { n: 0, ox: 1, oy: 2, sX: 3, sY: 4, sXX: 5, sYY: 6, sXY: 7, x0: 8, x1: 9, y0: 10, y1: 11, per: 12, cro: 13 } as const;
  const cols = new Columns(14);

  // Pass 1, run by run: area, bounding box and raw moments relative to each region's first
  // pixel (small numbers, so the sums stay exact integers in float64).
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let x = 0;
    while (x < W) {
      const id = data[row + x]!;
      let e = x + 1;
      while (e < W && data[row + e] === id) e++;
      if (id !== 0) {
        const before = idx.size;
        const i = idx.get(id);
        if (i === before) {
          cols.ensure(idx.size);
          const c = cols.cols;
          c[F.ox]![i] = x;
          c[F.oy]![i] = y;
          c[F.x0]![i] = x;
          c[F.x1]![i] = e - 1;
          c[F.y0]![i] = y;
        }
        const c = cols.cols;
        const len = e - x;
        const a = x - c[F.ox]![i]!;
        const Y = y - c[F.oy]![i]!;
        const sx = len * a + (len * (len - 1)) / 2;
        const sxx = len * a * a + a * len * (len - 1) + ((len - 1) * len * (2 * len - 1)) / 6;
        c[F.n]![i] += len;
        c[F.sX]![i] += sx;
        c[F.sXX]![i] += sxx;
        c[F.sY]![i] += len * Y;
        c[F.sYY]![i] += len * Y * Y;
        c[F.sXY]![i] += Y * sx;
        if (x < c[F.x0]![i]!) c[F.x0]![i] = x;
        if (e - 1 > c[F.x1]![i]!) c[F.x1]![i] = e - 1;
        c[F.y1]![i] = y;
      }
      x = e;
    }
  }
  const count = idx.size;
  const c = cols.cols;

  // Pass 2: border pixels (a 4-neighbour, or the outside, has another id), then each border
  // pixel's code from its same-id border neighbours.
  const border = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const i = row + x;
      const v = data[i]!;
      if (v === 0) continue;
      if (x === 0 || x === W - 1 || y === 0 || y === H - 1 || data[i - 1] !== v || data[i + 1] !== v || data[i - W] !== v || data[i + W] !== v) border[i] = 1;
    }
  }
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const i = row + x;
      if (!border[i]) continue;
      const v = data[i]!;
      const l = x > 0;
      const r = x < W - 1;
      const u = y > 0;
      const d = y < H - 1;
      let edges = 0;
      let diags = 0;
      if (l && border[i - 1] && data[i - 1] === v) edges++;
      if (r && border[i + 1] && data[i + 1] === v) edges++;
      if (u && border[i - W] && data[i - W] === v) edges++;
      if (d && border[i + W] && data[i + W] === v) edges++;
      if (u && l && border[i - W - 1] && data[i - W - 1] === v) diags++;
      if (u && r && border[i - W + 1] && data[i - W + 1] === v) diags++;
      if (d && l && border[i + W - 1] && data[i + W - 1] === v) diags++;
      if (d && r && border[i + W + 1] && data[i + W + 1] === v) diags++;
      c[F.per]![idx.find(v)] += PERIMETER_WEIGHTS[1 + 2 * edges + 10 * diags]!;
    }
  }

  // Pass 3: Crofton perimeter over every 2x2 window, including those hanging over the border.
  const cro = (a: number, b: number, cc: number, d: number) => {
    // Each distinct non-zero id in the window adds the coefficient of its own 2x2 pattern.
    if (a !== 0) c[F.cro]![idx.find(a)] += CROFTON[code2x2(a, a, b, cc, d)]!;
    if (b !== 0 && b !== a) c[F.cro]![idx.find(b)] += CROFTON[code2x2(b, a, b, cc, d)]!;
    if (cc !== 0 && cc !== a && cc !== b) c[F.cro]![idx.find(cc)] += CROFTON[code2x2(cc, a, b, cc, d)]!;
    if (d !== 0 && d !== a && d !== b && d !== cc) c[F.cro]![idx.find(d)] += CROFTON[code2x2(d, a, b, cc, d)]!;
  };
  const at = (x: number, y: number) => (x >= 0 && x < W && y >= 0 && y < H ? data[y * W + x]! : 0);
  for (let y = 0; y <= H; y++) {
    const inner = y > 0 && y < H;
    for (let x = 0; x <= W; x++) {
      let a: number, b: number, cc: number, d: number;
      if (inner && x > 0 && x < W) {
        const i = y * W + x;
        d = data[i]!;
        cc = data[i - 1]!;
        b = data[i - W]!;
        a = data[i - W - 1]!;
        if (a === b && b === cc && cc === d) continue;
      } else {
        a = at(x - 1, y - 1);
        b = at(x, y - 1);
        cc = at(x - 1, y);
        d = at(x, y);
        if (a === b && b === cc && cc === d) continue;
      }
      cro(a, b, cc, d);
    }
  }

  // Pass 4: leftmost and rightmost pixel of each region in each of its rows, for the hull.
  const rowOffset = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) rowOffset[i + 1] = rowOffset[i]! + (c[F.y1]![i]! - c[F.y0]![i]! + 1);
  const rowMin = new Int32Array(rowOffset[count]!).fill(2147483647);
  const rowMax = new Int32Array(rowOffset[count]!).fill(-1);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let x = 0;
    while (x < W) {
      const id = data[row + x]!;
      let e = x + 1;
      while (e < W && data[row + e] === id) e++;
      if (id !== 0) {
        const i = idx.find(id);
        const k = rowOffset[i]! + (y - c[F.y0]![i]!);
        if (x < rowMin[k]!) rowMin[k] = x;
        if (e - 1 > rowMax[k]!) rowMax[k] = e - 1;
      }
      x = e;
    }
  }

  const px = options.pixelSizeUm && options.pixelSizeUm > 0 ? options.pixelSizeUm : null;
  const out: GrainMeasurement[] = [];
  const order = idx.ids.map((id, i) => [id, i] as const).sort((p, q) => p[0] - q[0]);
  for (const [id, i] of order) {
    const n = c[F.n]![i]!;
    const sX = c[F.sX]![i]!;
    const sY = c[F.sY]![i]!;
    // n^2 times the central second moments; exact integers for all but enormous regions.
    const A = n * c[F.sXX]![i]! - sX * sX; // columns (x)
    const C = n * c[F.sYY]![i]! - sY * sY; // rows (y)
    const B = n * c[F.sXY]![i]! - sX * sY;
    const n2 = n * n;
    const root = Math.sqrt((A - C) * (A - C) + 4 * B * B);
    const l1 = Math.max(0, (A + C + root) / (2 * n2));
    const l2 = Math.max(0, (A + C - root) / (2 * n2));
    const major = 4 * Math.sqrt(l1);
    const minor = 4 * Math.sqrt(l2);
    // skimage: a = mu_cc, c = mu_rr, b = -mu_rc; orientation = 0.5 atan2(-2b, c - a).
    // skimage 0.19 special-cases a == c (exact float equality) as -pi/4 when mu11 > 0, which is the
    // opposite sign of its own general formula's limit. We use the general formula whenever the
    // axis is defined and skimage's pi/4 only for the isotropic case (a == c and mu11 == 0).
    const orientationRad = A === C && B === 0 ? Math.PI / 4 : 0.5 * Math.atan2(2 * B, C - A);
    let deg = A === C && B === 0 ? 0 : (-0.5 * Math.atan2(2 * B, A - C) * 180) / Math.PI;
    if (deg <= -90) deg += 180;
    const x0 = c[F.x0]![i]!;
    const y0 = c[F.y0]![i]!;
    const x1 = c[F.x1]![i]!;
    const y1 = c[F.y1]![i]!;
    const convexArea = convexHullPixelCount(rowMin, rowMax, rowOffset[i]!, y0, y1 - y0 + 1);
    const area = n;
    const ecd = Math.sqrt((4 * area) / Math.PI);
    const perimeter = c[F.per]![i]!;
    out.push({
      id,
      classId: options.classOf?.get(id) ?? null,
      area,
      ecd,
      perimeter,
      perimeterCrofton: c[F.cro]![i]!,
      majorAxis: major,
      minorAxis: minor,
      orientationRad,
      orientationDeg: deg,
      aspectRatio: minor > 0 ? major / minor : null,
      convexArea,
      solidity: area / convexArea,
      centroidX: c[F.ox]![i]! + sX / n,
      centroidY: c[F.oy]![i]! + sY / n,
      bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 },
      touchesEdge: x0 === 0 || y0 === 0 || x1 === W - 1 || y1 === H - 1,
      areaUm2: px ? area * px * px : null,
      ecdUm: px ? ecd * px : null,
      perimeterUm: px ? perimeter * px : null,
      majorAxisUm: px ? major * px : null,
      minorAxisUm: px ? minor * px : null,
    });
  }
  return out;
}

/**
 * Pixels of the convex hull image as skimage's convex_hull_image computes it: hull of the
 * midpoints of the outer pixel edges, then every pixel centre inside or on it. Works in doubled
 * coordinates (centres even, edge midpoints odd) so the hull is exact integer arithmetic.
 */
function convexHullPixelCount(rowMin: Int32Array, rowMax: Int32Array, off: number, y0: number, rows: number): number {
  // Only the leftmost and rightmost candidate on each horizontal line can be hull vertices. Lines
  // j = 0 .. 2 rows run through Y = 2 y0 - 1 + j: odd j are pixel rows, even j the edges between.
  const lines = 2 * rows + 1;
  const lmin = new Float64Array(lines).fill(Infinity);
  const lmax = new Float64Array(lines).fill(-Infinity);
  for (let k = 0; k < rows; k++) {
    const lo = rowMin[off + k]!;
    const hi = rowMax[off + k]!;
    if (lo > hi) continue;
    const j = 2 * k + 1;
    if (2 * lo - 1 < lmin[j]!) lmin[j] = 2 * lo - 1;
    if (2 * hi + 1 > lmax[j]!) lmax[j] = 2 * hi + 1;
    if (2 * lo < lmin[j - 1]!) lmin[j - 1] = 2 * lo;
    if (2 * hi > lmax[j - 1]!) lmax[j - 1] = 2 * hi;
    if (2 * lo < lmin[j + 1]!) lmin[j + 1] = 2 * lo;
    if (2 * hi > lmax[j + 1]!) lmax[j + 1] = 2 * hi;
  }
  // Points as (Y, X), already in lexicographic order, for the monotone chain.
  const pts: number[] = [];
  for (let j = 0; j < lines; j++) {
    if (lmin[j]! > lmax[j]!) continue;
    const Y = 2 * y0 - 1 + j;
    pts.push(Y, lmin[j]!);
    if (lmax[j]! > lmin[j]!) pts.push(Y, lmax[j]!);
  }
  const swapped = hullOfSorted(pts);
  const hull: number[] = [];
  for (let k = 0; k < swapped.length; k += 2) hull.push(swapped[k + 1]!, swapped[k]!);
  // For each pixel row (even Y) the hull spans [lo, hi] in X; count even X inside.
  const lo = new Float64Array(rows).fill(Infinity);
  const hi = new Float64Array(rows).fill(-Infinity);
  const m = hull.length / 2;
  for (let e = 0; e < m; e++) {
    const ax = hull[2 * e]!;
    const ay = hull[2 * e + 1]!;
    const bx = hull[(2 * e + 2) % hull.length]!;
    const by = hull[(2 * e + 3) % hull.length]!;
    const yMin = Math.min(ay, by);
    const yMax = Math.max(ay, by);
    for (let k = Math.max(0, Math.ceil((yMin - 2 * y0) / 2)); k < rows && 2 * (y0 + k) <= yMax; k++) {
      const Y = 2 * (y0 + k);
      if (ay === by) {
        lo[k] = Math.min(lo[k]!, ax, bx);
        hi[k] = Math.max(hi[k]!, ax, bx);
      } else {
        const X = ax + ((Y - ay) * (bx - ax)) / (by - ay);
        if (X < lo[k]!) lo[k] = X;
        if (X > hi[k]!) hi[k] = X;
      }
    }
  }
  let count = 0;
  for (let k = 0; k < rows; k++) {
    if (lo[k]! > hi[k]!) continue;
    const first = Math.ceil(lo[k]! / 2);
    const last = Math.floor(hi[k]! / 2);
    if (last >= first) count += last - first + 1;
  }
  return count;
}

/** Monotone chain on points already sorted by (x, then y). */
function hullOfSorted(p: readonly number[]): number[] {
  const n = p.length / 2;
  if (n < 3) return p.slice();
  const cross = (o: number, a: number, b: number) =>
    (p[2 * a]! - p[2 * o]!) * (p[2 * b + 1]! - p[2 * o + 1]!) - (p[2 * a + 1]! - p[2 * o + 1]!) * (p[2 * b]! - p[2 * o]!);
  const chain: number[] = [];
  for (let i = 0; i < n; i++) {
    while (chain.length >= 2 && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, i) <= 0) chain.pop();
    chain.push(i);
  }
  const lowerLen = chain.length + 1;
  for (let i = n - 2; i >= 0; i--) {
    while (chain.length >= lowerLen && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, i) <= 0) chain.pop();
    chain.push(i);
  }
  chain.pop();
  const out: number[] = [];
  for (const i of chain) out.push(p[2 * i]!, p[2 * i + 1]!);
  return out;
}
