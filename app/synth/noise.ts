// Smooth random fields (value noise) for wavy boundaries, uneven illumination, etch texture and
// fading boundaries. Evaluated a row at a time with per-column tables, so 67 M pixels stay cheap.
import { Random } from './random';

/**
 * Value noise: random values on a square lattice of spacing `wavelength`, blended with a
 * smoothstep, in [-1, 1]. The gradient is at most 3 / wavelength per unit of amplitude and axis.
 */
export class NoiseField {
  private readonly lattice: Float32Array;
  private readonly cols: number;
  private readonly inv: number;
  private readonly colIndex: Int32Array;
  private readonly colWeight: Float32Array;

  /** Covers x in [x0, x0 + width) (in pixels) for the row tables; `at` works anywhere in range. */
  constructor(
    rng: Random,
    readonly wavelength: number,
    readonly width: number,
    readonly height: number,
    private readonly x0 = 0,
    private readonly y0 = 0,
  ) {
    this.inv = 1 / wavelength;
    this.cols = Math.ceil(width * this.inv) + 3;
    const rows = Math.ceil(height * this.inv) + 3;
    this.lattice = new Float32Array(this.cols * rows);
    for (let i = 0; i < this.lattice.length; i++) this.lattice[i] = rng.next() * 2 - 1;
    this.colIndex = new Int32Array(width);
    this.colWeight = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      const fx = (x - x0 + 0.5) * this.inv;
      const ix = Math.floor(fx);
      const t = fx - ix;
      this.colIndex[x] = ix;
      this.colWeight[x] = t * t * (3 - 2 * t);
    }
  }

  /** Value at a point (pixel coordinates, pixel centres at +0.5), clamped to the lattice. */
  at(x: number, y: number): number {
    const fx = Math.min(Math.max((x - this.x0 + 0.5) * this.inv, 0), this.cols - 2.001);
    const fy = Math.min(Math.max((y - this.y0 + 0.5) * this.inv, 0), this.lattice.length / this.cols - 2.001);
    const ix = Math.floor(fx);
    const iy = Math.floor(fy);
    let tx = fx - ix;
    let ty = fy - iy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    const l = this.lattice;
    const c = this.cols;
    const i = iy * c + ix;
    const top = l[i]! + (l[i + 1]! - l[i]!) * tx;
    const bottom = l[i + c]! + (l[i + c + 1]! - l[i + c]!) * tx;
    return top + (bottom - top) * ty;
  }

  /** Values of row y for x = 0..width-1, scaled by `amplitude` and added to `out`. */
  addRow(y: number, out: Float32Array, amplitude: number): void {
    const fy = (y - this.y0 + 0.5) * this.inv;
    const iy = Math.max(0, Math.floor(fy));
    let ty = fy - iy;
    ty = ty * ty * (3 - 2 * ty);
    const l = this.lattice;
    const r0 = iy * this.cols;
    const r1 = r0 + this.cols;
    const ci = this.colIndex;
    const cw = this.colWeight;
    let last = -1;
    let a0 = 0;
    let a1 = 0;
    for (let x = 0; x < out.length; x++) {
      const ix = ci[x]!;
      if (ix !== last) {
        // The row weight is fixed, so each lattice column pair reduces to a0 + a1 * tx.
        last = ix;
        const left = l[r0 + ix]! + (l[r1 + ix]! - l[r0 + ix]!) * ty;
        const right = l[r0 + ix + 1]! + (l[r1 + ix + 1]! - l[r0 + ix + 1]!) * ty;
        a0 = amplitude * left;
        a1 = amplitude * (right - left);
      }
      out[x] += a0 + a1 * cw[x]!;
    }
  }

  /**
   * `addRow` for this field into `out` and for `other` (same wavelength and extent) into
   * `outOther` in one sweep: the column tables are shared, so a 2-D warp costs one loop.
   */
  addRowPair(other: NoiseField, y: number, out: Float32Array, outOther: Float32Array, amplitude: number): void {
    const fy = (y - this.y0 + 0.5) * this.inv;
    const iy = Math.max(0, Math.floor(fy));
    let ty = fy - iy;
    ty = ty * ty * (3 - 2 * ty);
    const l = this.lattice;
    const m = other.lattice;
    const r0 = iy * this.cols;
    const r1 = r0 + this.cols;
    const ci = this.colIndex;
    const cw = this.colWeight;
    let last = -1;
    let a0 = 0;
    let a1 = 0;
    let b0 = 0;
    let b1 = 0;
    for (let x = 0; x < out.length; x++) {
      const ix = ci[x]!;
      if (ix !== last) {
        last = ix;
        const la = l[r0 + ix]! + (l[r1 + ix]! - l[r0 + ix]!) * ty;
        const lb = l[r0 + ix + 1]! + (l[r1 + ix + 1]! - l[r0 + ix + 1]!) * ty;
        const ma = m[r0 + ix]! + (m[r1 + ix]! - m[r0 + ix]!) * ty;
        const mb = m[r0 + ix + 1]! + (m[r1 + ix + 1]! - m[r0 + ix + 1]!) * ty;
        a0 = amplitude * la;
        a1 = amplitude * (lb - la);
        b0 = amplitude * ma;
        b1 = amplitude * (mb - ma);
      }
      const t = cw[x]!;
      out[x] += a0 + a1 * t;
      outOther[x] += b0 + b1 * t;
    }
  }
}

