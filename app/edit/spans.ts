// Rasterising edit geometry into per-row pixel spans: brush strokes (swept discs), polygons
// (scanline, even-odd), run-length masks, and 1 px polylines for cuts. Coordinates are image
// pixels where pixel (i, j) covers [i, i+1) x [j, j+1); a pixel belongs to a shape when its centre does.
import { ServiceError } from '../errors';
import type { Box } from '../types';

export type Point = readonly [number, number];

/** Covered pixels, row by row: row y0 + r has inclusive x ranges xs[2k], xs[2k+1] for k in [offsets[r], offsets[r+1]). */
export interface RowSpans {
  y0: number;
  rows: number;
  offsets: Int32Array;
  xs: Int32Array;
}

/** A binary mask over `box` as alternating run lengths in row-major order, starting with pixels outside (COCO-style). */
export interface MaskRle {
  box: Box;
  runs: number[];
}

/** Accumulates clipped x ranges per row, then sorts and merges them. */
class SpanCollector {
  private readonly perRow: (number[] | undefined)[];
  readonly rows: number;
  /** Rows y0..y1 inclusive (none when y1 < y0). */
  constructor(
    readonly y0: number,
    y1: number,
    private readonly width: number,
  ) {
    this.rows = Math.max(0, y1 - y0 + 1);
    this.perRow = new Array<number[] | undefined>(this.rows);
  }
  /** Adds x in [xa, xb] on row y, clipped to the image. */
  add(y: number, xa: number, xb: number): void {
    const r = y - this.y0;
    if (r < 0 || r >= this.rows) return;
    if (xa < 0) xa = 0;
    if (xb > this.width - 1) xb = this.width - 1;
    if (xa > xb) return;
    const list = this.perRow[r];
    if (list) list.push(xa, xb);
    else this.perRow[r] = [xa, xb];
  }
  finish(): RowSpans {
    const offsets = new Int32Array(this.rows + 1);
    const merged: number[] = [];
    let keys = new Float64Array(16);
    for (let r = 0; r < this.rows; r++) {
      offsets[r] = merged.length / 2;
      const list = this.perRow[r];
      if (!list) continue;
      if (list.length === 2) {
        merged.push(list[0]!, list[1]!);
        continue;
      }
      // Sort ranges by start: x < 2^26, so (start, end) packs into one exactly sortable number.
      const n = list.length / 2;
      if (keys.length < n) keys = new Float64Array(n * 2);
      for (let k = 0; k < n; k++) keys[k] = list[2 * k]! * 67108864 + list[2 * k + 1]!;
      const sorted = keys.subarray(0, n).sort();
      let cs = Math.floor(sorted[0]! / 67108864);
      let ce = sorted[0]! - cs * 67108864;
      for (let k = 1; k < n; k++) {
        const s = Math.floor(sorted[k]! / 67108864);
        const e = sorted[k]! - s * 67108864;
        if (s <= ce + 1) {
          if (e > ce) ce = e;
        } else {
          merged.push(cs, ce);
          cs = s;
          ce = e;
        }
      }
      merged.push(cs, ce);
    }
    offsets[this.rows] = merged.length / 2;
    return { y0: this.y0, rows: this.rows, offsets, xs: Int32Array.from(merged) };
  }
}

function assertFinitePoints(points: readonly Point[], what: string): void {
  for (const p of points) {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new ServiceError('invalid-argument', `${what}: point (${p[0]}, ${p[1]}) is not a finite number`);
  }
}

/**
 * Interval of x (continuous) where the horizontal line y = yc meets the capsule of radius r
 * around segment a-b, or null. The capsule is convex, so the union of its parts is one interval.
 */
