// Connected-component labelling and small-component removal on binary masks and label maps.
import type { LabelMap } from '../types';

export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Labels the non-zero pixels of a mask into connected components (4- or 8-connectivity) with a
 * two-pass union-find. Ids are consecutive from 1 in raster order of each component's first pixel.
 */
export function connectedComponents(mask: BinaryMask, connectivity: 4 | 8 = 8): LabelMap {
  const { width: w, height: h, data } = mask;
  const labels = new Uint32Array(w * h);
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      let l = 0;
      const consider = (j: number) => {
        const lj = labels[j]!;
        if (lj === 0) return;
        if (l === 0) l = lj;
        else if (lj !== l) union(l, lj);
      };
      if (x > 0) consider(i - 1);
      if (y > 0) {
        consider(i - w);
        if (connectivity === 8) {
          if (x > 0) consider(i - w - 1);
          if (x < w - 1) consider(i - w + 1);
        }
      }
      if (l === 0) {
        l = parent.length;
        parent.push(l);
      }
      labels[i] = l;
    }
  }
  const remap = new Uint32Array(parent.length);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const r = find(l);
    if (remap[r] === 0) remap[r] = ++next;
    labels[i] = remap[r]!;
  }
  return { width: w, height: h, data: labels };
}

/** Sets segments smaller than minArea pixels to 0 and renumbers the rest consecutively from 1. */
export function removeSmallComponents(map: LabelMap, minArea: number): LabelMap {
  let maxId = 0;
  for (let i = 0; i < map.data.length; i++) if (map.data[i]! > maxId) maxId = map.data[i]!;
  const area = new Uint32Array(maxId + 1);
  for (let i = 0; i < map.data.length; i++) area[map.data[i]!]!++;
  const remap = new Uint32Array(maxId + 1);
  let next = 0;
  for (let id = 1; id <= maxId; id++) if (area[id]! >= Math.max(1, minArea)) remap[id] = ++next;
  const out = new Uint32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = remap[map.data[i]!]!;
  return { width: map.width, height: map.height, data: out };
}
