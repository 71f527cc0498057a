// Synthetic multiphase micrographs (SEM look) with exact ground truth: particles of several sizes,
// lamellar colonies (pearlite-like) or a grain-boundary network, at a target volume fraction.
import type { BitDepth, GreyImage, LabelMap } from '../types';
import { labelComponents } from './components';
import { FractalNoise, NoiseField } from './noise';
import { Random, mix32 } from './random';
import { FULL, Illumination, blur121, drawScratches, quantise } from './render';
import { PowerDiagram, placeSeeds } from './tessellation';
import { checkBitDepth, checkRange, checkSize } from './validate';

export type PhaseStructure = 'particles' | 'lamellae' | 'network';

/** One particle family: its mean equivalent radius, log-normal spread and share of the particle volume. */
interface ParticlePopulation {
  radius: number;
  /** Sigma of log(radius). Default 0.35. */
  radiusSpread?: number;
  /** Share of the particle area given to this family (shares are normalised). Default 1. */
  share?: number;
}

export interface PhaseOptions {
  /** Image size in pixels (16..16384). Default 512 x 512. */
  width?: number;
  height?: number;
  /** Same seed and options give the same image bit for bit. Default 1. */
  seed?: number;
  bitDepth?: BitDepth;
  /** What the second phase looks like. Default 'particles'. */
  structure?: PhaseStructure;
  /**
   * Target area fraction of the second phase (all non-matrix classes together), default 0.2.
   * Lamellae and networks hit it to a few pixels; non-touching particles reach about 0.4,
   * denser targets may fall short (the result reports what was reached).
   */
  volumeFraction?: number;
  /** Particle families; family k is class k + 1. Default: one family of radius 5 px, spread 0.45. */
  particles?: ParticlePopulation[];
  /** Largest particle aspect ratio (elongation). Default 2. */
  particleAspect?: number;
  /** 0..1: how strongly particles gather in some regions. Default 0.3. */
  particleClustering?: number;
  /** Mean lamella period (pixels) in 'lamellae'. Default 10. */
  lamellaSpacing?: number;
  /** Mean colony size (pixels) in 'lamellae'. Default 120. */
  colonySize?: number;
  /** Mean cell size (pixels) of the 'network' (the prior grains it outlines). Default 140. */
  networkCellSize?: number;
  /** 0..1: share of cell boundaries that carry no network. Default 0.15. */
  networkGaps?: number;
  /** Grey level per class, 0..1 (class 0 = matrix). Default [0.36, 0.68, 0.8, 0.58, 0.5]. */
  phaseLevels?: number[];
  /** SEM edge effect: brightening of phase edges (fraction of full scale). Default 0.25. */
  edgeBrightness?: number;
  /** Matrix texture amplitude (fraction of full scale). Default 0.05. */
  texture?: number;
  /** Strength of uneven illumination. Default 0.15. */
  illumination?: number;
  /** Gaussian noise sigma as a fraction of full scale. Default 0.03. */
  noiseSigma?: number;
  /** Polishing scratches. Default: 1 per 512 px of image side. */
  scratchCount?: number;
  /** Scratch contrast (fraction of full scale). Default 0.1. */
  scratchStrength?: number;
  /** Apply a mild blur (beam spot). Default true. */
  blur?: boolean;
}

export interface PhaseResult {
  image: GreyImage & { data: Uint8Array | Uint16Array };
  /** Class per pixel: 0 = matrix, 1.. = second phase (particle family k is class k + 1). */
  classes: Uint8Array;
  /** Instance per pixel: each particle, lamella or connected network piece, ids 1..count, 0 = matrix. */
  labels: LabelMap;
  instanceCount: number;
  /** Area fraction of the second phase actually reached. */
  volumeFraction: number;
  /** Number of classes including the matrix. */
  classCount: number;
}

type Resolved = Required<PhaseOptions>;

