// Point prompts for "segment everything": SAM's regular grid and MatSAM's structure-aware prompts
// (one point per pre-segmented region, an adaptive grid for what the pre-segmentation missed,
// and a denser band along the image border where objects are cut).
import type { GreyImage } from '../types';
import { deepestPixels, regionDistance, toWorkingImage } from './filters';
import { edgeAgreement, grainRegions, phaseRegions, type GrainOptions, type PhaseOptions, type RegionMap } from './presegment';
import type { Point } from './types';

/**
 * SAM's point grid: n x n cell centres (offset 1/(2n)), row by row from the top-left, in image
 * coordinates. Same placement as segment_anything's build_point_grid scaled by (width, height).
 */
export function gridPrompts(width: number, height: number, pointsPerSide = 32): Point[] {
  const n = Math.max(1, Math.floor(pointsPerSide));
  const pts: Point[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) pts.push({ x: ((i + 0.5) / n) * width, y: ((j + 0.5) / n) * height });
  }
  return pts;
}

/** Splits a list into consecutive chunks of at most batchSize items (the last may be shorter). */
export function batchPoints<T>(points: readonly T[], batchSize: number): T[][] {
  const size = Math.max(1, Math.floor(batchSize));
  const out: T[][] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size));
  return out;
}

type MatsamMode = 'phase' | 'grain' | 'both';

export interface MatsamOptions extends PhaseOptions, GrainOptions {
  /**
   * Which pre-segmentation places the region prompts: 'phase' (intensity classes), 'grain'
   * (Canny-enclosed regions), 'both' (the two pooled, duplicates dropped), or 'auto', which
   * picks 'phase' or 'both' by the image test described at matsamPrompts.
   */
  mode: MatsamMode | 'auto';
  /** 'auto': edge agreement (see edgeAgreement) at or above which the image is a phase image. */
  autoEdgeAgreement: number;
  /**
   * Regions smaller than this (original pixels) get no prompt. Default max(16, 100 * (longSide /
   * 1024)^2): under ~10 x 10 pixels in SAM's 1024 input frame an object is a few cells of the
   * decoder's 256 x 256 mask, and such regions were mostly noise on the real micrographs.
   */
  minRegionArea?: number;
  /**
   * Where a region's prompt goes: 'centroid' (MatSAM's choice: its centroid, or its deepest
   * pixel when the centroid falls outside it) or 'interior' (always its deepest pixel, the centre
   * of its largest inscribed disc, never near the region's boundary; on 23 Ni-superalloy SEM
   * images it put a prompt in 80% of the fine particles >= 100 px against 68% for 'centroid').
   */
  placement: 'centroid' | 'interior';
  /** 'both': a prompt is dropped when a better one lies within dedupeFactor x its region's depth. */
  dedupeFactor: number;
  /** Grid points are added where no region prompt is within gridGapFactor * spacing. */
  gridGapFactor: number;
  /** Border band points are spaced borderSpacingFactor * spacing apart (smaller = denser). */
  borderSpacingFactor: number;
  /** The spacing never exceeds longSide / minGridPerSide (a blank image gets that grid). */
  minGridPerSide: number;
  /** The spacing never drops below longSide / maxGridPerSide. */
  maxGridPerSide: number;
  /**
   * Budget: when region, grid and border points together exceed it, the prompts of the least
   * deep regions (see priority) are dropped and the grid covers their area instead. Default 256,
   * a quarter of SAM's 32 x 32 grid.
   */
  maxPoints: number;
  /** Which region prompts the budget keeps first: the deepest regions (largest inscribed disc) or the largest. */
  priority: 'depth' | 'area';
  /** Pre-segmentation runs on a copy shrunk so its long side is at most this many pixels. */
  maxWorkingSide: number;
}

export const defaultMatsamOptions: MatsamOptions = {
  mode: 'auto',
  autoEdgeAgreement: 0.63,
  phaseSigma: 0,
  phaseClasses: 2,
  grainSigma: 1,
  cannyLow: 0.25,
  cannyHigh: 0.5,
  edgeDilation: 1,
  minEdgeLength: 0,
  placement: 'interior',
  dedupeFactor: 2,
  gridGapFactor: 1,
  borderSpacingFactor: 0.75,
  minGridPerSide: 12,
  maxGridPerSide: 64,
  maxPoints: 256,
  priority: 'depth',
  maxWorkingSide: 2048,
};

