// Tile pyramid geometry for large images: 512 px bitmaps per tile; level L samples every 2^L-th
// pixel, so one tile of level L covers 512 * 2^L image pixels. The view draws the level whose
// bitmaps are shown at about 1..2x, so the pixels drawn per frame stay near the screen's size
// whatever the zoom. Pure (no DOM).
import type { Box } from '../../app/types';
import type { Viewport } from '../../app/view/viewport';

export const TILE = 512;

export interface TileKey {
  level: number;
  tx: number;
  ty: number;
}

export interface TileRect {
  /** Image pixels covered. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Sampling step (2^level) and bitmap size. */
  step: number;
  bw: number;
  bh: number;
}

/** The coarsest level: the whole image fits one tile. */
export function maxLevel(width: number, height: number): number {
  let L = 0;
  while (Math.max(width, height) > TILE << L) L++;
  return L;
}

/** The level to draw at `scale` (screen px per image px): the finest whose bitmap pixels are not shrunk below half size. */
export function levelFor(scale: number, width: number, height: number): number {
  const L = Math.floor(Math.log2(1 / Math.max(1e-9, scale)) + 1e-9);
  return Math.max(0, Math.min(maxLevel(width, height), L));
}

export function tileKey(k: TileKey): string {
  return `${k.level}/${k.tx}/${k.ty}`;
}

export function tileRect(k: TileKey, width: number, height: number): TileRect {
  const step = 1 << k.level;
  const span = TILE * step;
  const x = k.tx * span;
  const y = k.ty * span;
  const w = Math.min(span, width - x);
  const h = Math.min(span, height - y);
  return { x, y, width: w, height: h, step, bw: Math.ceil(w / step), bh: Math.ceil(h / step) };
}

/** Tiles of `level` that intersect an image-space box (inclusive pixel box). */
export function tilesInBox(box: Box, level: number, width: number, height: number): TileKey[] {
  const span = TILE << level;
  const x0 = Math.max(0, Math.floor(box.x / span));
  const y0 = Math.max(0, Math.floor(box.y / span));
  const x1 = Math.min(Math.ceil(width / span) - 1, Math.floor((box.x + box.width - 1) / span));
  const y1 = Math.min(Math.ceil(height / span) - 1, Math.floor((box.y + box.height - 1) / span));
  const out: TileKey[] = [];
  for (let ty = y0; ty <= y1; ty++) for (let tx = x0; tx <= x1; tx++) out.push({ level, tx, ty });
  return out;
}

/** The image-space box visible in a view of viewW x viewH screen pixels (clipped to the image), or null. */
function visibleBox(v: Viewport, viewW: number, viewH: number, width: number, height: number): Box | null {
  const x0 = Math.max(0, Math.floor(-v.x / v.scale));
  const y0 = Math.max(0, Math.floor(-v.y / v.scale));
  const x1 = Math.min(width, Math.ceil((viewW - v.x) / v.scale));
  const y1 = Math.min(height, Math.ceil((viewH - v.y) / v.scale));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** Visible tiles of `level`, nearest to the view centre first (so they are built first). */
export function visibleTiles(v: Viewport, viewW: number, viewH: number, width: number, height: number, level: number): TileKey[] {
  const box = visibleBox(v, viewW, viewH, width, height);
  if (!box) return [];
  const tiles = tilesInBox(box, level, width, height);
  const cx = (viewW / 2 - v.x) / v.scale;
  const cy = (viewH / 2 - v.y) / v.scale;
  const span = TILE << level;
  const d = (k: TileKey) => ((k.tx + 0.5) * span - cx) ** 2 + ((k.ty + 0.5) * span - cy) ** 2;
  return tiles.sort((a, b) => d(a) - d(b));
}

/** A box grown by `m` pixels on every side (for outlines, which depend on neighbouring pixels). */
export function growBox(b: Box, m: number): Box {
  return { x: b.x - m, y: b.y - m, width: b.width + 2 * m, height: b.height + 2 * m };
}