function resolve(o: PhaseOptions): Resolved {
  const width = o.width ?? 512;
  const height = o.height ?? 512;
  const r: Resolved = {
    width,
    height,
    seed: o.seed ?? 1,
    bitDepth: o.bitDepth ?? 8,
    structure: o.structure ?? 'particles',
    volumeFraction: o.volumeFraction ?? 0.2,
    particles: o.particles ?? [{ radius: 5, radiusSpread: 0.45 }],
    particleAspect: o.particleAspect ?? 2,
    particleClustering: o.particleClustering ?? 0.3,
    lamellaSpacing: o.lamellaSpacing ?? 10,
    colonySize: o.colonySize ?? 120,
    networkCellSize: o.networkCellSize ?? 140,
    networkGaps: o.networkGaps ?? 0.15,
    phaseLevels: o.phaseLevels ?? [0.36, 0.68, 0.8, 0.58, 0.5],
    edgeBrightness: o.edgeBrightness ?? 0.25,
    texture: o.texture ?? 0.05,
    illumination: o.illumination ?? 0.15,
    noiseSigma: o.noiseSigma ?? 0.03,
    scratchCount: o.scratchCount ?? Math.round(Math.max(width, height) / 512),
    scratchStrength: o.scratchStrength ?? 0.1,
    blur: o.blur ?? true,
  };
  checkSize(width, height);
  checkBitDepth(r.bitDepth);
  if (!['particles', 'lamellae', 'network'].includes(r.structure)) throw new RangeError(`structure must be particles, lamellae or network, got ${String(r.structure)}.`);
  checkRange('volumeFraction', r.volumeFraction, 0, r.structure === 'particles' ? 0.5 : 0.9);
  if (r.particles.length < 1 || r.particles.length > 8) throw new RangeError(`particles must list 1 to 8 families, got ${r.particles.length}.`);
  for (const p of r.particles) {
    checkRange('particle radius', p.radius, 0.8, 500);
    checkRange('particle radiusSpread', p.radiusSpread ?? 0.35, 0, 2);
    checkRange('particle share', p.share ?? 1, 1e-6, 1e6);
  }
  checkRange('particleAspect', r.particleAspect, 1, 10);
  checkRange('particleClustering', r.particleClustering, 0, 1);
  checkRange('lamellaSpacing', r.lamellaSpacing, 3, 1000);
  checkRange('networkGaps', r.networkGaps, 0, 0.9);
  checkRange('colonySize', r.colonySize, 8, 1e5);
  checkRange('networkCellSize', r.networkCellSize, 8, 1e5);
  return r;
}

/** A multiphase image with its class map and instance map. */
export function generatePhases(options: PhaseOptions = {}): PhaseResult {
  const o = resolve(options);
  const { width: w, height: h } = o;
  const rng = new Random(o.seed);
  let classes: Uint8Array;
  let labels: Uint32Array;
  let instanceCount: number;
  if (o.structure === 'particles') {
    ({ classes, labels, count: instanceCount } = placeParticles(o, rng.fork(1)));
  } else {
    classes = o.structure === 'lamellae' ? lamellae(o, rng.fork(2)) : network(o, rng.fork(3));
    ({ labels, count: instanceCount } = labelComponents(classes, w, h, 8));
  }
  let phase = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] !== 0) phase++;
  const classCount = o.structure === 'particles' ? o.particles.length + 1 : 2;
  const clean = renderPhases(o, rng.fork(4), classes);
  const art = rng.fork(5);
  drawScratches(clean, w, h, art, o.scratchCount, o.scratchStrength);
  if (o.blur) blur121(clean, w, h);
  const data = quantise(clean, o.bitDepth, o.noiseSigma, mix32(o.seed + 0x7654321));
  return {
    image: { width: w, height: h, data },
    classes,
    labels: { width: w, height: h, data: labels },
    instanceCount,
    volumeFraction: phase / (w * h),
    classCount,
  };
}

/**
 * Non-touching particles (a one-pixel matrix gap around each) with irregular elliptical outlines,
 * added until the target area is met; the last ones shrink so the fraction lands on target.
 */
