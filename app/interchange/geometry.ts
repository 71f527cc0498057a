// Shapes with holes, both ways: the outline rings (outer boundary and hole boundaries) of every
// part of a segment, and the rasterisation of polygons with holes back to a label map.
//
// Rings run along pixel edges in pixel-corner coordinates (pixel (x, y) covers [x, x+1] x
// [y, y+1]); parts are 8-connected, holes 4-connected background, as in app/export/polygon.ts.
// A pixel belongs to a polygon when its centre lies inside by the even-odd rule over the polygon's
// rings, so the rings written here rasterise back to exactly the segment's pixels.
import type { Box, LabelMap } from '../types';

/** One closed ring [x1, y1, x2, y2, ...] (the first point is not repeated). */
export type Ring = number[];

/** One 8-connected part: its outer ring and the rings of its holes. */
export interface PolygonWithHoles {
  outer: Ring;
  holes: Ring[];
}

// Steps 0 = +x, 1 = +y, 2 = -x, 3 = -y (y down).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/**
 * The parts of segment `id` (inside `box`, its bounding box) with their holes. Outer rings turn
 * clockwise on screen, holes counter-clockwise; collinear corners are dropped.
 */
export function segmentPolygons(map: LabelMap, id: number, box: Box): PolygonWithHoles[] {
  const w = box.width + 2;
  const h = box.height + 2;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * map.width + box.x;
    const dst = (y + 1) * w + 1;
    for (let x = 0; x < box.width; x++) if (map.data[src + x] === id) m[dst + x] = 1;
  }
  return polygonsOfMask(m, w, h, box.x - 1, box.y - 1);
}

/** The same for a zero-padded binary mask of w x h (border row/column all 0), offset by (ox, oy). */
function polygonsOfMask(m: Uint8Array, w: number, h: number, ox: number, oy: number): PolygonWithHoles[] {
  // 8-connected parts, numbered in raster order of their first pixel.
  const part = new Int32Array(w * h);
  const stack: number[] = [];
  let parts = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i] || part[i]) continue;
    parts++;
    part[i] = parts;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w;
      const py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          const y = py + dy;
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const q = y * w + x;
          if (m[q] && !part[q]) {
            part[q] = parts;
            stack.push(q);
          }
        }
    }
  }
  const out: PolygonWithHoles[] = Array.from({ length: parts }, () => ({ outer: [], holes: [] }));
  // Directed edges already walked, per corner and direction (corners are (w+1) x (h+1)).
  const cw = w + 1;
  const seen = new Uint8Array(cw * (h + 1));
  const fg = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && m[y * w + x] !== 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // A top edge of a foreground pixel with background above starts a ring (walking +x, pixel on the right).
      if (!fg(x, y) || fg(x, y - 1) || seen[y * cw + x]! & 1) continue;
      const ring = trace(x, y);
      const p = out[part[y * w + x]! - 1]!;
      if (signedArea(ring) > 0) p.outer = ring;
      else p.holes.push(ring);
    }
  }
  return out.filter((p) => p.outer.length >= 6);

  function trace(sx: number, sy: number): Ring {
    const pts: number[] = [];
    let cx = sx;
    let cy = sy;
    let d = 0;
    const limit = 4 * w * h + 8;
    for (let step = 0; step < limit; step++) {
      pts.push(cx + ox, cy + oy);
      seen[cy * cw + cx] = seen[cy * cw + cx]! | (1 << d);
      cx += DX[d]!;
      cy += DY[d]!;
      // Pixels ahead on the left and on the right of direction d, seen from corner (cx, cy).
      let lx: number, ly: number, rx: number, ry: number;
      switch (d) {
        case 0: lx = cx; ly = cy - 1; rx = cx; ry = cy; break;
        case 1: lx = cx; ly = cy; rx = cx - 1; ry = cy; break;
        case 2: lx = cx - 1; ly = cy; rx = cx - 1; ry = cy - 1; break;
        default: lx = cx - 1; ly = cy - 1; rx = cx; ry = cy - 1; break;
      }
      // Foreground 8-connected: turn left onto a diagonal neighbour first.
      if (fg(lx, ly)) d = (d + 3) & 3;
      else if (!fg(rx, ry)) d = (d + 1) & 3;
      if (cx === sx && cy === sy && d === 0) return dropCollinear(pts);
    }
    throw new Error('ring tracing did not close (internal error)');
  }
}

