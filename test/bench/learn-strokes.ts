// Simulated brush strokes for the learn benchmark, as a person paints in ilastik: a stroke runs
// along the middle of a region of one class (its centre line stays at least the brush radius from
// the class's edge where the region is wide enough), and a second, corrective round puts strokes
// where the first round's prediction is wrong. Painted pixels are clipped to the true class (a
// careful painter); the same strokes go to GrainLab and to the peer.
import { seededRandom } from '../../app/random';
import { strokePixels } from '../../app/learn/strokes';
import { labelMaskComponents, regionAreas } from '../../app/classic/components';

/** Chamfer (3-4) distance of each pixel to the nearest pixel of another class, in pixels. */
export function insideDistance(classes: Uint8Array, w: number, h: number): Float32Array {
  const d = new Float32Array(w * h);
  const INF = 1e9;
  for (let i = 0; i < d.length; i++) d[i] = INF;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const c = classes[i];
      if ((x > 0 && classes[i - 1] !== c) || (x < w - 1 && classes[i + 1] !== c) || (y > 0 && classes[i - w] !== c) || (y < h - 1 && classes[i + w] !== c)) d[i] = 1;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let v = d[i]!;
      if (x > 0) v = Math.min(v, d[i - 1]! + 1);
      if (y > 0) v = Math.min(v, d[i - w]! + 1);
      if (x > 0 && y > 0) v = Math.min(v, d[i - w - 1]! + 1.414);
      if (x < w - 1 && y > 0) v = Math.min(v, d[i - w + 1]! + 1.414);
      d[i] = v;
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      let v = d[i]!;
      if (x < w - 1) v = Math.min(v, d[i + 1]! + 1);
      if (y < h - 1) v = Math.min(v, d[i + w]! + 1);
      if (x < w - 1 && y < h - 1) v = Math.min(v, d[i + w + 1]! + 1.414);
      if (x > 0 && y < h - 1) v = Math.min(v, d[i + w - 1]! + 1.414);
      d[i] = v;
    }
  }
  return d;
}

export interface SimStroke {
  image: number;
  cls: number;
  points: number[];
  radius: number;
}

/**
 * The region a person sees for class c: its pixels, with gaps of up to 2 x gap px between them
 * closed (a field of small particles is one region to paint across), and its inside distance.
 */
export function regionOf(classes: Uint8Array, c: number, w: number, h: number, gap: number): { region: Uint8Array; dist: Float32Array } {
  const mask = Uint8Array.from(classes, (v) => (v === c ? 1 : 0));
  if (gap <= 0) return { region: mask, dist: insideDistance(mask, w, h) };
  const d1 = insideDistance(mask, w, h);
  const dil = Uint8Array.from(mask, (v, i) => (v || d1[i]! <= gap ? 1 : 0));
  const d2 = insideDistance(dil, w, h);
  const region = Uint8Array.from(mask, (v, i) => (v || (dil[i] && d2[i]! > gap) ? 1 : 0));
  return { region, dist: insideDistance(region, w, h) };
}

/**
 * A stroke from `start` along the middle of its region: each step moves `step` px to the
 * neighbour direction with the largest inside distance (no turning back), while the distance stays
 * at least min(radius, start distance) - 0.5, up to `length` px.
 */
function walk(start: number, w: number, h: number, cls: Uint8Array, dist: Float32Array, length: number, radius: number, rnd: () => number): number[] {
  const c = 1;
  let x = start % w;
  let y = Math.floor(start / w);
  const pts = [x, y];
  const floor = Math.min(radius, dist[start]!) - 0.5;
  let dir = Math.floor(rnd() * 8);
  const dirs = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]] as const;
  const step = 2;
  for (let travelled = 0; travelled < length; travelled += step) {
    let best = -1;
    let bv = -Infinity;
    for (const turn of [0, 1, -1, 2, -2]) {
      const k = (dir + turn + 8) % 8;
      const nx = x + dirs[k]![0] * step;
      const ny = y + dirs[k]![1] * step;
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const j = ny * w + nx;
      if (cls[j] !== c || dist[j]! < floor) continue;
      // Prefer the middle, a little prefer going straight.
      const v = dist[j]! - Math.abs(turn) * 0.3 + rnd() * 0.2;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    if (best < 0) break;
    dir = best;
    x += dirs[best]![0] * step;
    y += dirs[best]![1] * step;
    pts.push(x, y);
  }
  return pts;
}