function placeParticles(o: Resolved, rng: Random): { classes: Uint8Array; labels: Uint32Array; count: number } {
  const { width: w, height: h } = o;
  const classes = new Uint8Array(w * h);
  const labels = new Uint32Array(w * h);
  const target = o.volumeFraction * w * h;
  const families = o.particles.length;
  const totalShare = o.particles.reduce((s, p) => s + (p.share ?? 1), 0);
  const placedArea = new Float64Array(families);
  // A family that keeps missing (the free space is too fragmented for it) shrinks, and after
  // a few shrinks gives way to the others, so dense targets are still reached.
  const misses = new Int32Array(families);
  const scale = new Float64Array(families).fill(1);
  const jammed = new Uint8Array(families);
  // Expected number of particles; placement gives up after 150 darts per expected particle.
  const expected = o.particles.reduce((s, p) => s + ((p.share ?? 1) / totalShare) * (target / Math.max(1, Math.PI * p.radius * p.radius)), 0);
  const maxAttempts = Math.ceil(expected * 150) + 5000;
  const cluster = new NoiseField(rng.fork(1), Math.max(40, 12 * o.particles[0]!.radius), w, h);
  let area = 0;
  let count = 0;
  const shape = new Float64Array(6);
  for (let attempt = 0; attempt < maxAttempts && area < target - 0.5; attempt++) {
    // The family furthest behind its share goes next, so shares hold at any stopping point.
    let fam = -1;
    let worst = Infinity;
    for (let k = 0; k < families; k++) {
      if (jammed[k]) continue;
      const got = placedArea[k]! / (((o.particles[k]!.share ?? 1) / totalShare) * target);
      if (got < worst) {
        worst = got;
        fam = k;
      }
    }
    if (fam < 0) break;
    const pop = o.particles[fam]!;
    const sigma = pop.radiusSpread ?? 0.35;
    let r = scale[fam]! * pop.radius * Math.exp(sigma * rng.normal() - (sigma * sigma) / 2);
    r = Math.min(Math.max(r, 0.8), pop.radius * 6);
    const cx = rng.range(0, w);
    const cy = rng.range(0, h);
    if (o.particleClustering > 0 && rng.next() > 1 - o.particleClustering * (0.5 - 0.5 * cluster.at(cx, cy))) continue;
    const aspect = 1 + (o.particleAspect - 1) * rng.next() ** 2;
    const remaining = target - area;
    if (Math.PI * r * r > 2 * remaining) r = Math.sqrt(remaining / Math.PI);
    if (r < 0.8) r = 0.8;
    const a = r * Math.sqrt(aspect);
    const b = r / Math.sqrt(aspect);
    const theta = rng.range(0, Math.PI);
    for (let k = 0; k < 6; k++) shape[k] = rng.range(-1, 1);
    const pixels = rasterParticle(cx, cy, a, b, theta, shape, w, h, classes, count + 1, fam + 1, labels, true);
    if (pixels === 0) {
      if (++misses[fam]! > 400) {
        misses[fam] = 0;
        if (scale[fam]! > 0.3) scale[fam]! *= 0.8;
        else jammed[fam] = 1;
      }
      continue;
    }
    misses[fam] = 0;
    rasterParticle(cx, cy, a, b, theta, shape, w, h, classes, count + 1, fam + 1, labels, false);
    count++;
    area += pixels;
    placedArea[fam] += pixels;
  }
  return { classes, labels, count };
}

/**
 * Checks (dryRun) that the particle and a 1.5 px margin lie on free matrix, returning its pixel
 * count (0 = rejected); otherwise paints it. The outline is an ellipse with a few smooth lobes.
 */