export interface MatsamStats {
  mode: MatsamMode;
  /** Pre-segmentation shrink factor (1 = full resolution). */
  workingFactor: number;
  /** The 'auto' test's edge agreement (NaN when the mode was given). */
  edgeAgreement: number;
  /** Regions found by the pre-segmentation(s), and those at least minRegionArea large. */
  regionsFound: number;
  regionsKept: number;
  /** Kept regions whose centroid fell outside them and got their deepest pixel instead. */
  centroidFallbacks: number;
  /** Region prompts before the budget (after pooling and duplicate removal). */
  regionPrompts: number;
  /** Typical region spacing (image pixels) that sets the grid step and the border band. */
  spacing: number;
  regionPoints: number;
  gridPoints: number;
  borderPoints: number;
}

export interface MatsamPrompts {
  /** Region prompts first (by region), then grid points, then border points; image coordinates. */
  points: Point[];
  stats: MatsamStats;
}

/** Bucketed point set answering "is any point within r (<= cell size) of p" in O(1). */
class PointIndex {
  private readonly cols: number;
  private readonly rows: number;
  private readonly cells: number[][];
  private readonly xs: number[] = [];
  private readonly ys: number[] = [];

  constructor(width: number, height: number, private readonly cell: number) {
    this.cols = Math.max(1, Math.ceil(width / cell));
    this.rows = Math.max(1, Math.ceil(height / cell));
    this.cells = Array.from({ length: this.cols * this.rows }, () => []);
  }

  private cellOf(v: number, n: number): number {
    return Math.min(n - 1, Math.max(0, Math.floor(v / this.cell)));
  }

  add(p: Point): void {
    this.cells[this.cellOf(p.y, this.rows) * this.cols + this.cellOf(p.x, this.cols)]!.push(this.xs.length);
    this.xs.push(p.x);
    this.ys.push(p.y);
  }

  hasWithin(p: Point, r: number): boolean {
    const cx = this.cellOf(p.x, this.cols);
    const cy = this.cellOf(p.y, this.rows);
    const r2 = r * r;
    for (let y = Math.max(0, cy - 1); y <= Math.min(this.rows - 1, cy + 1); y++) {
      for (let x = Math.max(0, cx - 1); x <= Math.min(this.cols - 1, cx + 1); x++) {
        for (const k of this.cells[y * this.cols + x]!) {
          const dx = this.xs[k]! - p.x;
          const dy = this.ys[k]! - p.y;
          if (dx * dx + dy * dy <= r2) return true;
        }
      }
    }
    return false;
  }
}

interface RegionPrompt {
  /** Working coordinates. */
  x: number;
  y: number;
  /** Inscribed radius of the region at its deepest pixel (working pixels) and region area. */
  depth: number;
  area: number;
}

/** One prompt per kept region, placed as opts.placement says. */
function promptsOfRegions(
  map: RegionMap,
  w: number,
  h: number,
  minWorkingArea: number,
  opts: MatsamOptions,
): { prompts: RegionPrompt[]; kept: number; fallbacks: number } {
  const { labels, regionCount } = map;
  const area = new Float64Array(regionCount + 1);
  const sx = new Float64Array(regionCount + 1);
  const sy = new Float64Array(regionCount + 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = labels[y * w + x]!;
      if (l === 0) continue;
      area[l]!++;
      sx[l]! += x + 0.5;
      sy[l]! += y + 0.5;
    }
  }
  const keep = new Uint8Array(regionCount + 1);
  let kept = 0;
  for (let l = 1; l <= regionCount; l++) {
    if (area[l]! >= minWorkingArea) {
      keep[l] = 1;
      kept++;
    }
  }
  const dist = regionDistance(labels, w, h);
  const deepest = deepestPixels(labels, dist, regionCount);
  const depthOf = (l: number) => dist[deepest[l]!]! / 3;
  const prompts: RegionPrompt[] = [];
  const atPixel = (i: number, l: number) =>
    prompts.push({ x: (i % w) + 0.5, y: Math.floor(i / w) + 0.5, depth: depthOf(l), area: area[l]! });
  let fallbacks = 0;
  for (let l = 1; l <= regionCount; l++) {
    if (!keep[l]) continue;
    const cx = sx[l]! / area[l]!;
    const cy = sy[l]! / area[l]!;
    const inside = labels[Math.min(h - 1, Math.floor(cy)) * w + Math.min(w - 1, Math.floor(cx))] === l;
    if (opts.placement === 'centroid' && inside) {
      prompts.push({ x: cx, y: cy, depth: depthOf(l), area: area[l]! });
      continue;
    }
    if (opts.placement === 'centroid') fallbacks++;
    atPixel(deepest[l]!, l);
  }
  return { prompts, kept, fallbacks };
}