/** Picks a start pixel of class c among `candidates` weighted toward the middle of regions. */
function pickStart(cands: number[], dist: Float32Array, radius: number, rnd: () => number): number {
  // Among a few random candidates, take the one deepest inside (capped at the radius + 2).
  let best = cands[Math.floor(rnd() * cands.length)]!;
  for (let k = 0; k < 6; k++) {
    const i = cands[Math.floor(rnd() * cands.length)]!;
    if (Math.min(dist[i]!, radius + 2) > Math.min(dist[best]!, radius + 2)) best = i;
  }
  return best;
}

export interface StrokeImage {
  classes: Uint8Array;
  width: number;
  height: number;
}

/** Round 1: n strokes per class over the images (round-robin over images that have the class). */
export function firstRound(images: StrokeImage[], C: number, n: number, radius: number, length: number, seed: number, gap = 3): SimStroke[] {
  const rnd = seededRandom(seed);
  const out: SimStroke[] = [];
  for (let c = 0; c < C; c++) {
    const regions = images.map((im) => regionOf(im.classes, c, im.width, im.height, gap));
    const have = images.map((im, k) => ({ k, cands: [] as number[] })).filter(({ k }) => {
      const im = images[k]!;
      return im.classes.some((v) => v === c);
    });
    for (const h of have) {
      const im = images[h.k]!;
      for (let i = 0; i < im.classes.length; i++) if (im.classes[i] === c) h.cands.push(i);
    }
    if (!have.length) continue;
    for (let s = 0; s < n; s++) {
      const h = have[s % have.length]!;
      const im = images[h.k]!;
      const { region, dist } = regions[h.k]!;
      const start = pickStart(h.cands, dist, radius, rnd);
      out.push({ image: h.k, cls: c, radius, points: walk(start, im.width, im.height, region, dist, length, radius, rnd) });
    }
  }
  return out;
}

/**
 * Corrective round: n strokes per class, each in the largest still-unlabelled region of pixels
 * of that class that the current prediction gets wrong (over all training images).
 */
export function correctiveRound(images: StrokeImage[], predicted: Uint8Array[], labelled: Uint8Array[], C: number, n: number, radius: number, length: number, seed: number, gap = 3): SimStroke[] {
  const rnd = seededRandom(seed);
  const out: SimStroke[] = [];
  for (let c = 0; c < C; c++) {
    const cr = images.map((im) => regionOf(im.classes, c, im.width, im.height, gap));
    const regions: { k: number; area: number; pixels: number[] }[] = [];
    images.forEach((im, k) => {
      const wrong = new Uint8Array(im.classes.length);
      for (let i = 0; i < wrong.length; i++) wrong[i] = im.classes[i] === c && predicted[k]![i] !== c && labelled[k]![i] === 0 ? 1 : 0;
      const { labels, count } = labelMaskComponents(wrong, im.width, im.height, 8);
      const area = regionAreas(labels, count);
      const pix: number[][] = Array.from({ length: count + 1 }, () => []);
      for (let i = 0; i < labels.length; i++) if (labels[i]) pix[labels[i]!]!.push(i);
      for (let id = 1; id <= count; id++) if (area[id]! >= 4) regions.push({ k, area: area[id]!, pixels: pix[id]! });
    });
    regions.sort((a, b) => b.area - a.area);
    for (let s = 0; s < n && s < regions.length; s++) {
      const r = regions[s]!;
      const im = images[r.k]!;
      const { region, dist } = cr[r.k]!;
      const start = pickStart(r.pixels, dist, radius, rnd);
      out.push({ image: r.k, cls: c, radius, points: walk(start, im.width, im.height, region, dist, length, radius, rnd) });
    }
  }
  return out;
}

/** Paints strokes into per-image label maps (0 = none, c+1), clipped to the true class. */
export function paint(images: StrokeImage[], strokes: SimStroke[], into?: Uint8Array[]): Uint8Array[] {
  const maps = into ?? images.map((im) => new Uint8Array(im.classes.length));
  for (const s of strokes) {
    const im = images[s.image]!;
    strokePixels(im.width, im.height, s, (i) => {
      if (im.classes[i] === s.cls) maps[s.image]![i] = s.cls + 1;
    });
  }
  return maps;
}
