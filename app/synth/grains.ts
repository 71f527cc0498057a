// Synthetic polycrystal micrographs with exact ground truth: a warped power-diagram tessellation
// (curved boundaries, varied grain sizes) rendered as an etched optical image.
import type { BitDepth, GreyImage, LabelMap } from '../types';
import { keepSeedRegions } from './components';
import { FractalNoise, NoiseField, periodicNoiseTile } from './noise';
import { Random, mix32 } from './random';
import { FULL, Illumination, blur121, drawPits, drawScratches, quantise } from './render';
import { PowerDiagram, placeSeeds } from './tessellation';
import { checkBitDepth, checkRange, checkSize } from './validate';

export interface GrainOptions {
  /** Image size in pixels (16..16384). Default 512 x 512. */
  width?: number;
  height?: number;
  /** Same seed and options give the same image bit for bit. Default 1. */
  seed?: number;
  /** Number of grains; labels are exactly 1..grainCount. Default: one per 48 x 48 px. */
  grainCount?: number;
  bitDepth?: BitDepth;
  /** Seed spacing floor as a fraction of the mean spacing (0.05..0.8; relaxed when too tight). Default 0.5. */
  minSeedDistance?: number;
  /** 0..1: spread of grain sizes (power-diagram weights and regional seed density). Default 0.6. */
  sizeSpread?: number;
  /** Boundary curvature: warp amplitude as a fraction of the mean grain spacing (0..0.4). Default 0.25. */
  waviness?: number;
  /** Width of the etched boundary grooves in pixels, 0..10 (also of the `boundaries` mask). Default 2. */
  boundaryWidth?: number;
  /** 0..1: how far a groove darkens towards black. Default 0.6. */
  boundaryDepth?: number;
  /** 0..1: fraction of grain-to-grain boundaries left unetched (invisible), plus gaps along others. Default 0.1. */
  missingBoundaryFraction?: number;
  /** Mean grey level of the grains, 0..1. Default 0.6. */
  meanLevel?: number;
  /** Spread of per-grain grey levels (etch contrast), 0..1. Default 0.3. */
  grainContrast?: number;
  /** Amplitude of mottled texture inside grains (fraction of full scale). Default 0.04. */
  texture?: number;
  /** Strength of uneven illumination (gradient, vignetting). Default 0.25. */
  illumination?: number;
  /** Gaussian noise sigma as a fraction of full scale. Default 0.02. */
  noiseSigma?: number;
  /** Polishing scratches. Default: 2 per 512 px of image side. */
  scratchCount?: number;
  /** Scratch contrast (fraction of full scale). Default 0.15. */
  scratchStrength?: number;
  /** Etch pits per 10 000 px. Default 0.4. */
  pitDensity?: number;
  /** Apply a mild optical blur. Default true. */
  blur?: boolean;
}

export interface GrainResult {
  image: GreyImage & { data: Uint8Array | Uint16Array };
  /** Grain id per pixel, 1..grainCount, every pixel labelled, each grain one 4-connected region. */
  labels: LabelMap;
  /** 1 within boundaryWidth / 2 of a grain boundary, unetched ones included. */
  boundaries: Uint8Array;
  grainCount: number;
  /** Seed pixel of each grain (x, y pairs; grain id = index + 1). */
  seeds: Int32Array;
}

type ResolvedGrainOptions = Required<GrainOptions>;

