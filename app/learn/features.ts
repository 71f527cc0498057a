// Multi-scale filter bank for the pixel classifier (ilastik's feature set): Gaussian smoothing,
// Laplacian of Gaussian, gradient magnitude, difference of Gaussians, Hessian eigenvalues and
// structure-tensor eigenvalues at a chosen set of scales; selectable beyond those, white and black
// top-hats. Pure typed-array code: no Node, no DOM.
// Images are turned into one float channel in 0..1 (16-bit aware, robust to a few outliers), and
// large images are computed tile by tile with a halo so every tile equals the whole-image result.
import type { RasterImage } from '../types';

export const FEATURE_KINDS = ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure', 'tophat'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const DEFAULT_SIGMAS = [0.7, 1, 1.6, 3.5, 5, 10] as const;
/** The kinds of the default set (ilastik's six); the others are selectable. */
export const DEFAULT_KINDS: readonly FeatureKind[] = ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure'];

export interface FeatureSpec {
  sigmas: number[];
  kinds: FeatureKind[];
}

export const DEFAULT_FEATURES: FeatureSpec = { sigmas: [...DEFAULT_SIGMAS], kinds: [...DEFAULT_KINDS] };

/** How many maps a kind gives per scale. */
const PER_KIND: Record<FeatureKind, number> = { gauss: 1, log: 1, gradient: 1, dog: 1, hessian: 2, structure: 2, tophat: 2 };

/** Half-width (pixels of the scale's pyramid level) of the top-hat's square structuring element. */
function tophatRadius(localSigma: number): number {
  return Math.max(1, Math.ceil(1.5 * localSigma));
}

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
    const level = levelOf(sigma);
    halo += level * (Math.max(1, Math.ceil((TRUNCATE * Math.sqrt(Math.max(0.01, sigma * sigma - prev * prev))) / level)) + 2);
    prev = sigma;
  }
  halo += levelOf(prev) * (Math.max(1, Math.ceil((TRUNCATE * 0.5 * prev) / levelOf(prev))) + 2);
  const kinds = checkSpec(spec).kinds;
  // A top-hat's opening/closing reaches 2 radii further than the smoothed image it works on.
  if (kinds.includes('tophat')) halo += Math.max(...s.map((sigma) => levelOf(sigma) * (2 * tophatRadius(sigma / levelOf(sigma)) + 2)));
  // A multiple of 4 keeps tiles aligned with the pyramid's downsampling.
  return Math.ceil(halo / 4) * 4;
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

/**
 * Separable Gaussian blur with reflected borders; `tmp` and `out` have w*h elements. The rows'
 * interior reads the source directly (the reflected line is built only near the ends), and the
 * symmetric kernel pairs its taps, so each output costs r + 1 multiplications per pass.
 */
function gaussian(src: Float32Array, w: number, h: number, sigma: number, out = new Float32Array(w * h), tmp = new Float32Array(w * h)): Float32Array {
  const k = kernel(sigma);
  const r = (k.length - 1) >> 1;
  const k0 = k[r]!;
  // Rows.
  const line = new Float32Array(w + 2 * r);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (w <= 2 * r) {
      for (let x = -r; x < w + r; x++) line[x + r] = src[row + reflect(x, w)]!;
      for (let x = 0; x < w; x++) {
        let acc = k0 * line[x + r]!;
        for (let j = 1; j <= r; j++) acc += k[r + j]! * (line[x + r - j]! + line[x + r + j]!);
        tmp[row + x] = acc;
      }
      continue;
    }
    // The ends through a short reflected line, the interior straight from the source.
    for (let x = -r; x < 2 * r; x++) line[x + r] = src[row + reflect(x, w)]!;
    for (let x = 0; x < r; x++) {
      let acc = k0 * line[x + r]!;
      for (let j = 1; j <= r; j++) acc += k[r + j]! * (line[x + r - j]! + line[x + r + j]!);
      tmp[row + x] = acc;
    }
    for (let x = r; x < w - r; x++) {
      const c = row + x;
      let acc = k0 * src[c]!;
      for (let j = 1; j <= r; j++) acc += k[r + j]! * (src[c - j]! + src[c + j]!);
      tmp[c] = acc;
    }
    for (let x = w - 2 * r; x < w + r; x++) line[x - (w - 2 * r)] = src[row + reflect(x, w)]!;
    for (let x = w - r; x < w; x++) {
      const c = x - (w - 2 * r);
      let acc = k0 * line[c]!;
      for (let j = 1; j <= r; j++) acc += k[r + j]! * (line[c - j]! + line[c + j]!);
      tmp[row + x] = acc;
    }
  }
  // Columns, a row at a time so memory is read in order; double accumulator, one rounding.
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    const crow = y * w;
    for (let x = 0; x < w; x++) acc[x] = k0 * tmp[crow + x]!;
    for (let j = 1; j <= r; j++) {
      const kj = k[r + j]!;
      const a = reflect(y - j, h) * w;
      const b = reflect(y + j, h) * w;
      for (let x = 0; x < w; x++) acc[x] += kj * (tmp[a + x]! + tmp[b + x]!);
    }
    for (let x = 0; x < w; x++) out[crow + x] = acc[x]!;
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

