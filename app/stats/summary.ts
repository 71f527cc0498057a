// Image- and project-level grain statistics: summaries of size measures, phase area fractions,
// histogram bins (linear or logarithmic) and cumulative distributions for plotting.
import type { LabelMap } from '../types';
import type { GrainMeasurement } from './regions';

interface Summary {
  count: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n - 1); 0 for fewer than two values. */
  std: number;
  min: number;
  max: number;
}

/** Mean, median, sample std, min and max; NaN for an empty input (count 0). */
export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: Number.NaN, median: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i]! - mean) ** 2;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { count: n, mean, median, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: sorted[0]!, max: sorted[n - 1]! };
}

export interface GrainSummary {
  grainCount: number;
  edgeGrainCount: number;
  /** 'um' when every grain has physical values, else 'px'. */
  unit: 'um' | 'px';
  ecd: Summary;
  area: Summary;
}

/**
 * Grain count and ECD / area summaries for one image or a whole project (concatenate the grains
 * of several images; their µm values make mixed pixel sizes comparable). `excludeEdge` leaves
 * grains cut by the image border out of the size statistics (they are truncated), not the count.
 */
export function summarizeGrains(grains: readonly GrainMeasurement[], options: { excludeEdge?: boolean; unit?: 'auto' | 'px' | 'um' } = {}): GrainSummary {
  const wantUm = options.unit ?? 'auto';
  const haveUm = grains.length > 0 && grains.every((g) => g.ecdUm !== null && g.areaUm2 !== null);
  if (wantUm === 'um' && !haveUm) throw new Error('µm statistics need the pixel size of every image; set the missing pixel sizes or use pixel units');
  const unit: 'um' | 'px' = wantUm === 'px' ? 'px' : haveUm ? 'um' : 'px';
  const used = options.excludeEdge ? grains.filter((g) => !g.touchesEdge) : grains;
  const ecd = used.map((g) => (unit === 'um' ? g.ecdUm! : g.ecd));
  const area = used.map((g) => (unit === 'um' ? g.areaUm2! : g.area));
  return {
    grainCount: grains.length,
    edgeGrainCount: grains.filter((g) => g.touchesEdge).length,
    unit,
    ecd: summarize(ecd),
    area: summarize(area),
  };
}

export interface PhaseFraction {
  classId: number | null;
  pixels: number;
  /** Share of all image pixels. */
  fractionOfImage: number;
  /** Share of the pixels that belong to some segment. */
  fractionOfSegmented: number;
}

/** Area fraction per class (segments without a class are grouped under classId null), ascending class id, null last. */
export function phaseFractions(map: LabelMap, classOf: ReadonlyMap<number, number | null>): PhaseFraction[] {
  const { data } = map;
  const perId = new Map<number, number>();
  let lastId = -1;
  let run = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === lastId) {
      run++;
      continue;
    }
    if (lastId > 0) perId.set(lastId, (perId.get(lastId) ?? 0) + run);
    lastId = v;
    run = 1;
  }
  if (lastId > 0) perId.set(lastId, (perId.get(lastId) ?? 0) + run);
  return phaseFractionsFromAreas(perId, classOf, data.length);
}

/**
 * Phase fractions from the pixel count of each segment (e.g. measured areas kept from an earlier
 * pass), so a class change needs no new pass over the label map. Same result as phaseFractions.
 */
export function phaseFractionsFromAreas(
  areas: Iterable<readonly [number, number]>,
  classOf: ReadonlyMap<number, number | null>,
  totalPixels: number,
): PhaseFraction[] {
  const perClass = new Map<number | null, number>();
  let segmented = 0;
  for (const [id, n] of areas) {
    const c = classOf.get(id) ?? null;
    perClass.set(c, (perClass.get(c) ?? 0) + n);
    segmented += n;
  }
  const total = totalPixels;
  return [...perClass.entries()]
    .sort((a, b) => (a[0] === null ? 1 : b[0] === null ? -1 : a[0] - b[0]))
    .map(([classId, pixels]) => ({
      classId,
      pixels,
      fractionOfImage: total ? pixels / total : 0,
      fractionOfSegmented: segmented ? pixels / segmented : 0,
    }));
}