function rasterParticle(
  cx: number,
  cy: number,
  a: number,
  b: number,
  theta: number,
  shape: Float64Array,
  w: number,
  h: number,
  classes: Uint8Array,
  id: number,
  cls: number,
  labels: Uint32Array,
  dryRun: boolean,
): number {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const lobes = 0.12;
  // |lobe terms| <= 2.5 * lobes, so the outline lies between these normalised radii.
  const inner = 1 - 2.5 * lobes;
  // Outline radius 1 + lobes * sum_k amp_k cos(k phi + p_k), for k = 2, 3, 5, as cos/sin weights.
  const lobe = [
    lobes * shape[0]! * Math.cos(3 * shape[1]!),
    lobes * shape[0]! * Math.sin(3 * shape[1]!),
    lobes * shape[2]! * Math.cos(3 * shape[3]!),
    lobes * shape[2]! * Math.sin(3 * shape[3]!),
    0.5 * lobes * shape[4]! * Math.cos(3 * shape[5]!),
    0.5 * lobes * shape[4]! * Math.sin(3 * shape[5]!),
  ];
  const outer = 1 + 2.5 * lobes;
  // Margin of 1.5 px beyond the outline, in normalised units of the short axis (conservative).
  const margin = 1.5 / Math.min(a, b);
  // Bounding box of the rotated outer ellipse.
  const ea = a * (outer + margin);
  const eb = b * (outer + margin);
  const rx = Math.sqrt((ea * c) ** 2 + (eb * s) ** 2) + 1;
  const ry = Math.sqrt((ea * s) ** 2 + (eb * c) ** 2) + 1;
  const x0 = Math.floor(cx - rx);
  const x1 = Math.ceil(cx + rx);
  const y0 = Math.floor(cy - ry);
  const y1 = Math.ceil(cy + ry);
  if (dryRun) {
    // Cheap early rejection: the centre and the axis ends must be free and inside.
    for (const [px, py] of [[cx, cy], [cx + a * c, cy + a * s], [cx - a * c, cy - a * s], [cx - b * s, cy + b * c], [cx + b * s, cy - b * c]] as const) {
      const ix = Math.floor(px);
      const iy = Math.floor(py);
      if (ix < 0 || iy < 0 || ix >= w || iy >= h || classes[iy * w + ix] !== 0) return 0;
    }
  }
  let pixels = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * c + dy * s) / a;
      const v = (-dx * s + dy * c) / b;
      const rho = Math.sqrt(u * u + v * v);
      if (rho > outer + margin) continue;
      let edge = 1;
      if (rho > inner && rho > 0) {
        // cos(k phi + p) from cos(phi), sin(phi) by multiple-angle identities (no trig per pixel).
        const cp = u / rho;
        const sp = v / rho;
        const c2 = cp * cp - sp * sp;
        const s2 = 2 * cp * sp;
        const c3 = c2 * cp - s2 * sp;
        const s3 = s2 * cp + c2 * sp;
        const c5 = c3 * c2 - s3 * s2;
        const s5 = s3 * c2 + c3 * s2;
        edge += lobe[0]! * c2 - lobe[1]! * s2 + lobe[2]! * c3 - lobe[3]! * s3 + lobe[4]! * c5 - lobe[5]! * s5;
      }
      const inside = rho <= edge;
      if (dryRun) {
        if (rho > edge + margin) continue;
        if (x < 0 || y < 0 || x >= w || y >= h) {
          if (inside) return 0; // cut by the image border: keep particles whole
          continue;
        }
        if (classes[y * w + x] !== 0) return 0;
        if (inside) pixels++;
      } else if (inside && x >= 0 && y >= 0 && x < w && y < h) {
        classes[y * w + x] = cls;
        labels[y * w + x] = id;
        pixels++;
      }
    }
  }
  return pixels;
}

/**
 * Per-pixel scores (low = second phase first) and the threshold that makes the phase cover
 * `fraction` of the image as closely as 16-bit score steps allow.
 */
function thresholdByFraction(score: Uint16Array, fraction: number): number {
  const hist = new Float64Array(65537);
  for (let i = 0; i < score.length; i++) hist[score[i]!]++;
  const target = fraction * score.length;
  let below = 0;
  for (let t = 0; t <= 65535; t++) {
    const next = below + hist[t]!;
    if (next >= target) return next - target < target - below ? t + 1 : t;
    below = next;
  }
  return 65536;
}

