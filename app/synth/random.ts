// Seeded pseudo-random numbers for the synthetic micrograph generator: the same seed must give
// the same image on every machine, so nothing here may touch Math.random.

/** 32-bit integer mix (Murmur3 finaliser); good enough to derive independent streams and hashes. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mulberry32: tiny, fast, full 2^32 period, passes the usual statistical batteries for this use. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = mix32(seed >>> 0) ^ 0x6d2b79f5;
  }

  /** A new generator for one purpose (seeds, colours, scratches...), so options of one part do not shift another. */
  fork(stream: number): Random {
    return new Random(mix32(this.state ^ Math.imul(stream + 1, 0x9e3779b1)));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream simple to reason about). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Fast per-pixel Gaussian noise: standard-normal quantiles at 4096 evenly spaced probabilities,
 * picked by an xorshift stream. Tails stop near 3.5 sigma, which real detector noise also lacks.
 */
export class GaussianNoise {
  private readonly table: Float32Array;
  private state: number;

  constructor(seed: number) {
    this.state = mix32(seed) | 1;
    this.table = new Float32Array(4096);
    for (let i = 0; i < 4096; i++) this.table[i] = inverseNormal((i + 0.5) / 4096);
  }

  next(): number {
    let s = this.state;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.state = s;
    return this.table[(s >>> 20) & 4095]!;
  }
}

/** Inverse standard-normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