function dropCollinear(pts: number[]): Ring {
  const n = pts.length / 2;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i + n - 1) % n;
    const b = (i + 1) % n;
    const ax = pts[2 * a]!, ay = pts[2 * a + 1]!;
    const x = pts[2 * i]!, y = pts[2 * i + 1]!;
    const bx = pts[2 * b]!, by = pts[2 * b + 1]!;
    if ((x - ax) * (by - y) - (y - ay) * (bx - x) !== 0) out.push(x, y);
  }
  return out;
}

/** Shoelace area with sign: positive for rings clockwise on screen (y down). */
export function signedArea(r: Ring): number {
  let s = 0;
  const n = r.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) s += r[2 * j]! * r[2 * i + 1]! - r[2 * i]! * r[2 * j + 1]!;
  return s / 2;
}

export interface RasterLimits {
  /** Most vertices over all rings of one call; default 20 M. */
  maxVertices?: number;
}

/**
 * Paints `value` into `out` (w x h) where pixel centres lie inside the polygon (even-odd over its
 * rings). Coordinates may lie outside the image; they are clipped. Returns the pixels painted.
 */
export function fillPolygon(out: Uint32Array, w: number, h: number, rings: readonly Ring[], value: number, limits: RasterLimits = {}): number {
  let vertices = 0;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const r of rings) {
    if (r.length % 2 !== 0) throw new Error('a ring needs x, y pairs');
    vertices += r.length / 2;
    for (let k = 1; k < r.length; k += 2) {
      const v = r[k]!;
      if (!Number.isFinite(v) || !Number.isFinite(r[k - 1]!)) throw new Error('ring coordinates must be finite numbers');
      if (v < minY) minY = v;
      if (v > maxY) maxY = v;
    }
  }
  if (vertices > (limits.maxVertices ?? 20_000_000)) throw new Error(`a shape has ${vertices} vertices, more than the limit`);
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(h - 1, Math.floor(maxY - 0.5));
  if (y1 < y0) return 0;
  // Edges bucketed by the first row whose centre they cross.
  type Edge = { x: number; dx: number; yEnd: number };
  const starts: Edge[][] = Array.from({ length: y1 - y0 + 1 }, () => []);
  for (const r of rings) {
    const n = r.length / 2;
    if (n < 3) continue;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      let ax = r[2 * j]!, ay = r[2 * j + 1]!, bx = r[2 * i]!, by = r[2 * i + 1]!;
      if (ay === by) continue;
      if (ay > by) [ax, ay, bx, by] = [bx, by, ax, ay];
      // Rows whose centre c = y + 0.5 satisfies ay <= c < by.
      const first = Math.max(y0, Math.ceil(ay - 0.5));
      const last = Math.min(y1, Math.ceil(by - 0.5) - 1);
      if (last < first) continue;
      const dx = (bx - ax) / (by - ay);
      starts[first - y0]!.push({ x: ax + (first + 0.5 - ay) * dx, dx, yEnd: last });
    }
  }
  let active: Edge[] = [];
  let painted = 0;
  const xs: number[] = [];
  for (let y = y0; y <= y1; y++) {
    active = active.filter((e) => e.yEnd >= y);
    for (const e of starts[y - y0]!) active.push(e);
    xs.length = 0;
    for (const e of active) xs.push(e.x);
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Pixels whose centre x + 0.5 lies in [xs[k], xs[k+1]).
      const a = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const b = Math.min(w - 1, Math.ceil(xs[k + 1]! - 0.5) - 1);
      const row = y * w;
      for (let x = a; x <= b; x++) out[row + x] = value;
      if (b >= a) painted += b - a + 1;
    }
    for (const e of active) e.x += e.dx;
  }
  return painted;
}
