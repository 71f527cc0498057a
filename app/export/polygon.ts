// Mask <-> polygon conversion for COCO and YOLO: outer contours along pixel edges, Douglas-Peucker
// simplification, a hole check, and pycocotools-compatible polygon rasterisation for import.
//
// Coordinates are pixel-corner coordinates: pixel (x, y) covers [x, x+1] x [y, y+1]. Tracing along
// pixel edges gives outlines whose area equals the pixel count and that pycocotools (and our
// `polygonsToRle`) rasterise back to exactly the same pixels when not simplified.
//
// COCO polygons cannot express holes: a list of polygons is a union. Only outer contours are
// written, so a segment with holes gains them as foreground; use RLE for such segments
// (`hasHoles` tells which; buildCocoDataset's 'auto' mode does this).
import type { Box, LabelMap } from '../types';
import { decodeMask, rleMerge, type BinaryMask, type Rle } from './rle';

/** One closed outline [x1, y1, x2, y2, ...] in pixel-corner coordinates (COCO's polygon form). */
export type Polygon = number[];

interface PolygonOptions {
  /** Douglas-Peucker tolerance in pixels; 0 (default) keeps every corner, which is lossless. */
  tolerance?: number;
  /** Parts (8-connected components) with fewer pixels are dropped; default 1 (keep all). */
  minArea?: number;
}

/** A cropped, zero-padded binary view: pixel (x, y) of the crop is at (x + 1, y + 1). */
interface Padded {
  w: number;
  h: number;
  m: Uint8Array;
  ox: number;
  oy: number;
}

function padMask(mask: BinaryMask, box?: Box): Padded {
  const bx = box ? box.x : 0;
  const by = box ? box.y : 0;
  const bw = box ? box.width : mask.width;
  const bh = box ? box.height : mask.height;
  const w = bw + 2;
  const h = bh + 2;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < bh; y++) {
    const src = (by + y) * mask.width + bx;
    const dst = (y + 1) * w + 1;
    for (let x = 0; x < bw; x++) m[dst + x] = mask.data[src + x]! !== 0 ? 1 : 0;
  }
  return { w, h, m, ox: bx - 1, oy: by - 1 };
}

function padSegment(map: LabelMap, id: number, box: Box): Padded {
  const w = box.width + 2;
  const h = box.height + 2;
  const m = new Uint8Array(w * h);
  for (let y = 0; y < box.height; y++) {
    const src = (box.y + y) * map.width + box.x;
    const dst = (y + 1) * w + 1;
    for (let x = 0; x < box.width; x++) if (map.data[src + x] === id) m[dst + x] = 1;
  }
  return { w, h, m, ox: box.x - 1, oy: box.y - 1 };
}

/** Bounding box of one id in a label map, or null when it has no pixels. */
function segmentBox(map: LabelMap, id: number): Box | null {
  const { width: w, height: h, data } = map;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (data[row + x] !== id) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Bounding box and pixel count of every non-zero id in one pass (ascending id order). */
export function segmentBoxes(map: LabelMap): Map<number, Box & { area: number }> {
  const { width: w, height: h, data } = map;
  const acc = new Map<number, { x0: number; y0: number; x1: number; y1: number; area: number }>();
  let lastId = 0;
  let cur: { x0: number; y0: number; x1: number; y1: number; area: number } | undefined;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let x = 0;
    while (x < w) {
      const id = data[row + x]!;
      let e = x + 1;
      while (e < w && data[row + e] === id) e++;
      if (id !== 0) {
        if (id !== lastId) {
          lastId = id;
          cur = acc.get(id);
          if (!cur) {
            cur = { x0: x, y0: y, x1: e - 1, y1: y, area: 0 };
            acc.set(id, cur);
          }
        }
        const c = cur!;
        c.area += e - x;
        if (x < c.x0) c.x0 = x;
        if (e - 1 > c.x1) c.x1 = e - 1;
        c.y1 = y;
      }
      x = e;
    }
  }
  const out = new Map<number, Box & { area: number }>();
  for (const id of [...acc.keys()].sort((a, b) => a - b)) {
    const c = acc.get(id)!;
    out.set(id, { x: c.x0, y: c.y0, width: c.x1 - c.x0 + 1, height: c.y1 - c.y0 + 1, area: c.area });
  }
  return out;
}

// Direction steps: 0 = +x, 1 = +y, 2 = -x, 3 = -y (image coordinates, y down).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/**
 * Traces the outer boundary of the 8-connected component whose first pixel in raster order is
 * (px, py), walking pixel edges with the component on the right-hand side. Returns corner
 * vertices (turns only) in padded coordinates.
 */
