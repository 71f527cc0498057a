// Assembles a new automatic result (an engine's label map, an import, a phase map) with the
// segments a person made: kept segments keep their exact pixels and ids; the new result fills
// only the pixels they do not cover. Pure, linear in the pixels.
import type { LabelMap } from '../types';
import { segmentStats, type SegmentStats } from '../labelmap';

export interface Composed {
  labels: LabelMap;
  /** Id in the composed map of each result segment that kept any pixels (result id -> id). */
  idOf: Map<number, number>;
  /** Smallest id never used, after the ids handed to result segments that collided with kept ones. */
  nextId: number;
  /** Area and box of every segment of the composed map, ascending id (kept ones included). */
  stats: SegmentStats[];
  /** Result pixels dropped because a kept segment covers them. */
  covered: number;
}

/**
 * `current` is the image's map now (null: none), `kept` the ids to keep from it, `result` the new
 * map. Result ids are used as they are, except ids that a kept segment already holds, which get
 * fresh ids from `nextId` on (so a kept segment is never merged with a new one). A result segment
 * cut by kept segments stays one segment, even when its remaining pixels are not connected.
 */
export function composeWithKept(current: LabelMap | null, kept: ReadonlySet<number>, result: LabelMap, nextId: number): Composed {
  const { width, height } = result;
  if (current && (current.width !== width || current.height !== height)) {
    throw new Error(`the new segmentation is ${width}x${height} px but the current one is ${current.width}x${current.height}`);
  }
  const n = width * height;
  const out = new Uint32Array(n);
  const cur = current?.data ?? null;
  const res = result.data;
  const remap = new Map<number, number>();
  // Fresh ids start above every id in use on either side, so a renamed result segment never lands on another.
  let next = nextId;
  for (const id of kept) if (id >= next) next = id + 1;
  if (kept.size > 0) for (let i = 0; i < n; i++) if (res[i]! >= next) next = res[i]! + 1;
  const idFor = (r: number): number => {
    let v = remap.get(r);
    if (v === undefined) {
      v = kept.has(r) ? next++ : r;
      remap.set(r, v);
    }
    return v;
  };
  let covered = 0;
  let lastC = -1;
  let lastKept = false;
  let lastR = -1;
  let lastOut = 0;
  for (let i = 0; i < n; i++) {
    if (cur && kept.size > 0) {
      const c = cur[i]!;
      if (c !== lastC) {
        lastC = c;
        lastKept = c !== 0 && kept.has(c);
      }
      if (lastKept) {
        out[i] = c;
        if (res[i] !== 0) covered++;
        continue;
      }
    }
    const r = res[i]!;
    if (r === 0) continue;
    if (r !== lastR) {
      lastR = r;
      lastOut = idFor(r);
    }
    out[i] = lastOut;
  }
  const labels: LabelMap = { width, height, data: out };
  const stats = segmentStats(labels);
  const present = new Set(stats.map((s) => s.id));
  const idOf = new Map<number, number>();
  for (const [r, v] of remap) if (present.has(v)) idOf.set(r, v);
  let maxId = 0;
  for (const s of stats) if (s.id > maxId) maxId = s.id;
  return { labels, idOf, nextId: Math.max(next, maxId + 1), stats, covered };
}