/**
 * MatSAM structure-aware prompts for one grey image.
 *
 * 1. Coarse pre-segmentation on a copy whose long side is at most maxWorkingSide: 'phase' = the
 *    (lightly blurred) image split by Otsu (or multi-Otsu), every 4-connected piece of every
 *    class is a region; 'grain' = 4-connected areas enclosed by dilated Canny edges; 'both' =
 *    the two pooled. 'auto' = 'phase' when most Canny edges lie on the Otsu boundary (edge
 *    agreement >= autoEdgeAgreement: the image's structure is its intensity phases), else
 *    'both'. Histogram bimodality (Otsu's effectiveness) was tried first and did not separate
 *    phase from grain micrographs (0.44-0.78 on SEM phase images, 0.57-0.80 on optical grain
 *    images); 'both' rather than 'grain' because pooling costs only budget when the test errs.
 * 2. Regions smaller than minRegionArea get no prompt; each other region gets one: at its
 *    deepest pixel (placement 'interior', the default), or as in MatSAM at its centroid, falling
 *    back to the deepest pixel when the centroid is not inside it (non-convex regions). With
 *    'both', a prompt closer than dedupeFactor x its depth to a deeper region's prompt is dropped.
 * 3. Spacing s = sqrt(image area / region prompts), clamped to [long/maxGridPerSide,
 *    long/minGridPerSide]. A grid of step ~s (cell centres) adds a point wherever no region
 *    prompt is within gridGapFactor * s: areas the pre-segmentation left empty or merged.
 * 4. A band of width b = borderSpacingFactor * s (< s, so denser than the grid) along the four
 *    edges replaces the grid there: points every b, b/2 from the edge, wherever no region prompt
 *    is within b/2. Objects cut by the border are small and partial, and often missed.
 * 5. Budget: if the total exceeds maxPoints, the least deep regions lose their prompts (the
 *    largest set that fits is found by binary search) and steps 3-4 rerun.
 */
export function matsamPrompts(grey: GreyImage, options: Partial<MatsamOptions> = {}): MatsamPrompts {
  const opts: MatsamOptions = { ...defaultMatsamOptions, ...options };
  const W = grey.width;
  const H = grey.height;
  if (W <= 0 || H <= 0) throw new Error(`matsamPrompts: empty image (${W}x${H})`);
  const { image, factor } = toWorkingImage(grey, opts.maxWorkingSide);
  const w = image.width;
  const h = image.height;
  const minArea = opts.minRegionArea ?? Math.max(16, 100 * (Math.max(W, H) / 1024) ** 2);
  const minWorkingArea = Math.max(1, Math.ceil(minArea / (factor * factor)));

  const grain = opts.mode === 'phase' ? null : grainRegions(image, opts);
  const agreement = opts.mode === 'auto' ? edgeAgreement(grain!.blurred, grain!.edges, grain!.magnitude) : NaN;
  const mode: MatsamMode = opts.mode === 'auto' ? (agreement >= opts.autoEdgeAgreement ? 'phase' : 'both') : opts.mode;
  const maps: RegionMap[] = [];
  if (mode !== 'grain') maps.push(phaseRegions(image, opts));
  if (mode !== 'phase') maps.push(grain!);

  let found = 0;
  let kept = 0;
  let centroidFallbacks = 0;
  let pooled: RegionPrompt[] = [];
  for (const map of maps) {
    const r = promptsOfRegions(map, w, h, minWorkingArea, opts);
    found += map.regionCount;
    kept += r.kept;
    centroidFallbacks += r.fallbacks;
    pooled = pooled.concat(r.prompts);
  }
  // Priority order (deepest or largest first); stable for equal keys.
  const order = Array.from(pooled.keys()).sort(
    opts.priority === 'area'
      ? (i, j) => pooled[j]!.area - pooled[i]!.area || i - j
      : (i, j) => pooled[j]!.depth - pooled[i]!.depth || pooled[j]!.area - pooled[i]!.area || i - j,
  );
  let ranked = order.map((i) => ({ ...pooled[i]!, at: i }));
  if (maps.length > 1 && ranked.length > 0) {
    // The same object found by both pre-segmentations: keep the deeper region's prompt. The
    // radius is capped at the coarsest grid step so the index stays a few cells per query.
    const cap = Math.max(w, h) / opts.minGridPerSide;
    const radius = (p: RegionPrompt) => Math.min(cap, p.depth * opts.dedupeFactor);
    let cell = Math.max(w, h) / opts.maxGridPerSide;
    for (const p of ranked) cell = Math.max(cell, radius(p));
    const index = new PointIndex(w, h, cell);
    ranked = ranked.filter((p) => {
      if (index.hasWithin(p, radius(p))) return false;
      index.add(p);
      return true;
    });
  }
  const inImage = ranked.map((p) => ({
    // Strictly inside the image, so floor(p) is one of its pixels.
    x: Math.min(W - 0.5, p.x * factor),
    y: Math.min(H - 0.5, p.y * factor),
  }));

  const layoutWith = (k: number) => layoutPrompts(W, H, inImage.slice(0, k), opts);
  let k = inImage.length;
  let layout = layoutWith(k);
  if (layout.points.length > opts.maxPoints) {
    // The total grows with k (each region prompt adds one point and removes at most a few grid
    // points), so binary search for the largest k that fits.
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (layoutWith(mid).points.length <= opts.maxPoints) lo = mid;
      else hi = mid - 1;
    }
    k = lo;
    layout = layoutWith(k);
  }
  // Region prompts back in pre-segmentation order, so the output does not depend on the ranking.
  const chosen = ranked
    .slice(0, k)
    .map((p, r) => ({ at: p.at, r }))
    .sort((a, b) => a.at - b.at)
    .map(({ r }) => inImage[r]!);
  const points = chosen.concat(layout.points.slice(k));
  return {
    points,
    stats: {
      mode,
      workingFactor: factor,
      edgeAgreement: agreement,
      regionsFound: found,
      regionsKept: kept,
      centroidFallbacks,
      regionPrompts: inImage.length,
      spacing: layout.spacing,
      regionPoints: k,
      gridPoints: layout.gridPoints,
      borderPoints: layout.borderPoints,
    },
  };
}

