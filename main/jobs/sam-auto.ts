// SAM "segment everything" for one image, independent of where the model runs: crops -> prompts
// (MatSAM or SAM's grid) -> batched decoding through a backend -> predicted-IoU / stability / crop-edge
// filters -> NMS within and across crops -> one label map (better masks win) -> optional gap filling.
// Runs inside the segmentation worker (main/jobs/segment.worker.ts), which forwards embed/decode calls
// to the SAM engine on the service thread; tests and benchmarks call it in-process.
import type { SamAutoOptions, SamAutoStats } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import { toGrey } from '../../app/image/display';
import {
  assembleLabelMap,
  candidateFromLogits,
  defaultMatsamOptions,
  fillGaps,
  generateCropBoxes,
  generateTileCrops,
  gridPrompts,
  layerPointsPerSide,
  matsamPrompts,
  nmsAcrossCrops,
  nmsWithinCrops,
  SAM_TILE,
  scanLogits,
  shouldDropMaskAtCropEdge,
  type CandidateMask,
  type CropBox,
  type MatsamStats,
  type Point,
} from '../../app/segment';
import type { Box, GreyImage, LabelMap, RasterImage } from '../../app/types';
import type { ContrastWindow, PreprocessOptions } from '../sam/preprocess';
import { resolveWindow } from '../sam/preprocess';
import type { DecodeOptions, SamDecodeResult, SamPrompt } from '../sam/runtime';
import { upscaleMask } from '../sam/upsample';

/** What embedding one crop gives the pipeline. */
export interface SamAutoEmbedded {
  /** Handle for decode. */
  handle: string;
  /** Whether the encoder ran (false: cached). */
  encoded: boolean;
  /** Size of the masks a decode with resolution 'frame' returns for this crop (the model family decides it). */
  frame: { width: number; height: number };
}

/** Where embeddings and decodes happen: the SAM engine, directly or through the worker's RPC. */
export interface SamAutoBackend {
  /**
   * Embeds one crop (index 0 = the whole image, `raster` then is the caller's image; otherwise a copy
   * the backend may keep or transfer).
   */
  embed(crop: CropBox, index: number, raster: RasterImage, preprocess: PreprocessOptions): Promise<SamAutoEmbedded>;
  decode(handle: string, prompts: SamPrompt[], options: DecodeOptions): Promise<SamDecodeResult[]>;
}

interface SamAutoHooks {
  /** `done` of `total` prompts decoded, with a stage text. */
  progress?(done: number, total: number, stage: string): void;
  isCancelled?(): boolean;
}

export type SamAutoRun = Omit<SamAutoStats, 'imageId' | 'model'>;

interface SamAutoResult {
  labels: LabelMap;
  run: SamAutoRun;
}

/** Candidates of a crop pruned by NMS whenever more than this many are pending. */
const PRUNE_AT = 256;
const MATSAM_MIN_GRID = defaultMatsamOptions.minGridPerSide;
const MATSAM_MAX_GRID = defaultMatsamOptions.maxGridPerSide;

/** Images up to this long side get no crops with cropLayers 'auto'; one more layer per doubling. */
const AUTO_CROP_MIN_SIDE = 2048;

/**
 * Crop layers for 'auto': none up to 2048 px, then one layer per doubling of the long side (4096 px:
 * 1 layer, 5 crops; 8192 px: 2 layers, 21 crops), so the finest crops are shrunk at most ~3x into
 * the 1024 frame while the number of encoder runs stays within the default budget up to 8192 px.
 */
export function autoCropLayers(width: number, height: number): number {
  const long = Math.max(width, height);
  return long <= AUTO_CROP_MIN_SIDE ? 0 : Math.ceil(Math.log2(long / AUTO_CROP_MIN_SIDE) - 1e-9);
}

