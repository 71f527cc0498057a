// Multi-scale filter bank for the pixel classifier (ilastik's feature set): Gaussian smoothing,
// Laplacian of Gaussian, gradient magnitude, difference of Gaussians, Hessian eigenvalues and
// structure-tensor eigenvalues at a chosen set of scales. Pure typed-array code: no Node, no DOM.
// Images are turned into one float channel in 0..1 (16-bit aware, robust to a few outliers), and
// large images are computed tile by tile with a halo so every tile equals the whole-image result.
import type { RasterImage } from '../types';

export const FEATURE_KINDS = ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const DEFAULT_SIGMAS = [0.7, 1, 1.6, 3.5, 5, 10] as const;

export interface FeatureSpec {
  sigmas: number[];
  kinds: FeatureKind[];
}

export const DEFAULT_FEATURES: FeatureSpec = { sigmas: [...DEFAULT_SIGMAS], kinds: [...FEATURE_KINDS] };

/** How many maps a kind gives per scale. */
const PER_KIND: Record<FeatureKind, number> = { gauss: 1, log: 1, gradient: 1, dog: 1, hessian: 2, structure: 2 };
/** Gaussian kernels are cut at this many sigmas. */
const TRUNCATE = 3;

export function checkSpec(spec: FeatureSpec): FeatureSpec {
  if (!spec.sigmas.length) throw new RangeError('the feature set needs at least one scale');
  if (!spec.kinds.length) throw new RangeError('the feature set needs at least one kind of filter');
  for (const s of spec.sigmas) if (!(s >= 0.3 && s <= 64)) throw new RangeError(`feature scale ${s} is outside 0.3..64`);
  for (const k of spec.kinds) if (!FEATURE_KINDS.includes(k)) throw new RangeError(`unknown feature kind '${k}'`);
  const sigmas = [...new Set(spec.sigmas)].sort((a, b) => a - b);
  const kinds = FEATURE_KINDS.filter((k) => spec.kinds.includes(k));
  return { sigmas, kinds };
}

