// Imaging artefacts shared by the grain and phase generators: uneven illumination, polishing
// scratches, etch pits, optical blur, detector noise and quantisation to 8 or 16 bits.
// Work happens on a 16-bit "clean" buffer (0..65535 = black..white) before noise is added.
import type { BitDepth } from '../types';
import { NoiseField } from './noise';
import { GaussianNoise, Random } from './random';

export const FULL = 65535;

/** Multiplicative illumination: a linear gradient, vignetting and a faint blotchy field. */
export class Illumination {
  private readonly field: NoiseField;
  private readonly gx: number;
  private readonly gy: number;

  constructor(
    rng: Random,
    private readonly width: number,
    private readonly height: number,
    private readonly strength: number,
  ) {
    const angle = rng.range(0, 2 * Math.PI);
    this.gx = Math.cos(angle);
    this.gy = Math.sin(angle);
    this.field = new NoiseField(rng.fork(1), Math.max(width, height) / 2.5, width, height);
  }

  /** Factors for row y, written into `out` (length = width). */
  row(y: number, out: Float32Array): void {
    const s = this.strength;
    const { width: w, height: h } = this;
    out.fill(0);
    this.field.addRow(y, out, 0.25 * s);
    const v = (y + 0.5) / h - 0.5;
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) / w - 0.5;
      out[x] = 1 + out[x]! + s * (this.gx * u + this.gy * v) - 1.2 * s * (u * u + v * v);
    }
  }
}

/**
 * Polishing scratches: straight, thin, anti-aliased lines, most of them near one polishing
 * direction, fading in and out along their length. Not part of any ground truth.
 */
export function drawScratches(clean: Uint16Array, width: number, height: number, rng: Random, count: number, strength: number): void {
  const main = rng.range(0, Math.PI);
  const size = Math.max(width, height);
  for (let s = 0; s < count; s++) {
    const theta = rng.next() < 0.75 ? main + rng.normal() * 0.12 : rng.range(0, Math.PI);
    const length = rng.range(0.2, 1.2) * size;
    const cx = rng.range(0, width);
    const cy = rng.range(0, height);
    const halfWidth = rng.range(0.3, 1.1);
    const sign = rng.next() < 0.7 ? -1 : 1;
    const amp = sign * strength * rng.range(0.4, 1) * FULL;
    const phase1 = rng.range(0, 100);
    const phase2 = rng.range(0, 100);
    const dx = Math.cos(theta);
    const dy = Math.sin(theta);
    const fade = (t: number): number => {
      const f = 0.6 + 0.5 * Math.sin(t / 37 + phase1) + 0.3 * Math.sin(t / 11 + phase2);
      return f < 0 ? 0 : f > 1 ? 1 : f;
    };
    const xMajor = Math.abs(dx) >= Math.abs(dy);
    const reach = Math.ceil(halfWidth + 1.5);
    const steps = Math.ceil(length / 2);
    for (let k = -steps; k <= steps; k++) {
      // k walks the major axis one pixel at a time; (mx, my) is the line's centre there.
      const t = xMajor ? k / dx : k / dy;
      const mx = xMajor ? Math.round(cx) + k : cx + t * dx;
      const my = xMajor ? cy + t * dy : Math.round(cy) + k;
      const a = amp * fade(t);
      if (a === 0) continue;
      const cross = xMajor ? Math.abs(dx) : Math.abs(dy);
      for (let o = -reach; o <= reach; o++) {
        const px = xMajor ? mx : Math.round(mx) + o;
        const py = xMajor ? Math.round(my) + o : my;
        if (px < 0 || py < 0 || px >= width || py >= height) continue;
        const dist = Math.abs(xMajor ? py - my : px - mx) * cross;
        const cover = halfWidth + 0.5 - dist;
        if (cover <= 0) continue;
        const i = py * width + px;
        const v = clean[i]! + a * (cover > 1 ? 1 : cover);
        clean[i] = v < 0 ? 0 : v > FULL ? FULL : v;
      }
    }
  }
}

/** Etch pits and dust: small dark soft discs. */
export function drawPits(clean: Uint16Array, width: number, height: number, rng: Random, count: number): void {
  for (let p = 0; p < count; p++) {
    const cx = rng.range(0, width);
    const cy = rng.range(0, height);
    const r = rng.range(0.6, 2.2);
    const depth = rng.range(0.35, 0.7);
    const x0 = Math.max(0, Math.floor(cx - r - 1));
    const x1 = Math.min(width - 1, Math.ceil(cx + r + 1));
    const y0 = Math.max(0, Math.floor(cy - r - 1));
    const y1 = Math.min(height - 1, Math.ceil(cy + r + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const cover = r + 0.5 - d;
        if (cover <= 0) continue;
        const i = y * width + x;
        clean[i] = Math.round(clean[i]! * (1 - depth * (cover > 1 ? 1 : cover)));
      }
    }
  }
}

/** In-place [1 2 1]/4 blur along both axes: a mild optical point-spread function. */
export function blur121(clean: Uint16Array, width: number, height: number): void {
  const tmp = new Uint16Array(width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    tmp.set(clean.subarray(row, row + width));
    for (let x = 0; x < width; x++) {
      const l = tmp[x > 0 ? x - 1 : 0]!;
      const r = tmp[x < width - 1 ? x + 1 : x]!;
      clean[row + x] = (l + 2 * tmp[x]! + r + 2) >> 2;
    }
  }
  // Vertical pass: keep the unblurred previous and current rows, since rows are overwritten.
  let prev = clean.slice(0, width);
  let cur = new Uint16Array(width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    cur.set(clean.subarray(row, row + width));
    const nextRow = y < height - 1 ? row + width : row;
    for (let x = 0; x < width; x++) {
      clean[row + x] = (prev[x]! + 2 * cur[x]! + clean[nextRow + x]! + 2) >> 2;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
}

/** Adds Gaussian noise (sigma as a fraction of full scale) and quantises to the bit depth. */
export function quantise(clean: Uint16Array, bitDepth: BitDepth, sigma: number, seed: number): Uint8Array | Uint16Array {
  const noise = new GaussianNoise(seed);
  const n = clean.length;
  const s = sigma * FULL;
  if (bitDepth === 16) {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const v = Math.round(clean[i]! + s * noise.next());
      out[i] = v < 0 ? 0 : v > FULL ? FULL : v;
    }
    return out;
  }
  const out = new Uint8Array(n);
  const scale = 255 / FULL;
  for (let i = 0; i < n; i++) {
    const v = Math.round((clean[i]! + s * noise.next()) * scale);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
