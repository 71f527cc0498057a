// The filter bank as it was before the speed work (commit 5c941c2), kept only as the reference
// the optimised app/learn/features.ts is tested against (equal within float rounding).

const FEATURE_KINDS = ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure'] as const;
type FeatureKind = (typeof FEATURE_KINDS)[number];

interface FeatureSpec {
  sigmas: number[];
  kinds: FeatureKind[];
}


/** How many maps a kind gives per scale. */
const PER_KIND: Record<FeatureKind, number> = { gauss: 1, log: 1, gradient: 1, dog: 1, hessian: 2, structure: 2 };
/** Gaussian kernels are cut at this many sigmas. */
const TRUNCATE = 3;

function checkSpec(spec: FeatureSpec): FeatureSpec {
  if (!spec.sigmas.length) throw new RangeError('the feature set needs at least one scale');
  if (!spec.kinds.length) throw new RangeError('the feature set needs at least one kind of filter');
  for (const s of spec.sigmas) if (!(s >= 0.3 && s <= 64)) throw new RangeError(`feature scale ${s} is outside 0.3..64`);
  for (const k of spec.kinds) if (!FEATURE_KINDS.includes(k)) throw new RangeError(`unknown feature kind '${k}'`);
  const sigmas = [...new Set(spec.sigmas)].sort((a, b) => a - b);
  const kinds = FEATURE_KINDS.filter((k) => spec.kinds.includes(k));
  return { sigmas, kinds };
}

function featureNames(spec: FeatureSpec): string[] {
  const s = checkSpec(spec);
  const names: string[] = [];
  for (const sigma of s.sigmas) {
    for (const k of s.kinds) {
      if (PER_KIND[k] === 1) names.push(`${k}@${sigma}`);
      else names.push(`${k}1@${sigma}`, `${k}2@${sigma}`);
    }
  }
  return names;
}

function featureCount(spec: FeatureSpec): number {
  return featureNames(spec).length;
}

function kernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(TRUNCATE * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/** Mirror index (…2 1 0 | 0 1 2 … n-1 | n-1 n-2 …), like scipy's 'reflect'. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  i %= p;
  if (i < 0) i += p;
  return i < n ? i : p - 1 - i;
}

/** Separable Gaussian blur with reflected borders; `tmp` and `out` have w*h elements. */
function gaussian(src: Float32Array, w: number, h: number, sigma: number, out = new Float32Array(w * h), tmp = new Float32Array(w * h)): Float32Array {
  const k = kernel(sigma);
  const r = (k.length - 1) >> 1;
  // Rows.
  const line = new Float32Array(w + 2 * r);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = -r; x < w + r; x++) line[x + r] = src[row + reflect(x, w)]!;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += k[j]! * line[x + j]!;
      tmp[row + x] = acc;
    }
  }
  // Columns, a row at a time so memory is read in order.
  out.fill(0);
  for (let y = 0; y < h; y++) {
    const orow = y * w;
    for (let j = 0; j < k.length; j++) {
      const kj = k[j]!;
      const srow = reflect(y + j - r, h) * w;
      for (let x = 0; x < w; x++) out[orow + x] += kj * tmp[srow + x]!;
    }
  }
  return out;
}

/** Pyramid level a scale is computed at: 1 (full), 2 or 4 (downsampled, then upsampled). */
function levelOf(sigma: number): number {
  return sigma >= 6 ? 4 : sigma >= 3 ? 2 : 1;
}

/** 2x2 mean downsampling (odd sizes: the last row/column is repeated). */
function half(src: Float32Array, w: number, h: number): { data: Float32Array; w: number; h: number } {
  const hw = (w + 1) >> 1;
  const hh = (h + 1) >> 1;
  const out = new Float32Array(hw * hh);
  for (let y = 0; y < hh; y++) {
    const r0 = 2 * y * w;
    const r1 = Math.min(2 * y + 1, h - 1) * w;
    for (let x = 0; x < hw; x++) {
      const x0 = 2 * x;
      const x1 = Math.min(x0 + 1, w - 1);
      out[y * hw + x] = 0.25 * (src[r0 + x0]! + src[r0 + x1]! + src[r1 + x0]! + src[r1 + x1]!);
    }
  }
  return { data: out, w: hw, h: hh };
}

