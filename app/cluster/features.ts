// Per-segment appearance features for clustering and label propagation: intensity, texture (LBP),
// shape, boundary contrast and (optionally) the mean SAM embedding, gathered in one pass over the pixels.
import { ServiceError } from '../errors';
import type { GreyImage, LabelMap } from '../types';
import { convexHullPixelCounts } from './hull';

/** 'channels': mean elemental-map intensities (app/channels/segment-features.ts, joined by main/cluster). */
export type FeatureGroup = 'intensity' | 'texture' | 'shape' | 'boundary' | 'embedding' | 'channels';

const DEFAULT_FEATURE_GROUPS: readonly FeatureGroup[] = ['intensity', 'texture', 'shape', 'boundary'];

/** One row per segment (ascending segment id), one column per named feature. */
export interface FeatureMatrix {
  segmentIds: Uint32Array;
  /** Column names, e.g. 'mean', 'lbp3', 'solidity', 'sam17'. */
  names: string[];
  /** The group of each column (same length as `names`). */
  groups: FeatureGroup[];
  /** segmentIds.length x names.length values, row-major. */
  data: Float64Array;
}

/** A SAM image embedding, as the encoder returns it ([channels, grid, grid], channel-major). */
interface SamEmbedding {
  data: Float32Array;
  /** Width and height of the image the encoder was given (before its longest-side resize). */
  imageWidth: number;
  imageHeight: number;
  /**
   * Defaults: 256 channels on a 64 x 64 grid (SAM ViT conventions). The encoder's input size does
   * not matter: after its longest-side resize and padding a cell spans max(width, height) / grid pixels.
   */
  channels?: number;
  grid?: number;
}

export interface FeatureOptions {
  /** Groups to compute, in column order. Default: intensity, texture, shape, boundary. */
  groups?: readonly FeatureGroup[];
  /** Required when groups include 'embedding'. */
  embedding?: SamEmbedding;
  /**
   * Divide intensities by the full range of the array type (255 for 8-bit, 65535 for 16-bit; float
   * unchanged) so features of 8- and 16-bit images are comparable. Default false: raw values.
   */
  unitIntensity?: boolean;
}

// Texture: rotation-invariant uniform LBP (8 neighbours, radius 1) gives P + 2 = 10 codes. Chosen
// over GLCM because it is invariant to any monotonic change of grey levels (SEM brightness and
// contrast settings differ between images, and labels are propagated across images), needs no grey
// level quantisation for 16-bit data, and accumulates as a 10-bin histogram per segment at the cost
// of eight comparisons per pixel.
const LBP_BINS = 10;
const LBP_LABEL = (() => {
  const lut = new Uint8Array(256);
  for (let code = 0; code < 256; code++) {
    let transitions = 0;
    let ones = 0;
    for (let p = 0; p < 8; p++) {
      const bit = (code >> p) & 1;
      ones += bit;
      if (bit !== ((code >> ((p + 1) & 7)) & 1)) transitions++;
    }
    lut[code] = transitions <= 2 ? ones : 9;
  }
  return lut;
})();

const GROUP_NAMES: Record<Exclude<FeatureGroup, 'embedding' | 'channels'>, string[]> = {
  intensity: ['mean', 'std', 'p10', 'p50', 'p90'],
  texture: Array.from({ length: LBP_BINS }, (_, i) => `lbp${i}`),
  shape: ['area', 'perimeter', 'equivDiameter', 'eccentricity', 'solidity', 'aspectRatio'],
  boundary: ['boundaryContrast', 'boundaryAbsContrast'],
};

/** Distinct non-zero ids of a label map and a lookup id -> row (or -1). */
interface SegmentIndex {
  ids: Uint32Array;
  lookup: (id: number) => number;
  table: Int32Array | null;
}

const MAX_TABLE_ID = 1 << 24;

