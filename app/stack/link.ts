// 3D objects of a slice stack: segments of consecutive slices that overlap are one object. Pairs
// are matched greedily by intersection over union (highest first, each segment at most once), the
// way 2D+t trackers link masks frame to frame. A pair counts when the overlap covers enough of the
// smaller segment (not IoU: near a particle's pole its section shrinks fast from slice to slice, so
// nested sections have a low IoU yet are plainly one object). A segment with no partner starts a
// new object. Pure, so the app, the CLI, the bench and the tests link the same way.
import type { LabelMap } from '../types';

export interface StackLinks {
  /** Per slice (in z order): segment id -> object id (1..objectCount). */
  objectOf: Map<number, number>[];
  objectCount: number;
}

/** Share of the smaller segment two segments of adjacent slices must overlap to be one object. */
export const DEFAULT_LINK_OVERLAP = 0.5;

function areas(map: LabelMap): Map<number, number> {
  const out = new Map<number, number>();
  const d = map.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v !== 0) out.set(v, (out.get(v) ?? 0) + 1);
  }
  return out;
}

/** Overlap counts between the ids of two same-sized maps: a id -> (b id -> pixels). */
function overlaps(a: LabelMap, b: LabelMap): Map<number, Map<number, number>> {
  const out = new Map<number, Map<number, number>>();
  const da = a.data;
  const db = b.data;
  for (let i = 0; i < da.length; i++) {
    const x = da[i]!;
    const y = db[i]!;
    if (x === 0 || y === 0) continue;
    let row = out.get(x);
    if (!row) out.set(x, (row = new Map()));
    row.set(y, (row.get(y) ?? 0) + 1);
  }
  return out;
}

/** Matched pairs (a id -> b id) of two adjacent slices, greedy by IoU. */
export function matchSlices(a: LabelMap, b: LabelMap, minOverlap = DEFAULT_LINK_OVERLAP): Map<number, number> {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`Slices differ in size: ${a.width}x${a.height} and ${b.width}x${b.height}.`);
  const areaA = areas(a);
  const areaB = areas(b);
  const pairs: { a: number; b: number; iou: number }[] = [];
  for (const [x, row] of overlaps(a, b)) {
    for (const [y, inter] of row) {
      const sa = areaA.get(x)!;
      const sb = areaB.get(y)!;
      if (inter / Math.min(sa, sb) >= minOverlap) pairs.push({ a: x, b: y, iou: inter / (sa + sb - inter) });
    }
  }
  // Ties by id, so the result does not depend on the order pixels were scanned in.
  pairs.sort((p, q) => q.iou - p.iou || p.a - q.a || p.b - q.b);
  const out = new Map<number, number>();
  const usedB = new Set<number>();
  for (const p of pairs) {
    if (out.has(p.a) || usedB.has(p.b)) continue;
    out.set(p.a, p.b);
    usedB.add(p.b);
  }
  return out;
}

/** Links the segments of slices given in z order into 3D objects (object ids in order of first appearance). */
export function linkSlices(slices: readonly LabelMap[], minOverlap = DEFAULT_LINK_OVERLAP): StackLinks {
  const objectOf: Map<number, number>[] = [];
  let next = 1;
  slices.forEach((map, z) => {
    const here = new Map<number, number>();
    const ids = [...areas(map).keys()].sort((p, q) => p - q);
    if (z > 0) {
      const prev = objectOf[z - 1]!;
      for (const [a, b] of matchSlices(slices[z - 1]!, map, minOverlap)) here.set(b, prev.get(a)!);
    }
    for (const id of ids) if (!here.has(id)) here.set(id, next++);
    objectOf.push(here);
  });
  return { objectOf, objectCount: next - 1 };
}

/** A slice's label map with segment ids replaced by object ids (0 stays 0). */
export function objectLabels(map: LabelMap, objectOf: Map<number, number>): Uint32Array {
  const out = new Uint32Array(map.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = map.data[i]!;
    if (v !== 0) out[i] = objectOf.get(v) ?? 0;
  }
  return out;
}
