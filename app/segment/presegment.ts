// Coarse classic pre-segmentations that MatSAM uses to place prompts: intensity phases (Otsu or
// multi-Otsu) for phase images, regions enclosed by Canny edges for grain images.
import { connectedComponents, otsuThreshold } from '../classic';
import { multiOtsuThresholds } from '../classic/threshold';
import { gaussianBlur } from '../classic';
import { cannyEdges, dilate, type FloatImage } from './filters';

export interface RegionMap {
  /** Region id per working pixel (0 = none, e.g. an edge pixel); ids 1..regionCount. */
  labels: Uint32Array;
  regionCount: number;
}

export interface PhaseOptions {
  /** Gaussian sigma (working pixels) before thresholding; small, so touching particles stay apart. */
  phaseSigma: number;
  /** Number of intensity classes: 2 = Otsu, 3..5 = multi-Otsu. */
  phaseClasses: number;
}

export interface GrainOptions {
  /** Gaussian sigma (working pixels) before edge detection. */
  grainSigma: number;
  /** Canny hysteresis thresholds, as quantiles of the gradient magnitude on thinned edge pixels. */
  cannyLow: number;
  cannyHigh: number;
  /** 3x3 dilations of the edge map before taking the enclosed regions (closes small gaps). */
  edgeDilation: number;
  /** Edge chains (8-connected) shorter than this many pixels are dropped as texture or noise. */
  minEdgeLength: number;
}

/**
 * Phase regions: the blurred image split into intensity classes (Otsu, or multi-Otsu for more
 * than two classes); every 4-connected piece of every class is a region, so both a particle and
 * the matrix around it get one.
 */
export function phaseRegions(img: FloatImage, opts: PhaseOptions): RegionMap & { thresholds: number[] } {
  const { width: w, height: h } = img;
  const blurred = gaussianBlur(img, opts.phaseSigma).data;
  let thresholds = [otsuThreshold(blurred)];
  if (opts.phaseClasses > 2) {
    try {
      thresholds = multiOtsuThresholds(blurred, opts.phaseClasses);
    } catch {
      // Too few distinct values for that many classes: two classes it is.
    }
  }
  const cls = new Uint8Array(w * h);
  for (let i = 0; i < cls.length; i++) {
    const v = blurred[i]!;
    let k = 0;
    while (k < thresholds.length && v > thresholds[k]!) k++;
    cls[i] = k;
  }
  const labels = new Uint32Array(w * h);
  const m = new Uint8Array(w * h);
  let count = 0;
  for (let k = 0; k <= thresholds.length; k++) {
    for (let i = 0; i < m.length; i++) m[i] = cls[i] === k ? 1 : 0;
    const part = connectedComponents({ width: w, height: h, data: m }, 4).data;
    let n = 0;
    for (let i = 0; i < part.length; i++) {
      const p = part[i]!;
      if (p === 0) continue;
      if (p > n) n = p;
      labels[i] = p + count;
    }
    count += n;
  }
  return { labels, regionCount: count, thresholds };
}

/**
 * Grain regions: 4-connected areas enclosed by (dilated) Canny edges of the blurred image.
 * 4-connectivity so that a one-pixel diagonal edge line still separates two grains.
 */
export function grainRegions(
  img: FloatImage,
  opts: GrainOptions,
): RegionMap & { edges: Uint8Array; magnitude: Float32Array; blurred: FloatImage } {
  const { width: w, height: h } = img;
  const blurred = gaussianBlur(img, opts.grainSigma);
  const { edges, gradient } = cannyEdges(blurred, opts.cannyLow, opts.cannyHigh);
  if (opts.minEdgeLength > 1) {
    const chains = connectedComponents({ width: w, height: h, data: edges }, 8).data;
    let n = 0;
    for (let i = 0; i < chains.length; i++) if (chains[i]! > n) n = chains[i]!;
    const length = new Uint32Array(n + 1);
    for (let i = 0; i < chains.length; i++) length[chains[i]!]!++;
    for (let i = 0; i < chains.length; i++) if (chains[i] && length[chains[i]!]! < opts.minEdgeLength) edges[i] = 0;
  }
  const walls = dilate(edges, w, h, opts.edgeDilation);
  const inside = new Uint8Array(w * h);
  for (let i = 0; i < inside.length; i++) inside[i] = walls[i] ? 0 : 1;
  const labels = connectedComponents({ width: w, height: h, data: inside }, 4).data;
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > n) n = labels[i]!;
  return { labels, regionCount: n, edges, magnitude: gradient.magnitude, blurred };
}

/**
 * The 'auto' test: the share of edge strength (gradient magnitude summed over Canny edge pixels)
 * lying within 2 pixels of the Otsu boundary of the same blurred image. In a phase image the
 * strong edges are phase boundaries, which Otsu reproduces: measured 0.66-0.96 (median 0.84)
 * on 24 UHCS steel SEM images. In a grain image most boundaries separate grains of the same
 * intensity class, which Otsu misses: 0.29-0.60 (median 0.51) on 64 TBM optical grain images,
 * 0.05-0.73 (median 0.54) on 23 Ni-superalloy SEM images whose fine particles and texture give
 * many edges Otsu does not follow. Weighting by magnitude keeps noise edges from deciding.
 * 0 when there are no edges.
 */
export function edgeAgreement(blurred: FloatImage, edges: Uint8Array, magnitude: Float32Array): number {
  const { width: w, height: h, data } = blurred;
  const t = otsuThreshold(data);
  const boundary = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const a = data[i]! > t;
      if ((x < w - 1 && a !== data[i + 1]! > t) || (y < h - 1 && a !== data[i + w]! > t)) boundary[i] = 1;
    }
  }
  const near = dilate(boundary, w, h, 2);
  let total = 0;
  let hit = 0;
  for (let i = 0; i < edges.length; i++) {
    if (!edges[i]) continue;
    total += magnitude[i]!;
    if (near[i]) hit += magnitude[i]!;
  }
  return total > 0 ? hit / total : 0;
}