/** Bilinear upsampling of a (sw x sh) map by `f` into dst (w x h), pixel centres aligned. */
function upsample(src: Float32Array, sw: number, sh: number, f: number, dst: Float32Array, w: number, h: number): void {
  const xi0 = new Int32Array(w);
  const xi1 = new Int32Array(w);
  const xt = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const u = Math.min(sw - 1, Math.max(0, (x + 0.5) / f - 0.5));
    xi0[x] = Math.floor(u);
    xi1[x] = Math.min(sw - 1, xi0[x]! + 1);
    xt[x] = u - xi0[x]!;
  }
  for (let y = 0; y < h; y++) {
    const v = Math.min(sh - 1, Math.max(0, (y + 0.5) / f - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ty = v - y0;
    const r0 = y0 * sw;
    const r1 = y1 * sw;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const a = src[r0 + xi0[x]!]! + (src[r0 + xi1[x]!]! - src[r0 + xi0[x]!]!) * xt[x]!;
      const b = src[r1 + xi0[x]!]! + (src[r1 + xi1[x]!]! - src[r1 + xi0[x]!]!) * xt[x]!;
      dst[row + x] = a + (b - a) * ty;
    }
  }
}

/** The maps of one scale from the smoothed image g (and the previous scale's gp, for DoG). */
function scaleMaps(g: Float32Array, gp: Float32Array, w: number, h: number, sigma: number, kinds: FeatureKind[], res: Float32Array, at: number): void {
  const n = w * h;
  const needDerivs = kinds.some((k) => k === 'gradient' || k === 'structure');
  const gx = needDerivs ? new Float32Array(n) : null;
  const gy = needDerivs ? new Float32Array(n) : null;
  if (gx && gy) {
    const hs = 0.5 * sigma;
    for (let y = 0; y < h; y++) {
      const ym = (y > 0 ? y - 1 : 0) * w;
      const yp = (y < h - 1 ? y + 1 : h - 1) * w;
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const xm = x > 0 ? x - 1 : 0;
        const xp = x < w - 1 ? x + 1 : w - 1;
        gx[row + x] = (g[row + xp]! - g[row + xm]!) * hs;
        gy[row + x] = (g[yp + x]! - g[ym + x]!) * hs;
      }
    }
  }
  let m = 0;
  for (const kind of kinds) {
    const o0 = at + m * n;
    const o1 = o0 + n;
    if (kind === 'gauss') {
      res.set(g, o0);
    } else if (kind === 'dog') {
      for (let i = 0; i < n; i++) res[o0 + i] = g[i]! - gp[i]!;
    } else if (kind === 'gradient') {
      for (let i = 0; i < n; i++) {
        const a0 = gx![i]!;
        const b0 = gy![i]!;
        res[o0 + i] = Math.sqrt(a0 * a0 + b0 * b0);
      }
    } else if (kind === 'log' || kind === 'hessian') {
      const s2 = sigma * sigma;
      for (let y = 0; y < h; y++) {
        // Reflected border: the neighbour beyond the edge is the edge pixel itself.
        const ym = (y > 0 ? y - 1 : 0) * w;
        const yp = (y < h - 1 ? y + 1 : h - 1) * w;
        const row = y * w;
        for (let x = 0; x < w; x++) {
          const xm = x > 0 ? x - 1 : 0;
          const xp = x < w - 1 ? x + 1 : w - 1;
          const i = row + x;
          const c0 = g[i]!;
          const dxx = (g[row + xp]! - 2 * c0 + g[row + xm]!) * s2;
          const dyy = (g[yp + x]! - 2 * c0 + g[ym + x]!) * s2;
          if (kind === 'log') {
            res[o0 + i] = dxx + dyy;
          } else {
            const dxy = (g[yp + xp]! - g[yp + xm]! - g[ym + xp]! + g[ym + xm]!) * 0.25 * s2;
            const hf = (dxx + dyy) / 2;
            const d = Math.sqrt(((dxx - dyy) / 2) ** 2 + dxy * dxy);
            res[o0 + i] = hf + d;
            res[o1 + i] = hf - d;
          }
        }
      }
    } else {
      // Structure tensor: products of first derivatives integrated at half the scale.
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      const c = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        a[i] = gx![i]! * gx![i]!;
        b[i] = gx![i]! * gy![i]!;
        c[i] = gy![i]! * gy![i]!;
      }
      const outer = 0.5 * sigma;
      const tmp = new Float32Array(n);
      const ja = gaussian(a, w, h, outer, undefined, tmp);
      const jb = gaussian(b, w, h, outer, undefined, tmp);
      const jc = gaussian(c, w, h, outer, undefined, tmp);
      for (let i = 0; i < n; i++) {
        const hf = (ja[i]! + jc[i]!) / 2;
        const d = Math.sqrt(((ja[i]! - jc[i]!) / 2) ** 2 + jb[i]! * jb[i]!);
        res[o0 + i] = hf + d;
        res[o1 + i] = hf - d;
      }
    }
    m += PER_KIND[kind];
  }
}