function indexSegments(labels: LabelMap): SegmentIndex {
  const d = labels.data;
  let maxId = 0;
  for (let i = 0; i < d.length; i++) if (d[i]! > maxId) maxId = d[i]!;
  if (maxId <= MAX_TABLE_ID) {
    const table = new Int32Array(maxId + 1).fill(-1);
    for (let i = 0; i < d.length; i++) table[d[i]!] = 0;
    let n = 0;
    for (let id = 1; id <= maxId; id++) if (table[id] === 0) n++;
    const ids = new Uint32Array(n);
    n = 0;
    for (let id = 1; id <= maxId; id++) if (table[id] === 0) { ids[n] = id; table[id] = n++; }
    table[0] = -1;
    return { ids, lookup: (id) => table[id]!, table };
  }
  // Very large ids: a hash map, consulted only when the id changes along a row.
  const set = new Set<number>();
  let last = -1;
  for (let i = 0; i < d.length; i++) {
    const id = d[i]!;
    if (id !== last) { if (id !== 0) set.add(id); last = id; }
  }
  const ids = Uint32Array.from(set).sort();
  const map = new Map<number, number>();
  ids.forEach((id, i) => map.set(id, i));
  return { ids, lookup: (id) => (id === 0 ? -1 : map.get(id) ?? -1), table: null };
}

function fullRange(data: GreyImage['data']): number {
  return data instanceof Uint8Array ? 255 : data instanceof Uint16Array ? 65535 : 1;
}

/** Growable Int32 list for the per-row extents of each segment (used for convex hulls). */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push4(a: number, b: number, c: number, d: number): void {
    if (this.length + 4 > this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const o = this.length;
    this.data[o] = a;
    this.data[o + 1] = b;
    this.data[o + 2] = c;
    this.data[o + 3] = d;
    this.length += 4;
  }
}

function sumSquaresTo(m: number): number {
  return (m * (m + 1) * (2 * m + 1)) / 6;
}

function loadValues(img: GreyImage['data'], offset: number, width: number, out: Float64Array): void {
  for (let x = 0; x < width; x++) out[x] = img[offset + x]!;
}

function loadSegmentsByTable(lab: Uint32Array, offset: number, width: number, table: Int32Array, out: Int32Array): void {
  for (let x = 0; x < width; x++) out[x] = table[lab[offset + x]!]!;
}

function loadSegmentsByLookup(lab: Uint32Array, offset: number, width: number, lookup: (id: number) => number, out: Int32Array): void {
  let last = -1;
  let lastS = -1;
  for (let x = 0; x < width; x++) {
    const id = lab[offset + x]!;
    if (id !== last) { last = id; lastS = lookup(id); }
    out[x] = lastS;
  }
}

interface AccumulatorConfig {
  intensity: boolean;
  texture: boolean;
  shape: boolean;
  boundary: boolean;
  bins: number;
  binScale: number;
  vmin: number;
  ref: number;
}

/**
 * Per-segment sums gathered row by row. A class with typed-array fields keeps the hot loop
 * monomorphic so the engine optimises it once, whatever the image type.
 */
class Accumulator {
  readonly area: Float64Array;
  readonly sumV: Float64Array;
  readonly sumVV: Float64Array;
  readonly hist: Uint32Array;
  readonly lbp: Uint32Array;
  readonly lbpCount: Float64Array;
  readonly perim: Float64Array;
  readonly bSum: Float64Array;
  readonly bAbs: Float64Array;
  readonly bCount: Float64Array;
  readonly mx: Float64Array;
  readonly my: Float64Array;
  readonly mxx: Float64Array;
  readonly myy: Float64Array;
  readonly mxy: Float64Array;
  /** (segment, row, first x, last x) per row a segment appears in; feeds the convex hulls. */
  readonly extents = new IntList();
  readonly extRow: Int32Array;
  readonly extMin: Int32Array;
  readonly extMax: Int32Array;
  /** Pixel counts per (segment, embedding grid cell), updated per run piece. */
  readonly embCells = new Map<number, number>();
  cellX: Int32Array | null = null;
  gridCells = 0;
  private readonly width: number;
  private readonly cfg: AccumulatorConfig;

