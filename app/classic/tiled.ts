// The classic engine's phase mode on a large image, tile by tile: the thresholds are decided once
// for the whole image, each tile is classified and cleaned (small regions merged) with a margin of
// overlap around it, its core is labelled on its own, and regions cut by tile borders are joined
// back by a union of the ids that touch across each border. The result is the untiled one: the
// same ids (consecutive, in raster order of each region's first pixel) on the same pixels, except
// where small-region merging breaks a tie between two equally long borders by a neighbour's area
// that the tile sees cut off (rare; the test bounds it).
//
// Grain mode (segmentGrainsTiled) goes in two sweeps. The first computes the boundary evidence of
// each tile's core from the tile plus a margin of the filters' reach, which is exactly the
// whole-image evidence; the working scale, the boundary style and the boundary threshold are then
// decided once for the whole image as in segmentClassicDetailed. The second sweep runs seeds,
// watershed and merging on each tile plus a wider margin (`overlap`), keeps the tile's core, and
// joins two grains on either side of a tile border where the tile on either side sees the two
// border pixels in one grain. This is the whole-image result wherever the margin holds what the
// watershed of a core pixel depends on (distance to the nearest boundary, the grain's seed and what
// floods it), in practice when the margin is at least the size of the largest grain. The distance
// transform, its h-maxima and the flood are not local: a grain larger than the margin can lose its
// seed in a tile (its seed lies outside the window, so its part in the core is flooded from a
// neighbour's seed), and a gap in a boundary lets a depth outside the window decide a seed. Then
// grains merge or split differently from the whole-image map; the test bounds that by the adjusted
// Rand index and checks that no grain is cut along a tile line. (Counting the window's cut edges
// as boundary was tried: it trades these errors for others, seeds lost near window edges.)
import type { GreyImage, RasterImage } from '../types';
import { labelRegions, mergeSmallRegions, UnionFind } from './components';
import { gaussianBlur } from './filters';
import { histogram, otsuFromHistogram } from './threshold';
import { quantize } from './watershed';
import {
  applyPhaseRule,
  CLASSIC_DEFAULTS,
  grainEvidence,
  grainMergeContrast,
  grainScale,
  grainsFromBoundary,
  grainSmoothed,
  grainStyle,
  phaseRule,
  resolveSettings,
  toGrey,
  type ClassicImage,
  type ClassicProgress,
  type ClassicResult,
  type ClassicSettings,
  type PhaseRule,
} from './index';

export interface Tiling {
  /** Core size of a tile (px a side). */
  tile: number;
  /** Margin around each core (px), raised to what the settings need (minArea, adaptive window, smoothing). */
  overlap: number;
}

export const DEFAULT_TILING: Tiling = { tile: 2048, overlap: 64 };

/** Grain mode's tiles: the watershed of a core pixel reads further than phase mode's cleaning. */
export const DEFAULT_GRAIN_TILING: Tiling = { tile: 2048, overlap: 256 };

function crop(src: GreyImage, x0: number, y0: number, w: number, h: number): GreyImage {
  const Ctor = src.data.constructor as new (n: number) => GreyImage['data'];
  const data = new Ctor(w * h);
  for (let y = 0; y < h; y++) data.set(src.data.subarray((y0 + y) * src.width + x0, (y0 + y) * src.width + x0 + w), y * w);
  return { width: w, height: h, data };
}

/** Margin a tile needs so its core is classified and cleaned as in the whole image. */
export function neededOverlap(o: ClassicSettings, overlap: number): number {
  const sigma = o.sigma ?? 0;
  const adaptive = (o.threshold ?? CLASSIC_DEFAULTS.threshold) === 'adaptive';
  // A region that reaches a core from outside its tile has at least `overlap` pixels inside it,
  // so with overlap >= minArea it is never taken for a small one.
  return Math.max(overlap, o.minArea ?? 16, adaptive ? ((o.blockSize ?? CLASSIC_DEFAULTS.blockSize) >> 1) + 1 : 0, sigma > 0 ? Math.ceil(4 * sigma) + 1 : 0);
}

/**
 * One tile of phase mode: `window` (the tile's core plus its margin, already smoothed) classified
 * by the whole image's rule and cleaned, then the core (at cx, cy, cw x ch in the window) labelled
 * on its own (8-connected, `background` class left 0). Exported for the mosaic path, which reads
 * its windows from the file (main/tiles/segment-mosaic.ts).
 */