function capsuleRow(ax: number, ay: number, bx: number, by: number, r: number, yc: number, out: Float64Array): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  const r2 = r * r;
  let dy = yc - ay;
  if (dy * dy <= r2) {
    const h = Math.sqrt(r2 - dy * dy);
    lo = Math.min(lo, ax - h);
    hi = Math.max(hi, ax + h);
  }
  dy = yc - by;
  if (dy * dy <= r2) {
    const h = Math.sqrt(r2 - dy * dy);
    lo = Math.min(lo, bx - h);
    hi = Math.max(hi, bx + h);
  }
  const dx = bx - ax;
  const ddy = by - ay;
  const L2 = dx * dx + ddy * ddy;
  if (L2 > 0) {
    // The band between the end caps: 0 <= (p-a).d <= L2 and |(p-a) x d| <= r*L, with p = (ax+u, yc).
    const v = yc - ay;
    const rL = r * Math.sqrt(L2);
    let ulo = -Infinity;
    let uhi = Infinity;
    let empty = false;
    if (dx !== 0) {
      const t0 = (-v * ddy) / dx;
      const t1 = (L2 - v * ddy) / dx;
      ulo = Math.max(ulo, Math.min(t0, t1));
      uhi = Math.min(uhi, Math.max(t0, t1));
    } else if (v * ddy < 0 || v * ddy > L2) empty = true;
    if (ddy !== 0) {
      const t0 = (v * dx - rL) / ddy;
      const t1 = (v * dx + rL) / ddy;
      ulo = Math.max(ulo, Math.min(t0, t1));
      uhi = Math.min(uhi, Math.max(t0, t1));
    } else if (Math.abs(v * dx) > rL) empty = true;
    if (!empty && ulo <= uhi) {
      lo = Math.min(lo, ax + ulo);
      hi = Math.max(hi, ax + uhi);
    }
  }
  if (lo > hi) return false;
  out[0] = lo;
  out[1] = hi;
  return true;
}

/**
 * Pixels within `radius` of a polyline (a single point paints a disc): the exact union of the
 * discs swept along each segment, so fast pointer motion with samples far apart leaves no gaps.
 */
export function strokeSpans(points: readonly Point[], radius: number, width: number, height: number): RowSpans {
  if (!(radius > 0) || !Number.isFinite(radius)) throw new ServiceError('invalid-argument', `Brush radius must be a positive number, got ${radius}`);
  if (points.length === 0) throw new ServiceError('invalid-argument', 'A brush stroke needs at least one point');
  assertFinitePoints(points, 'Brush stroke');
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p[1] < minY) minY = p[1];
    if (p[1] > maxY) maxY = p[1];
  }
  const y0 = Math.max(0, Math.ceil(minY - radius - 0.5));
  const y1 = Math.min(height - 1, Math.floor(maxY + radius - 0.5));
  const col = new SpanCollector(y0, y1, width);
  const iv = new Float64Array(2);
  const segs = Math.max(1, points.length - 1);
  for (let s = 0; s < segs; s++) {
    const a = points[s]!;
    const b = points[Math.min(s + 1, points.length - 1)]!;
    const ya = Math.max(y0, Math.ceil(Math.min(a[1], b[1]) - radius - 0.5));
    const yb = Math.min(y1, Math.floor(Math.max(a[1], b[1]) + radius - 0.5));
    for (let y = ya; y <= yb; y++) {
      if (!capsuleRow(a[0], a[1], b[0], b[1], radius, y + 0.5, iv)) continue;
      col.add(y, Math.ceil(iv[0]! - 0.5), Math.floor(iv[1]! - 0.5));
    }
  }
  return col.finish();
}

/** Pixels whose centres lie inside a polygon (even-odd rule; the polygon closes itself). */
export function polygonSpans(points: readonly Point[], width: number, height: number): RowSpans {
  if (points.length < 3) throw new ServiceError('invalid-argument', `A polygon needs at least 3 points, got ${points.length}`);
  assertFinitePoints(points, 'Polygon');
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p[1] < minY) minY = p[1];
    if (p[1] > maxY) maxY = p[1];
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(height - 1, Math.floor(maxY - 0.5));
  const col = new SpanCollector(y0, y1, width);
  const n = points.length;
  const cross: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const yc = y + 0.5;
    cross.length = 0;
    for (let k = 0; k < n; k++) {
      const a = points[k]!;
      const b = points[(k + 1) % n]!;
      // Half-open in y so a vertex on the scanline is counted once.
      if ((a[1] <= yc && yc < b[1]) || (b[1] <= yc && yc < a[1])) {
        cross.push(a[0] + ((yc - a[1]) * (b[0] - a[0])) / (b[1] - a[1]));
      }
    }
    if (cross.length < 2) continue;
    cross.sort((p, q) => p - q);
    for (let k = 0; k + 1 < cross.length; k += 2) {
      // Centre x+0.5 in [xa, xb): x from ceil(xa-0.5) to ceil(xb-0.5)-1.
      col.add(y, Math.ceil(cross[k]! - 0.5), Math.ceil(cross[k + 1]! - 0.5) - 1);
    }
  }
  return col.finish();
}