/** A sum of noise fields (octaves), each with its amplitude. */
export class FractalNoise {
  private readonly layers: { field: NoiseField; amplitude: number }[] = [];

  constructor(rng: Random, wavelength: number, octaves: number, width: number, height: number, x0 = 0, y0 = 0, persistence = 0.5) {
    let amp = 1;
    let wl = wavelength;
    for (let o = 0; o < octaves; o++) {
      this.layers.push({ field: new NoiseField(rng, wl, width, height, x0, y0), amplitude: amp });
      amp *= persistence;
      wl /= 2;
      if (wl < 1.5) break;
    }
  }

  at(x: number, y: number): number {
    let s = 0;
    for (const l of this.layers) s += l.amplitude * l.field.at(x, y);
    return s;
  }

  addRow(y: number, out: Float32Array, amplitude: number): void {
    for (const l of this.layers) l.field.addRow(y, out, amplitude * l.amplitude);
  }

  /** Both fields' rows in one sweep per octave; `other` must have been built with the same geometry. */
  addRowPair(other: FractalNoise, y: number, out: Float32Array, outOther: Float32Array, amplitude: number): void {
    for (let k = 0; k < this.layers.length; k++) {
      const l = this.layers[k]!;
      l.field.addRowPair(other.layers[k]!.field, y, out, outOther, amplitude * l.amplitude);
    }
  }
}

/**
 * A square tile of fractal value noise that wraps at its edges (lattice periods divide the
 * tile), so it can be sampled at any offset without seams. Values roughly in [-1, 1].
 */
export function periodicNoiseTile(rng: Random, size: number, wavelength: number, octaves: number, persistence = 0.5): Float32Array {
  const tile = new Float32Array(size * size);
  let amp = 1;
  let total = 0;
  for (let o = 0, wl = wavelength; o < octaves && wl >= 2; o++, wl /= 2) {
    const period = Math.max(1, Math.round(size / wl));
    const lattice = new Float32Array(period * period);
    for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next() * 2 - 1;
    const scale = period / size;
    for (let y = 0; y < size; y++) {
      const fy = (y + 0.5) * scale;
      const iy = Math.floor(fy);
      let ty = fy - iy;
      ty = ty * ty * (3 - 2 * ty);
      const r0 = (iy % period) * period;
      const r1 = ((iy + 1) % period) * period;
      for (let x = 0; x < size; x++) {
        const fx = (x + 0.5) * scale;
        const ix = Math.floor(fx);
        let tx = fx - ix;
        tx = tx * tx * (3 - 2 * tx);
        const x0 = ix % period;
        const x1 = (ix + 1) % period;
        const top = lattice[r0 + x0]! + (lattice[r0 + x1]! - lattice[r0 + x0]!) * tx;
        const bottom = lattice[r1 + x0]! + (lattice[r1 + x1]! - lattice[r1 + x0]!) * tx;
        tile[y * size + x] += amp * (top + (bottom - top) * ty);
      }
    }
    total += amp;
    amp *= persistence;
  }
  if (total > 0) for (let i = 0; i < tile.length; i++) tile[i] /= total;
  return tile;
}
