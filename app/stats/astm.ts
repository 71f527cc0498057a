// ASTM E112 grain size number G from a grain label map: the planimetric (Jeffries) procedure and
// the mean lineal intercept (Heyn) procedure, both at 1x (the pixel size gives true lengths).
import type { LabelMap } from '../types';

/** G from grains per mm² at 1x (E112 planimetric): G = 3.321928 log10(N_A) - 2.954. */
export function astmGFromGrainsPerMm2(nA: number): number {
  return 3.321928 * Math.log10(nA) - 2.954;
}

/** G from the mean lineal intercept in mm (E112): G = -6.643856 log10(l) - 3.288. */
export function astmGFromMeanIntercept(lMm: number): number {
  return -6.643856 * Math.log10(lMm) - 3.288;
}

function requirePixelSize(um: number): void {
  if (!(um > 0) || !Number.isFinite(um)) throw new Error(`an ASTM E112 grain size needs the pixel size in µm/px; got ${um}. Set the image's pixel size first`);
}

export interface PlanimetricResult {
  /** Grains entirely inside the image (not touching its outermost pixels). */
  inside: number;
  /** Grains touching the image border (corner grains included). */
  intercepted: number;
  /** Of those, grains on one of the four corner pixels. */
  corner: number;
  /** Equivalent whole grains: inside + 0.5 intercepted (or 0.25 per corner with the corner rule). */
  equivalentGrains: number;
  areaMm2: number;
  grainsPerMm2: number;
  G: number;
}

/**
 * Jeffries planimetric count over the whole image as the test area (E112 §11): grains fully
 * inside count 1, grains cut by the border count 1/2. `corners: 'quarter'` applies the rectangle
 * rule of ISO 643 (corner grains count 1/4 per corner they occupy), which removes the known
 * +1-grain bias of the plain rule on a rectangle. Pixels with id 0 count as test area too, so
 * segment the whole field (or crop to the segmented part) before measuring.
 */
export function astmPlanimetric(map: LabelMap, pixelSizeUm: number, options: { corners?: 'half' | 'quarter' } = {}): PlanimetricResult {
  requirePixelSize(pixelSizeUm);
  const { width: W, height: H, data } = map;
  const all = new Set<number>();
  let last = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== last) {
      all.add(v);
      last = v;
    }
  }
  all.add(data[0] ?? 0);
  all.delete(0);
  const edge = new Set<number>();
  for (let x = 0; x < W; x++) {
    edge.add(data[x]!);
    edge.add(data[(H - 1) * W + x]!);
  }
  for (let y = 0; y < H; y++) {
    edge.add(data[y * W]!);
    edge.add(data[y * W + W - 1]!);
  }
  edge.delete(0);
  const cornerIds = [data[0]!, data[W - 1]!, data[(H - 1) * W]!, data[H * W - 1]!];
  const cornerCount = new Map<number, number>();
  for (const id of cornerIds) if (id !== 0) cornerCount.set(id, (cornerCount.get(id) ?? 0) + 1);
  const inside = all.size - edge.size;
  let equivalent = inside;
  if (options.corners === 'quarter') {
    for (const id of edge) {
      const k = cornerCount.get(id);
      // A grain on k corners is a quarter per corner (a grain spanning a whole side: 1/2).
      equivalent += k ? 0.25 * k : 0.5;
    }
  } else equivalent += 0.5 * edge.size;
  const areaMm2 = W * H * (pixelSizeUm / 1000) ** 2;
  const nA = equivalent / areaMm2;
  return { inside, intercepted: edge.size, corner: cornerCount.size, equivalentGrains: equivalent, areaMm2, grainsPerMm2: nA, G: astmGFromGrainsPerMm2(nA) };
}

interface InterceptDirection {
  lines: number;
  /** Grain-boundary crossings along the lines (P); for straight lines with both ends inside grains, intercepts N = P. */
  intercepts: number;
  lineLengthMm: number;
}

export interface InterceptResult extends InterceptDirection {
  meanInterceptMm: number;
  G: number;
  horizontal: InterceptDirection;
  vertical: InterceptDirection;
}

/**
 * Mean lineal intercept (Heyn) with straight test lines across the whole image: `lines` evenly
 * spaced horizontal lines (at rows (k + 1/2) H / lines) and as many vertical ones. Each change of
 * grain id along a line is one boundary crossing; pixels with id 0 (drawn boundaries) are stepped
 * over, so A-0-A is no crossing and A-0-B is one. With the ends of a line inside grains each
 * counting 1/2, the intercept count equals the crossing count; l = L / N.
 */
export function astmIntercept(
  map: LabelMap,
  pixelSizeUm: number,
  options: { lines?: number; directions?: 'both' | 'horizontal' | 'vertical' } = {},
): InterceptResult {
  requirePixelSize(pixelSizeUm);
  const { width: W, height: H, data } = map;
  const n = options.lines ?? 5;
  if (!Number.isInteger(n) || n < 1) throw new Error(`the number of test lines must be a positive integer, got ${n}`);
  const dirs = options.directions ?? 'both';
  const mm = pixelSizeUm / 1000;
  const crossings = (start: number, step: number, count: number) => {
    let prev = 0;
    let p = 0;
    for (let k = 0, i = start; k < count; k++, i += step) {
      const v = data[i]!;
      if (v === 0) continue;
      if (prev !== 0 && v !== prev) p++;
      prev = v;
    }
    return p;
  };
  const horizontal: InterceptDirection = { lines: 0, intercepts: 0, lineLengthMm: 0 };
  const vertical: InterceptDirection = { lines: 0, intercepts: 0, lineLengthMm: 0 };
  if (dirs !== 'vertical') {
    for (let k = 0; k < Math.min(n, H); k++) {
      const y = Math.floor(((k + 0.5) * H) / Math.min(n, H));
      horizontal.intercepts += crossings(y * W, 1, W);
      horizontal.lines++;
      horizontal.lineLengthMm += W * mm;
    }
  }
  if (dirs !== 'horizontal') {
    for (let k = 0; k < Math.min(n, W); k++) {
      const x = Math.floor(((k + 0.5) * W) / Math.min(n, W));
      vertical.intercepts += crossings(x, W, H);
      vertical.lines++;
      vertical.lineLengthMm += H * mm;
    }
  }
  return combineIntercepts(horizontal, vertical);
}

/** The lineal-intercept result of horizontal and vertical test lines counted together (one image or a sum over images). */
export function combineIntercepts(horizontal: InterceptDirection, vertical: InterceptDirection): InterceptResult {
  const intercepts = horizontal.intercepts + vertical.intercepts;
  const lineLengthMm = horizontal.lineLengthMm + vertical.lineLengthMm;
  const meanInterceptMm = intercepts > 0 ? lineLengthMm / intercepts : Number.POSITIVE_INFINITY;
  return {
    lines: horizontal.lines + vertical.lines,
    intercepts,
    lineLengthMm,
    meanInterceptMm,
    G: intercepts > 0 ? astmGFromMeanIntercept(meanInterceptMm) : Number.NaN,
    horizontal,
    vertical,
  };
}
