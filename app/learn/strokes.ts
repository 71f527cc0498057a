// Scribbles: brush strokes that label pixels for training (labels, not segments). A stroke is a
// polyline with a radius; painting sets its pixels to a class, erasing clears them. Replaying the
// strokes in order gives the label map, so undo is dropping the last stroke.

export interface StrokeShape {
  /** x0, y0, x1, y1, ... in image pixels. */
  points: number[];
  radius: number;
}

/**
 * Calls visit(i) once for every pixel index within `radius` of the polyline. Row by row: each
 * segment's capsule meets a row in one interval (it is convex), found in closed form and checked
 * at its ends with the exact distance; the intervals of a row are merged before visiting, so the
 * work is the painted pixels plus rows x segments, not box area x segments (a long stroke across
 * a large image, or a client that sends 20,000 points, took minutes that way).
 */
export function strokePixels(w: number, h: number, s: StrokeShape, visit: (i: number) => void): void {
  const p = s.points;
  const r = Math.max(0.5, s.radius);
  const r2 = r * r;
  const n = p.length >> 1;
  if (n === 0 || w <= 0 || h <= 0) return;
  const nSeg = n === 1 ? 1 : n - 1;
  const seg = new Float64Array(nSeg * 4);
  for (let k = 0; k < nSeg; k++) {
    const j = n === 1 ? 0 : k;
    seg[4 * k] = p[2 * j]!;
    seg[4 * k + 1] = p[2 * j + 1]!;
    seg[4 * k + 2] = p[2 * (n === 1 ? 0 : j + 1)]!;
    seg[4 * k + 3] = p[2 * (n === 1 ? 0 : j + 1) + 1]!;
  }
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let k = 0; k < nSeg; k++) {
    yMin = Math.min(yMin, seg[4 * k + 1]!, seg[4 * k + 3]!);
    yMax = Math.max(yMax, seg[4 * k + 1]!, seg[4 * k + 3]!);
  }
  const y0 = Math.max(0, Math.floor(yMin - r));
  const y1 = Math.min(h - 1, Math.ceil(yMax + r));
  // Per row: +1 at an interval's first pixel, -1 after its last.
  const diff = new Int32Array(w + 1);
  for (let y = y0; y <= y1; y++) {
    let any = false;
    for (let k = 0; k < nSeg; k++) {
      const ax = seg[4 * k]!;
      const ay = seg[4 * k + 1]!;
      const bx = seg[4 * k + 2]!;
      const by = seg[4 * k + 3]!;
      if (y < Math.min(ay, by) - r || y > Math.max(ay, by) + r) continue;
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const inside = (x: number): boolean => {
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
        const ex = x - (ax + t * dx);
        const ey = y - (ay + t * dy);
        return ex * ex + ey * ey <= r2;
      };
      // The capsule's interval on this row: union of the two end discs and the band between them.
      let lo = Infinity;
      let hi = -Infinity;
      for (const [cx, cy] of [[ax, ay], [bx, by]] as const) {
        const q = r2 - (y - cy) * (y - cy);
        if (q >= 0) {
          const sq = Math.sqrt(q);
          lo = Math.min(lo, cx - sq);
          hi = Math.max(hi, cx + sq);
        }
      }
      if (len2 > 0) {
        const len = Math.sqrt(len2);
        let bl = -Infinity;
        let bh = Infinity;
        if (dy !== 0) {
          const u = ax + ((y - ay) * dx - r * len) / dy;
          const v = ax + ((y - ay) * dx + r * len) / dy;
          bl = Math.min(u, v);
          bh = Math.max(u, v);
        } else if (Math.abs(y - ay) > r) bh = -Infinity;
        if (dx !== 0) {
          const u = ax - ((y - ay) * dy) / dx;
          const v = ax + (len2 - (y - ay) * dy) / dx;
          bl = Math.max(bl, Math.min(u, v));
          bh = Math.min(bh, Math.max(u, v));
        } else {
          const t = ((y - ay) * dy) / len2;
          if (t < 0 || t > 1) bh = -Infinity;
        }
        if (bl <= bh) {
          lo = Math.min(lo, bl);
          hi = Math.max(hi, bh);
        }
      }
      if (!(lo <= hi)) continue;
      // Whole pixels, corrected at both ends by the exact test (rounding of the closed form).
      let a = Math.max(0, Math.ceil(lo));
      let b = Math.min(w - 1, Math.floor(hi));
      while (a > 0 && inside(a - 1)) a--;
      while (a <= b && !inside(a)) a++;
      while (b < w - 1 && inside(b + 1)) b++;
      while (b >= a && !inside(b)) b--;
      if (a > b) continue;
      diff[a]!++;
      diff[b + 1]!--;
      any = true;
    }
    if (!any) continue;
    let c = 0;
    for (let x = 0; x < w; x++) {
      c += diff[x]!;
      diff[x] = 0;
      if (c > 0) visit(y * w + x);
    }
    diff[w] = 0;
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

/** Whether a stroke covers at least one pixel of a w x h image (one wholly outside labels nothing). */
export function strokeTouchesImage(w: number, h: number, s: StrokeShape): boolean {
  let touches = false;
  strokePixels(w, h, s, () => (touches = true));
  return touches;
}