  constructor(n: number, width: number, cfg: AccumulatorConfig) {
    this.width = width;
    this.cfg = cfg;
    const f = (on: boolean) => new Float64Array(on ? n : 0);
    this.area = f(true);
    this.perim = f(true);
    this.sumV = f(cfg.intensity);
    this.sumVV = f(cfg.intensity);
    this.hist = new Uint32Array(cfg.intensity ? n * cfg.bins : 0);
    this.lbp = new Uint32Array(cfg.texture ? n * LBP_BINS : 0);
    this.lbpCount = f(cfg.texture);
    this.bSum = f(cfg.boundary);
    this.bAbs = f(cfg.boundary);
    this.bCount = f(cfg.boundary);
    this.mx = f(cfg.shape);
    this.my = f(cfg.shape);
    this.mxx = f(cfg.shape);
    this.myy = f(cfg.shape);
    this.mxy = f(cfg.shape);
    this.extRow = new Int32Array(cfg.shape ? n : 0).fill(-1);
    this.extMin = new Int32Array(cfg.shape ? n : 0);
    this.extMax = new Int32Array(cfg.shape ? n : 0);
  }

  /** Both sides of a 4-neighbour pixel pair with different segments (index -1 = background). */
  private edge(s: number, t: number, vs: number, vt: number): void {
    const d = vs - vt;
    const ad = d < 0 ? -d : d;
    const boundary = this.cfg.boundary;
    if (s >= 0) {
      this.perim[s]++;
      if (boundary) { this.bSum[s] += d; this.bAbs[s] += ad; this.bCount[s]++; }
    }
    if (t >= 0) {
      this.perim[t]++;
      if (boundary) { this.bSum[t] -= d; this.bAbs[t] += ad; this.bCount[t]++; }
    }
  }

  /** Accumulates row y run by run (a run = consecutive pixels of one segment or of background). */
  scanRow(
    y: number, height: number, prevV: Float64Array, curV: Float64Array, nextV: Float64Array,
    curS: Int32Array, nextS: Int32Array, cellRow: number,
  ): void {
    const W = this.width;
    const { intensity, texture, shape, bins, binScale, vmin, ref } = this.cfg;
    const { area, sumV, sumVV, hist, lbp, lbpCount, perim } = this;
    const hasBelow = y + 1 < height;
    const lbpRow = texture && y > 0 && hasBelow;
    let x0 = 0;
    while (x0 < W) {
      const s = curS[x0]!;
      let x1 = x0;
      while (x1 + 1 < W && curS[x1 + 1] === s) x1++;
      if (hasBelow) {
        for (let x = x0; x <= x1; x++) {
          const t = nextS[x]!;
          if (t !== s) this.edge(s, t, curV[x]!, nextV[x]!);
        }
      }
      if (x1 + 1 < W) this.edge(s, curS[x1 + 1]!, curV[x1]!, curV[x1 + 1]!);
      if (s >= 0) {
        const len = x1 - x0 + 1;
        area[s] += len;
        // Image border edges.
        if (y === 0) perim[s] += len;
        if (!hasBelow) perim[s] += len;
        if (x0 === 0) perim[s]++;
        if (x1 + 1 === W) perim[s]++;
        if (intensity) {
          let sv = 0;
          let svv = 0;
          const o = s * bins;
          for (let x = x0; x <= x1; x++) {
            const v = curV[x]!;
            const dv = v - ref;
            sv += dv;
            svv += dv * dv;
            let b = ((v - vmin) * binScale) | 0;
            if (b >= bins) b = bins - 1;
            hist[o + b]++;
          }
          sumV[s] += sv;
          sumVV[s] += svv;
        }
        if (lbpRow) {
          const xa = x0 > 0 ? x0 : 1;
          const xb = x1 < W - 1 ? x1 : W - 2;
          const o = s * LBP_BINS;
          for (let x = xa; x <= xb; x++) {
            const v = curV[x]!;
            // +(a >= b) compiles without branches; ternaries mispredict on noisy pixels (4x slower).
            const code =
              +(prevV[x - 1]! >= v) | (+(prevV[x]! >= v) << 1) | (+(prevV[x + 1]! >= v) << 2) |
              (+(curV[x + 1]! >= v) << 3) | (+(nextV[x + 1]! >= v) << 4) | (+(nextV[x]! >= v) << 5) |
              (+(nextV[x - 1]! >= v) << 6) | (+(curV[x - 1]! >= v) << 7);
            lbp[o + LBP_LABEL[code]!]++;
          }
          if (xb >= xa) lbpCount[s] += xb - xa + 1;
        }
        if (shape) this.addRun(s, y, x0, x1);
        if (this.cellX) this.addRunCells(s, cellRow, x0, x1);
      }
      x0 = x1 + 1;
    }
  }

