// Connected-component labelling of binary masks and of equal-valued regions (class maps, label
// maps), small-component removal, and merging of small regions into their neighbours.
import type { LabelMap } from '../types';

export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

export type Connectivity = 4 | 8;

type Values = Uint8Array | Uint16Array | Uint32Array;

/**
 * Growable union-find over labels (0 = none); typed arrays keep it allocation-free per pixel.
 * A union keeps the smaller root, so each set's root is its earliest label. Also joins regions
 * cut by tile borders (tiled.ts, main/tiles/segment-mosaic.ts).
 */
export class UnionFind {
  parent: Int32Array;
  size = 1; // label 0 is reserved for "none"
  constructor(capacity: number) {
    this.parent = new Int32Array(Math.max(16, capacity));
  }
  /** Labels 1..n, each its own set. */
  static identity(n: number): UnionFind {
    const u = new UnionFind(n + 1);
    for (let i = 0; i <= n; i++) u.parent[i] = i;
    u.size = n + 1;
    return u;
  }
  make(): number {
    if (this.size === this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    const l = this.size++;
    this.parent[l] = l;
    return l;
  }
  find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!;
      a = p[a]!;
    }
    return a;
  }
  /** Joins two sets; the smaller root survives so roots stay the earliest label. */
  union(a: number, b: number): number {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return ra;
    if (ra < rb) {
      this.parent[rb] = ra;
      return ra;
    }
    this.parent[ra] = rb;
    return rb;
  }
}

/**
 * Core two-pass labelling. In binary mode every non-zero pixel is foreground and any two
 * neighbouring foreground pixels join; otherwise neighbours join when their values are equal and
 * pixels whose value equals `background` (if given) stay 0. Ids are consecutive from 1 in raster
 * order of each region's first pixel, the numbering scikit-image's `label` produces.
 */
function labelCore(
  width: number,
  height: number,
  data: Values,
  connectivity: Connectivity,
  binary: boolean,
  background: number | null,
): { labels: Uint32Array; count: number } {
  const labels = new Uint32Array(width * height);
  const uf = new UnionFind(Math.min(width * height + 1, 1 << 16));
  const eight = connectivity === 8;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = data[i]!;
      if (binary ? v === 0 : v === background) continue;
      let l = 0;
      // Prior neighbours in raster order: left, up, up-left, up-right.
      if (x > 0 && labels[i - 1] !== 0 && (binary || data[i - 1] === v)) l = labels[i - 1]!;
      if (y > 0) {
        const u = i - width;
        if (labels[u] !== 0 && (binary || data[u] === v)) l = l === 0 ? labels[u]! : uf.union(l, labels[u]!);
        if (eight) {
          if (x > 0 && labels[u - 1] !== 0 && (binary || data[u - 1] === v)) {
            l = l === 0 ? labels[u - 1]! : uf.union(l, labels[u - 1]!);
          }
          if (x < width - 1 && labels[u + 1] !== 0 && (binary || data[u + 1] === v)) {
            l = l === 0 ? labels[u + 1]! : uf.union(l, labels[u + 1]!);
          }
        }
      }
      labels[i] = l === 0 ? uf.make() : l;
    }
  }
  const remap = new Uint32Array(uf.size);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const r = uf.find(l);
    if (remap[r] === 0) remap[r] = ++count;
    labels[i] = remap[r]!;
  }
  return { labels, count };
}

/**
 * Labels the non-zero pixels of a mask into connected components (4- or 8-connectivity).
 * Ids are consecutive from 1 in raster order of each component's first pixel.
 */
export function connectedComponents(mask: BinaryMask, connectivity: Connectivity = 8): LabelMap {
  const { labels } = labelCore(mask.width, mask.height, mask.data, connectivity, true, null);
  return { width: mask.width, height: mask.height, data: labels };
}

/** The same labelling on a bare 0/non-zero mask array, with the number of components. */
export function labelMaskComponents(mask: Uint8Array, width: number, height: number, connectivity: Connectivity = 8): { labels: Uint32Array; count: number } {
  return labelCore(width, height, mask, connectivity, true, null);
}

/**
 * Labels connected regions of equal value (a class map or a label map): two neighbours join when
 * their values are equal. Pixels equal to `background` (when given) get 0.
 */
export function labelRegions(
  width: number,
  height: number,
  values: Values,
  connectivity: Connectivity = 4,
  background: number | null = null,
): { labels: Uint32Array; count: number } {
  return labelCore(width, height, values, connectivity, false, background);
}

/** Pixel count of each id of a label array (index = id). */
export function regionAreas(labels: Uint32Array, count?: number): Uint32Array {
  let maxId = count ?? 0;
  if (count === undefined) for (let i = 0; i < labels.length; i++) if (labels[i]! > maxId) maxId = labels[i]!;
  const area = new Uint32Array(maxId + 1);
  for (let i = 0; i < labels.length; i++) area[labels[i]!]!++;
  return area;
}

/** Sets segments smaller than minArea pixels to 0 and renumbers the rest consecutively from 1. */
export function removeSmallComponents(map: LabelMap, minArea: number): LabelMap {
  const area = regionAreas(map.data);
  const remap = new Uint32Array(area.length);
  let next = 0;
  for (let id = 1; id < area.length; id++) if (area[id]! >= Math.max(1, minArea)) remap[id] = ++next;
  const out = new Uint32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = remap[map.data[i]!]!;
  return { width: map.width, height: map.height, data: out };
}