function resolve(o: GrainOptions): ResolvedGrainOptions {
  const width = o.width ?? 512;
  const height = o.height ?? 512;
  const side = Math.max(width, height);
  const r: ResolvedGrainOptions = {
    width,
    height,
    seed: o.seed ?? 1,
    grainCount: o.grainCount ?? Math.max(1, Math.round((width * height) / (48 * 48))),
    bitDepth: o.bitDepth ?? 8,
    minSeedDistance: o.minSeedDistance ?? 0.5,
    sizeSpread: o.sizeSpread ?? 0.6,
    waviness: o.waviness ?? 0.25,
    boundaryWidth: o.boundaryWidth ?? 2,
    boundaryDepth: o.boundaryDepth ?? 0.6,
    missingBoundaryFraction: o.missingBoundaryFraction ?? 0.1,
    meanLevel: o.meanLevel ?? 0.6,
    grainContrast: o.grainContrast ?? 0.3,
    texture: o.texture ?? 0.04,
    illumination: o.illumination ?? 0.25,
    noiseSigma: o.noiseSigma ?? 0.02,
    scratchCount: o.scratchCount ?? Math.round((2 * side) / 512),
    scratchStrength: o.scratchStrength ?? 0.15,
    pitDensity: o.pitDensity ?? 0.4,
    blur: o.blur ?? true,
  };
  checkSize(r.width, r.height);
  checkBitDepth(r.bitDepth);
  if (!Number.isInteger(r.grainCount) || r.grainCount < 1 || r.grainCount > (width * height) / 16) {
    throw new RangeError(`grainCount must be an integer from 1 to ${Math.floor((width * height) / 16)} (grains of at least 16 px), got ${r.grainCount}.`);
  }
  checkRange('minSeedDistance', r.minSeedDistance, 0.05, 0.8);
  checkRange('sizeSpread', r.sizeSpread, 0, 1);
  checkRange('waviness', r.waviness, 0, 0.4);
  checkRange('boundaryWidth', r.boundaryWidth, 0, 10);
  checkRange('missingBoundaryFraction', r.missingBoundaryFraction, 0, 1);
  return r;
}

/** Edge byte layout: low 7 bits = distance to the boundary in 1/8 px (capped), high bit = etched. */
const EDGE_SCALE = 8;
const EDGE_MAX = 127;
const ETCHED = 128;

/**
 * A polycrystal image and its exact grain map. Grain ids follow seed order; every seed keeps
 * its own pixel (weights stay below the squared distance to its nearest neighbour), so the
 * number of grains is always the number requested.
 */
export function generateGrains(options: GrainOptions = {}): GrainResult {
  const o = resolve(options);
  const { width: w, height: h, grainCount: n } = o;
  const rng = new Random(o.seed);
  const seeds = placeSeeds(rng.fork(1), {
    width: w,
    height: h,
    count: n,
    minDistance: o.minSeedDistance,
    densityVariation: 0.6 * o.sizeSpread,
  });
  const spacing = Math.sqrt((w * h) / n);
  const tess = buildTessellation(o, rng, seeds, spacing);
  const halfWidth = Math.max(o.boundaryWidth / 2, 0.25);
  const grooveReach = Math.min(EDGE_MAX - 1, Math.ceil(3 * halfWidth * EDGE_SCALE));
  const maskQ = Math.min(EDGE_MAX - 1, Math.round(halfWidth * EDGE_SCALE));
  const capQ = Math.max(grooveReach, maskQ) + 1;
  const { labels, edge } = labelPass(o, tess, capQ);
  keepSeedRegions(labels, w, h, seeds);
  const boundaries = new Uint8Array(w * h);
  for (let i = 0; i < edge.length; i++) if ((edge[i]! & EDGE_MAX) <= maskQ) boundaries[i] = 1;
  const clean = renderPass(o, rng, labels, edge, spacing, halfWidth, grooveReach);
  const art = rng.fork(7);
  drawPits(clean, w, h, art.fork(1), Math.round((o.pitDensity * w * h) / 10000));
  drawScratches(clean, w, h, art.fork(2), o.scratchCount, o.scratchStrength);
  if (o.blur) blur121(clean, w, h);
  const data = quantise(clean, o.bitDepth, o.noiseSigma, mix32(o.seed + 0x1234567));
  return {
    image: { width: w, height: h, data },
    labels: { width: w, height: h, data: labels },
    boundaries,
    grainCount: n,
    seeds,
  };
}

interface Tessellation {
  diagram: PowerDiagram;
  warpX: FractalNoise;
  warpY: FractalNoise;
  amp: number;
}

