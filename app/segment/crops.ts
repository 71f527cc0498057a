// Multi-scale crops as in SAM's automatic mask generator: the crop boxes per layer, the rule that
// drops masks cut by a crop edge, and moving prompts into a crop's frame.
import type { Box } from '../types';
import type { CropBox, Point } from './types';

/** SAM's default overlap between neighbouring crops, as a fraction of the image's short side. */
const DEFAULT_CROP_OVERLAP_RATIO = 512 / 1500;

/**
 * The crop boxes of SAM's generate_crop_boxes: first the whole image (layer 0), then for layer
 * i = 1..nLayers a 2^i x 2^i set of crops that overlap by int(overlapRatio * shortSide * 2 / 2^i)
 * pixels, ordered column by column (x outer, y inner) as SAM does. Boxes are in pixels
 * (x, y, width, height); right/bottom crops are clipped to the image.
 */
export function generateCropBoxes(
  width: number,
  height: number,
  nLayers: number,
  overlapRatio: number = DEFAULT_CROP_OVERLAP_RATIO,
): CropBox[] {
  const out: CropBox[] = [{ box: { x: 0, y: 0, width, height }, layer: 0 }];
  const shortSide = Math.min(width, height);
  const cropLen = (orig: number, n: number, overlap: number) => Math.ceil((overlap * (n - 1) + orig) / n);
  for (let layer = 1; layer <= nLayers; layer++) {
    const n = 2 ** layer;
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / n));
    const cw = cropLen(width, n, overlap);
    const ch = cropLen(height, n, overlap);
    for (let i = 0; i < n; i++) {
      const x0 = Math.trunc((cw - overlap) * i);
      for (let j = 0; j < n; j++) {
        const y0 = Math.trunc((ch - overlap) * j);
        const x1 = Math.min(x0 + cw, width);
        const y1 = Math.min(y0 + ch, height);
        out.push({ box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, layer });
      }
    }
  }
  return out;
}

/** Side (px) of the crops of tiled SAM: the encoder's frame, so a crop is encoded at full resolution. */
export const SAM_TILE = 1024;
/** Images up to this long side are encoded whole, even when tiles are asked for. */
const SAM_TILE_MIN_SIDE = 1536;

/**
 * Crops of tiled SAM (MatSAM's way with large images): the whole image when its long side is at
 * most SAM_TILE_MIN_SIDE (layer 0), else a grid of `tile` x `tile` crops (layer 1; clipped where
 * the image is smaller) that overlap by at least `overlap` px, spread evenly so the first and
 * last reach the image's edges; ordered row by row.
 */
export function generateTileCrops(width: number, height: number, overlap: number, tile = SAM_TILE): CropBox[] {
  if (Math.max(width, height) <= SAM_TILE_MIN_SIDE) return [{ box: { x: 0, y: 0, width, height }, layer: 0 }];
  const ov = Math.max(0, Math.min(tile - 1, Math.round(overlap)));
  const starts = (len: number) => {
    if (len <= tile) return [0];
    const n = Math.ceil((len - ov) / (tile - ov));
    return Array.from({ length: n }, (_, i) => Math.round((i * (len - tile)) / (n - 1)));
  };
  const out: CropBox[] = [];
  for (const y of starts(height)) {
    for (const x of starts(width)) out.push({ box: { x, y, width: Math.min(tile, width - x), height: Math.min(tile, height - y) }, layer: 1 });
  }
  return out;
}

/** Points per side for a crop layer, as SAM's build_all_layer_point_grids: int(n / scale^layer). */
export function layerPointsPerSide(pointsPerSide: number, layer: number, scalePerLayer = 1): number {
  return Math.max(1, Math.floor(pointsPerSide / scalePerLayer ** layer));
}

/**
 * SAM's is_box_near_crop_edge: a mask is dropped when a side of its box (inclusive pixel
 * indices, image frame) is within `tolerance` pixels of a crop side that is not also within
 * `tolerance` of the image side; such a mask was probably cut by the crop. Crop sides are the
 * exclusive ends (x + width), compared against the inclusive last pixel, exactly as SAM does.
 */
export function shouldDropMaskAtCropEdge(
  maskBox: Box,
  cropBox: Box,
  imageWidth: number,
  imageHeight: number,
  tolerance = 20,
): boolean {
  const m = [maskBox.x, maskBox.y, maskBox.x + maskBox.width - 1, maskBox.y + maskBox.height - 1];
  const c = [cropBox.x, cropBox.y, cropBox.x + cropBox.width, cropBox.y + cropBox.height];
  const img = [0, 0, imageWidth, imageHeight];
  for (let k = 0; k < 4; k++) {
    const nearCrop = Math.abs(m[k]! - c[k]!) <= tolerance;
    const nearImage = Math.abs(m[k]! - img[k]!) <= tolerance;
    if (nearCrop && !nearImage) return true;
  }
  return false;
}

/**
 * The prompts that fall inside a crop, moved into the crop's frame (what the decoder of that
 * crop's embedding expects). A point on the crop's right/bottom edge belongs to the next crop.
 */
export function pointsInCrop(points: readonly Point[], crop: Box): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    if (p.x >= crop.x && p.y >= crop.y && p.x < crop.x + crop.width && p.y < crop.y + crop.height) {
      out.push({ x: p.x - crop.x, y: p.y - crop.y });
    }
  }
  return out;
}