/**
 * Adds the adaptive grid and the border band to the given region prompts. Spacing s =
 * sqrt(area / region prompts), clamped to [long/maxGridPerSide, long/minGridPerSide]; the band
 * is b = borderSpacingFactor * s wide and replaces the grid there.
 */
function layoutPrompts(
  W: number,
  H: number,
  regionPrompts: Point[],
  opts: MatsamOptions,
): { points: Point[]; spacing: number; gridPoints: number; borderPoints: number } {
  const longSide = Math.max(W, H);
  const sMin = longSide / opts.maxGridPerSide;
  const sMax = longSide / opts.minGridPerSide;
  const n = regionPrompts.length;
  const spacing = Math.min(sMax, Math.max(sMin, n > 0 ? Math.sqrt((W * H) / n) : sMax));
  const gridRadius = spacing * opts.gridGapFactor;
  const band = Math.min(spacing * opts.borderSpacingFactor, W / 2, H / 2);
  const index = new PointIndex(W, H, Math.max(gridRadius, band / 2, 1));
  const points = regionPrompts.slice();
  for (const p of points) index.add(p);

  const nx = Math.max(1, Math.round(W / spacing));
  const ny = Math.max(1, Math.round(H / spacing));
  let gridPoints = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const p = { x: ((i + 0.5) * W) / nx, y: ((j + 0.5) * H) / ny };
      if (band > 0 && Math.min(p.x, p.y, W - p.x, H - p.y) < band) continue;
      if (index.hasWithin(p, gridRadius)) continue;
      points.push(p);
      gridPoints++;
    }
  }
  // Band points go into the index (grid points do not: they are outside the band and must not
  // suppress each other), so corner points of two sides are not doubled.
  let borderPoints = 0;
  if (band > 0) {
    const off = band / 2;
    const along = (len: number) => {
      const m = Math.max(1, Math.round(len / band));
      return Array.from({ length: m }, (_, k) => ((k + 0.5) * len) / m);
    };
    const candidates: Point[] = [];
    for (const x of along(W)) candidates.push({ x, y: off }, { x, y: H - off });
    for (const y of along(H)) candidates.push({ x: off, y }, { x: W - off, y });
    for (const p of candidates) {
      if (index.hasWithin(p, band / 2)) continue;
      points.push(p);
      index.add(p);
      borderPoints++;
    }
  }
  return { points, spacing, gridPoints, borderPoints };
}