function traceOuter(p: Padded, px: number, py: number): number[] {
  const { w, m } = p;
  const fg = (x: number, y: number) => m[y * w + x] !== 0;
  const sx = px;
  const sy = py;
  let cx = sx;
  let cy = sy;
  let d = 0;
  const pts: number[] = [];
  const limit = 4 * p.w * p.h + 8;
  for (let step = 0; step < limit; step++) {
    // Pixels ahead of corner (cx, cy) on the left and on the right of direction d.
    let lx: number, ly: number, rx: number, ry: number;
    switch (d) {
      case 0: lx = cx; ly = cy - 1; rx = cx; ry = cy; break;
      case 1: lx = cx; ly = cy; rx = cx - 1; ry = cy; break;
      case 2: lx = cx - 1; ly = cy; rx = cx - 1; ry = cy - 1; break;
      default: lx = cx - 1; ly = cy - 1; rx = cx; ry = cy - 1; break;
    }
    let nd: number;
    if (fg(lx, ly)) nd = (d + 3) & 3;
    else if (fg(rx, ry)) nd = d;
    else nd = (d + 1) & 3;
    if (nd !== d || step === 0) pts.push(cx, cy);
    d = nd;
    cx += DX[d]!;
    cy += DY[d]!;
    if (cx === sx && cy === sy && d === 3) {
      // Back at the start having come up the left side: the next move would repeat the walk.
      return pts;
    }
  }
  throw new Error('contour tracing did not close (internal error)');
}

/**
 * Marks the 8-connected component containing pixel `start` with 2 and returns its pixel count.
 * Span (scanline) fill: each run is filled in one tight loop and the rows above and below are
 * scanned once per run; the zero padding ring keeps every index in range.
 */
function fillComponent(p: Padded, start: number, stack: Int32Array): number {
  const { w, m } = p;
  let top = 0;
  stack[top++] = start;
  let n = 0;
  while (top > 0) {
    const i = stack[--top]!;
    if (m[i] !== 1) continue;
    let l = i;
    while (m[l - 1] === 1) l--;
    let r = i;
    while (m[r + 1] === 1) r++;
    for (let k = l; k <= r; k++) m[k] = 2;
    n += r - l + 1;
    for (let off = -w; off <= w; off += 2 * w) {
      const end = r + 1 + off;
      let k = l - 1 + off;
      while (k <= end) {
        if (m[k] === 1) {
          stack[top++] = k;
          while (k <= end && m[k] === 1) k++;
        } else k++;
      }
    }
  }
  return n;
}

function polygonsOfPadded(p: Padded, options: PolygonOptions): { polygons: Polygon[]; components: number } {
  const tol = options.tolerance ?? 0;
  const minArea = options.minArea ?? 1;
  const polygons: Polygon[] = [];
  const stack = new Int32Array(p.w * p.h);
  let components = 0;
  const { w, h, m } = p;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1, i = y * w + 1; x < w - 1; x++, i++) {
      if (m[i] !== 1) continue;
      const corners = traceOuter(p, x, y);
      const area = fillComponent(p, i, stack);
      components++;
      if (area < minArea) continue;
      let poly = corners;
      for (let k = 0; k < poly.length; k += 2) {
        poly[k] = poly[k]! + p.ox;
        poly[k + 1] = poly[k + 1]! + p.oy;
      }
      if (tol > 0) poly = simplifyPolygon(poly, tol);
      polygons.push(poly);
    }
  }
  return { polygons, components };
}

/**
 * Euler number of the foreground with 8-connectivity (components minus holes), from counts of
 * 2x2 patterns (Gray 1971): (Q1 - Q3 - 2 QD) / 4. Must run before the component fill marks pixels.
 */
function euler8(p: Padded): number {
  const { w, h, m } = p;
  let q1 = 0;
  let q3 = 0;
  let qd = 0;
  for (let y = 1; y < h; y++) {
    let i = y * w + 1;
    // Slide the 2x2 window: the right column of one window is the left column of the next.
    let a = m[i - w - 1]!;
    let c = m[i - 1]!;
    for (let x = 1; x < w; x++, i++) {
      const b = m[i - w]!;
      const d = m[i]!;
      const s = a + b + c + d;
      if (s !== 0 && s !== 4) {
        if (s === 1) q1++;
        else if (s === 3) q3++;
        else if (a === d) qd++;
      }
      a = b;
      c = d;
    }
  }
  return (q1 - q3 - 2 * qd) / 4;
}

interface SegmentOutline {
  polygons: Polygon[];
  /** The segment encloses background, which polygons cannot express (use RLE). */
  hasHoles: boolean;
}