  private addRun(s: number, y: number, x0: number, x1: number): void {
    const len = x1 - x0 + 1;
    const sx = (len * (x0 + x1)) / 2;
    this.mx[s] += sx;
    this.my[s] += len * y;
    this.mxx[s] += sumSquaresTo(x1) - sumSquaresTo(x0 - 1);
    this.myy[s] += len * y * y;
    this.mxy[s] += sx * y;
    if (this.extRow[s] !== y) {
      if (this.extRow[s]! >= 0) this.extents.push4(s, this.extRow[s]!, this.extMin[s]!, this.extMax[s]!);
      this.extRow[s] = y;
      this.extMin[s] = x0;
    }
    this.extMax[s] = x1;
  }

  private addRunCells(s: number, cellRow: number, x0: number, x1: number): void {
    const cellX = this.cellX!;
    let xa = x0;
    while (xa <= x1) {
      const c = cellX[xa]!;
      let xb = xa;
      while (xb + 1 <= x1 && cellX[xb + 1] === c) xb++;
      const key = s * this.gridCells + cellRow + c;
      this.embCells.set(key, (this.embCells.get(key) ?? 0) + (xb - xa + 1));
      xa = xb + 1;
    }
  }

  /** Flushes the last row extent of every segment. */
  finish(): void {
    for (let s = 0; s < this.extRow.length; s++) {
      if (this.extRow[s]! >= 0) this.extents.push4(s, this.extRow[s]!, this.extMin[s]!, this.extMax[s]!);
      this.extRow[s] = -1;
    }
  }
}

/**
 * Computes the selected feature groups for every segment of `labels` from the raw intensities of
 * `image` (same size). Segments are the distinct non-zero ids; rows are in ascending id order.
 *
 * - intensity: mean, population std, and the 10th/50th/90th percentiles (numpy's linear
 *   interpolation; exact for integer images whose value range fits the per-segment histogram,
 *   otherwise interpolated within histogram bins of at most range/4096).
 * - texture: normalised histogram of rotation-invariant uniform LBP codes of the segment's pixels
 *   (interior pixels of the image only).
 * - shape: area (px), perimeter (crack length: pixel edges shared with other ids or the image
 *   border), equivalent diameter, eccentricity and aspect ratio of the ellipse with the same second
 *   moments (pixels taken as unit squares, so a single pixel is a circle), solidity = area over the
 *   number of pixel centres inside the convex hull of the segment's pixel centres (exactly 1 for
 *   digitally convex shapes such as digitised discs and rectangles; a hull of pixel-square corners
 *   would instead rate a radius-10 disc at about 0.92).
 * - boundary: mean of (inside - outside) and of |inside - outside| over 4-neighbour pixel pairs that
 *   straddle the segment's boundary (neighbours may be other segments or background).
 * - embedding: the SAM embedding averaged over the grid cells under the segment, weighted by pixel count.
 */