/**
 * Warped power diagram: pixel p belongs to the site nearest (by power) to p + D(p), where D is
 * a smooth random displacement; each site is its seed's displaced position, so a seed pixel
 * maps exactly onto its own site.
 */
function buildTessellation(o: ResolvedGrainOptions, rng: Random, seeds: Int32Array, spacing: number): Tessellation {
  const { width: w, height: h, grainCount: n } = o;
  const amp = o.waviness * spacing;
  const warpRng = rng.fork(2);
  const warpX = new FractalNoise(warpRng.fork(1), 1.6 * spacing, 2, w, h, 0, 0, 0.4);
  const warpY = new FractalNoise(warpRng.fork(2), 1.6 * spacing, 2, w, h, 0, 0, 0.4);
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = seeds[2 * i]!;
    const y = seeds[2 * i + 1]!;
    sx[i] = x + amp * warpX.at(x, y);
    sy[i] = y + amp * warpY.at(x, y);
  }
  const margin = 1.5 * amp + 2;
  // Fine buckets (a quarter of the grain spacing) keep about four candidate sites per pixel.
  const bucket = Math.max(2, spacing / 4);
  const box = [-margin, -margin, w + margin, h + margin] as const;
  // Weight bound: each site's weight stays below its squared nearest-neighbour distance, so
  // no site's own position can fall into another site's cell.
  const plain = new PowerDiagram(sx, sy, new Float64Array(n), ...box, spacing, 1);
  const weight = new Float64Array(n);
  const weightRng = rng.fork(3);
  for (let i = 0; i < n; i++) {
    plain.query(sx[i]!, sy[i]!);
    const nn = plain.second < 0 ? spacing * spacing : plain.secondPower;
    weight[i] = 0.9 * nn * o.sizeSpread * weightRng.next() ** 2;
  }
  return { diagram: new PowerDiagram(sx, sy, weight, ...box, bucket, 4), warpX, warpY, amp };
}

/**
 * Labels every pixel and records its distance to the nearest boundary, capped at `capQ`
 * (what the groove and the mask need). A query far from every boundary also clears a disc
 * around it in which neither the label nor the capped distance can change.
 */
function labelPass(o: ResolvedGrainOptions, t: Tessellation, capQ: number): { labels: Uint32Array; edge: Uint8Array } {
  const { width: w, height: h } = o;
  const { diagram, warpX, warpY, amp } = t;
  const sx = diagram.sx;
  const sy = diagram.sy;
  const capDist = capQ / EDGE_SCALE;
  const capDist2 = capDist * capDist;
  const labels = new Uint32Array(w * h);
  const edge = new Uint8Array(w * h);
  const rowX = new Float32Array(w);
  const rowY = new Float32Array(w);
  const keepBelow = (1 - o.missingBoundaryFraction) * 4294967296;
  const pairSalt = mix32(o.seed ^ 0x5bd1e995);
  for (let y = 0; y < h; y++) {
    rowX.fill(0);
    rowY.fill(0);
    if (amp > 0) warpX.addRowPair(warpY, y, rowX, rowY, amp);
    const row = y * w;
    let anchorX = 0;
    let anchorY = 0;
    let reach2 = -1;
    let anchorBucket = -1;
    let anchorLabel = 0;
    for (let x = 0; x < w; x++) {
      const qx = x + rowX[x]!;
      const qy = y + rowY[x]!;
      if (reach2 > 0) {
        const dx = qx - anchorX;
        const dy = qy - anchorY;
        if (dx * dx + dy * dy < reach2 && diagram.bucketOf(qx, qy) === anchorBucket) {
          labels[row + x] = anchorLabel;
          edge[row + x] = capQ;
          continue;
        }
      }
      diagram.query(qx, qy);
      const a = diagram.first;
      const b = diagram.second;
      labels[row + x] = a + 1;
      reach2 = -1;
      let q = capQ;
      if (b >= 0) {
        // Distance to the a|b bisector of a power diagram: (f_b - f_a) / (2 |s_a - s_b|);
        // compared squared first, so pixels far from it need no square root.
        const ux = sx[a]! - sx[b]!;
        const uy = sy[a]! - sy[b]!;
        const gap = diagram.secondPower - diagram.firstPower;
        const d2 = ux * ux + uy * uy;
        if (gap * gap < 4 * capDist2 * d2) q = ((gap * EDGE_SCALE) / (2 * Math.sqrt(d2)) + 0.5) | 0;
      }
      if (q >= capQ) {
        edge[row + x] = capQ;
        const r = diagram.clearance(qx, qy) - capDist;
        if (r > 0) {
          reach2 = r * r;
          anchorX = qx;
          anchorY = qy;
          anchorBucket = diagram.bucket;
          anchorLabel = a + 1;
        }
        continue;
      }
      // Etched or not is a property of the grain pair: hash of (smaller id, larger id).
      const pairHash = mix32((Math.imul(a < b ? a : b, 0x9e3779b1) ^ Math.imul(a < b ? b : a, 0x85ebca77)) ^ pairSalt);
      const etched = pairHash < keepBelow ? ETCHED : 0;
      edge[row + x] = q | etched;
    }
  }
  return { labels, edge };
}