/** The crops of an image, refused with what to do when they exceed the crop budget. */
export function planCrops(width: number, height: number, o: SamAutoOptions, name = 'The image'): CropBox[] {
  if (o.cropLayers === 'tiles') {
    const tiles = generateTileCrops(width, height, o.cropOverlapRatio * SAM_TILE);
    if (tiles.length > o.maxCrops) {
      throw new ServiceError(
        'too-large',
        `${name} (${width}x${height} px) needs ${tiles.length} SAM tiles of ${SAM_TILE} px but the crop budget is ${o.maxCrops} encoder runs per image. ` +
          `Raise maxCrops to ${tiles.length} (slower), set cropLayers to 'auto' (crops shrunk into the frame), or use the classic engine.`,
      );
    }
    return tiles;
  }
  const layers = o.cropLayers === 'auto' ? autoCropLayers(width, height) : o.cropLayers;
  const cropsFor = (l: number) => (4 ** (l + 1) - 1) / 3;
  const count = cropsFor(layers);
  if (count > o.maxCrops) {
    let fit = 0;
    while (cropsFor(fit + 1) <= o.maxCrops) fit++;
    throw new ServiceError(
      'too-large',
      `${name} (${width}x${height} px) needs ${count} SAM crops (${layers} crop layers) but the crop budget is ${o.maxCrops} encoder runs per image. ` +
        `Set cropLayers to ${fit} (coarser: each crop is shrunk more), raise maxCrops to ${count} (slower), or use the classic engine.`,
    );
  }
  return generateCropBoxes(width, height, layers, o.cropOverlapRatio);
}

/** A copy of a box of the raster (all channels). */
export function cropRaster(raster: RasterImage, box: Box): RasterImage {
  const { width, channels } = raster;
  const data = raster.bitDepth === 16 ? new Uint16Array(box.width * box.height * channels) : new Uint8Array(box.width * box.height * channels);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * width + box.x) * channels;
    data.set(raster.data.subarray(from, from + box.width * channels), y * box.width * channels);
  }
  return { width: box.width, height: box.height, channels, bitDepth: raster.bitDepth, data };
}

function cropGrey(grey: GreyImage, box: Box): GreyImage {
  if (box.x === 0 && box.y === 0 && box.width === grey.width && box.height === grey.height) return grey;
  const src = grey.data;
  const data = src instanceof Uint16Array ? new Uint16Array(box.width * box.height) : src instanceof Float32Array ? new Float32Array(box.width * box.height) : new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * grey.width + box.x;
    data.set(src.subarray(from, from + box.width), y * box.width);
  }
  return { width: box.width, height: box.height, data };
}

interface CropPlan {
  crop: CropBox;
  index: number;
  /** Prompts in crop-local pixel coordinates. */
  points: Point[];
  matsam: MatsamStats | null;
}

/** Prompts of one crop: SAM's grid (fewer points per side on finer layers) or MatSAM on the crop's pixels. */
function promptsForCrop(grey: GreyImage, crop: CropBox, o: SamAutoOptions): { points: Point[]; matsam: MatsamStats | null } {
  const { width: cw, height: ch } = crop.box;
  // Tiles are encoded at full resolution like a whole small image: full prompts on each.
  const layer = o.cropLayers === 'tiles' ? 0 : crop.layer;
  const perSide = layerPointsPerSide(o.pointsPerSide, layer, o.cropPointsDownscale);
  if (o.prompts === 'grid') return { points: gridPrompts(cw, ch, perSide), matsam: null };
  // Same budget ratio as the grid on every layer: a quarter of its points by default.
  const shrink = o.cropPointsDownscale ** layer;
  const budget = Math.max(1, Math.floor(o.matsamMaxPoints / (shrink * shrink)));
  const r = matsamPrompts(cropGrey(grey, crop.box), {
    mode: o.matsamMode,
    maxPoints: budget,
    minGridPerSide: Math.max(1, Math.round(MATSAM_MIN_GRID / shrink)),
    maxGridPerSide: Math.max(2, Math.round(MATSAM_MAX_GRID / shrink)),
    ...(o.matsamMinRegionArea !== undefined ? { minRegionArea: o.matsamMinRegionArea } : {}),
  });
  // The grid and border band can exceed a small budget on fine layers; region prompts come first.
  return { points: r.points.slice(0, budget), matsam: r.stats };
}

