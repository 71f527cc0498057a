// Grain-like tessellations: random seeds with a minimum spacing, then a warped power diagram
// (curved boundaries, varied grain sizes) found by a bucketed nearest-two-seeds search.
import { NoiseField } from './noise';
import { Random } from './random';

export interface SeedOptions {
  width: number;
  height: number;
  count: number;
  /** Minimum seed spacing as a fraction of the mean spacing sqrt(area / count). */
  minDistance: number;
  /** 0..1: local spacing varies by up to this factor over regions of several grains. */
  densityVariation: number;
}

/**
 * Integer seed pixels by dart throwing with a spacing rule; the rule relaxes by 10% whenever
 * darts keep missing, so exactly `count` distinct seeds always come back.
 */
export function placeSeeds(rng: Random, o: SeedOptions): Int32Array {
  const { width: w, height: h, count: n } = o;
  const mean = Math.sqrt((w * h) / n);
  const density = new NoiseField(rng.fork(1), mean * 5, w, h);
  let dmin = o.minDistance * mean;
  const cell = Math.max(1, mean * (o.minDistance + 0.001) * (1 + o.densityVariation));
  const gw = Math.ceil(w / cell);
  const gh = Math.ceil(h / cell);
  const head = new Int32Array(gw * gh).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const xy = new Int32Array(2 * n);
  const taken = new Set<number>();
  let placed = 0;
  let misses = 0;
  while (placed < n) {
    const x = rng.int(w);
    const y = rng.int(h);
    const local = dmin * (1 + o.densityVariation * density.at(x, y));
    const reach = Math.ceil(local / cell);
    const gx = Math.min(gw - 1, Math.floor(x / cell));
    const gy = Math.min(gh - 1, Math.floor(y / cell));
    let ok = !taken.has(y * w + x);
    for (let cy = Math.max(0, gy - reach); ok && cy <= Math.min(gh - 1, gy + reach); cy++) {
      for (let cx = Math.max(0, gx - reach); ok && cx <= Math.min(gw - 1, gx + reach); cx++) {
        for (let j = head[cy * gw + cx]!; j >= 0; j = next[j]!) {
          const dx = xy[2 * j]! - x;
          const dy = xy[2 * j + 1]! - y;
          if (dx * dx + dy * dy < local * local) {
            ok = false;
            break;
          }
        }
      }
    }
    if (!ok) {
      if (++misses > 200) {
        dmin *= 0.9;
        misses = 0;
      }
      continue;
    }
    misses = 0;
    xy[2 * placed] = x;
    xy[2 * placed + 1] = y;
    taken.add(y * w + x);
    const c = gy * gw + gx;
    next[placed] = head[c]!;
    head[c] = placed;
    placed++;
  }
  return xy;
}

/**
 * Nearest and second-nearest sites by power distance |q - s|^2 - weight, for points anywhere in
 * a rectangle. Each bucket keeps the few sites that can rank first or second inside it.
 */
export class PowerDiagram {
  readonly x0: number;
  readonly y0: number;
  private readonly size: number;
  private readonly inv: number;
  private readonly gw: number;
  private readonly gh: number;
  private readonly offsets: Int32Array;
  private readonly members: Int32Array;
  // Result of the last query (kept as fields so the per-pixel call allocates nothing).
  first = 0;
  second = 0;
  firstPower = 0;
  secondPower = 0;
  /** Bucket of the last query. */
  bucket = 0;