/** Outer contours and the hole check of one segment from a single crop of the label map. */
export function segmentOutline(map: LabelMap, id: number, box?: Box | null, options: PolygonOptions = {}): SegmentOutline {
  const b = box ?? segmentBox(map, id);
  if (!b) return { polygons: [], hasHoles: false };
  const p = padSegment(map, id, b);
  const e = euler8(p);
  const { polygons, components } = polygonsOfPadded(p, options);
  return { polygons, hasHoles: components - e > 0 };
}

/** Outer contours of every 8-connected part of a binary mask (largest-first is not implied). */
export function maskToPolygons(mask: BinaryMask, options: PolygonOptions = {}): Polygon[] {
  return polygonsOfPadded(padMask(mask), options).polygons;
}

/** Outer contours of one segment of a label map; pass its bounding box when known (faster). */
export function segmentToPolygons(map: LabelMap, id: number, box?: Box | null, options: PolygonOptions = {}): Polygon[] {
  const b = box ?? segmentBox(map, id);
  if (!b) return [];
  return polygonsOfPadded(padSegment(map, id, b), options).polygons;
}

/** Shoelace area of a closed polygon (absolute value, pixels^2). */
export function polygonArea(poly: Polygon): number {
  let s = 0;
  const n = poly.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    s += poly[2 * j]! * poly[2 * i + 1]! - poly[2 * i]! * poly[2 * j + 1]!;
  }
  return Math.abs(s) / 2;
}

/**
 * The Douglas-Peucker step shared by every simplification: for each chain [a, b] (pairs in
 * `chains`, end points already kept), keeps the point farthest from the segment a-b when it lies
 * farther than `tolerance`, and splits there. Iterative, so long outlines cannot overflow the
 * stack. Marks kept points in `keep`.
 */
export function douglasPeucker(X: ArrayLike<number>, Y: ArrayLike<number>, keep: Uint8Array, chains: number[], tolerance: number): void {
  const tol2 = tolerance * tolerance;
  const stack = chains.slice();
  while (stack.length) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    if (b - a < 2) continue;
    const ax = X[a]!, ay = Y[a]!;
    const vx = X[b]! - ax, vy = Y[b]! - ay;
    const len2 = vx * vx + vy * vy;
    let idx = -1;
    let dmax = -1;
    for (let i = a + 1; i < b; i++) {
      const wx = X[i]! - ax, wy = Y[i]! - ay;
      const cr = vx * wy - vy * wx;
      const d2 = len2 === 0 ? wx * wx + wy * wy : (cr * cr) / len2;
      if (d2 > dmax) {
        dmax = d2;
        idx = i;
      }
    }
    if (dmax > tol2) {
      keep[idx] = 1;
      stack.push(a, idx, idx, b);
    }
  }
}

/**
 * Douglas-Peucker on a closed outline of n points whose coordinates X, Y (length n + 1) repeat the
 * first point at the end: split at point 0 and the point farthest from it, simplify both chains.
 * Returns the kept points' marks.
 */
export function simplifyClosed(X: ArrayLike<number>, Y: ArrayLike<number>, n: number, tolerance: number): Uint8Array {
  let far = 0;
  let best = -1;
  for (let i = 1; i < n; i++) {
    const d = (X[i]! - X[0]!) ** 2 + (Y[i]! - Y[0]!) ** 2;
    if (d > best) {
      best = d;
      far = i;
    }
  }
  const keep = new Uint8Array(n + 1);
  keep[0] = 1;
  keep[far] = 1;
  douglasPeucker(X, Y, keep, [0, far, far, n], tolerance);
  return keep;
}

/**
 * Douglas-Peucker on a closed polygon: split at vertex 0 and the vertex farthest from it, simplify
 * both chains. Keeps at least three vertices (returns the input when it cannot).
 */
export function simplifyPolygon(poly: Polygon, tolerance: number): Polygon {
  const n = poly.length / 2;
  if (n <= 3 || !(tolerance > 0)) return poly.slice();
  // Coordinates with the first vertex repeated at the end, so the closing chain needs no modulo.
  const X = new Float64Array(n + 1);
  const Y = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    X[i] = poly[2 * i]!;
    Y[i] = poly[2 * i + 1]!;
  }
  X[n] = X[0]!;
  Y[n] = Y[0]!;
  const keep = simplifyClosed(X, Y, n, tolerance);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(X[i]!, Y[i]!);
  return out.length >= 6 ? out : poly.slice();
}

/**
 * True when the mask (or one segment of a label map) encloses background: a 4-connected
 * background region that cannot reach the border of its bounding box. Such a segment cannot
 * be written losslessly as COCO polygons; use RLE.
 */