export function segmentFeatures(image: GreyImage, labels: LabelMap, options: FeatureOptions = {}): FeatureMatrix {
  const W = labels.width;
  const H = labels.height;
  if (image.width !== W || image.height !== H) {
    throw new ServiceError('invalid-argument', `Image (${image.width}x${image.height}) and label map (${W}x${H}) differ in size; features need both at the same size.`);
  }
  const groups = [...new Set(options.groups ?? DEFAULT_FEATURE_GROUPS)];
  const want = (g: FeatureGroup) => groups.includes(g);
  const wantIntensity = want('intensity');
  const wantTexture = want('texture');
  const wantShape = want('shape');
  const wantBoundary = want('boundary');
  const emb = want('embedding') ? options.embedding : undefined;
  if (want('embedding') && !emb) {
    throw new ServiceError('invalid-argument', 'The embedding feature group needs the image embedding; compute it first or leave the group out.');
  }
  const embChannels = emb?.channels ?? 256;
  const embGrid = emb?.grid ?? 64;
  if (emb && emb.data.length !== embChannels * embGrid * embGrid) {
    throw new ServiceError('invalid-argument', `The embedding has ${emb.data.length} values, expected ${embChannels}x${embGrid}x${embGrid}.`);
  }

  const { ids, lookup, table } = indexSegments(labels);
  const n = ids.length;
  const img = image.data;
  const scale = options.unitIntensity ? 1 / fullRange(img) : 1;

  // Histogram bins for percentiles: unit bins for integer images when they fit; memory stays
  // below 2^24 counters whatever the segment count.
  let vmin = Infinity;
  let vmax = -Infinity;
  for (let i = 0; i < img.length; i++) {
    const v = img[i]!;
    if (v < vmin) vmin = v;
    if (v > vmax) vmax = v;
  }
  if (img.length === 0) { vmin = 0; vmax = 0; }
  const maxBins = Math.max(16, Math.min(4096, Math.floor((1 << 24) / Math.max(1, n))));
  const integer = !(img instanceof Float32Array);
  const unitBins = (integer && vmax - vmin + 1 <= maxBins) || vmax === vmin;
  const bins = wantIntensity ? (unitBins ? vmax - vmin + 1 : maxBins) : 0;
  const binScale = unitBins ? 1 : vmax > vmin ? bins / (vmax - vmin) : 0;

  const acc = new Accumulator(n, W, {
    intensity: wantIntensity, texture: wantTexture, shape: wantShape, boundary: wantBoundary,
    bins, binScale, vmin, ref: (vmin + vmax) / 2,
  });
  const gridCells = embGrid * embGrid;
  let cellYScale = 0;
  if (emb) {
    // Label-map pixel -> image pixel -> grid cell (grid / longest side of the image).
    const s = embGrid / Math.max(emb.imageWidth, emb.imageHeight);
    const sx = (emb.imageWidth / W) * s;
    cellYScale = (emb.imageHeight / H) * s;
    const cellX = new Int32Array(W);
    for (let x = 0; x < W; x++) cellX[x] = Math.min(embGrid - 1, Math.floor(x * sx));
    acc.cellX = cellX;
    acc.gridCells = gridCells;
  }

  // Three rows of values (for LBP) and two rows of segment indices (for the pixel below).
  let prevV = new Float64Array(W);
  let curV = new Float64Array(W);
  let nextV = new Float64Array(W);
  let curS = new Int32Array(W);
  let nextS = new Int32Array(W);
  const loadRow = (y: number, vals: Float64Array, segs: Int32Array) => {
    loadValues(img, y * W, W, vals);
    if (table) loadSegmentsByTable(labels.data, y * W, W, table, segs);
    else loadSegmentsByLookup(labels.data, y * W, W, lookup, segs);
  };
  if (H > 0) loadRow(0, curV, curS);
  for (let y = 0; y < H; y++) {
    if (y + 1 < H) loadRow(y + 1, nextV, nextS);
    const cellRow = emb ? Math.min(embGrid - 1, Math.floor(y * cellYScale)) * embGrid : 0;
    acc.scanRow(y, H, prevV, curV, nextV, curS, nextS, cellRow);
    const tv = prevV; prevV = curV; curV = nextV; nextV = tv;
    const ts = curS; curS = nextS; nextS = ts;
  }
  acc.finish();
  const { area, sumV, sumVV, hist, lbp, lbpCount, perim, bSum, bAbs, bCount, mx, my, mxx, myy, mxy, extents, embCells } = acc;
  const ref = (vmin + vmax) / 2;

  // Assemble columns.
  const names: string[] = [];
  const colGroups: FeatureGroup[] = [];
  for (const g of groups) {
    // Channel columns come from the elemental maps, joined by the caller (app/channels).
    if (g === 'channels') continue;
    const gNames = g === 'embedding' ? Array.from({ length: embChannels }, (_, i) => `sam${i}`) : GROUP_NAMES[g];
    for (const name of gNames) { names.push(name); colGroups.push(g); }
  }
  const cols = names.length;
  const out = new Float64Array(n * cols);
  const hullPixels = wantShape ? convexHullPixelCounts(n, extents) : null;
  const embSums = emb ? embeddingMeans(n, embCells, emb.data, embChannels, gridCells, area) : null;

  for (let s = 0; s < n; s++) {
    let c = s * cols;
    const a = area[s]!;
    for (const g of groups) {
      if (g === 'intensity') {
        const mean = sumV[s]! / a;
        const variance = Math.max(0, sumVV[s]! / a - mean * mean);
        out[c++] = (mean + ref) * scale;
        out[c++] = Math.sqrt(variance) * scale;
        const [p10, p50, p90] = histogramPercentiles(hist, s * bins, bins, a, unitBins, vmin, binScale, [0.1, 0.5, 0.9]);
        out[c++] = p10! * scale;
        out[c++] = p50! * scale;
        out[c++] = p90! * scale;
      } else if (g === 'texture') {
        const cnt = lbpCount[s]!;
        for (let b = 0; b < LBP_BINS; b++) out[c++] = cnt > 0 ? lbp[s * LBP_BINS + b]! / cnt : 0;
      } else if (g === 'shape') {
        const cx = mx[s]! / a;
        const cy = my[s]! / a;
        // Pixels as unit squares: each adds 1/12 to the variance along x and y.
        const vxx = mxx[s]! / a - cx * cx + 1 / 12;
        const vyy = myy[s]! / a - cy * cy + 1 / 12;
        const vxy = mxy[s]! / a - cx * cy;
        const half = (vxx + vyy) / 2;
        const root = Math.sqrt(((vxx - vyy) / 2) ** 2 + vxy * vxy);
        const l1 = half + root;
        const l2 = Math.max(half - root, 1e-12);
        out[c++] = a;
        out[c++] = perim[s]!;
        out[c++] = Math.sqrt((4 * a) / Math.PI);
        out[c++] = Math.sqrt(Math.max(0, 1 - l2 / l1));
        out[c++] = Math.min(1, a / hullPixels![s]!);
        out[c++] = Math.sqrt(l1 / l2);
      } else if (g === 'boundary') {
        const bc = bCount[s]!;
        out[c++] = bc > 0 ? (bSum[s]! / bc) * scale : 0;
        out[c++] = bc > 0 ? (bAbs[s]! / bc) * scale : 0;
      } else {
        out.set(embSums!.subarray(s * embChannels, (s + 1) * embChannels), c);
        c += embChannels;
      }
    }
  }
  return { segmentIds: ids, names, groups: colGroups, data: out };
}