/** The clean (noise-free) image: grain levels, texture, grooves, illumination. */
function renderPass(
  o: ResolvedGrainOptions,
  rng: Random,
  labels: Uint32Array,
  edge: Uint8Array,
  spacing: number,
  halfWidth: number,
  grooveReach: number,
): Uint16Array {
  const { width: w, height: h, grainCount: n } = o;
  // Per-grain etch response: mostly uniform spread, a few grains much darker (strongly etched).
  const levelRng = rng.fork(4);
  const level = new Float32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    let v = o.meanLevel + o.grainContrast * (levelRng.next() - 0.5);
    if (levelRng.next() < 0.08) v -= o.grainContrast * 0.6;
    level[i] = v;
  }
  const groove = new Float32Array(EDGE_MAX + 1);
  for (let q = 0; q <= grooveReach; q++) {
    const d = q / EDGE_SCALE / halfWidth;
    // Dark groove centre with a faint bright shoulder (relief seen in bright-field optics).
    groove[q] = Math.exp(-Math.LN2 * d * d) - 0.12 * Math.exp(-((d - 1.8) ** 2));
  }
  // Texture: one seamless tile, sampled at a different offset in every grain, so texture
  // breaks at boundaries as etch texture does, at the cost of one lookup per pixel.
  const texRng = rng.fork(5);
  const tile = periodicNoiseTile(texRng.fork(1), TILE, 16, 3, 0.55);
  for (let i = 0; i < tile.length; i++) tile[i] *= o.texture;
  const offX = new Int32Array(n + 1);
  const offY = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) {
    offX[i] = texRng.int(TILE);
    offY[i] = texRng.int(TILE);
  }
  // Gaps: stretches of etched boundaries fade where a smooth field is low.
  const gaps = new NoiseField(texRng.fork(2), 0.8 * spacing, w, h);
  const gapStart = -1 + 1.2 * o.missingBoundaryFraction;
  const illumination = new Illumination(rng.fork(6), w, h, o.illumination);
  const clean = new Uint16Array(w * h);
  const gap = new Float32Array(w);
  const light = new Float32Array(w);
  const depth = o.boundaryDepth;
  const boundaryLevel = 0.08;
  const mask = TILE - 1;
  for (let y = 0; y < h; y++) {
    gap.fill(0);
    gaps.addRow(y, gap, 1);
    illumination.row(y, light);
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      const g = labels[i]!;
      let v = level[g]! + tile[((y + offY[g]!) & mask) * TILE + ((x + offX[g]!) & mask)]!;
      const e = edge[i]!;
      if (e & ETCHED) {
        const t = (gap[x]! - gapStart) / 0.35;
        const fade = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
        v += (boundaryLevel - v) * depth * fade * groove[e & EDGE_MAX]!;
      }
      v *= light[x]!;
      clean[i] = v <= 0 ? 0 : v >= 1 ? FULL : (v * FULL + 0.5) | 0;
    }
  }
  return clean;
}

const TILE = 512;