/**
 * All features of a w x h image (grey from normalizedGrey), feature-major: map f is
 * out[f*w*h .. (f+1)*w*h). Gaussians cascade from scale to scale; derivatives are central
 * differences of the smoothed image, scale-normalised (sigma for first, sigma^2 for second
 * derivatives). Scales of 3 px and more are computed on a 2x (6 px and more: 4x) downsampled
 * image and upsampled bilinearly, as image pyramids do: those maps are smooth, and it makes the
 * bank about four times faster.
 */
// The spec may name kinds added since (they are refused, by checkSpec, as unknown here).
export function computeFeatures(grey: Float32Array, w: number, h: number, specIn: { sigmas: number[]; kinds: readonly string[] }, out?: Float32Array): Float32Array {
  const spec = checkSpec(specIn as FeatureSpec);
  const n = w * h;
  const F = featureCount(spec);
  const res = out ?? new Float32Array(F * n);
  if (res.length < F * n) throw new RangeError('feature buffer too small');
  const perScale = spec.kinds.reduce((a, k) => a + PER_KIND[k], 0);
  // Current level: its image size, the smoothed image of the previous scale and that scale.
  let level = 1;
  let lw = w;
  let lh = h;
  let prev = grey;
  let prevSigma = 0;
  let f = 0;
  let scratch: Float32Array | null = null;
  for (const sigma of spec.sigmas) {
    const want = levelOf(sigma);
    while (level < want) {
      const d = half(prev, lw, lh);
      prev = d.data;
      lw = d.w;
      lh = d.h;
      level *= 2;
      // 2x2 averaging adds about 0.5 px (of the finer level) of smoothing.
      prevSigma = Math.sqrt(prevSigma * prevSigma + 0.25 * (level / 2) * (level / 2));
    }
    const local = sigma / level;
    const localPrev = prevSigma / level;
    const step = Math.sqrt(Math.max(0.01, local * local - localPrev * localPrev));
    const g = gaussian(prev, lw, lh, step);
    if (level === 1) {
      scaleMaps(g, prev, lw, lh, local, spec.kinds, res, f * n);
    } else {
      const ln = lw * lh;
      if (!scratch || scratch.length < perScale * ln) scratch = new Float32Array(perScale * ln);
      scaleMaps(g, prev, lw, lh, local, spec.kinds, scratch, 0);
      for (let m = 0; m < perScale; m++) upsample(scratch.subarray(m * ln, (m + 1) * ln), lw, lh, level, res.subarray((f + m) * n, (f + m + 1) * n), w, h);
    }
    f += perScale;
    prev = g;
    prevSigma = sigma;
  }
  return res;
}


