// Bounded scans of a label map for a few segment ids: area and bounding box inside given
// regions, or in one pass over the whole map when no region is known.
import type { SegmentStats } from '../labelmap';
import type { Box, LabelMap } from '../types';

/** Maps a set of ids to slots 0..n-1; a typed table when ids are small, so per-pixel lookups stay cheap. */
class IdLookup {
  readonly ids: number[];
  /** Slot per id for ids up to `max` (-1 = not in the set); null when ids are too large for a table. */
  readonly table: Int32Array | null;
  private readonly map: Map<number, number> | null;
  readonly max: number;

  constructor(ids: Iterable<number>) {
    this.ids = [...new Set(ids)].filter((v) => v !== 0);
    this.max = this.ids.reduce((m, v) => Math.max(m, v), 0);
    if (this.max < 1 << 24) {
      this.table = new Int32Array(this.max + 1).fill(-1);
      this.ids.forEach((v, k) => (this.table![v] = k));
      this.map = null;
    } else {
      this.table = null;
      this.map = new Map(this.ids.map((v, k) => [v, k]));
    }
  }

  /** Slot of id v, or -1. */
  slot(v: number): number {
    if (this.table) return v <= this.max ? this.table[v]! : -1;
    return this.map!.get(v) ?? -1;
  }
}

export function unionBox(a: Box | null | undefined, b: Box | null | undefined): Box | null {
  if (!a || a.width <= 0 || a.height <= 0) return b && b.width > 0 && b.height > 0 ? { ...b } : null;
  if (!b || b.width <= 0 || b.height <= 0) return { ...a };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

export function clipBox(b: Box, map: LabelMap): Box | null {
  const x0 = Math.max(0, Math.floor(b.x));
  const y0 = Math.max(0, Math.floor(b.y));
  const x1 = Math.min(map.width, Math.ceil(b.x + b.width));
  const y1 = Math.min(map.height, Math.ceil(b.y + b.height));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** Area and tight box of `id` inside `region`; area 0 means absent there. */
export function statsInRegion(map: LabelMap, id: number, region: Box): SegmentStats {
  const { width: W, data } = map;
  let area = 0;
  let x0 = Infinity;
  let x1 = -1;
  let y0 = -1;
  let y1 = -1;
  for (let y = region.y; y < region.y + region.height; y++) {
    const row = y * W;
    let first = -1;
    let last = -1;
    for (let x = region.x, e = region.x + region.width; x < e; x++) {
      if (data[row + x] === id) {
        area++;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (y0 < 0) y0 = y;
      y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
  }
  return area === 0
    ? { id, area: 0, bbox: { x: 0, y: 0, width: 0, height: 0 } }
    : { id, area, bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } };
}

/** Area and tight box of each id over the whole map, in one pass (ids absent get area 0). */
export function statsFullScan(map: LabelMap, ids: Iterable<number>): SegmentStats[] {
  const lookup = new IdLookup(ids);
  const n = lookup.ids.length;
  const area = new Float64Array(n);
  const bx0 = new Int32Array(n).fill(0x7fffffff);
  const bx1 = new Int32Array(n).fill(-1);
  const by0 = new Int32Array(n).fill(-1);
  const by1 = new Int32Array(n).fill(-1);
  if (n > 0) {
    const { width: W, height: H, data } = map;
    const table = lookup.table;
    const max = lookup.max;
    for (let y = 0; y < H; y++) {
      const row = y * W;
      for (let x = 0; x < W; x++) {
        const v = data[row + x]!;
        if (v === 0) continue;
        // Inline table lookup: this loop runs over every pixel of the map.
        const s = table ? (v <= max ? table[v]! : -1) : lookup.slot(v);
        if (s < 0) continue;
        area[s]++;
        if (x < bx0[s]!) bx0[s] = x;
        if (x > bx1[s]!) bx1[s] = x;
        if (by0[s]! < 0) by0[s] = y;
        by1[s] = y;
      }
    }
  }
  return lookup.ids.map((id, s) =>
    area[s] === 0
      ? { id, area: 0, bbox: { x: 0, y: 0, width: 0, height: 0 } }
      : { id, area: area[s]!, bbox: { x: bx0[s]!, y: by0[s]!, width: bx1[s]! - bx0[s]! + 1, height: by1[s]! - by0[s]! + 1 } },
  );
}
