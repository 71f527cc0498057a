// Label map helpers: allocation, segment statistics, and colour lookup used by overlays and exports.
import type { Box, LabelMap } from './types';

export interface SegmentStats {
  id: number;
  area: number;
  bbox: Box;
}

/** Area and bounding box of every non-zero id, in ascending id order. */
export function segmentStats(map: LabelMap): SegmentStats[] {
  const { width, height, data } = map;
  const acc = new Map<number, { area: number; x0: number; y0: number; x1: number; y1: number }>();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      const id = data[row + x]!;
      // One run of equal ids at a time: one map lookup per run, not per pixel.
      const start = x;
      while (x < width && data[row + x] === id) x++;
      if (id === 0) continue;
      let s = acc.get(id);
      if (!s) {
        s = { area: 0, x0: start, y0: y, x1: x - 1, y1: y };
        acc.set(id, s);
      }
      s.area += x - start;
      if (start < s.x0) s.x0 = start;
      if (x - 1 > s.x1) s.x1 = x - 1;
      if (y > s.y1) s.y1 = y;
    }
  }
  return [...acc.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, s]) => ({ id, area: s.area, bbox: { x: s.x0, y: s.y0, width: s.x1 - s.x0 + 1, height: s.y1 - s.y0 + 1 } }));
}

/** Deterministic, well-spread colour for a segment id (golden-angle hue walk), as RGB bytes. */
export function segmentColor(id: number): [number, number, number] {
  const h = ((id * 137.508) % 360) / 60;
  const s = 0.65 + 0.35 * ((id * 7) % 3) / 2;
  const v = 0.95;
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * Marks `value` on the pixels at a change of id between 4-neighbours inside the image: the
 * left/upper pixel of each pair, and with `bothSides` the other one too (as skimage
 * `find_boundaries(mode='thick')`). Without `includeBackground`, changes to or from id 0 are not
 * boundaries. The one boundary rule of boundary maps (export) and boundary F1 (metrics).
 */
export function markBoundaries(
  map: { width: number; height: number; data: ArrayLike<number> },
  options: { bothSides: boolean; includeBackground: boolean; value: number },
  out: Uint8Array = new Uint8Array(map.width * map.height),
): Uint8Array {
  const { width: w, height: h, data } = map;
  const { bothSides: both, includeBackground: withBg, value } = options;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      const v = data[i]!;
      if (x + 1 < w) {
        const r = data[i + 1]!;
        if (r !== v && (withBg || (v !== 0 && r !== 0))) {
          out[i] = value;
          if (both) out[i + 1] = value;
        }
      }
      if (y + 1 < h) {
        const d = data[i + w]!;
        if (d !== v && (withBg || (v !== 0 && d !== 0))) {
          out[i] = value;
          if (both) out[i + w] = value;
        }
      }
    }
  }
  return out;
}
