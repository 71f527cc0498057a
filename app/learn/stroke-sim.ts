// Simulated brush strokes, as a person paints training labels (benchmarks and the effort
// simulator): each stroke is one drag of the brush inside one object of its class, never over its
// edge (the brush shrinks for objects thinner than it, as a person picks a smaller brush for small
// particles); the strokes of a class go to different objects spread over the training images
// (each new stroke starts as far as possible from the earlier ones); a corrective round paints
// where the current prediction is wrong. One stroke = one operation.
import { seededRandom } from '../random';
import { labelMaskComponents, regionAreas } from '../classic/components';
import { strokePixels } from './strokes';

export interface SimStroke {
  image: number;
  cls: number;
  points: number[];
  radius: number;
}

export interface StrokeImage {
  /** True class per pixel. */
  classes: Uint8Array;
  width: number;
  height: number;
}

export interface StrokeSimOptions {
  /** Brush radius in px (smaller inside thinner objects). */
  radius: number;
  /** Longest stroke in px. */
  length: number;
  seed: number;
}

/** Chamfer (3-4) distance of each pixel to the nearest pixel of another class (1 at the edge). */
export function insideDistance(classes: Uint8Array, w: number, h: number): Float32Array {
  const d = new Float32Array(w * h).fill(1e9);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const c = classes[i];
      if ((x > 0 && classes[i - 1] !== c) || (x < w - 1 && classes[i + 1] !== c) || (y > 0 && classes[i - w] !== c) || (y < h - 1 && classes[i + w] !== c)) d[i] = 1;
    }
  }
  const pass = (x: number, y: number, i: number, dx: number, dy: number) => {
    let v = d[i]!;
    if (x + dx >= 0 && x + dx < w) v = Math.min(v, d[i + dx]! + 1);
    if (y + dy >= 0 && y + dy < h) {
      v = Math.min(v, d[i + dy * w]! + 1);
      if (x - 1 >= 0) v = Math.min(v, d[i + dy * w - 1]! + 1.414);
      if (x + 1 < w) v = Math.min(v, d[i + dy * w + 1]! + 1.414);
    }
    d[i] = v;
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pass(x, y, y * w + x, -1, -1);
  for (let y = h - 1; y >= 0; y--) for (let x = w - 1; x >= 0; x--) pass(x, y, y * w + x, 1, 1);
  return d;
}

const DIRS = [[1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1]] as const;

/** Brush radius that keeps a stroke centred at a pixel of inside distance d within its object. */
function brushAt(d: number, radius: number): number {
  return Math.min(radius, Math.max(0.5, d - 1));
}

/**
 * A drag from `start`: steps of 2 px to the neighbour direction that stays deepest inside the
 * object (no sharp turns), the whole brush inside and off the object's edge pixels (inside
 * distance at least brush + 0.5; distance 1 is the edge, blurred in the image), up to
 * `length` px. Returns the polyline.
 */
