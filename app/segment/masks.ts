// Decoder output to candidate masks, as SAM's automatic mask generator filters them: predicted-IoU
// and stability-score filters, boxes from masks, crop-edge rejection, and box NMS within and
// across crops. Masks are kept cropped to their bounding box.
import type { Box } from '../types';
import { shouldDropMaskAtCropEdge } from './crops';
import type { CandidateMask, Point } from './types';

export interface MaskFilterOptions {
  /** Logit above which a pixel belongs to the mask (SAM's model.mask_threshold). */
  maskThreshold: number;
  /** Keep masks whose predicted IoU is strictly above this (pred_iou_thresh); <= 0 disables. */
  predIouThresh: number;
  /** Keep masks whose stability score is at least this (stability_score_thresh); <= 0 disables. */
  stabilityScoreThresh: number;
  /** Logit offset for the stability score (stability_score_offset). */
  stabilityScoreOffset: number;
  /** Box IoU above which the lower-scoring mask of a crop is suppressed (box_nms_thresh). */
  boxNmsThresh: number;
  /** Box IoU above which a mask from a larger crop is suppressed (crop_nms_thresh). */
  cropNmsThresh: number;
  /** Pixels within which a box side counts as touching a crop / image side (SAM: 20). */
  cropEdgeTolerance: number;
}

const defaultMaskFilterOptions: MaskFilterOptions = {
  maskThreshold: 0,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1,
  boxNmsThresh: 0.7,
  cropNmsThresh: 0.7,
  cropEdgeTolerance: 20,
};

/**
 * SAM's stability score: the IoU between the mask thresholded at threshold + offset and at
 * threshold - offset, i.e. count(logit > t + o) / count(logit > t - o). An empty union gives 0
 * (SAM gets NaN, which fails every filter just the same).
 */
export function stabilityScore(logits: ArrayLike<number>, threshold = 0, offset = 1): number {
  const hi = threshold + offset;
  const lo = threshold - offset;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > lo) {
      union++;
      if (v > hi) inter++;
    }
  }
  return union === 0 ? 0 : inter / union;
}

/**
 * One pass over a width x height grid of logits: the stability score (as stabilityScore, offset
 * >= 0), the box of the logits above the threshold (inclusive local pixel indices, null when none)
 * and how many there are. SAM's filters need all three; one pass keeps large masks cheap.
 */