/**
 * Percentiles (numpy 'linear') from one segment's histogram. With unit bins the value of each rank
 * is exact; otherwise values are spread evenly inside their bin.
 */
function histogramPercentiles(
  hist: Uint32Array, offset: number, bins: number, count: number, unitBins: boolean,
  vmin: number, binScale: number, ps: readonly number[],
): number[] {
  if (count <= 0) return ps.map(() => 0);
  // Ranks needed (lo and lo + 1 for each percentile), ascending.
  const want: number[] = [];
  for (const p of ps) {
    const pos = p * (count - 1);
    want.push(Math.floor(pos), Math.min(count - 1, Math.floor(pos) + 1));
  }
  const order = want.map((r, i) => [r, i] as const).sort((a, b) => a[0] - b[0]);
  const values = new Array<number>(want.length).fill(0);
  let cum = 0;
  let k = 0;
  for (let b = 0; b < bins && k < order.length; b++) {
    const h = hist[offset + b]!;
    if (h === 0) continue;
    while (k < order.length && order[k]![0] < cum + h) {
      const r = order[k]![0];
      values[order[k]![1]] = unitBins ? vmin + b : vmin + (b + (r - cum + 0.5) / h) / binScale;
      k++;
    }
    cum += h;
  }
  return ps.map((p, i) => {
    const pos = p * (count - 1);
    const frac = pos - Math.floor(pos);
    const lo = values[2 * i]!;
    const hi = values[2 * i + 1]!;
    return lo + frac * (hi - lo);
  });
}

/** Mean embedding vector per segment, weighting each grid cell by the segment's pixels in it. */
function embeddingMeans(
  n: number, cells: Map<number, number>, emb: Float32Array, channels: number, gridCells: number, area: Float64Array,
): Float64Array {
  const out = new Float64Array(n * channels);
  for (const [key, count] of cells) {
    const s = Math.floor(key / gridCells);
    const cell = key - s * gridCells;
    const o = s * channels;
    for (let ch = 0; ch < channels; ch++) out[o + ch] += count * emb[ch * gridCells + cell]!;
  }
  for (let s = 0; s < n; s++) {
    const a = area[s]!;
    if (a > 0) for (let ch = 0; ch < channels; ch++) out[s * channels + ch] /= a;
  }
  return out;
}