/** Frame-resolution logits of a candidate kept until it survives NMS: a window around its mask, 1/64-logit steps. */
interface FrameLogits {
  data: Int16Array;
  window: Box;
  /** The mask's box in the frame (logit > threshold). */
  box: Box;
  frameWidth: number;
  frameHeight: number;
}

type Pending = CandidateMask & { frame?: FrameLogits; cut?: boolean };

const LOGIT_SCALE = 64;
/** Frame pixels kept around a mask's box: bilinear samples reach one pixel out, box estimates two. */
const WINDOW_MARGIN = 2;

/**
 * One decoder mask at frame resolution (fw x fh logits covering the crop: the crop resized into the
 * 1024 frame, or the 256x256 low-res logits of the models that stretch the image)
 * through SAM's filters: predicted IoU and stability at frame resolution, then the crop-edge test on
 * the mask's box estimated in image pixels. The image-resolution mask is made later, only for masks
 * that survive NMS (materialize): on a large image a matrix mask upsampled for every prompt that hit
 * the matrix would take gigabytes.
 */
function frameCandidate(
  logits: Float32Array,
  fw: number,
  fh: number,
  score: number,
  crop: CropBox,
  index: number,
  imageWidth: number,
  imageHeight: number,
  o: SamAutoOptions,
  point: Point,
): Pending | null {
  if (o.predIouThresh > 0 && !(score > o.predIouThresh)) return null;
  const scan = scanLogits(logits, fw, fh, o.maskThreshold, o.stabilityScoreOffset);
  if (o.stabilityScoreThresh > 0 && !(scan.stability >= o.stabilityScoreThresh)) return null;
  if (!scan.box) return null;
  const { stability, inside } = scan;
  const x0 = scan.box.x, y0 = scan.box.y, x1 = x0 + scan.box.width - 1, y1 = y0 + scan.box.height - 1;
  const { width: cw, height: ch } = crop.box;
  const sx = cw / fw;
  const sy = ch / fh;
  const ix0 = Math.floor(x0 * sx);
  const iy0 = Math.floor(y0 * sy);
  const ix1 = Math.min(cw - 1, Math.ceil((x1 + 1) * sx) - 1);
  const iy1 = Math.min(ch - 1, Math.ceil((y1 + 1) * sy) - 1);
  const box = { x: crop.box.x + ix0, y: crop.box.y + iy0, width: ix1 - ix0 + 1, height: iy1 - iy0 + 1 };
  if (shouldDropMaskAtCropEdge(box, crop.box, imageWidth, imageHeight, o.cropEdgeTolerance)) return null;
  const wx0 = Math.max(0, x0 - WINDOW_MARGIN);
  const wy0 = Math.max(0, y0 - WINDOW_MARGIN);
  const wx1 = Math.min(fw - 1, x1 + WINDOW_MARGIN);
  const wy1 = Math.min(fh - 1, y1 + WINDOW_MARGIN);
  const window = { x: wx0, y: wy0, width: wx1 - wx0 + 1, height: wy1 - wy0 + 1 };
  const data = new Int16Array(window.width * window.height);
  for (let y = 0; y < window.height; y++) {
    const from = (wy0 + y) * fw + wx0;
    const to = y * window.width;
    for (let x = 0; x < window.width; x++) data[to + x] = Math.max(-32767, Math.min(32767, Math.round(logits[from + x]! * LOGIT_SCALE)));
  }
  return {
    box,
    mask: new Uint8Array(0),
    score,
    stability,
    cropIndex: index,
    area: Math.round(inside * sx * sy),
    point,
    frame: { data, window, box: scan.box, frameWidth: fw, frameHeight: fh },
  };
}

