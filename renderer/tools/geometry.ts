// Hit-testing on the label map for tools: ids along a drawn line, the two grains at a boundary,
// segments in a box, the next unverified segment. Reads pixels, never Konva's hit canvas.
import type { Point } from '../../app/edit';
import type { Box, SegmentRecord } from '../../app/types';
import type { ToolDocument } from './types';

/** Calls fn for each pixel a polyline passes through (sampled at most half a pixel apart). */
function walkPolyline(points: readonly Point[], fn: (x: number, y: number) => void): void {
  if (points.length === 1) {
    fn(Math.floor(points[0]![0]), Math.floor(points[0]![1]));
    return;
  }
  let lastX = NaN;
  let lastY = NaN;
  for (let s = 0; s + 1 < points.length; s++) {
    const [ax, ay] = points[s]!;
    const [bx, by] = points[s + 1]!;
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) * 2));
    for (let k = 0; k <= n; k++) {
      const x = Math.floor(ax + ((bx - ax) * k) / n);
      const y = Math.floor(ay + ((by - ay) * k) / n);
      if (x === lastX && y === lastY) continue;
      lastX = x;
      lastY = y;
      fn(x, y);
    }
  }
}

/** Distinct non-zero ids under a polyline, in the order the line meets them. */
export function idsAlong(doc: ToolDocument, points: readonly Point[]): number[] {
  const seen = new Set<number>();
  walkPolyline(points, (x, y) => {
    const id = doc.labelAt(x, y);
    if (id !== 0) seen.add(id);
  });
  return [...seen];
}

/** How many pixels of each non-zero id a polyline crosses. */
export function countsAlong(doc: ToolDocument, points: readonly Point[]): Map<number, number> {
  const counts = new Map<number, number>();
  walkPolyline(points, (x, y) => {
    const id = doc.labelAt(x, y);
    if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  return counts;
}

/** The id a line crosses most (ties: the first met), or 0. */
export function mostCrossed(doc: ToolDocument, points: readonly Point[]): number {
  let best = 0;
  let bestN = 0;
  for (const [id, n] of countsAlong(doc, points)) {
    if (n > bestN) {
      best = id;
      bestN = n;
    }
  }
  return best;
}

/**
 * The two segments that meet near (x, y): the one under the point and the most frequent other
 * non-zero id within `radius` pixels (or, on an empty pixel, the two most frequent ids). Null when
 * the point is not near a boundary between two segments.
 */
export function boundaryPair(doc: ToolDocument, x: number, y: number, radius: number): [number, number] | null {
  const r = Math.max(1, Math.ceil(radius));
  const cx = Math.floor(x);
  const cy = Math.floor(y);
  const counts = new Map<number, number>();
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy > r * r) continue;
      const id = doc.labelAt(cx + dx, cy + dy);
      if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  const here = doc.labelAt(cx, cy);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
  if (here !== 0) {
    const other = ranked.find((id) => id !== here);
    return other === undefined ? null : [here, other];
  }
  return ranked.length >= 2 ? [ranked[0]!, ranked[1]!] : null;
}

/** Normalised box from two corners (image pixels covered by the drag). */
export function boxFromCorners(ax: number, ay: number, bx: number, by: number): Box {
  const x0 = Math.floor(Math.min(ax, bx));
  const y0 = Math.floor(Math.min(ay, by));
  const x1 = Math.ceil(Math.max(ax, bx));
  const y1 = Math.ceil(Math.max(ay, by));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Segments whose bounding-box centre lies in `box` (a drag-box selection). */
export function idsInBox(doc: ToolDocument, box: Box): number[] {
  const out: number[] = [];
  for (const s of doc.segments.values()) {
    const cx = s.bbox.x + s.bbox.width / 2;
    const cy = s.bbox.y + s.bbox.height / 2;
    if (s.area > 0 && cx >= box.x && cx <= box.x + box.width && cy >= box.y && cy <= box.y + box.height) out.push(s.id);
  }
  return out.sort((a, b) => a - b);
}

/** Reading order: top to bottom by box centre row band, then left to right. */
function readingKey(s: SegmentRecord): [number, number] {
  return [s.bbox.y + s.bbox.height / 2, s.bbox.x + s.bbox.width / 2];
}

/** The next (or previous) unverified segment after `afterId` in reading order (wrapping around), or null when all are verified. */
export function nextUnverified(segments: Iterable<SegmentRecord>, afterId: number | null, backwards = false): SegmentRecord | null {
  const list = [...segments].filter((s) => s.area > 0);
  // Classes the classifier gave come first, least confident first: they most need a look.
  const confidence = (s: SegmentRecord) => (s.classSource === 'classifier' && s.classConfidence != null ? s.classConfidence : 2);
  list.sort((a, b) => {
    const ca = confidence(a);
    const cb = confidence(b);
    if (ca !== cb) return ca - cb;
    const [ay, ax] = readingKey(a);
    const [by, bx] = readingKey(b);
    return ay - by || ax - bx || a.id - b.id;
  });
  if (backwards) list.reverse();
  const start = afterId === null ? -1 : list.findIndex((s) => s.id === afterId);
  for (let k = 1; k <= list.length; k++) {
    const s = list[(start + k + list.length) % list.length]!;
    if (!s.verified) return s;
  }
  return null;
}

/** Squared distance between two points. */
export function dist2(a: Point, b: Point): number {
  return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;
}