/**
 * Bilinear upsampling of a (sw x sh) map by `f` into dst (w x h), pixel centres aligned. Each
 * source row is interpolated along x once (kept while output rows need it), then rows are blended.
 */
function upsample(src: Float32Array, sw: number, sh: number, f: number, dst: Float32Array, w: number, h: number): void {
  const xi0 = new Int32Array(w);
  const xi1 = new Int32Array(w);
  const xt = new Float64Array(w);
  for (let x = 0; x < w; x++) {
    const u = Math.min(sw - 1, Math.max(0, (x + 0.5) / f - 0.5));
    xi0[x] = Math.floor(u);
    xi1[x] = Math.min(sw - 1, xi0[x]! + 1);
    xt[x] = u - xi0[x]!;
  }
  let rowA = new Float64Array(w);
  let rowB = new Float64Array(w);
  let haveA = -1;
  let haveB = -1;
  const fill = (row: Float64Array, sy: number) => {
    const r = sy * sw;
    for (let x = 0; x < w; x++) {
      const p = src[r + xi0[x]!]!;
      row[x] = p + (src[r + xi1[x]!]! - p) * xt[x]!;
    }
  };
  for (let y = 0; y < h; y++) {
    const v = Math.min(sh - 1, Math.max(0, (y + 0.5) / f - 0.5));
    const y0 = Math.floor(v);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ty = v - y0;
    if (haveA !== y0) {
      if (haveB === y0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        haveA = y0;
        haveB = -1;
      } else {
        fill(rowA, y0);
        haveA = y0;
      }
    }
    if (haveB !== y1) {
      fill(rowB, y1);
      haveB = y1;
    }
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const a = rowA[x]!;
      dst[o + x] = a + (rowB[x]! - a) * ty;
    }
  }
}

/**
 * Gaussian smoothing through the pyramid: at 3 px and more the map is downsampled (2x, or 4x
 * from 6 px), smoothed there and upsampled. For smooth maps such as class probabilities.
 */
export function smooth(src: Float32Array, w: number, h: number, sigma: number, out = new Float32Array(w * h)): Float32Array {
  const level = levelOf(sigma);
  if (level === 1) return gaussian(src, w, h, sigma, out);
  let cur = { data: src, w, h };
  for (let l = 1; l < level; l *= 2) cur = half(cur.data, cur.w, cur.h);
  // 2x2 averaging already smoothed by about 0.5 px per halving (in full-size pixels).
  const local = Math.sqrt(Math.max(0.25, (sigma * sigma - (level * level - 1) / 12) / (level * level)));
  const g = gaussian(cur.data, cur.w, cur.h, local);
  upsample(g, cur.w, cur.h, level, out, w, h);
  return out;
}

/** Pixels of context smooth() needs on each side so a tile's result equals the whole map's. */
export function smoothHalo(sigma: number): number {
  const level = levelOf(sigma);
  const local = level === 1 ? sigma : Math.sqrt(Math.max(0.25, (sigma * sigma - (level * level - 1) / 12) / (level * level)));
  return Math.ceil((level * (Math.max(1, Math.ceil(TRUNCATE * local)) + 2)) / 4) * 4;
}

/**
 * The maps of one scale from the smoothed image g (and the previous scale's gp, for DoG), in one
 * pass over the pixels: first and second central differences (borders reflected: the neighbour
 * beyond the edge is the edge pixel itself) feed every kind at once.
 */
