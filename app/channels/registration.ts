// Registration of an elemental map (EDS, WDS, any other channel of the same field) onto its SEM
// image: a scale and a translation per axis, x_image = sx * u + tx for a map pixel corner u. The
// estimate takes the scale from the size ratio (maps are usually a lower-resolution scan of the
// same field) and the translation from normalised cross-correlation of the SEM image with the maps;
// two point pairs clicked by a person fix both exactly.
import type { GreyImage } from '../types';

export interface Registration {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

/** One map's intensities (raw or float), any resolution. */
export interface ChannelMap {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export interface PointPair {
  /** A point on the SEM image (image px). */
  image: { x: number; y: number };
  /** The same feature on the map (map px). */
  map: { x: number; y: number };
}

/**
 * Scale and translation from two point pairs, per axis: sx = dx_image / dx_map and tx from the
 * first pair. An axis on which the two map points coincide (or nearly) takes the other axis's scale.
 */
export function solveTwoPoints(a: PointPair, b: PointPair): Registration {
  const dxm = b.map.x - a.map.x;
  const dym = b.map.y - a.map.y;
  const okx = Math.abs(dxm) >= 2;
  const oky = Math.abs(dym) >= 2;
  if (!okx && !oky) throw new RangeError('the two map points are less than 2 px apart: pick two points far apart on the map');
  let sx = okx ? (b.image.x - a.image.x) / dxm : NaN;
  let sy = oky ? (b.image.y - a.image.y) / dym : NaN;
  if (!okx) sx = sy;
  if (!oky) sy = sx;
  if (!(sx > 0) || !(sy > 0)) throw new RangeError('the two point pairs are in opposite order on the image and the map (a mirrored or rotated map cannot be registered by scale and shift)');
  return { sx, sy, tx: a.image.x - sx * a.map.x, ty: a.image.y - sy * a.map.y };
}

/** Where an image point lies on the map, and back. */
export function imageToMap(r: Registration, x: number, y: number): { x: number; y: number } {
  return { x: (x - r.tx) / r.sx, y: (y - r.ty) / r.sy };
}
export function mapToImage(r: Registration, x: number, y: number): { x: number; y: number } {
  return { x: r.sx * x + r.tx, y: r.sy * y + r.ty };
}

/**
 * A map resampled onto a w x h image grid (bilinear, at pixel centres); pixels the map does not
 * cover are NaN.
 */
export function resampleToImage(map: ChannelMap, r: Registration, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const mw = map.width;
  const mh = map.height;
  const d = map.data;
  const us = new Float64Array(w);
  for (let x = 0; x < w; x++) us[x] = (x + 0.5 - r.tx) / r.sx - 0.5;
  for (let y = 0; y < h; y++) {
    const v = (y + 0.5 - r.ty) / r.sy - 0.5;
    const row = y * w;
    if (v < -0.5 || v > mh - 0.5) {
      out.fill(NaN, row, row + w);
      continue;
    }
    const vc = Math.min(mh - 1, Math.max(0, v));
    const v0 = Math.min(mh - 2, Math.floor(vc));
    const fv = mh === 1 ? 0 : vc - v0;
    const r0 = Math.max(0, v0) * mw;
    const r1 = Math.min(mh - 1, v0 + 1) * mw;
    for (let x = 0; x < w; x++) {
      const u = us[x]!;
      if (u < -0.5 || u > mw - 0.5) {
        out[row + x] = NaN;
        continue;
      }
      const uc = Math.min(mw - 1, Math.max(0, u));
      const u0 = Math.max(0, Math.min(mw - 2, Math.floor(uc)));
      const u1 = Math.min(mw - 1, u0 + 1);
      const fu = mw === 1 ? 0 : uc - u0;
      const top = d[r0 + u0]! * (1 - fu) + d[r0 + u1]! * fu;
      const bot = d[r1 + u0]! * (1 - fu) + d[r1 + u1]! * fu;
      out[row + x] = top * (1 - fv) + bot * fv;
    }
  }
  return out;
}

/** Box average of an image over cells of (fx x fy) image px: the SEM seen at a map's resolution. */
function boxDown(img: ChannelMap, fx: number, fy: number, w: number, h: number, ox: number, oy: number): Float64Array {
  const out = new Float64Array(w * h);
  const cnt = new Float64Array(w * h);
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    const v = Math.floor((y - oy) / fy);
    if (v < 0 || v >= h) continue;
    for (let x = 0; x < img.width; x++) {
      const u = Math.floor((x - ox) / fx);
      if (u < 0 || u >= w) continue;
      out[v * w + u]! += d[y * img.width + x]!;
      cnt[v * w + u]!++;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = cnt[i]! > 0 ? out[i]! / cnt[i]! : NaN;
  return out;
}

/** Pearson correlation of a and b over the indices where both are numbers (0 when flat or too few). */
function ncc(a: ArrayLike<number>, b: ArrayLike<number>, idx: (i: number) => number, n: number): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, m = 0;
  for (let i = 0; i < n; i++) {
    const j = idx(i);
    if (j < 0) continue;
    const x = a[i]!;
    const y = b[j]!;
    if (x !== x || y !== y) continue;
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; m++;
  }
  if (m < 16) return 0;
  const va = saa - (sa * sa) / m;
  const vb = sbb - (sb * sb) / m;
  if (va <= 1e-12 || vb <= 1e-12) return 0;
  return (sab - (sa * sb) / m) / Math.sqrt(va * vb);
}

export interface EstimateOptions {
  /** Largest shift tried, as a fraction of the map's size (default 0.15). */
  maxShift?: number;
}

export interface Estimate extends Registration {
  /** Mean over maps of the squared correlation at the chosen shift (0..1): how sure the estimate is. */
  score: number;
}

/** Box average of a map by an integer factor (the coarse level of the shift search). */
function shrinkMap(m: ChannelMap, f: number): ChannelMap {
  if (f <= 1) return m;
  const w = Math.max(1, Math.floor(m.width / f));
  const h = Math.max(1, Math.floor(m.height / f));
  const out = new Float64Array(w * h);
  for (let y = 0; y < h * f; y++) for (let x = 0; x < w * f; x++) out[((y / f) | 0) * w + ((x / f) | 0)]! += m.data[y * m.width + x]!;
  for (let i = 0; i < out.length; i++) out[i]! /= f * f;
  return { width: w, height: h, data: out };
}

/** Mean squared correlation of the maps with `down` when map pixel (u, v) lies on cell (u + du, v + dv). */
function shiftScore(down: Float64Array, maps: readonly ChannelMap[], du: number, dv: number): number {
  const mw = maps[0]!.width;
  const mh = maps[0]!.height;
  let s = 0;
  for (const m of maps) {
    const c = ncc(down, m.data, (i) => {
      const u = (i % mw) - du;
      const v = ((i / mw) | 0) - dv;
      return u < 0 || v < 0 || u >= mw || v >= mh ? -1 : v * mw + u;
    }, mw * mh);
    s += c * c;
  }
  return s / maps.length;
}

/** The best whole-pixel shift in a window. */
function searchShift(down: Float64Array, maps: readonly ChannelMap[], u0: number, v0: number, r: number): { du: number; dv: number; s: number } {
  let best = { du: u0, dv: v0, s: -1 };
  for (let dv = v0 - r; dv <= v0 + r; dv++) {
    for (let du = u0 - r; du <= u0 + r; du++) {
      const s = shiftScore(down, maps, du, dv);
      if (s > best.s) best = { du, dv, s };
    }
  }
  return best;
}

/**
 * Estimates scale and translation of maps (all of one size, taken together) onto an SEM image.
 * Scale: image size / map size per axis. Translation: the shift maximising the summed squared
 * normalised cross-correlation between the maps and the SEM image box-averaged to the map grid
 * (squared, so an element brighter where the SEM is darker counts as well as one brighter where it
 * is brighter). Searched over whole pixels of maps reduced to at most 128 px (coarse), then whole
 * map pixels around that, then whole SEM pixels, with a parabola through the neighbouring scores
 * for the fraction of a pixel. A direct search rather than FFT phase
 * correlation: the search runs on small grids, the window is a fraction of them, it copes with
 * maps that correlate negatively with the SEM, and no FFT library is a dependency of the project.
 */
export function estimateRegistration(semIn: GreyImage, maps: readonly ChannelMap[], o: EstimateOptions = {}): Estimate {
  if (maps.length === 0) throw new RangeError('no maps to register');
  const mw = maps[0]!.width;
  const mh = maps[0]!.height;
  for (const m of maps) if (m.width !== mw || m.height !== mh) throw new RangeError('maps registered together must have one size');
  const sx = semIn.width / mw;
  const sy = semIn.height / mh;
  // A large SEM image is first reduced (integer factor k) so each pass over it stays cheap.
  const k = Math.max(1, Math.floor(Math.max(semIn.width, semIn.height) / 1024));
  const sem: ChannelMap = k > 1 ? shrinkMap(semIn, k) : semIn;
  const wsx = sx / k;
  const wsy = sy / k;
  const R = Math.max(1, Math.round((o.maxShift ?? 0.15) * Math.max(mw, mh)));
  const f = Math.max(1, Math.ceil(Math.max(mw, mh) / 128));
  let best;
  if (f > 1) {
    const small = maps.map((m) => shrinkMap(m, f));
    const downC = boxDown(sem, wsx * f, wsy * f, small[0]!.width, small[0]!.height, 0, 0);
    const c = searchShift(downC, small, 0, 0, Math.ceil(R / f));
    best = searchShift(boxDown(sem, wsx, wsy, mw, mh, 0, 0), maps, c.du * f, c.dv * f, f);
  } else {
    best = searchShift(boxDown(sem, wsx, wsy, mw, mh, 0, 0), maps, 0, 0, R);
  }
  // Refinement: the SEM cell grid offset by whole (working) SEM pixels around the best whole map
  // pixel, then a parabola through the scores beside the best offset on each axis for the fraction.
  const rx = Math.ceil(wsx / 2);
  const ry = Math.ceil(wsy / 2);
  const at = (ox: number, oy: number) => shiftScore(boxDown(sem, wsx, wsy, mw, mh, ox, oy), maps, best.du, best.dv);
  const scores = new Map<string, number>();
  const cached = (ox: number, oy: number) => {
    const key = `${ox},${oy}`;
    if (!scores.has(key)) scores.set(key, at(ox, oy));
    return scores.get(key)!;
  };
  let fine = { ox: 0, oy: 0, s: best.s };
  scores.set('0,0', best.s);
  for (let oy = -ry; oy <= ry; oy++) {
    for (let ox = -rx; ox <= rx; ox++) {
      const sc = cached(ox, oy);
      if (sc > fine.s) fine = { ox, oy, s: sc };
    }
  }
  const vertex = (m: number, c: number, p: number) => {
    const d = m - 2 * c + p;
    return d < 0 ? Math.max(-0.5, Math.min(0.5, (m - p) / (2 * d))) : 0;
  };
  const fx = vertex(cached(fine.ox - 1, fine.oy), fine.s, cached(fine.ox + 1, fine.oy));
  const fy = vertex(cached(fine.ox, fine.oy - 1), fine.s, cached(fine.ox, fine.oy + 1));
  return { sx, sy, tx: best.du * sx + (fine.ox + fx) * k, ty: best.dv * sy + (fine.oy + fy) * k, score: fine.s };
}