export function hasHoles(mask: BinaryMask): boolean {
  return paddedHasHoles(padMask(mask));
}

export function segmentHasHoles(map: LabelMap, id: number, box?: Box | null): boolean {
  const b = box ?? segmentBox(map, id);
  return b ? paddedHasHoles(padSegment(map, id, b)) : false;
}

function paddedHasHoles(p: Padded): boolean {
  const e = euler8(p);
  // Holes = components - Euler number; count the components with the same 8-connected fill.
  const stack = new Int32Array(p.w * p.h);
  let components = 0;
  for (let i = p.w; i < p.m.length - p.w; i++) {
    if (p.m[i] === 1) {
      fillComponent(p, i, stack);
      components++;
    }
  }
  return components - e > 0;
}

/** Caps for rasterising untrusted polygons. */
interface PolygonLimits {
  /** Most outline points after pycocotools' 5x upsampling, summed over a call; default 50 M. */
  maxUpsampledPoints?: number;
}

/**
 * Rasterises one polygon exactly as pycocotools' frPyObjects/rleFrPoly does (the rule COCO
 * training code applies): the outline is upsampled 5x and a pixel column toggles where the
 * outline crosses its centre line. Vertices must be finite and within a few image sizes of the
 * image (anything else is rejected instead of allocating without bound).
 */
export function polygonToRle(poly: Polygon, height: number, width: number, limits: PolygonLimits = {}): Rle {
  const k = poly.length >> 1;
  if (poly.length % 2 !== 0 || k < 3) throw new Error(`a polygon needs at least 3 points (6 numbers), got ${poly.length} numbers`);
  const reach = 4 * Math.max(height, width, 1) + 16;
  const scale = 5;
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    const px = poly[2 * j]!;
    const py = poly[2 * j + 1]!;
    if (!Number.isFinite(px) || !Number.isFinite(py) || Math.abs(px) > reach || Math.abs(py) > reach) {
      throw new Error(`polygon point ${j} (${px}, ${py}) is not a finite coordinate near the ${width}x${height} image`);
    }
    x[j] = Math.trunc(scale * px + 0.5);
    y[j] = Math.trunc(scale * py + 0.5);
  }
  x[k] = x[0]!;
  y[k] = y[0]!;
  let m = 0;
  for (let j = 0; j < k; j++) m += Math.max(Math.abs(x[j]! - x[j + 1]!), Math.abs(y[j]! - y[j + 1]!)) + 1;
  const maxPts = limits.maxUpsampledPoints ?? 50_000_000;
  if (m > maxPts) throw new Error(`polygon outline is too long to rasterise (${m} points > ${maxPts})`);
  const u = new Int32Array(m);
  const v = new Int32Array(m);
  m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j]!, xe = x[j + 1]!, ys = y[j]!, ye = y[j + 1]!;
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs; xs = xe; xe = t;
      t = ys; ys = ye; ye = t;
    }
    if (dx >= dy) {
      const s = dx === 0 ? 0 : (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = Math.trunc(ys + s * t + 0.5);
        m++;
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = Math.trunc(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // Crossings of pixel-centre columns, as column-major toggle positions.
  const pos: number[] = [];
  for (let j = 1; j < m; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > width - 1) continue;
    let yd = v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!;
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    yd = Math.ceil(yd);
    pos.push(xd * height + yd);
  }
  pos.push(height * width);
  const a = Float64Array.from(pos).sort();
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]!;
    a[j] = t - prev;
    prev = t;
  }
  // Equal positions cancel: fold a zero-length run into the run after it.
  const b: number[] = [a[0]!];
  let j = 1;
  while (j < a.length) {
    if (a[j]! > 0) b.push(a[j++]!);
    else {
      j++;
      if (j < a.length) b[b.length - 1] = b[b.length - 1]! + a[j++]!;
    }
  }
  return { height, width, counts: Uint32Array.from(b) };
}

/** A COCO polygon list (a union of outlines) as one RLE, like pycocotools frPyObjects + merge. */
export function polygonsToRle(polys: readonly Polygon[], height: number, width: number, limits: PolygonLimits = {}): Rle {
  if (polys.length === 0) return { height, width, counts: new Uint32Array([height * width]) };
  return rleMerge(polys.map((p) => polygonToRle(p, height, width, limits)));
}

/** A COCO polygon list rasterised to a row-major binary mask (pycocotools' rule, see polygonToRle). */
export function polygonsToMask(polys: readonly Polygon[], width: number, height: number, limits: PolygonLimits = {}): BinaryMask {
  return decodeMask(polygonsToRle(polys, height, width, limits), { maxPixels: Math.max(width * height, 1) });
}