/** The image-resolution mask of a frame candidate (bilinear upsampling of its logit window), or null if empty. */
function materialize(p: Pending, crops: readonly CropBox[], threshold: number): CandidateMask | null {
  const f = p.frame;
  if (f === undefined) return p;
  const crop = crops[p.cropIndex]!.box;
  const m = upscaleMask(f.data, f.frameWidth, f.frameHeight, crop.width, crop.height, threshold * LOGIT_SCALE, f.box, f.window);
  if (m.area === 0) return null;
  const { frame: _frame, ...rest } = p;
  return { ...rest, box: { x: m.box.x + crop.x, y: m.box.y + crop.y, width: m.box.width, height: m.box.height }, mask: m.mask, area: m.area };
}

/** Pixels where two masks (image-frame boxes) are both on, within `within` when given. */
function overlapPixels(a: CandidateMask, b: CandidateMask, within?: Box): number {
  let x0 = Math.max(a.box.x, b.box.x);
  let y0 = Math.max(a.box.y, b.box.y);
  let x1 = Math.min(a.box.x + a.box.width, b.box.x + b.box.width);
  let y1 = Math.min(a.box.y + a.box.height, b.box.y + b.box.height);
  if (within) {
    x0 = Math.max(x0, within.x);
    y0 = Math.max(y0, within.y);
    x1 = Math.min(x1, within.x + within.width);
    y1 = Math.min(y1, within.y + within.height);
  }
  let n = 0;
  for (let y = y0; y < y1; y++) {
    const ra = (y - a.box.y) * a.box.width - a.box.x;
    const rb = (y - b.box.y) * b.box.width - b.box.x;
    for (let x = x0; x < x1; x++) if (a.mask[ra + x] && b.mask[rb + x]) n++;
  }
  return n;
}

/** Mask pixels of `a` inside a box. */
function pixelsWithin(a: CandidateMask, box: Box): number {
  const x0 = Math.max(a.box.x, box.x);
  const y0 = Math.max(a.box.y, box.y);
  const x1 = Math.min(a.box.x + a.box.width, box.x + box.width);
  const y1 = Math.min(a.box.y + a.box.height, box.y + box.height);
  let n = 0;
  for (let y = y0; y < y1; y++) {
    const r = (y - a.box.y) * a.box.width - a.box.x;
    for (let x = x0; x < x1; x++) if (a.mask[r + x]) n++;
  }
  return n;
}

/**
 * Tiles: masks cut by an inner crop edge. A piece that a mask held whole by another crop covers
 * (half its pixels or more) is that object, already kept: dropped. The other pieces belong to
 * objects no crop holds whole (larger than the overlap): pieces from different crops that agree
 * where their crops overlap (IoU >= 0.5 there) are one object, joined into one mask (the best
 * score and stability of its pieces).
 */