export function phaseTile(window: GreyImage, rule: PhaseRule, minArea: number, cx: number, cy: number, cw: number, ch: number, background: number | null): { core: Uint8Array; local: ReturnType<typeof labelRegions> } {
  const ew = window.width;
  // The adaptive window reads the margin too; a whole-image rule is applied to the cut-out.
  let cls = applyPhaseRule(window, rule);
  // A window of one class (blank stretches of a mosaic) is one region or none: no cleaning, no flood.
  const v = cls[0]!;
  if (cls.every((c) => c === v)) {
    const only = v !== background;
    return { core: new Uint8Array(cw * ch).fill(v), local: { labels: new Uint32Array(cw * ch).fill(only ? 1 : 0), count: only ? 1 : 0 } };
  }
  if (minArea > 1) cls = mergeSmallRegions(ew, window.height, cls, minArea);
  const core = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) core.set(cls.subarray((cy + y) * ew + cx, (cy + y) * ew + cx + cw), y * cw);
  return { core, local: labelRegions(cw, ch, core, 8, background) };
}

/** Phase-mode segmentation (segmentClassicDetailed with mode 'phase') computed tile by tile. */
export function segmentPhasesTiled(image: ClassicImage, options: ClassicSettings, tiling: Tiling = DEFAULT_TILING, progress?: ClassicProgress): ClassicResult {
  if ((options.mode ?? 'phase') !== 'phase') throw new RangeError('tiled classic segmentation supports phase mode');
  const { width, height } = image;
  const minArea = options.minArea ?? 16;
  const grey = toGrey(image);
  const sigma = options.sigma ?? 0;
  // Smoothing and the thresholds are whole-image steps (one pass each, no per-region state).
  const src: GreyImage = sigma > 0 ? gaussianBlur(grey, sigma) : grey;
  const rule = phaseRule(src, options);
  const background = options.labelBackground ? null : options.invert ? rule.classes - 1 : 0;
  const size = Math.max(16, Math.floor(tiling.tile));
  const halo = neededOverlap(options, tiling.overlap);
  const cols = Math.ceil(width / size);
  const rows = Math.ceil(height / size);
  const classMap = new Uint8Array(width * height);
  const labels = new Uint32Array(width * height);
  let next = 0;
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      progress?.(ty * cols + tx, rows * cols + 1, `tile ${ty * cols + tx + 1} of ${rows * cols}`);
      const x0 = tx * size;
      const y0 = ty * size;
      const x1 = Math.min(width, x0 + size);
      const y1 = Math.min(height, y0 + size);
      const ex0 = Math.max(0, x0 - halo);
      const ey0 = Math.max(0, y0 - halo);
      const ew = Math.min(width, x1 + halo) - ex0;
      const eh = Math.min(height, y1 + halo) - ey0;
      const cw = x1 - x0;
      const ch = y1 - y0;
      const { core, local } = phaseTile(crop(src, ex0, ey0, ew, eh), rule, minArea, x0 - ex0, y0 - ey0, cw, ch, background);
      for (let y = 0; y < ch; y++) {
        const row = (y0 + y) * width + x0;
        classMap.set(core.subarray(y * cw, (y + 1) * cw), row);
        for (let x = 0; x < cw; x++) {
          const l = local.labels[y * cw + x]!;
          labels[row + x] = l === 0 ? 0 : l + next;
        }
      }
      next += local.count;
    }
  }
  // Join ids across tile borders (8-connected, equal class), then number regions in raster order.
  const sets = UnionFind.identity(next);
  const join = (i: number, j: number) => {
    const a = labels[i]!;
    const b = labels[j]!;
    if (a === 0 || b === 0 || a === b || classMap[i] !== classMap[j]) return;
    sets.union(a, b);
  };
  for (let bx = size; bx < width; bx += size) {
    for (let y = 0; y < height; y++) {
      const i = y * width + bx - 1;
      for (const dy of [-1, 0, 1]) if (y + dy >= 0 && y + dy < height) join(i, i + 1 + dy * width);
    }
  }
  for (let by = size; by < height; by += size) {
    for (let x = 0; x < width; x++) {
      const i = (by - 1) * width + x;
      for (const dx of [-1, 0, 1]) if (x + dx >= 0 && x + dx < width) join(i, i + width + dx);
    }
  }
  const remap = new Uint32Array(next + 1);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const r = sets.find(l);
    if (remap[r] === 0) remap[r] = ++count;
    labels[i] = remap[r]!;
  }
  const segmentClass = new Uint8Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) segmentClass[labels[i]!] = classMap[i]!;
  progress?.(rows * cols + 1, rows * cols + 1, 'done');
  return { labels: { width, height, data: labels }, segmentClass, thresholds: rule.kind === 'otsu' ? rule.thresholds : [] };
}

