// A synthetic SEM image with elemental (EDS) maps and exact truth: three phases, two of which have
// the same grey level on the SEM image and differ only in their elements, the third darker. The
// maps are a coarser scan (an integer factor) of a field shifted against the SEM's, with counting
// noise, as an EDS map beside its backscatter image is. For tests and the bench's EDS section.
import { generateGrains } from './grains';
import { Random } from './random';

export interface EdsOptions {
  /** SEM image size (square), default 512. */
  size?: number;
  seed?: number;
  /** SEM px per map px (integer), default 4. */
  mapScale?: number;
  /** Shift of the maps' field against the SEM's, in SEM px (default from the seed, up to 8 % of the size). */
  shift?: { x: number; y: number };
  /** Grains in the field (default from the size). */
  grainCount?: number;
}

interface EdsMap {
  element: string;
  width: number;
  height: number;
  data: Uint8Array;
}

export interface EdsResult {
  image: { width: number; height: number; data: Uint8Array };
  /** Phase per SEM pixel: 1 = alpha (Fe), 2 = beta (Ni, same grey as alpha), 3 = gamma (Cr, darker). */
  classes: Uint8Array;
  phaseNames: string[];
  maps: EdsMap[];
  /** The truth the registration must find: SEM x = sx * map u + tx (map pixel corners). */
  registration: { sx: number; sy: number; tx: number; ty: number };
}

const ELEMENTS = ['Fe', 'Ni', 'Cr'];
/** Element fractions per phase (rows: alpha, beta, gamma; columns: Fe, Ni, Cr). */
const CONCENTRATION = [
  [0.75, 0.1, 0.15],
  [0.2, 0.7, 0.1],
  [0.3, 0.1, 0.6],
];
/** Backscatter grey per phase: alpha and beta alike, gamma darker. */
const GREY = [150, 150, 95];
const PHASE_SHARE = [0.4, 0.35, 0.25];

export function generateEds(o: EdsOptions = {}): EdsResult {
  const size = o.size ?? 512;
  const s = o.mapScale ?? 4;
  if (!Number.isInteger(s) || s < 1 || s > 16) throw new RangeError('mapScale must be an integer from 1 to 16');
  const seed = o.seed ?? 1;
  const rng = new Random(seed).fork(41);
  const maxShift = Math.max(1, Math.round(0.08 * size));
  const shift = o.shift ?? { x: Math.round(rng.range(-maxShift, maxShift)), y: Math.round(rng.range(-maxShift, maxShift)) };
  const pad = Math.max(Math.abs(shift.x), Math.abs(shift.y)) + s;
  // One field larger than both views: the SEM sees its centre, the maps a shifted window of it.
  const W = size + 2 * pad;
  const g = generateGrains({ width: W, height: W, seed, grainCount: o.grainCount ?? Math.max(12, Math.round((W * W) / 2500)), noiseSigma: 0, grainContrast: 0 });
  const phaseOf = new Uint8Array(g.grainCount + 1);
  const pr = rng.fork(2);
  for (let id = 1; id <= g.grainCount; id++) {
    const r = pr.next();
    phaseOf[id] = r < PHASE_SHARE[0]! ? 1 : r < PHASE_SHARE[0]! + PHASE_SHARE[1]! ? 2 : 3;
  }
  const field = new Uint8Array(W * W);
  for (let i = 0; i < field.length; i++) field[i] = phaseOf[g.labels.data[i]!] || 1;
  // SEM: phase grey, a little per-grain variation, dark grain boundaries, noise.
  const grainTone = new Float64Array(g.grainCount + 1);
  const tr = rng.fork(3);
  for (let id = 1; id <= g.grainCount; id++) grainTone[id] = tr.normal() * 4;
  const nr = rng.fork(4);
  const image = new Uint8Array(size * size);
  const classes = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fi = (y + pad) * W + x + pad;
      const p = field[fi]!;
      const v = GREY[p - 1]! + grainTone[g.labels.data[fi]!]! - (g.boundaries[fi] ? 45 : 0) + nr.normal() * 7;
      image[y * size + x] = Math.max(0, Math.min(255, Math.round(v)));
      classes[y * size + x] = p;
    }
  }
  // Maps: map pixel (u, v) integrates the field over SEM px [tx + u s, tx + (u + 1) s) (and y alike).
  const mw = Math.floor(size / s);
  const cr = rng.fork(5);
  const maps: EdsMap[] = ELEMENTS.map((element, e) => {
    const data = new Uint8Array(mw * mw);
    for (let v = 0; v < mw; v++) {
      for (let u = 0; u < mw; u++) {
        let c = 0;
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) {
            const fx = shift.x + u * s + dx + pad;
            const fy = shift.y + v * s + dy + pad;
            c += CONCENTRATION[field[fy * W + fx]! - 1]![e]!;
          }
        }
        // About 60 counts at a fraction of 1; Gaussian approximation of the Poisson noise.
        const counts = (c / (s * s)) * 60;
        const noisy = counts + cr.normal() * Math.sqrt(counts + 1);
        data[v * mw + u] = Math.max(0, Math.min(255, Math.round(noisy * 3)));
      }
    }
    return { element, width: mw, height: mw, data };
  });
  return {
    image: { width: size, height: size, data: image },
    classes,
    phaseNames: ['alpha', 'beta', 'gamma'],
    maps,
    registration: { sx: s, sy: s, tx: shift.x, ty: shift.y },
  };
}
