// Scribbles: brush strokes that label pixels for training (labels, not segments). A stroke is a
// polyline with a radius; painting sets its pixels to a class, erasing clears them. Replaying the
// strokes in order gives the label map, so undo is dropping the last stroke.

export interface StrokeShape {
  /** x0, y0, x1, y1, ... in image pixels. */
  points: number[];
  radius: number;
}

/** Calls visit(i) for every pixel index within `radius` of the polyline (each pixel once per segment). */
export function strokePixels(w: number, h: number, s: StrokeShape, visit: (i: number) => void): void {
  const p = s.points;
  const r = Math.max(0.5, s.radius);
  const r2 = r * r;
  const n = p.length >> 1;
  if (n === 0) return;
  const segs = n === 1 ? [[p[0]!, p[1]!, p[0]!, p[1]!]] : Array.from({ length: n - 1 }, (_, k) => [p[2 * k]!, p[2 * k + 1]!, p[2 * k + 2]!, p[2 * k + 3]!]);
  const x0 = Math.max(0, Math.floor(Math.min(...segs.map((q) => Math.min(q[0]!, q[2]!))) - r));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(...segs.map((q) => Math.max(q[0]!, q[2]!))) + r));
  const y0 = Math.max(0, Math.floor(Math.min(...segs.map((q) => Math.min(q[1]!, q[3]!))) - r));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(...segs.map((q) => Math.max(q[1]!, q[3]!))) + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      for (const [ax, ay, bx, by] of segs) {
        const dx = bx! - ax!;
        const dy = by! - ay!;
        const len2 = dx * dx + dy * dy;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax!) * dx + (y - ay!) * dy) / len2)) : 0;
        const ex = x - (ax! + t * dx);
        const ey = y - (ay! + t * dy);
        if (ex * ex + ey * ey <= r2) {
          visit(y * w + x);
          break;
        }
      }
    }
  }
}

export interface ScribbleStroke extends StrokeShape {
  /** Paint a class, or erase whatever was painted. */
  kind: 'paint' | 'erase';
  /** The class painted (ignored for erase). */
  classId: number | null;
}

/**
 * The label of every pixel after the strokes in order: 0 = unlabelled, else `valueOf(classId)`
 * (strokes whose class maps to 0 are skipped).
 */
export function replayStrokes(strokes: readonly ScribbleStroke[], w: number, h: number, valueOf: (classId: number) => number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (const s of strokes) {
    const v = s.kind === 'erase' || s.classId == null ? 0 : valueOf(s.classId);
    if (s.kind === 'paint' && v === 0) continue;
    strokePixels(w, h, s, (i) => (out[i] = v));
  }
  return out;
}
