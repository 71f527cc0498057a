// Assembles a new automatic result (an engine's label map, an import, a phase map) with the
// segments a person made: kept segments keep their exact pixels and ids; the new result fills
// only the pixels they do not cover. Pure, linear in the pixels.
import type { LabelMap } from '../types';
import { segmentStats, type SegmentStats } from '../labelmap';

interface Composed {
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
  if (kept.size === 0) {
    // Nothing kept: the result as it is.
    const labels: LabelMap = { width, height, data: result.data.slice() };
    const stats = segmentStats(labels);
    const maxId = stats.reduce((m, s) => Math.max(m, s.id), 0);
    return { labels, idOf: new Map(stats.map((s) => [s.id, s.id])), nextId: Math.max(nextId, maxId + 1), stats, covered: 0 };
  }
  const out = new Uint32Array(n);
  const cur = current?.data ?? null;
  const res = result.data;
  // Fresh ids start above every id in use on either side, so a renamed result segment never lands on another.
  let maxRes = 0;
  const clashes = new Set<number>();
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const r = res[i]!;
    if (r === prev) continue;
    prev = r;
    if (r > maxRes) maxRes = r;
    if (kept.has(r)) clashes.add(r);
  }
  let next = Math.max(nextId, maxRes + 1);
  for (const id of kept) if (id >= next) next = id + 1;
  // Result ids that a kept segment holds get fresh ids; the others stay.
  const fresh = new Map<number, number>();
  for (const id of [...clashes].sort((x, y) => x - y)) fresh.set(id, next++);
  let covered = 0;
  // By runs of equal ids (one lookup per run, not per pixel: this goes over every pixel of large images).
  let lastC = -1;
  let lastKept = false;
  let lastR = -1;
  let lastOut = 0;
  for (let i = 0; i < n; i++) {
    const c = cur ? cur[i]! : 0;
    if (c !== lastC) {
      lastC = c;
      lastKept = c !== 0 && kept.has(c);
    }
    if (lastKept) {
      out[i] = c;
      if (res[i] !== 0) covered++;
      continue;
    }
    const r = res[i]!;
    if (r === 0) continue;
    if (r !== lastR) {
      lastR = r;
      lastOut = fresh.get(r) ?? r;
    }
    out[i] = lastOut;
  }
  const labels: LabelMap = { width, height, data: out };
  const stats = segmentStats(labels);
  const keptIds = new Set(kept);
  const idOf = new Map<number, number>();
  const toResult = new Map([...fresh].map(([r, v]) => [v, r]));
  for (const st of stats) if (!keptIds.has(st.id) || toResult.has(st.id)) idOf.set(toResult.get(st.id) ?? st.id, st.id);
  let maxId = 0;
  for (const s of stats) if (s.id > maxId) maxId = s.id;
  return { labels, idOf, nextId: Math.max(next, maxId + 1), stats, covered };
}
