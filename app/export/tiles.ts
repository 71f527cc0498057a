// Tiling of large images for training sets: fixed-size tile boxes with overlap, and crops of label
// maps (ids renumbered) and rasters to one tile.
import type { Box, LabelMap, RasterImage } from '../types';

function axisStarts(length: number, tile: number, stride: number): number[] {
  if (length <= tile) return [0];
  const starts: number[] = [];
  for (let p = 0; p + tile < length; p += stride) starts.push(p);
  // The last tile is aligned to the far edge so every tile has the full size.
  if (starts[starts.length - 1] !== length - tile) starts.push(length - tile);
  return starts;
}

/**
 * Tiles of tileSize x tileSize covering the image, neighbours overlapping by at least `overlap`
 * pixels (the last row/column is shifted back to the image edge, so it may overlap more). An
 * image smaller than a tile gives one tile of the image's size. Row-major order.
 */
export function tileBoxes(width: number, height: number, tileSize: number, overlap = 0): Box[] {
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new Error(`tile size must be a positive integer, got ${tileSize}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tileSize) {
    throw new Error(`tile overlap must be an integer from 0 to ${tileSize - 1}, got ${overlap}`);
  }
  const stride = tileSize - overlap;
  const xs = axisStarts(width, tileSize, stride);
  const ys = axisStarts(height, tileSize, stride);
  const boxes: Box[] = [];
  for (const y of ys) for (const x of xs) boxes.push({ x, y, width: Math.min(tileSize, width), height: Math.min(tileSize, height) });
  return boxes;
}

function checkBox(w: number, h: number, box: Box): void {
  if (box.x < 0 || box.y < 0 || box.width < 1 || box.height < 1 || box.x + box.width > w || box.y + box.height > h) {
    throw new Error(`crop box ${box.x},${box.y} ${box.width}x${box.height} is not inside the ${w}x${h} image`);
  }
}

interface CroppedLabels {
  labels: LabelMap;
  /** Original id of each new id: ids[newId - 1]. With renumber false, the ids present (ascending). */
  ids: Uint32Array;
}

/**
 * Crops a label map to a box. By default ids are renumbered 1..n in ascending order of their
 * original id (so a tile's 16-bit instance map stays small); `ids` maps them back.
 */
export function cropLabelMap(map: LabelMap, box: Box, options: { renumber?: boolean } = {}): CroppedLabels {
  checkBox(map.width, map.height, box);
  const { width: bw, height: bh } = box;
  const out = new Uint32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    const src = (box.y + y) * map.width + box.x;
    out.set(map.data.subarray(src, src + bw), y * bw);
  }
  const present = new Set<number>();
  let last = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v !== last) {
      present.add(v);
      last = v;
    }
  }
  present.add(out[0] ?? 0);
  present.delete(0);
  const ids = Uint32Array.from([...present].sort((a, b) => a - b));
  if (options.renumber ?? true) {
    const to = new Map<number, number>();
    ids.forEach((id, i) => to.set(id, i + 1));
    let lastIn = 0;
    let lastOut = 0;
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      if (v === 0) continue;
      if (v !== lastIn) {
        lastIn = v;
        lastOut = to.get(v)!;
      }
      out[i] = lastOut;
    }
  }
  return { labels: { width: bw, height: bh, data: out }, ids };
}

/** Crops a raster (any channel count and depth) to a box. */
export function cropRaster(image: RasterImage, box: Box): RasterImage {
  checkBox(image.width, image.height, box);
  const c = image.channels;
  const data = image.bitDepth === 16 ? new Uint16Array(box.width * box.height * c) : new Uint8Array(box.width * box.height * c);
  for (let y = 0; y < box.height; y++) {
    const src = ((box.y + y) * image.width + box.x) * c;
    data.set(image.data.subarray(src, src + box.width * c), y * box.width * c);
  }
  return { width: box.width, height: box.height, channels: c, bitDepth: image.bitDepth, data };
}