/** Pearlite-like colonies: parallel lamellae per colony, orientation and period varying by colony. */
function lamellae(o: Resolved, rng: Random): Uint8Array {
  const { width: w, height: h } = o;
  const count = Math.max(1, Math.round((w * h) / (o.colonySize * o.colonySize)));
  const seeds = placeSeeds(rng.fork(1), { width: w, height: h, count, minDistance: 0.5, densityVariation: 0.2 });
  const sx = new Float64Array(count);
  const sy = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    sx[i] = seeds[2 * i]!;
    sy[i] = seeds[2 * i + 1]!;
  }
  const diagram = new PowerDiagram(sx, sy, new Float64Array(count), -2, -2, w + 2, h + 2, Math.max(4, o.colonySize / 4), 4);
  const cos = new Float64Array(count);
  const sin = new Float64Array(count);
  const period = new Float64Array(count);
  const offset = new Float64Array(count);
  const colonyRng = rng.fork(2);
  for (let i = 0; i < count; i++) {
    const t = colonyRng.range(0, Math.PI);
    cos[i] = Math.cos(t);
    sin[i] = Math.sin(t);
    period[i] = o.lamellaSpacing * colonyRng.range(0.8, 1.25);
    offset[i] = colonyRng.next();
  }
  // Lamellae bend gently and vary in thickness along their length.
  const bend = new FractalNoise(rng.fork(3), o.colonySize * 0.8, 2, w, h);
  const thick = new NoiseField(rng.fork(4), o.lamellaSpacing * 4, w, h);
  const score = new Uint16Array(w * h);
  const bendRow = new Float32Array(w);
  const thickRow = new Float32Array(w);
  for (let y = 0; y < h; y++) {
    bendRow.fill(0);
    thickRow.fill(0);
    bend.addRow(y, bendRow, 0.8);
    thick.addRow(y, thickRow, 0.12);
    for (let x = 0; x < w; x++) {
      diagram.query(x, y);
      const a = diagram.first;
      const b = diagram.second;
      const i = y * w + x;
      if (b >= 0) {
        const ux = sx[a]! - sx[b]!;
        const uy = sy[a]! - sy[b]!;
        // A matrix seam along colony boundaries keeps lamellae of neighbouring colonies apart.
        if ((diagram.secondPower - diagram.firstPower) / (2 * Math.sqrt(ux * ux + uy * uy)) < 1) {
          score[i] = 65535;
          continue;
        }
      }
      const phase = (x * cos[a]! + y * sin[a]!) / period[a]! + offset[a]! + bendRow[x]!;
      let u = phase - Math.floor(phase);
      u = u * (1 + thickRow[x]!);
      score[i] = Math.min(65534, Math.round(u * 32768));
    }
  }
  return classify(score, o.volumeFraction);
}