function stitchCutMasks(pieces: readonly CandidateMask[], whole: readonly CandidateMask[], cropBoxes: readonly Box[]): CandidateMask[] {
  const left = pieces.filter((p) => !whole.some((w) => w.cropIndex !== p.cropIndex && overlapPixels(p, w) * 2 >= p.area));
  const parent = left.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < left.length; i++) {
    for (let j = i + 1; j < left.length; j++) {
      const a = left[i]!;
      const b = left[j]!;
      if (a.cropIndex === b.cropIndex) continue;
      const ca = cropBoxes[a.cropIndex]!;
      const cb = cropBoxes[b.cropIndex]!;
      const common = { x: Math.max(ca.x, cb.x), y: Math.max(ca.y, cb.y), width: 0, height: 0 };
      common.width = Math.min(ca.x + ca.width, cb.x + cb.width) - common.x;
      common.height = Math.min(ca.y + ca.height, cb.y + cb.height) - common.y;
      if (common.width <= 0 || common.height <= 0) continue;
      const inter = overlapPixels(a, b, common);
      if (inter === 0) continue;
      const union = pixelsWithin(a, common) + pixelsWithin(b, common) - inter;
      if (inter * 2 >= union) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, CandidateMask[]>();
  left.forEach((p, i) => {
    const r = find(i);
    const g = groups.get(r) ?? [];
    g.push(p);
    groups.set(r, g);
  });
  const out: CandidateMask[] = [];
  for (const g of groups.values()) {
    if (g.length === 1) {
      out.push(g[0]!);
      continue;
    }
    const x0 = Math.min(...g.map((p) => p.box.x));
    const y0 = Math.min(...g.map((p) => p.box.y));
    const x1 = Math.max(...g.map((p) => p.box.x + p.box.width));
    const y1 = Math.max(...g.map((p) => p.box.y + p.box.height));
    const box = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    const mask = new Uint8Array(box.width * box.height);
    for (const p of g) {
      for (let y = 0; y < p.box.height; y++) {
        const to = (p.box.y - y0 + y) * box.width + (p.box.x - x0);
        for (let x = 0; x < p.box.width; x++) if (p.mask[y * p.box.width + x]) mask[to + x] = 1;
      }
    }
    let area = 0;
    for (let i = 0; i < mask.length; i++) area += mask[i]!;
    const best = g.reduce((m, p) => (p.score > m.score ? p : m));
    out.push({ box, mask, score: best.score, stability: Math.max(...g.map((p) => p.stability)), cropIndex: best.cropIndex, area, ...(best.point ? { point: best.point } : {}) });
  }
  return out;
}

function cancelled(): ServiceError {
  return new ServiceError('cancelled', 'Segmentation was cancelled.');
}

/** Segments one image with SAM; throws ServiceError('cancelled') when hooks.isCancelled() turns true. */
export async function samAutoSegment(raster: RasterImage, o: SamAutoOptions, backend: SamAutoBackend, hooks: SamAutoHooks = {}, name?: string): Promise<SamAutoResult> {
  const t0 = performance.now();
  const W = raster.width;
  const H = raster.height;
  const check = () => {
    if (hooks.isCancelled?.()) throw cancelled();
  };
  const crops = planCrops(W, H, o, name);
  const grey = toGrey(raster);

  // Prompts for every crop first, so progress has a total.
  const plans: CropPlan[] = [];
  let total = 0;
  for (let i = 0; i < crops.length; i++) {
    check();
    const p = promptsForCrop(grey, crops[i]!, o);
    plans.push({ crop: crops[i]!, index: i, ...p });
    total += p.points.length;
  }
  const tPrompts = performance.now();
  hooks.progress?.(0, total, `${total} prompts in ${crops.length} crop${crops.length === 1 ? '' : 's'}`);

  // Crops get the whole image's contrast window, so a crop is not stretched differently from its neighbours.
  let window: ContrastWindow | null = null;
  try {
    window = resolveWindow(raster);
  } catch {
    window = null;
  }
  const cropPre: PreprocessOptions = window === null ? {} : { window };

  let embedMs = 0;
  let decodeMs = 0;
  let encoderRuns = 0;
  let masks = 0;
  let filtered = 0;
  let done = 0;
  const kept: Pending[] = [];
  const tiles = o.cropLayers === 'tiles' && crops.length > 1;
  // With tiles the crop-edge test is made here (cropEdgeTolerance -1: never near an edge in the filters).
  const filters: SamAutoOptions = tiles ? { ...o, cropEdgeTolerance: -1 } : o;
  for (const plan of plans) {
    if (plan.points.length === 0) continue;
    check();
    const { crop, index } = plan;
    const { width: cw, height: ch } = crop.box;
    hooks.progress?.(done, total, crops.length === 1 ? 'computing the image embedding' : `computing the embedding of crop ${index + 1}/${crops.length}`);
    const te = performance.now();
    const emb = index === 0 && crop.layer === 0 ? await backend.embed(crop, index, raster, {}) : await backend.embed(crop, index, cropRaster(raster, crop.box), cropPre);
    embedMs += performance.now() - te;
    if (emb.encoded) encoderRuns++;
    check();
    // Below the frame size the decoder's own resize is cheaper; above it, upsample around each mask only.
    const resolution: DecodeOptions['resolution'] = cw * ch > emb.frame.width * emb.frame.height ? 'frame' : 'image';
    const options: DecodeOptions = { output: 'logits', lowRes: false, resolution, best: !o.multimask };
    let cropCandidates: Pending[] = [];
    for (let b = 0; b < plan.points.length; b += o.batchSize) {
      const batch = plan.points.slice(b, b + o.batchSize);
      const td = performance.now();
      const results = await backend.decode(
        emb.handle,
        batch.map((p) => ({ points: [{ x: p.x, y: p.y, label: 1 as const }] })),
        options,
      );
      decodeMs += performance.now() - td;
      check();
      const before = cropCandidates.length;
      results.forEach((r, k) => {
        const local = batch[k]!;
        const point = { x: local.x + crop.box.x, y: local.y + crop.box.y };
        const plane = r.width * r.height;
        for (let c = 0; c < r.count; c++) {
          masks++;
          const logits = (r.masks as Float32Array).subarray(c * plane, (c + 1) * plane);
          const score = r.iou[c]!;
          const cand: Pending | null =
            resolution === 'frame'
              ? frameCandidate(logits, r.width, r.height, score, crop, index, W, H, filters, point)
              : candidateFromLogits(logits, score, { box: crop.box, index, imageWidth: W, imageHeight: H }, filters, point);
          if (cand === null) continue;
          // Tiles: a mask cut by an inner crop edge waits for the stitching below instead of being dropped.
          if (tiles && shouldDropMaskAtCropEdge(cand.box, crop.box, W, H, o.cropEdgeTolerance)) cand.cut = true;
          cropCandidates.push(cand);
        }
      });
      done += batch.length;
      hooks.progress?.(done, total, `prompts ${done}/${total}`);
      filtered += cropCandidates.length - before;
      // Prompts on one large region (the matrix) return near-copies of one mask: prune them as they
      // come, so memory follows the number of distinct objects, not of prompts.
      if (cropCandidates.length > PRUNE_AT) cropCandidates = nmsWithinCrops(cropCandidates, o.boxNmsThresh) as Pending[];
    }
    for (const c of nmsWithinCrops(cropCandidates, o.boxNmsThresh) as Pending[]) kept.push(c);
  }
  check();
  const ta = performance.now();
  const survivors: CandidateMask[] = [];
  for (const p of nmsAcrossCrops(
    kept.filter((k) => !k.cut),
    crops.map((c) => c.box),
    o.cropNmsThresh,
  ) as Pending[]) {
    const c = materialize(p, crops, o.maskThreshold);
    if (c !== null) survivors.push(c);
  }
  let stitched = 0;
  if (tiles) {
    const pieces: CandidateMask[] = [];
    for (const p of kept) {
      if (!p.cut) continue;
      const c = materialize(p, crops, o.maskThreshold);
      if (c !== null) pieces.push(c);
    }
    const objects = stitchCutMasks(pieces, survivors, crops.map((c) => c.box));
    stitched = objects.length;
    survivors.push(...objects);
  }
  const assembly = assembleLabelMap(survivors, W, H, { order: o.assembleOrder, minArea: Math.max(1, o.minArea) });
  check();
  const labels = o.fillGaps && assembly.sources.length > 0 ? fillGaps(assembly.labels, grey) : assembly.labels;
  const tEnd = performance.now();
  const first = plans[0]?.matsam ?? null;
  return {
    labels,
    run: {
      prompts: o.prompts,
      crops: crops.length,
      encoderRuns,
      decoderCalls: total,
      masks,
      filtered,
      afterNms: survivors.length - stitched,
      ...(tiles ? { stitched } : {}),
      segments: assembly.sources.length,
      ms: { prompts: tPrompts - t0, embed: embedMs, decode: decodeMs, assemble: tEnd - ta, total: tEnd - t0 },
      ...(first !== null
        ? { matsam: { mode: first.mode, regionPoints: first.regionPoints, gridPoints: first.gridPoints, borderPoints: first.borderPoints } }
        : {}),
    },
  };
}