/** A window of a grey or multi-channel image. */
function cropImage(src: ClassicImage, x0: number, y0: number, w: number, h: number): ClassicImage {
  if (!('channels' in src)) return crop(src, x0, y0, w, h);
  const c = src.channels;
  const Ctor = src.data.constructor as new (n: number) => RasterImage['data'];
  const data = new Ctor(w * h * c);
  for (let y = 0; y < h; y++) data.set(src.data.subarray(((y0 + y) * src.width + x0) * c, ((y0 + y) * src.width + x0 + w) * c), y * w * c);
  return { ...src, width: w, height: h, data };
}

function cropArray<T extends Uint8Array | Float32Array>(src: T, width: number, x0: number, y0: number, w: number, h: number): T {
  const out = new (src.constructor as new (n: number) => T)(w * h);
  for (let y = 0; y < h; y++) out.set(src.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return out;
}

interface Window {
  /** Core. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Core plus margin, clipped to the image. */
  ex0: number;
  ey0: number;
  ew: number;
  eh: number;
}

function windows(width: number, height: number, size: number, margin: number): Window[][] {
  const rows: Window[][] = [];
  for (let y0 = 0; y0 < height; y0 += size) {
    const row: Window[] = [];
    for (let x0 = 0; x0 < width; x0 += size) {
      const x1 = Math.min(width, x0 + size);
      const y1 = Math.min(height, y0 + size);
      const ex0 = Math.max(0, x0 - margin);
      const ey0 = Math.max(0, y0 - margin);
      row.push({ x0, y0, x1, y1, ex0, ey0, ew: Math.min(width, x1 + margin) - ex0, eh: Math.min(height, y1 + margin) - ey0 });
    }
    rows.push(row);
  }
  return rows;
}

/**
 * Grain-mode segmentation (segmentClassicDetailed with mode 'grain') computed tile by tile; see the
 * comment at the top for what equals the whole-image result. Canny boundaries are refused (their
 * hysteresis follows edges across the whole image): use the whole-image path for them.
 */
export function segmentGrainsTiled(image: ClassicImage, options: ClassicSettings, tiling: Tiling = DEFAULT_GRAIN_TILING, progress?: ClassicProgress): ClassicResult {
  const o = resolveSettings({ ...options, mode: 'grain' });
  if (o.boundaries === 'canny') throw new RangeError('tiled grain segmentation uses threshold boundaries; segment with Canny boundaries as a whole image');
  const { width, height } = image;
  const n = width * height;
  const size = Math.max(16, Math.floor(tiling.tile));
  const sigma = o.sigma ?? 1;
  const lw = Math.max(1, Math.round(o.lineWidth));
  // Reach of the evidence filters: Gaussian (truncated at 4 sigma), closing (2 x line width), Sobel.
  const reach = (sigma > 0 ? Math.ceil(4 * sigma) + 1 : 0) + 2 * lw + 2;
  const margin = Math.max(tiling.overlap, reach);
  const grid1 = windows(width, height, size, reach);
  const grid2 = windows(width, height, size, margin);
  const rows = grid1.length;
  const cols = grid1[0]!.length;
  const total = 2 * rows * cols + 1;
  let done = 0;

  // Sweep 1: boundary evidence per core, from the core plus the filters' reach.
  const { lo, scale } = grainScale(image);
  let relief: Float32Array | null = new Float32Array(n);
  const needDark = o.boundaryStyle !== 'edges';
  let dark: Float32Array | null = needDark ? new Float32Array(n) : null;
  for (const row of grid1) {
    for (const w of row) {
      progress?.(done++, total, `boundaries, tile ${done} of ${rows * cols}`);
      const { smoothed, sLum } = grainSmoothed(cropImage(image, w.ex0, w.ey0, w.ew, w.eh), lo, scale, o);
      const ev = grainEvidence(w.ew, w.eh, smoothed, sLum, o);
      for (let y = w.y0; y < w.y1; y++) {
        const from = (y - w.ey0) * w.ew + (w.x0 - w.ex0);
        relief.set(ev.gradient.subarray(from, from + w.x1 - w.x0), y * width + w.x0);
        dark?.set(ev.dark.data.subarray(from, from + w.x1 - w.x0), y * width + w.x0);
      }
    }
  }
  const style = dark ? grainStyle({ width, height, data: dark }, o) : 'edges';
  if (style === 'lines' && dark) for (let i = 0; i < n; i++) relief[i] = relief[i]! + dark[i]!;
  dark = null;
  const t = otsuFromHistogram(histogram(relief));
  const boundary = new Uint8Array(n);
  for (let i = 0; i < n; i++) boundary[i] = relief[i]! > t ? 1 : 0;
  const levels = quantize(relief, 256) as Uint8Array;
  relief = null; // sweep 2 needs only the boundary mask and the levels
  const contrast = grainMergeContrast(o, style, 'channels' in image && image.channels >= 3 ? 3 : 1);

  // Sweep 2: grains per tile plus margin; the core is kept, and each tile also notes how it labels
  // the pixels just outside its core (its neighbours' border pixels), for the joins below.
  const labels = new Uint32Array(n);
  const seamV = Array.from({ length: cols - 1 }, () => ({ fromLeft: new Uint32Array(height), fromRight: new Uint32Array(height) }));
  const seamH = Array.from({ length: rows - 1 }, () => ({ fromTop: new Uint32Array(width), fromBottom: new Uint32Array(width) }));
  let next = 0;
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      progress?.(done++, total, `grains, tile ${ty * cols + tx + 1} of ${rows * cols}`);
      const w = grid2[ty]![tx]!;
      let smoothed: Float32Array[] | null = null;
      if (contrast > 0) {
        // Smoothed values for merging by contrast, from the window plus the blur's reach.
        const r = sigma > 0 ? Math.ceil(4 * sigma) + 1 : 0;
        const sx0 = Math.max(0, w.ex0 - r);
        const sy0 = Math.max(0, w.ey0 - r);
        const sw = Math.min(width, w.ex0 + w.ew + r) - sx0;
        const sh = Math.min(height, w.ey0 + w.eh + r) - sy0;
        const s = grainSmoothed(cropImage(image, sx0, sy0, sw, sh), lo, scale, o).smoothed;
        smoothed = s.map((c) => cropArray(c, sw, w.ex0 - sx0, w.ey0 - sy0, w.ew, w.eh));
      }
      const local = grainsFromBoundary(
        w.ew,
        w.eh,
        cropArray(boundary, width, w.ex0, w.ey0, w.ew, w.eh),
        cropArray(levels, width, w.ex0, w.ey0, w.ew, w.eh),
        smoothed,
        o,
        style,
        Math.max(width, height),
      );
      let maxLocal = 0;
      for (let i = 0; i < local.length; i++) if (local[i]! > maxLocal) maxLocal = local[i]!;
      const at = (x: number, y: number) => {
        const l = local[(y - w.ey0) * w.ew + (x - w.ex0)]!;
        return l === 0 ? 0 : l + next;
      };
      for (let y = w.y0; y < w.y1; y++) for (let x = w.x0; x < w.x1; x++) labels[y * width + x] = at(x, y);
      if (tx > 0) for (let y = w.y0; y < w.y1; y++) seamV[tx - 1]!.fromRight[y] = at(w.x0 - 1, y);
      if (tx < cols - 1) for (let y = w.y0; y < w.y1; y++) seamV[tx]!.fromLeft[y] = at(w.x1, y);
      if (ty > 0) for (let x = w.x0; x < w.x1; x++) seamH[ty - 1]!.fromBottom[x] = at(x, w.y0 - 1);
      if (ty < rows - 1) for (let x = w.x0; x < w.x1; x++) seamH[ty]!.fromTop[x] = at(x, w.y1);
      next += maxLocal;
    }
  }

  // Join grains across tile borders: pixels p | q on either side belong together when the tile of
  // p or the tile of q puts both in one grain.
  const sets = UnionFind.identity(next);
  const join = (a: number, b: number) => {
    if (a === 0 || b === 0) return;
    sets.union(a, b);
  };
  for (let s = 0; s < cols - 1; s++) {
    const bx = (s + 1) * size;
    const { fromLeft, fromRight } = seamV[s]!;
    for (let y = 0; y < height; y++) {
      const a = labels[y * width + bx - 1]!;
      const b = labels[y * width + bx]!;
      if (fromLeft[y] === a || fromRight[y] === b) join(a, b);
    }
  }
  for (let s = 0; s < rows - 1; s++) {
    const by = (s + 1) * size;
    const { fromTop, fromBottom } = seamH[s]!;
    for (let x = 0; x < width; x++) {
      const a = labels[(by - 1) * width + x]!;
      const b = labels[by * width + x]!;
      if (fromTop[x] === a || fromBottom[x] === b) join(a, b);
    }
  }
  const remap = new Uint32Array(next + 1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const r = sets.find(l);
    if (remap[r] === 0) remap[r] = ++count;
    labels[i] = remap[r]!;
  }
  progress?.(total, total, 'done');
  return { labels: { width, height, data: labels }, segmentClass: new Uint8Array(count + 1), thresholds: [], boundaryStyle: style };
}