export interface Histogram {
  scale: 'linear' | 'log';
  /** bins + 1 edges, ascending. */
  edges: number[];
  /** Bin centres (geometric centres for log bins). */
  centers: number[];
  /** Count (or weight sum) per bin; the last bin includes its right edge, like numpy. */
  counts: number[];
  /** Values outside [min, max], non-finite, or (log scale) not positive. */
  dropped: number;
}

interface HistogramOptions {
  /** Number of bins; default Sturges' rule ceil(log2 n) + 1. */
  bins?: number;
  scale?: 'linear' | 'log';
  min?: number;
  max?: number;
  /** Per-value weights (e.g. grain areas for an area-weighted size distribution). */
  weights?: ArrayLike<number>;
}

export function histogram(values: ArrayLike<number>, options: HistogramOptions = {}): Histogram {
  const scale = options.scale ?? 'linear';
  const ok = (v: number) => Number.isFinite(v) && (scale === 'linear' || v > 0);
  let lo = options.min ?? Number.POSITIVE_INFINITY;
  let hi = options.max ?? Number.NEGATIVE_INFINITY;
  let valid = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!ok(v)) continue;
    valid++;
    if (options.min === undefined && v < lo) lo = v;
    if (options.max === undefined && v > hi) hi = v;
  }
  if (valid === 0 || !(hi >= lo)) return { scale, edges: [], centers: [], counts: [], dropped: values.length };
  if (scale === 'log' && !(lo > 0)) throw new Error(`a logarithmic histogram needs a positive minimum, got ${lo}`);
  const bins = options.bins ?? Math.max(1, Math.ceil(Math.log2(valid)) + 1);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram bins must be a positive integer, got ${bins}`);
  // A single value gets a bin around it (numpy: +-0.5; log: a factor of sqrt(10)).
  if (hi === lo) {
    if (scale === 'linear') {
      lo -= 0.5;
      hi += 0.5;
    } else {
      lo /= Math.sqrt(10);
      hi *= Math.sqrt(10);
    }
  }
  const t = (v: number) => (scale === 'log' ? Math.log10(v) : v);
  const tl = t(lo);
  const th = t(hi);
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? th : tl + ((th - tl) * k) / bins));
  const counts = new Array<number>(bins).fill(0);
  let dropped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!ok(v) || v < lo || v > hi) {
      dropped++;
      continue;
    }
    let k = Math.floor(((t(v) - tl) / (th - tl)) * bins);
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    counts[k]! += options.weights ? options.weights[i]! : 1;
  }
  const realEdges = scale === 'log' ? edges.map((e) => 10 ** e) : edges;
  if (scale === 'log') {
    realEdges[0] = lo;
    realEdges[bins] = hi;
  }
  const centers = edges.slice(0, -1).map((e, k) => (scale === 'log' ? 10 ** ((e + edges[k + 1]!) / 2) : (e + edges[k + 1]!) / 2));
  return { scale, edges: realEdges, centers, counts, dropped };
}

interface Cumulative {
  /** Sorted values. */
  x: number[];
  /** Fraction of the count (or of the total weight) at or below x. */
  p: number[];
}

/** Empirical cumulative distribution, number-weighted or weighted (e.g. by grain area). Non-finite values are skipped. */
export function cumulativeDistribution(values: ArrayLike<number>, weights?: ArrayLike<number>): Cumulative {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) idx.push(i);
  idx.sort((a, b) => values[a]! - values[b]!);
  const total = weights ? idx.reduce((s, i) => s + weights[i]!, 0) : idx.length;
  const x: number[] = [];
  const p: number[] = [];
  let acc = 0;
  for (const i of idx) {
    acc += weights ? weights[i]! : 1;
    x.push(values[i]!);
    p.push(total > 0 ? acc / total : 0);
  }
  return { x, p };
}