function walk(start: number, w: number, h: number, inClass: (i: number) => boolean, dist: Float32Array, brush: number, length: number, rnd: () => number): number[] {
  let x = start % w;
  let y = Math.floor(start / w);
  const pts = [x, y];
  let dir = Math.floor(rnd() * 8);
  const step = 2;
  for (let travelled = 0; travelled < length; travelled += step) {
    let best = -1;
    let bv = -Infinity;
    for (const turn of [0, 1, -1, 2, -2]) {
      const k = (dir + turn + 8) % 8;
      const nx = x + DIRS[k]![0] * step;
      const ny = y + DIRS[k]![1] * step;
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const j = ny * w + nx;
      if (!inClass(j) || dist[j]! < brush + 0.5) continue;
      // Deeper inside is better (capped, so a wide region is crossed rather than circled); straight a little better.
      const v = Math.min(dist[j]!, brush + 4) - Math.abs(turn) * 0.6 + rnd() * 0.5;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    if (best < 0) break;
    dir = best;
    x += DIRS[best]![0] * step;
    y += DIRS[best]![1] * step;
    pts.push(x, y);
  }
  return pts;
}

/**
 * Start pixel among `cands` (pixels where a brush fits): of a few random ones, the farthest from
 * the points already painted in this image (`taken`), so strokes spread over objects and the image.
 */
function pickStart(cands: Int32Array | number[], w: number, taken: number[], rnd: () => number, tries = 24): number {
  let best = cands[Math.floor(rnd() * cands.length)]!;
  if (!taken.length) return best;
  let bd = -1;
  for (let t = 0; t < tries; t++) {
    const i = cands[Math.floor(rnd() * cands.length)]!;
    const x = i % w;
    const y = Math.floor(i / w);
    let dmin = Infinity;
    for (let k = 0; k < taken.length; k += 2) dmin = Math.min(dmin, (taken[k]! - x) ** 2 + (taken[k + 1]! - y) ** 2);
    if (dmin > bd) {
      bd = dmin;
      best = i;
    }
  }
  return best;
}

interface ClassImageState {
  dist: Float32Array;
  taken: number[];
}

function strokeFrom(start: number, im: StrokeImage, k: number, c: number, st: ClassImageState, o: StrokeSimOptions, rnd: () => number): SimStroke {
  const brush = brushAt(st.dist[start]!, o.radius);
  const points = walk(start, im.width, im.height, (i) => im.classes[i] === c, st.dist, brush, o.length, rnd);
  // Remember a thinned copy of the polyline for spreading later strokes.
  for (let p = 0; p < points.length; p += 8) st.taken.push(points[p]!, points[p + 1]!);
  return { image: k, cls: c, radius: brush, points };
}

/**
 * First round: n strokes per class, round-robin over the images that have the class, each in a
 * different place (far from the earlier strokes of that class in that image).
 */
export function firstRound(images: StrokeImage[], C: number, n: number, o: StrokeSimOptions): SimStroke[] {
  const rnd = seededRandom(o.seed);
  const out: SimStroke[] = [];
  for (let c = 0; c < C; c++) {
    const have: { k: number; cands: number[]; st: ClassImageState }[] = [];
    images.forEach((im, k) => {
      const dist = insideDistance(Uint8Array.from(im.classes, (v) => (v === c ? 1 : 0)), im.width, im.height);
      const cands: number[] = [];
      // Where at least a 1 px brush fits inside the object.
      for (let i = 0; i < im.classes.length; i++) if (im.classes[i] === c && dist[i]! >= 2) cands.push(i);
      if (!cands.length) for (let i = 0; i < im.classes.length; i++) if (im.classes[i] === c) cands.push(i);
      if (cands.length) have.push({ k, cands, st: { dist, taken: [] } });
    });
    for (let s = 0; s < n && have.length; s++) {
      const h = have[s % have.length]!;
      const start = pickStart(h.cands, images[h.k]!.width, h.st.taken, rnd);
      out.push(strokeFrom(start, images[h.k]!, h.k, c, h.st, o, rnd));
    }
  }
  return out;
}

/**
 * Corrective round: n strokes per class, each in a different still-unlabelled region of that
 * class that the current prediction gets wrong, largest regions first (over all images).
 */
export function correctiveRound(images: StrokeImage[], predicted: Uint8Array[], labelled: Uint8Array[], C: number, n: number, o: StrokeSimOptions): SimStroke[] {
  const rnd = seededRandom(o.seed);
  const out: SimStroke[] = [];
  for (let c = 0; c < C; c++) {
    const states: ClassImageState[] = images.map((im) => ({ dist: insideDistance(Uint8Array.from(im.classes, (v) => (v === c ? 1 : 0)), im.width, im.height), taken: [] }));
    const regions: { k: number; area: number; pixels: number[] }[] = [];
    images.forEach((im, k) => {
      const wrong = new Uint8Array(im.classes.length);
      for (let i = 0; i < wrong.length; i++) wrong[i] = im.classes[i] === c && predicted[k]![i] !== c && labelled[k]![i] === 0 ? 1 : 0;
      const { labels, count } = labelMaskComponents(wrong, im.width, im.height, 8);
      const area = regionAreas(labels, count);
      const pix: number[][] = Array.from({ length: count + 1 }, () => []);
      for (let i = 0; i < labels.length; i++) if (labels[i]) pix[labels[i]!]!.push(i);
      for (let id = 1; id <= count; id++) {
        if (area[id]! < 4) continue;
        // Start where the brush fits best inside the object (the deepest of the region's pixels).
        const deep = pix[id]!.filter((i) => states[k]!.dist[i]! >= 2);
        regions.push({ k, area: area[id]!, pixels: deep.length ? deep : pix[id]! });
      }
    });
    regions.sort((a, b) => b.area - a.area);
    for (let s = 0; s < n && s < regions.length; s++) {
      const r = regions[s]!;
      const start = pickStart(r.pixels, images[r.k]!.width, states[r.k]!.taken, rnd, 8);
      out.push(strokeFrom(start, images[r.k]!, r.k, c, states[r.k]!, o, rnd));
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