  /**
   * Buckets of `bucketSize` px over [x0, x1) x [y0, y1). Candidates are first found for coarse
   * buckets (`subdivide` x larger) by a ring search, then filtered for each fine bucket inside.
   */
  constructor(
    readonly sx: Float64Array,
    readonly sy: Float64Array,
    readonly weight: Float64Array,
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    bucketSize: number,
    subdivide = 1,
  ) {
    const n = sx.length;
    this.x0 = x0;
    this.y0 = y0;
    this.size = bucketSize;
    this.inv = 1 / bucketSize;
    const k = Math.max(1, Math.floor(subdivide));
    const coarse = bucketSize * k;
    const cw = Math.max(1, Math.ceil((x1 - x0) / coarse));
    const ch = Math.max(1, Math.ceil((y1 - y0) / coarse));
    this.gw = cw * k;
    this.gh = ch * k;
    // Sites per coarse bucket (sites outside the rectangle are clamped into the border buckets).
    const start = new Int32Array(cw * ch + 1);
    const home = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const bx = Math.min(cw - 1, Math.max(0, Math.floor((sx[i]! - x0) / coarse)));
      const by = Math.min(ch - 1, Math.max(0, Math.floor((sy[i]! - y0) / coarse)));
      home[i] = by * cw + bx;
      start[home[i]! + 1]++;
    }
    for (let b = 0; b < cw * ch; b++) start[b + 1] += start[b]!;
    const byBucket = new Int32Array(n);
    const fill = start.slice(0, cw * ch);
    for (let i = 0; i < n; i++) byBucket[fill[home[i]!]!++] = i;
    let wmax = 0;
    for (let i = 0; i < n; i++) wmax = Math.max(wmax, weight[i]!);
    let found = new Int32Array(256);
    let foundCount = 0;
    let coarseList = new Int32Array(256);
    let fineList = new Int32Array(256);
    const fineCount = this.gw * this.gh;
    const offsets = new Int32Array(fineCount + 1);
    let members = new Int32Array(Math.max(16, fineCount * 4));
    let used = 0;
    const fineOffsets = new Int32Array(fineCount);
    const fineEnds = new Int32Array(fineCount);
    for (let by = 0; by < ch; by++) {
      for (let bx = 0; bx < cw; bx++) {
        const ccx = x0 + (bx + 0.5) * coarse;
        const ccy = y0 + (by + 0.5) * coarse;
        const half = (coarse * Math.SQRT2) / 2;
        foundCount = 0;
        let u1 = Infinity;
        let u2 = Infinity;
        for (let ring = 0; ring <= Math.max(cw, ch); ring++) {
          // Sites in this ring or beyond are at least `low` from any point of the bucket.
          const low = Math.max(0, (ring - 0.5) * coarse - half);
          if (ring > 0 && low * low - wmax > u2) break;
          for (let ry = by - ring; ry <= by + ring; ry++) {
            if (ry < 0 || ry >= ch) continue;
            const step = ry === by - ring || ry === by + ring ? 1 : Math.max(2 * ring, 1);
            for (let rx = bx - ring; rx <= bx + ring; rx += step) {
              if (rx < 0 || rx >= cw) continue;
              const b = ry * cw + rx;
              for (let m = start[b]!; m < start[b + 1]!; m++) {
                const i = byBucket[m]!;
                if (foundCount === found.length) {
                  const bigger = new Int32Array(found.length * 2);
                  bigger.set(found);
                  found = bigger;
                }
                found[foundCount++] = i;
                const dx = sx[i]! - ccx;
                const dy = sy[i]! - ccy;
                const d = Math.sqrt(dx * dx + dy * dy) + half;
                const up = d * d - weight[i]!;
                if (up < u1) {
                  u2 = u1;
                  u1 = up;
                } else if (up < u2) u2 = up;
              }
            }
          }
        }
        if (coarseList.length < foundCount) coarseList = new Int32Array(found.length);
        const coarseCount = filterTopTwo(found, foundCount, sx, sy, weight, ccx, ccy, half, coarseList);
        if (fineList.length < coarseCount) fineList = new Int32Array(coarseList.length);
        // Fine buckets inside: a site that can rank in the top two somewhere in a fine bucket
        // can do so in the coarse bucket around it, so filtering the coarse list is enough.
        for (let fy = 0; fy < k; fy++) {
          for (let fx = 0; fx < k; fx++) {
            const gx = bx * k + fx;
            const gy = by * k + fy;
            const cx = x0 + (gx + 0.5) * bucketSize;
            const cy = y0 + (gy + 0.5) * bucketSize;
            const count = filterTopTwo(coarseList, coarseCount, sx, sy, weight, cx, cy, (bucketSize * Math.SQRT2) / 2, fineList);
            if (used + count > members.length) {
              const bigger = new Int32Array(Math.max(members.length * 2, used + count));
              bigger.set(members);
              members = bigger;
            }
            const f = gy * this.gw + gx;
            fineOffsets[f] = used;
            for (let c = 0; c < count; c++) members[used++] = fineList[c]!;
            fineEnds[f] = used;
          }
        }
      }
    }
    // Re-pack in row-major fine-bucket order so one offsets array describes every list.
    const packed = new Int32Array(used);
    let p = 0;
    for (let f = 0; f < fineCount; f++) {
      offsets[f] = p;
      for (let m = fineOffsets[f]!; m < fineEnds[f]!; m++) packed[p++] = members[m]!;
    }
    offsets[fineCount] = p;
    this.offsets = offsets;
    this.members = packed;
  }

  /** Bucket index of a point (points outside the rectangle fall in the border buckets). */
  bucketOf(x: number, y: number): number {
    const fx = (x - this.x0) * this.inv;
    const fy = (y - this.y0) * this.inv;
    // `| 0` truncates like floor for the non-negative values inside the rectangle.
    const bx = fx <= 0 ? 0 : fx >= this.gw ? this.gw - 1 : fx | 0;
    const by = fy <= 0 ? 0 : fy >= this.gh ? this.gh - 1 : fy | 0;
    return by * this.gw + bx;
  }

  /** Sets first/second (site indices) and their powers for the point (x, y). */
  query(x: number, y: number): void {
    const b = this.bucketOf(x, y);
    this.bucket = b;
    const sx = this.sx;
    const sy = this.sy;
    const wt = this.weight;
    const m = this.members;
    let f1 = Infinity;
    let f2 = Infinity;
    let i1 = -1;
    let i2 = -1;
    for (let k = this.offsets[b]!, end = this.offsets[b + 1]!; k < end; k++) {
      const i = m[k]!;
      const dx = sx[i]! - x;
      const dy = sy[i]! - y;
      const f = dx * dx + dy * dy - wt[i]!;
      if (f < f1) {
        f2 = f1;
        i2 = i1;
        f1 = f;
        i1 = i;
      } else if (f < f2) {
        f2 = f;
        i2 = i;
      }
    }
    this.first = i1;
    this.second = i2;
    this.firstPower = f1;
    this.secondPower = f2;
  }

  /**
   * After `query(x, y)`: distance from the point to the nearest bisector between the first site
   * and any other candidate (f_a = f_j; distance (f_j - f_a) / (2 |s_a - s_j|)). Within that
   * distance, in the same bucket, the first site cannot change, so callers may skip queries there.
   */
  clearance(x: number, y: number): number {
    const a = this.first;
    const sx = this.sx;
    const sy = this.sy;
    const wt = this.weight;
    const m = this.members;
    const ax = sx[a]!;
    const ay = sy[a]!;
    const fa = this.firstPower;
    let best = Infinity;
    for (let k = this.offsets[this.bucket]!, end = this.offsets[this.bucket + 1]!; k < end; k++) {
      const j = m[k]!;
      if (j === a) continue;
      const dx = sx[j]! - x;
      const dy = sy[j]! - y;
      const ux = sx[j]! - ax;
      const uy = sy[j]! - ay;
      const gap = (dx * dx + dy * dy - wt[j]! - fa) / (2 * Math.sqrt(ux * ux + uy * uy));
      if (gap < best) best = gap;
    }
    return best;
  }
}

/**
 * Writes to `out` the sites among list[0..count) that can be first or second by power
 * somewhere within `half` of (cx, cy); returns how many.
 */
function filterTopTwo(
  list: Int32Array,
  count: number,
  sx: Float64Array,
  sy: Float64Array,
  weight: Float64Array,
  cx: number,
  cy: number,
  half: number,
  out: Int32Array,
): number {
  let u1 = Infinity;
  let u2 = Infinity;
  for (let k = 0; k < count; k++) {
    const i = list[k]!;
    const dx = sx[i]! - cx;
    const dy = sy[i]! - cy;
    const d = Math.sqrt(dx * dx + dy * dy) + half;
    const up = d * d - weight[i]!;
    if (up < u1) {
      u2 = u1;
      u1 = up;
    } else if (up < u2) u2 = up;
  }
  let n = 0;
  for (let k = 0; k < count; k++) {
    const i = list[k]!;
    const dx = sx[i]! - cx;
    const dy = sy[i]! - cy;
    const d = Math.max(0, Math.sqrt(dx * dx + dy * dy) - half);
    if (d * d - weight[i]! <= u2) out[n++] = i;
  }
  return n;
}
