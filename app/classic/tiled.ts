// The classic engine's phase mode on a large image, tile by tile: the thresholds are decided once
// for the whole image, each tile is classified and cleaned (small regions merged) with a margin of
// overlap around it, its core is labelled on its own, and regions cut by tile borders are joined
// back by a union of the ids that touch across each border. The result is the untiled one: the
// same ids (consecutive, in raster order of each region's first pixel) on the same pixels, except
// where small-region merging breaks a tie between two equally long borders by a neighbour's area
// that the tile sees cut off (rare; the test bounds it).
import type { GreyImage } from '../types';
import { labelRegions, mergeSmallRegions } from './components';
import { gaussianBlur } from './filters';
import { applyPhaseRule, CLASSIC_DEFAULTS, phaseRule, toGrey, type ClassicImage, type ClassicProgress, type ClassicResult, type ClassicSettings } from './index';

export interface Tiling {
  /** Core size of a tile (px a side). */
  tile: number;
  /** Margin around each core (px), raised to what the settings need (minArea, adaptive window, smoothing). */
  overlap: number;
}

export const DEFAULT_TILING: Tiling = { tile: 2048, overlap: 64 };

function crop(src: GreyImage, x0: number, y0: number, w: number, h: number): GreyImage {
  const Ctor = src.data.constructor as new (n: number) => GreyImage['data'];
  const data = new Ctor(w * h);
  for (let y = 0; y < h; y++) data.set(src.data.subarray((y0 + y) * src.width + x0, (y0 + y) * src.width + x0 + w), y * w);
  return { width: w, height: h, data };
}

/** Margin a tile needs so its core is classified and cleaned as in the whole image. */
function neededOverlap(o: ClassicSettings, overlap: number): number {
  const sigma = o.sigma ?? 0;
  const adaptive = (o.threshold ?? CLASSIC_DEFAULTS.threshold) === 'adaptive';
  // A region that reaches a core from outside its tile has at least `overlap` pixels inside it,
  // so with overlap >= minArea it is never taken for a small one.
  return Math.max(overlap, o.minArea ?? 16, adaptive ? ((o.blockSize ?? CLASSIC_DEFAULTS.blockSize) >> 1) + 1 : 0, sigma > 0 ? Math.ceil(4 * sigma) + 1 : 0);
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
      // The adaptive window reads the margin too; a whole-image rule is applied to the cut-out.
      let cls = applyPhaseRule(crop(src, ex0, ey0, ew, eh), rule);
      if (minArea > 1) cls = mergeSmallRegions(ew, eh, cls, minArea);
      const cw = x1 - x0;
      const ch = y1 - y0;
      const core = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) core.set(cls.subarray((y0 - ey0 + y) * ew + (x0 - ex0), (y0 - ey0 + y) * ew + (x0 - ex0) + cw), y * cw);
      const local = labelRegions(cw, ch, core, 8, background);
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
  const parent = new Uint32Array(next + 1);
  for (let i = 0; i <= next; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const join = (i: number, j: number) => {
    const a = labels[i]!;
    const b = labels[j]!;
    if (a === 0 || b === 0 || a === b || classMap[i] !== classMap[j]) return;
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
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
    const r = find(l);
    if (remap[r] === 0) remap[r] = ++count;
    labels[i] = remap[r]!;
  }
  const segmentClass = new Uint8Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) segmentClass[labels[i]!] = classMap[i]!;
  progress?.(rows * cols + 1, rows * cols + 1, 'done');
  return { labels: { width, height, data: labels }, segmentClass, thresholds: rule.kind === 'otsu' ? rule.thresholds : [] };
}