/** Pixels set in a run-length mask; throws when the runs do not add up to the box or the box leaves the image. */
export function maskSpans(mask: MaskRle, width: number, height: number): RowSpans {
  const { box, runs } = mask;
  const bw = box.width;
  const bh = box.height;
  if (![box.x, box.y, bw, bh].every((v) => Number.isInteger(v) && v >= 0) || box.x + bw > width || box.y + bh > height) {
    throw new ServiceError('invalid-argument', `Mask box ${box.x},${box.y} ${bw}x${bh} is not inside the ${width}x${height} image`);
  }
  let total = 0;
  for (const r of runs) {
    if (!Number.isInteger(r) || r < 0) throw new ServiceError('invalid-argument', `Mask run length ${r} is not a non-negative integer`);
    total += r;
  }
  if (total !== bw * bh) throw new ServiceError('invalid-argument', `Mask runs cover ${total} pixels, its ${bw}x${bh} box has ${bw * bh}`);
  const col = new SpanCollector(box.y, box.y + bh - 1, width);
  let pos = 0;
  for (let k = 0; k < runs.length; k++) {
    let len = runs[k]!;
    if (k % 2 === 1) {
      while (len > 0) {
        const row = Math.floor(pos / bw);
        const c = pos - row * bw;
        const n = Math.min(len, bw - c);
        col.add(box.y + row, box.x + c, box.x + c + n - 1);
        pos += n;
        len -= n;
      }
    } else pos += len;
  }
  return col.finish();
}

/** Run-length form of a byte mask (non-zero = inside) of size width x height placed at box.x, box.y. */
export function maskToRle(data: Uint8Array, box: Box): MaskRle {
  if (data.length !== box.width * box.height) throw new ServiceError('invalid-argument', `Mask has ${data.length} bytes, its box ${box.width}x${box.height} needs ${box.width * box.height}`);
  const runs: number[] = [];
  let inside = false;
  let len = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] !== 0;
    if (v !== inside) {
      runs.push(len);
      len = 0;
      inside = v;
    }
    len++;
  }
  runs.push(len);
  return { box: { ...box }, runs };
}

/** Byte mask (1 = inside) of a run-length mask, box-sized. */
export function rleToMask(mask: MaskRle): Uint8Array {
  const out = new Uint8Array(mask.box.width * mask.box.height);
  let pos = 0;
  mask.runs.forEach((len, k) => {
    if (k % 2 === 1) out.fill(1, pos, pos + len);
    pos += len;
  });
  return out;
}

/**
 * Marks a 1 px, 8-connected polyline into `mask` (1 = on the line), visiting only the part inside
 * `box`; pixel (x, y) of the box is mask[offset + (y - box.y) * stride + (x - box.x)] (default: a
 * box-sized mask). Along the major axis of each segment, every pixel column (or row) gets the
 * pixel under the line at that column's centre, clamped to the segment's ends.
 */
export function markPolyline(points: readonly Point[], box: Box, mask: Uint8Array, stride = box.width, offset = 0): void {
  assertFinitePoints(points, 'Line');
  const bx0 = box.x;
  const by0 = box.y;
  const bx1 = box.x + box.width - 1;
  const by1 = box.y + box.height - 1;
  const mark = (x: number, y: number) => {
    if (x >= bx0 && x <= bx1 && y >= by0 && y <= by1) mask[offset + (y - by0) * stride + (x - bx0)] = 1;
  };
  if (points.length === 1) {
    mark(Math.floor(points[0]![0]), Math.floor(points[0]![1]));
    return;
  }
  for (let s = 0; s + 1 < points.length; s++) {
    const [ax, ay] = points[s]!;
    const [bx, by] = points[s + 1]!;
    const dx = bx - ax;
    const dy = by - ay;
    if (Math.abs(dx) >= Math.abs(dy)) {
      if (dx === 0) {
        mark(Math.floor(ax), Math.floor(ay));
        continue;
      }
      const lo = Math.min(ax, bx);
      const hi = Math.max(ax, bx);
      const c0 = Math.max(Math.floor(lo), bx0);
      const c1 = Math.min(Math.floor(hi), bx1);
      for (let c = c0; c <= c1; c++) {
        const xc = Math.min(hi, Math.max(lo, c + 0.5));
        mark(c, Math.floor(ay + ((xc - ax) * dy) / dx));
      }
    } else {
      const lo = Math.min(ay, by);
      const hi = Math.max(ay, by);
      const r0 = Math.max(Math.floor(lo), by0);
      const r1 = Math.min(Math.floor(hi), by1);
      for (let r = r0; r <= r1; r++) {
        const yc = Math.min(hi, Math.max(lo, r + 0.5));
        mark(Math.floor(ax + ((yc - ay) * dx) / dy), r);
      }
    }
  }
}