function scaleMaps(g: Float32Array, gp: Float32Array, w: number, h: number, sigma: number, kinds: FeatureKind[], res: Float32Array, at: number): void {
  const n = w * h;
  const offsets = new Map<FeatureKind, number>();
  let m = 0;
  for (const kind of kinds) {
    offsets.set(kind, at + m * n);
    m += PER_KIND[kind];
  }
  const oGauss = offsets.get('gauss') ?? -1;
  const oDog = offsets.get('dog') ?? -1;
  const oGrad = offsets.get('gradient') ?? -1;
  const oLog = offsets.get('log') ?? -1;
  const oHess = offsets.get('hessian') ?? -1;
  const oStruct = offsets.get('structure') ?? -1;
  const oTop = offsets.get('tophat') ?? -1;
  const second = oLog >= 0 || oHess >= 0;
  const hs = 0.5 * sigma;
  const s2 = sigma * sigma;
  // Structure tensor: products of first derivatives, integrated at half the scale below.
  const sa = oStruct >= 0 ? new Float32Array(n) : null;
  const sb = oStruct >= 0 ? new Float32Array(n) : null;
  const sc = oStruct >= 0 ? new Float32Array(n) : null;
  if (oGauss >= 0) res.set(g.subarray(0, n), oGauss);
  if (oDog >= 0) for (let i = 0; i < n; i++) res[oDog + i] = g[i]! - gp[i]!;
  if (oGrad >= 0 || sa || second) {
    for (let y = 0; y < h; y++) {
      const ym = (y > 0 ? y - 1 : 0) * w;
      const yp = (y < h - 1 ? y + 1 : h - 1) * w;
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const xm = x > 0 ? x - 1 : 0;
        const xp = x < w - 1 ? x + 1 : w - 1;
        const i = row + x;
        const c0 = g[i]!;
        const l = g[row + xm]!;
        const r = g[row + xp]!;
        const u = g[ym + x]!;
        const d = g[yp + x]!;
        if (oGrad >= 0 || sa) {
          const gx = (r - l) * hs;
          const gy = (d - u) * hs;
          if (oGrad >= 0) res[oGrad + i] = Math.sqrt(gx * gx + gy * gy);
          if (sa) {
            sa[i] = gx * gx;
            sb![i] = gx * gy;
            sc![i] = gy * gy;
          }
        }
        if (second) {
          const dxx = (r - 2 * c0 + l) * s2;
          const dyy = (d - 2 * c0 + u) * s2;
          if (oLog >= 0) res[oLog + i] = dxx + dyy;
          if (oHess >= 0) {
            const dxy = (g[yp + xp]! - g[yp + xm]! - g[ym + xp]! + g[ym + xm]!) * 0.25 * s2;
            const hf = (dxx + dyy) / 2;
            const hd = (dxx - dyy) / 2;
            const e = Math.sqrt(hd * hd + dxy * dxy);
            res[oHess + i] = hf + e;
            res[oHess + n + i] = hf - e;
          }
        }
      }
    }
  }
  if (sa && sb && sc) {
    const outer = 0.5 * sigma;
    const tmp = new Float32Array(n);
    const ja = gaussian(sa, w, h, outer, undefined, tmp);
    const jb = gaussian(sb, w, h, outer, sb, tmp);
    const jc = gaussian(sc, w, h, outer, sc, tmp);
    for (let i = 0; i < n; i++) {
      const a = ja[i]!;
      const c = jc[i]!;
      const b = jb[i]!;
      const hf = (a + c) / 2;
      const hd = (a - c) / 2;
      const e = Math.sqrt(hd * hd + b * b);
      res[oStruct + i] = hf + e;
      res[oStruct + n + i] = hf - e;
    }
  }
  if (oTop >= 0) {
    // White and black top-hat of the smoothed image: what a square of side 2R + 1 cannot fit in
    // (bright and dark objects narrower than the square), R growing with the scale.
    const r = tophatRadius(sigma);
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    const c = new Float32Array(n);
    rankFilter(g, w, h, r, false, a, c);
    rankFilter(a, w, h, r, true, b, c);
    for (let i = 0; i < n; i++) res[oTop + i] = g[i]! - b[i]!;
    rankFilter(g, w, h, r, true, a, c);
    rankFilter(a, w, h, r, false, b, c);
    for (let i = 0; i < n; i++) res[oTop + n + i] = b[i]! - g[i]!;
  }
}

/** Square min (max when `max`) filter of half-width r, borders clamped; separable, tmp is scratch. */
function rankFilter(src: Float32Array, w: number, h: number, r: number, max: boolean, out: Float32Array, tmp: Float32Array): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const x0 = x - r < 0 ? 0 : x - r;
      const x1 = x + r >= w ? w - 1 : x + r;
      let v = src[row + x0]!;
      if (max) for (let k = x0 + 1; k <= x1; k++) v = src[row + k]! > v ? src[row + k]! : v;
      else for (let k = x0 + 1; k <= x1; k++) v = src[row + k]! < v ? src[row + k]! : v;
      tmp[row + x] = v;
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = y - r < 0 ? 0 : y - r;
    const y1 = y + r >= h ? h - 1 : y + r;
    const row = y * w;
    out.set(tmp.subarray(y0 * w, y0 * w + w), row);
    for (let k = y0 + 1; k <= y1; k++) {
      const o = k * w;
      if (max) for (let x = 0; x < w; x++) out[row + x] = tmp[o + x]! > out[row + x]! ? tmp[o + x]! : out[row + x]!;
      else for (let x = 0; x < w; x++) out[row + x] = tmp[o + x]! < out[row + x]! ? tmp[o + x]! : out[row + x]!;
    }
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
export function computeFeatures(grey: Float32Array, w: number, h: number, specIn: FeatureSpec, out?: Float32Array): Float32Array {
  const spec = checkSpec(specIn);
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
function cropWithHalo(grey: Float32Array, w: number, h: number, t: Tile, halo: number): { data: Float32Array; box: Tile } {
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