export function scanLogits(logits: ArrayLike<number>, width: number, height: number, threshold: number, offset: number): { stability: number; box: Box | null; inside: number } {
  const hi = threshold + offset;
  const lo = threshold - offset;
  let inter = 0, union = 0, inside = 0;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = logits[row + x]!;
      if (v > lo) {
        union++;
        if (v > hi) inter++;
        if (v > threshold) {
          inside++;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
  }
  return { stability: union === 0 ? 0 : inter / union, box: x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, inside };
}

/**
 * Bounding box of the non-zero pixels of a full-frame mask, inclusive pixel indices (SAM's
 * batched_mask_to_box: x0 = first column, x1 = last column; here width = x1 - x0 + 1), or null
 * for an empty mask (SAM returns [0,0,0,0]).
 */
export function boxFromMask(mask: ArrayLike<number>, width: number, height: number): Box | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (mask[row + x]) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (y < y0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Copies the box-local part of a (0/1 or logit > threshold) full-frame mask. */
function cropToBox(logits: ArrayLike<number>, width: number, box: Box, threshold: number): { mask: Uint8Array; area: number } {
  const mask = new Uint8Array(box.width * box.height);
  let area = 0;
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * width + box.x;
    const dst = y * box.width;
    for (let x = 0; x < box.width; x++) {
      if (logits[src + x]! > threshold) {
        mask[dst + x] = 1;
        area++;
      }
    }
  }
  return { mask, area };
}

/**
 * Thresholds full-frame logits (logit > threshold, as SAM) and returns the mask cropped to its
 * bounding box. An empty mask gives a 0x0 box at the origin and an empty array.
 */
export function maskFromLogits(
  logits: Float32Array,
  width: number,
  height: number,
  threshold = 0,
): { box: Box; mask: Uint8Array; area: number } {
  if (logits.length < width * height) throw new Error(`maskFromLogits: ${logits.length} logits for a ${width}x${height} mask`);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (logits[row + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return { box: { x: 0, y: 0, width: 0, height: 0 }, mask: new Uint8Array(0), area: 0 };
  const box = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  return { box, ...cropToBox(logits, width, box, threshold) };
}

export interface CropContext {
  /** The crop the logits were predicted for, in image pixels (the whole image for layer 0). */
  box: Box;
  /** Its index in the crop list (CandidateMask.cropIndex). */
  index: number;
  imageWidth: number;
  imageHeight: number;
}

/**
 * One decoder mask (logits at the crop's size, row-major) through SAM's per-mask filters, in
 * SAM's order: predicted IoU > predIouThresh, stability >= stabilityScoreThresh, threshold,
 * box, then drop if near a crop edge that is not an image edge. Returns the candidate with its
 * box in image coordinates, or null when a filter rejects it (or the mask is empty).
 * One pass computes the stability counts and the box, a second copies the box.
 */
export function candidateFromLogits(
  logits: Float32Array,
  score: number,
  crop: CropContext,
  options: Partial<MaskFilterOptions> = {},
  point?: Point,
): CandidateMask | null {
  const o = { ...defaultMaskFilterOptions, ...options };
  if (o.predIouThresh > 0 && !(score > o.predIouThresh)) return null;
  const w = crop.box.width;
  const h = crop.box.height;
  if (logits.length < w * h) throw new Error(`candidateFromLogits: ${logits.length} logits for a ${w}x${h} crop`);
  const t = o.maskThreshold;
  const scan = scanLogits(logits, w, h, t, o.stabilityScoreOffset);
  if (o.stabilityScoreThresh > 0 && !(scan.stability >= o.stabilityScoreThresh)) return null;
  if (!scan.box) return null;
  const local = scan.box;
  const box = { x: local.x + crop.box.x, y: local.y + crop.box.y, width: local.width, height: local.height };
  if (shouldDropMaskAtCropEdge(box, crop.box, crop.imageWidth, crop.imageHeight, o.cropEdgeTolerance)) return null;
  const { mask, area } = cropToBox(logits, w, local, t);
  return { box, mask, score, stability: scan.stability, cropIndex: crop.index, area, ...(point ? { point } : {}) };
}

/**
 * IoU of two boxes as SAM's NMS computes it (torchvision box_iou on XYXY boxes whose corners are
 * inclusive pixel indices, so a box's area is (width - 1) * (height - 1)). 0 when the union is 0.
 */
export function boxIoU(a: Box, b: Box): number {
  const ax1 = a.x + a.width - 1, ay1 = a.y + a.height - 1;
  const bx1 = b.x + b.width - 1, by1 = b.y + b.height - 1;
  const iw = Math.min(ax1, bx1) - Math.max(a.x, b.x);
  const ih = Math.min(ay1, by1) - Math.max(a.y, b.y);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const union = (a.width - 1) * (a.height - 1) + (b.width - 1) * (b.height - 1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy box NMS: visit boxes by descending score (ties: lower index first) and keep one unless
 * its IoU with an already kept box exceeds iouThreshold. Returns kept indices in visiting order.
 */
export function nonMaxSuppression(boxes: readonly Box[], scores: ArrayLike<number>, iouThreshold: number): number[] {
  const order = Array.from(boxes.keys()).sort((i, j) => scores[j]! - scores[i]! || i - j);
  const n = boxes.length;
  const bx0 = new Float64Array(n), by0 = new Float64Array(n), bx1 = new Float64Array(n), by1 = new Float64Array(n), area = new Float64Array(n);
  boxes.forEach((b, i) => {
    bx0[i] = b.x;
    by0[i] = b.y;
    bx1[i] = b.x + b.width - 1;
    by1[i] = b.y + b.height - 1;
    area[i] = (b.width - 1) * (b.height - 1);
  });
  const kept: number[] = [];
  for (const i of order) {
    let keep = true;
    for (const k of kept) {
      const iw = Math.min(bx1[i]!, bx1[k]!) - Math.max(bx0[i]!, bx0[k]!);
      if (iw <= 0) continue;
      const ih = Math.min(by1[i]!, by1[k]!) - Math.max(by0[i]!, by0[k]!);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = area[i]! + area[k]! - inter;
      if (union > 0 && inter / union > iouThreshold) {
        keep = false;
        break;
      }
    }
    if (keep) kept.push(i);
  }
  return kept;
}

/** SAM's per-crop NMS: within each crop, suppress by predicted IoU at boxNmsThresh. */
export function nmsWithinCrops(candidates: readonly CandidateMask[], iouThreshold = defaultMaskFilterOptions.boxNmsThresh): CandidateMask[] {
  const byCrop = new Map<number, CandidateMask[]>();
  for (const c of candidates) {
    const list = byCrop.get(c.cropIndex);
    if (list) list.push(c);
    else byCrop.set(c.cropIndex, [c]);
  }
  const out: CandidateMask[] = [];
  for (const key of [...byCrop.keys()].sort((a, b) => a - b)) {
    const list = byCrop.get(key)!;
    const kept = nonMaxSuppression(
      list.map((c) => c.box),
      list.map((c) => c.score),
      iouThreshold,
    );
    for (const i of kept) out.push(list[i]!);
  }
  return out;
}

/**
 * SAM's cross-crop NMS (only when there is more than one crop): score = 1 / crop area, so among
 * overlapping boxes the mask from the smallest crop (the most detailed view) wins; equal crop
 * areas fall back to the predicted IoU.
 */
export function nmsAcrossCrops(
  candidates: readonly CandidateMask[],
  cropBoxes: readonly Box[],
  iouThreshold = defaultMaskFilterOptions.cropNmsThresh,
): CandidateMask[] {
  if (cropBoxes.length <= 1) return candidates.slice();
  const areaOf = (c: CandidateMask) => {
    const b = cropBoxes[c.cropIndex];
    return b ? b.width * b.height : Infinity;
  };
  // Rank by (1/area, score) but pass NMS a single number: the rank position.
  const order = Array.from(candidates.keys()).sort(
    (i, j) => areaOf(candidates[i]!) - areaOf(candidates[j]!) || candidates[j]!.score - candidates[i]!.score || i - j,
  );
  const rankScore = new Float64Array(candidates.length);
  order.forEach((idx, rank) => (rankScore[idx] = candidates.length - rank));
  const kept = nonMaxSuppression(
    candidates.map((c) => c.box),
    rankScore,
    iouThreshold,
  );
  return kept.map((i) => candidates[i]!);
}

/** Both NMS passes of SAM's generator: per crop by predicted IoU, then across crops. */
export function suppressDuplicates(
  candidates: readonly CandidateMask[],
  cropBoxes: readonly Box[],
  options: Partial<Pick<MaskFilterOptions, 'boxNmsThresh' | 'cropNmsThresh'>> = {},
): CandidateMask[] {
  const o = { ...defaultMaskFilterOptions, ...options };
  return nmsAcrossCrops(nmsWithinCrops(candidates, o.boxNmsThresh), cropBoxes, o.cropNmsThresh);
}