export function featureNames(spec: FeatureSpec): string[] {
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

export function featureCount(spec: FeatureSpec): number {
  return featureNames(spec).length;
}

/** Pixels of context a tile needs on each side so its features equal the whole image's. */
export function featureHalo(spec: FeatureSpec): number {
  const s = checkSpec(spec).sigmas;
  // The cascade's kernels add up; then one pixel for differences and the structure tensor's blur.
  let halo = 0;
  let prev = 0;
  for (const sigma of s) {
    halo += Math.max(1, Math.ceil(TRUNCATE * Math.sqrt(sigma * sigma - prev * prev)));
    prev = sigma;
  }
  return halo + Math.max(1, Math.ceil(TRUNCATE * 0.5 * prev)) + 2;
}

/**
 * One float channel in 0..1: channels averaged, then scaled so the 0.1th..99.9th percentile spans
 * 0..1 (values beyond are kept, not clipped). The same material imaged at 8 or 16 bits, or with a
 * different contrast setting, gives comparable features.
 */
export function normalizedGrey(img: RasterImage): Float32Array {
  const n = img.width * img.height;
  const c = img.channels;
  const colour = c >= 3 ? 3 : 1;
  const out = new Float32Array(n);
  const src = img.data;
  for (let i = 0, p = 0; i < n; i++, p += c) {
    let v = 0;
    for (let k = 0; k < colour; k++) v += src[p + k]!;
    out[i] = v / colour;
  }
  const maxValue = img.bitDepth === 16 ? 65535 : 255;
  const bins = 4096;
  const hist = new Uint32Array(bins);
  for (let i = 0; i < n; i++) hist[Math.min(bins - 1, Math.floor((out[i]! / maxValue) * bins))]!++;
  const at = (q: number) => {
    const target = q * n;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= target) return ((b + 0.5) / bins) * maxValue;
    }
    return maxValue;
  };
  let lo = at(0.001);
  let hi = at(0.999);
  if (!(hi > lo)) {
    lo = 0;
    hi = maxValue;
  }
  const scale = 1 / (hi - lo);
  for (let i = 0; i < n; i++) out[i] = (out[i]! - lo) * scale;
  return out;
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
export function gaussian(src: Float32Array, w: number, h: number, sigma: number, out = new Float32Array(w * h), tmp = new Float32Array(w * h)): Float32Array {
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

/**
 * All features of a w x h image (grey from normalizedGrey), feature-major: map f is
 * out[f*w*h .. (f+1)*w*h). Derivatives are central differences of the Gaussian-smoothed image,
 * scale-normalised (sigma for first, sigma^2 for second derivatives).
 */
export function computeFeatures(grey: Float32Array, w: number, h: number, specIn: FeatureSpec, out?: Float32Array): Float32Array {
  const spec = checkSpec(specIn);
  const n = w * h;
  const F = featureCount(spec);
  const res = out ?? new Float32Array(F * n);
  if (res.length < F * n) throw new RangeError('feature buffer too small');
  const kinds = new Set(spec.kinds);
  const needDerivs = kinds.has('log') || kinds.has('gradient') || kinds.has('hessian') || kinds.has('structure');
  const tmp = new Float32Array(n);
  let prev = grey;
  let g = new Float32Array(n);
  let prevG = new Float32Array(n);
  let prevSigma = 0;
  const gx = needDerivs ? new Float32Array(n) : null;
  const gy = needDerivs ? new Float32Array(n) : null;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const c = new Float32Array(n);
  let f = 0;
  const put = (m: number, i: number, v: number) => (res[(f + m) * n + i] = v);
  for (const sigma of spec.sigmas) {
    // Cascade: G(sigma) = G(sqrt(sigma^2 - prev^2)) applied to G(prev).
    const step = Math.sqrt(sigma * sigma - prevSigma * prevSigma);
    gaussian(prev, w, h, step, g, tmp);
    if (gx && gy) {
      for (let y = 0; y < h; y++) {
        const ym = reflect(y - 1, h) * w;
        const yp = reflect(y + 1, h) * w;
        const row = y * w;
        for (let x = 0; x < w; x++) {
          const xm = reflect(x - 1, w);
          const xp = reflect(x + 1, w);
          gx[row + x] = (g[row + xp]! - g[row + xm]!) * 0.5 * sigma;
          gy[row + x] = (g[yp + x]! - g[ym + x]!) * 0.5 * sigma;
        }
      }
    }
    let m = 0;
    for (const kind of spec.kinds) {
      if (kind === 'gauss') {
        res.set(g, (f + m) * n);
      } else if (kind === 'dog') {
        const base = prevSigma === 0 ? grey : prevG;
        for (let i = 0; i < n; i++) put(m, i, g[i]! - base[i]!);
      } else if (kind === 'gradient') {
        for (let i = 0; i < n; i++) put(m, i, Math.hypot(gx![i]!, gy![i]!));
      } else if (kind === 'log' || kind === 'hessian') {
        const s2 = sigma * sigma;
        for (let y = 0; y < h; y++) {
          const ym = reflect(y - 1, h) * w;
          const yp = reflect(y + 1, h) * w;
          const row = y * w;
          for (let x = 0; x < w; x++) {
            const xm = reflect(x - 1, w);
            const xp = reflect(x + 1, w);
            const i = row + x;
            const c0 = g[i]!;
            const dxx = (g[row + xp]! - 2 * c0 + g[row + xm]!) * s2;
            const dyy = (g[yp + x]! - 2 * c0 + g[ym + x]!) * s2;
            if (kind === 'log') {
              put(m, i, dxx + dyy);
            } else {
              const dxy = (g[yp + xp]! - g[yp + xm]! - g[ym + xp]! + g[ym + xm]!) * 0.25 * s2;
              const half = (dxx + dyy) / 2;
              const d = Math.sqrt(((dxx - dyy) / 2) ** 2 + dxy * dxy);
              put(m, i, half + d);
              put(m + 1, i, half - d);
            }
          }
        }
      } else {
        // Structure tensor: products of first derivatives integrated at half the scale.
        for (let i = 0; i < n; i++) {
          a[i] = gx![i]! * gx![i]!;
          b[i] = gx![i]! * gy![i]!;
          c[i] = gy![i]! * gy![i]!;
        }
        const outer = 0.5 * sigma;
        const ja = gaussian(a, w, h, outer, undefined, tmp);
        const jb = gaussian(b, w, h, outer, undefined, tmp);
        const jc = gaussian(c, w, h, outer, undefined, tmp);
        for (let i = 0; i < n; i++) {
          const half = (ja[i]! + jc[i]!) / 2;
          const d = Math.sqrt(((ja[i]! - jc[i]!) / 2) ** 2 + jb[i]! * jb[i]!);
          put(m, i, half + d);
          put(m + 1, i, half - d);
        }
      }
      m += PER_KIND[kind];
    }
    f += m;
    // Keep G(sigma) as the next scale's input and as the DoG's base.
    const t = prevG;
    prevG = g;
    g = t;
    prev = prevG;
    prevSigma = sigma;
  }
  return res;
}

export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Tiles of at most `size` x `size` covering a w x h image, row by row. */
export function tilesOf(w: number, h: number, size: number): Tile[] {
  const tiles: Tile[] = [];
  for (let y = 0; y < h; y += size) for (let x = 0; x < w; x += size) tiles.push({ x, y, w: Math.min(size, w - x), h: Math.min(size, h - y) });
  return tiles;
}

/** Copies a rectangle (with a halo clamped to the image) out of a full-size grey image. */
export function cropWithHalo(grey: Float32Array, w: number, h: number, t: Tile, halo: number): { data: Float32Array; box: Tile } {
  const x0 = Math.max(0, t.x - halo);
  const y0 = Math.max(0, t.y - halo);
  const x1 = Math.min(w, t.x + t.w + halo);
  const y1 = Math.min(h, t.y + t.h + halo);
  const bw = x1 - x0;
  const bh = y1 - y0;
  const data = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) data.set(grey.subarray((y0 + y) * w + x0, (y0 + y) * w + x1), y * bw);
  return { data, box: { x: x0, y: y0, w: bw, h: bh } };
}

/**
 * Features of one tile: computed on the tile plus its halo, then cut to the tile. Away from the
 * image border the values equal computeFeatures on the whole image.
 */
export function tileFeatures(grey: Float32Array, w: number, h: number, spec: FeatureSpec, t: Tile): Float32Array {
  const halo = featureHalo(spec);
  const { data, box } = cropWithHalo(grey, w, h, t, halo);
  const full = computeFeatures(data, box.w, box.h, spec);
  if (box.w === t.w && box.h === t.h) return full;
  const F = featureCount(spec);
  const n = t.w * t.h;
  const bn = box.w * box.h;
  const out = new Float32Array(F * n);
  const ox = t.x - box.x;
  const oy = t.y - box.y;
  for (let f = 0; f < F; f++) {
    for (let y = 0; y < t.h; y++) {
      const s = f * bn + (oy + y) * box.w + ox;
      out.set(full.subarray(s, s + t.w), f * n + y * t.w);
    }
  }
  return out;
}