/** Second phase along the boundaries of coarse cells (e.g. cementite on prior austenite boundaries). */
function network(o: Resolved, rng: Random): Uint8Array {
  const { width: w, height: h } = o;
  const count = Math.max(2, Math.round((w * h) / (o.networkCellSize * o.networkCellSize)));
  const spacing = Math.sqrt((w * h) / count);
  const seeds = placeSeeds(rng.fork(1), { width: w, height: h, count, minDistance: 0.5, densityVariation: 0.3 });
  const amp = 0.2 * spacing;
  const warpX = new FractalNoise(rng.fork(2), 1.5 * spacing, 2, w, h, 0, 0, 0.45);
  const warpY = new FractalNoise(rng.fork(3), 1.5 * spacing, 2, w, h, 0, 0, 0.45);
  const sx = new Float64Array(count);
  const sy = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = seeds[2 * i]!;
    const y = seeds[2 * i + 1]!;
    sx[i] = x + amp * warpX.at(x, y);
    sy[i] = y + amp * warpY.at(x, y);
  }
  const m = 2 * amp + 2;
  const diagram = new PowerDiagram(sx, sy, new Float64Array(count), -m, -m, w + m, h + m, Math.max(4, spacing / 4), 4);
  const salt = mix32(o.seed ^ 0x2f6b1d35);
  const gapBelow = o.networkGaps * 4294967296;
  // Thickness varies along boundaries and between them; edges are ragged at the pixel scale.
  const along = new NoiseField(rng.fork(4), spacing * 0.5, w, h);
  const ragged = new NoiseField(rng.fork(5), 3, w, h);
  const score = new Uint16Array(w * h);
  const rx = new Float32Array(w);
  const ry = new Float32Array(w);
  const ta = new Float32Array(w);
  const tr = new Float32Array(w);
  for (let y = 0; y < h; y++) {
    rx.fill(0);
    ry.fill(0);
    ta.fill(0);
    tr.fill(0);
    warpX.addRowPair(warpY, y, rx, ry, amp);
    along.addRow(y, ta, 0.45);
    ragged.addRow(y, tr, 0.6);
    for (let x = 0; x < w; x++) {
      const qx = x + rx[x]!;
      const qy = y + ry[x]!;
      diagram.query(qx, qy);
      const a = diagram.first;
      const b = diagram.second;
      const i = y * w + x;
      const lo = a < b ? a : b;
      const hi = a < b ? b : a;
      const pair = mix32((Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) ^ salt);
      if (b < 0 || pair < gapBelow) {
        score[i] = 65535;
        continue;
      }
      const ux = sx[a]! - sx[b]!;
      const uy = sy[a]! - sy[b]!;
      const dist = (diagram.secondPower - diagram.firstPower) / (2 * Math.sqrt(ux * ux + uy * uy));
      const pairThickness = 0.6 + 0.8 * ((pair >>> 8) / 16777216);
      const d = dist / (pairThickness * (1 + ta[x]!)) + tr[x]!;
      score[i] = d <= 0 ? 0 : Math.min(65534, Math.round(d * 256));
    }
  }
  return classify(score, o.volumeFraction);
}

function classify(score: Uint16Array, fraction: number): Uint8Array {
  const t = thresholdByFraction(score, fraction);
  const classes = new Uint8Array(score.length);
  for (let i = 0; i < score.length; i++) if (score[i]! < t) classes[i] = 1;
  return classes;
}

/** SEM-like rendering: class grey levels, matrix texture, bright phase edges with a dark halo. */
function renderPhases(o: Resolved, rng: Random, classes: Uint8Array): Uint16Array {
  const { width: w, height: h } = o;
  const levels = new Float32Array(256);
  for (let c = 0; c < 256; c++) levels[c] = o.phaseLevels[c] ?? o.phaseLevels[o.phaseLevels.length - 1] ?? 0.6;
  const texture = new FractalNoise(rng.fork(1), 10, 3, w, h, 0, 0, 0.6);
  const illumination = new Illumination(rng.fork(2), w, h, o.illumination);
  const clean = new Uint16Array(w * h);
  const tex = new Float32Array(w);
  const light = new Float32Array(w);
  const edge = o.edgeBrightness;
  for (let y = 0; y < h; y++) {
    tex.fill(0);
    texture.addRow(y, tex, o.texture);
    illumination.row(y, light);
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      const c = classes[i]!;
      // Texture is strongest in the matrix; the second phase is smoother.
      let v = levels[c]! + (c === 0 ? tex[x]! : 0.35 * tex[x]!);
      const l = x > 0 ? classes[i - 1]! : c;
      const r = x < w - 1 ? classes[i + 1]! : c;
      const u = y > 0 ? classes[i - w]! : c;
      const d = y < h - 1 ? classes[i + w]! : c;
      if (l !== c || r !== c || u !== c || d !== c) v += c !== 0 ? edge : -0.3 * edge;
      v *= light[x]!;
      clean[i] = v <= 0 ? 0 : v >= 1 ? FULL : (v * FULL + 0.5) | 0;
    }
  }
  return clean;
}