/** Renumbers the non-zero ids of a label array consecutively from 1 in raster order (in place). */
export function relabelSequential(labels: Uint32Array): number {
  let maxId = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > maxId) maxId = labels[i]!;
  const remap = new Uint32Array(maxId + 1);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    if (remap[l] === 0) remap[l] = ++next;
    labels[i] = remap[l]!;
  }
  return next;
}

/**
 * Absorbs every 4-connected region of equal value smaller than minArea into the neighbouring
 * region it shares the longest border with (ties: the larger neighbour), so a class map or a
 * gap-free label map keeps covering every pixel instead of getting holes. Value 0 is an ordinary
 * value here. Repeats until no small region is left or nothing changes (a small region with no
 * neighbour, e.g. the whole image, stays). Returns a new array of the same type.
 */
export function mergeSmallRegions<T extends Values>(
  width: number,
  height: number,
  values: T,
  minArea: number,
  maxRounds = 8,
): T {
  const out = values.slice() as T;
  if (minArea <= 1) return out;
  for (let round = 0; round < maxRounds; round++) {
    const { labels, count } = labelRegions(width, height, out, 4, null);
    const area = regionAreas(labels, count);
    let small = 0;
    for (let id = 1; id <= count; id++) if (area[id]! < minArea) small++;
    if (small === 0) break;
    // For each small region, the neighbour it shares the longest 4-connected border with. Small
    // regions have short borders, so a few candidates per region in flat arrays beat a hash map.
    const start = new Int32Array(count + 2);
    for (let id = 1; id <= count; id++) start[id + 1] = start[id]! + (area[id]! < minArea ? area[id]! : 0);
    const pix = new Int32Array(start[count + 1]!);
    const fill = start.slice(0, count + 1);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      if (area[l]! < minArea) pix[fill[l]!++] = i;
    }
    const best = new Uint32Array(count + 1);
    const candId: number[] = [];
    const candLen: number[] = [];
    const consider = (b: number) => {
      for (let c = 0; c < candId.length; c++) {
        if (candId[c] === b) {
          candLen[c]!++;
          return;
        }
      }
      candId.push(b);
      candLen.push(1);
    };
    for (let id = 1; id <= count; id++) {
      if (area[id]! >= minArea) continue;
      candId.length = 0;
      candLen.length = 0;
      for (let p = start[id]!; p < start[id + 1]!; p++) {
        const i = pix[p]!;
        const x = i % width;
        if (x > 0 && labels[i - 1] !== id) consider(labels[i - 1]!);
        if (x < width - 1 && labels[i + 1] !== id) consider(labels[i + 1]!);
        if (i >= width && labels[i - width] !== id) consider(labels[i - width]!);
        if (i + width < labels.length && labels[i + width] !== id) consider(labels[i + width]!);
      }
      let b = 0;
      let bl = 0;
      for (let c = 0; c < candId.length; c++) {
        const len = candLen[c]!;
        const cid = candId[c]!;
        if (len > bl || (len === bl && area[cid]! > area[b]!)) {
          b = cid;
          bl = len;
        }
      }
      best[id] = b;
    }
    // Union small regions into their best neighbour, smallest first, so a chain or a pair of
    // small regions ends up as one set instead of swapping values. A set takes the value of its
    // largest member.
    const parent = new Int32Array(count + 1);
    for (let id = 0; id <= count; id++) parent[id] = id;
    const find = (a: number): number => {
      while (parent[a] !== a) {
        parent[a] = parent[parent[a]!]!;
        a = parent[a]!;
      }
      return a;
    };
    const setArea = Float64Array.from(area);
    const order: number[] = [];
    for (let id = 1; id <= count; id++) if (area[id]! < minArea && best[id] !== 0) order.push(id);
    order.sort((a, b) => area[a]! - area[b]! || a - b);
    let changed = 0;
    for (const id of order) {
      const ra = find(id);
      if (setArea[ra]! >= minArea) continue;
      const rb = find(best[id]!);
      if (ra === rb) continue;
      // The root is the member with the larger area so the set keeps the dominant value.
      const [keep, drop] = area[ra]! >= area[rb]! ? [ra, rb] : [rb, ra];
      parent[drop] = keep;
      setArea[keep] = setArea[ra]! + setArea[rb]!;
      changed++;
    }
    if (changed === 0) break;
    // When every small region ended in a set of at least minArea pixels, relabelling again
    // could only find larger regions: this round is the last.
    let settled = true;
    for (const id of order) if (setArea[find(id)]! < minArea) settled = false;
    const firstPixel = new Int32Array(count + 1).fill(-1);
    for (let i = 0; i < labels.length; i++) if (firstPixel[labels[i]!] === -1) firstPixel[labels[i]!] = i;
    const target = new Float64Array(count + 1);
    for (let id = 1; id <= count; id++) target[id] = out[firstPixel[find(id)]!]!;
    for (let i = 0; i < out.length; i++) out[i] = target[labels[i]!]!;
    if (settled) break;
  }
  return out;
}
