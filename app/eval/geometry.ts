// Turning pixel regions into the gestures a person would draw: an outline polygon (pixel-corner
// contour), a stroke along a region's long axis, a cut line ordered along a boundary, simplified.
import type { Point } from '../edit';
import { douglasPeucker, simplifyClosed } from '../export/polygon';

/**
 * A binary mask over a window of the image: mask[(y - y0) * width + (x - x0)] for image pixel
 * (x, y). Helpers here keep the window's outermost ring empty (callers pad by 1) so neighbour
 * lookups need no bounds checks.
 */
export interface Window {
  x0: number;
  y0: number;
  width: number;
  height: number;
  mask: Uint8Array;
}

/** A padded window covering pixel indices `pixels` of an image of width `imageWidth`. */
export function windowOf(pixels: ArrayLike<number>, imageWidth: number): Window {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k]!;
    const y = Math.floor(i / imageWidth);
    const x = i - y * imageWidth;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const win: Window = { x0: x0 - 1, y0: y0 - 1, width: x1 - x0 + 3, height: y1 - y0 + 3, mask: new Uint8Array(0) };
  win.mask = new Uint8Array(win.width * win.height);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k]!;
    const y = Math.floor(i / imageWidth);
    const x = i - y * imageWidth;
    win.mask[(y - win.y0) * win.width + (x - win.x0)] = 1;
  }
  return win;
}

// Crack-following moves on the pixel-corner lattice: E, S, W, N (y down).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/**
 * Outer outline of the 4-connected component holding the window's first set pixel (raster order),
 * as pixel-corner vertices in image coordinates (only where the direction changes). Filled with
 * the even-odd rule over pixel centres it gives back exactly that component with its holes filled.
 */
export function traceOutline(win: Window): Point[] {
  const { width: w, height: h, mask } = win;
  let start = -1;
  for (let k = 0; k < mask.length; k++) {
    if (mask[k]) {
      start = k;
      break;
    }
  }
  if (start < 0) return [];
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] !== 0;
  const sx = start % w;
  const sy = (start - sx) / w;
  // Start on the top edge of the first pixel heading east: the region lies to the right (south).
  let cx = sx;
  let cy = sy;
  let d = 0;
  const out: Point[] = [[win.x0 + cx, win.y0 + cy]];
  const limit = 4 * (w + 1) * (h + 1);
  for (let step = 0; step < limit; step++) {
    cx += DX[d]!;
    cy += DY[d]!;
    // The two pixels ahead of corner (cx, cy): ahead-right (region side) and ahead-left.
    let arx: number, ary: number, alx: number, aly: number;
    if (d === 0) [arx, ary, alx, aly] = [cx, cy, cx, cy - 1];
    else if (d === 1) [arx, ary, alx, aly] = [cx - 1, cy, cx, cy];
    else if (d === 2) [arx, ary, alx, aly] = [cx - 1, cy - 1, cx - 1, cy];
    else [arx, ary, alx, aly] = [cx, cy - 1, cx - 1, cy - 1];
    // 4-connectivity: a region pixel only diagonally ahead does not continue the outline.
    const nd = !inside(arx, ary) ? (d + 1) & 3 : inside(alx, aly) ? (d + 3) & 3 : d;
    if (cx === sx && cy === sy && nd === 0) break;
    if (nd !== d) out.push([win.x0 + cx, win.y0 + cy]);
    d = nd;
  }
  return out;
}

/**
 * Ordered pixels (window indices) of a longest shortest path through the set pixels, 8-connected,
 * found by a double BFS sweep from the first set pixel: the stroke a person draws along a sliver
 * or a boundary. Only the component of the first set pixel is visited.
 */
export function longestPath(win: Window): Int32Array {
  const { width: w, mask } = win;
  let first = -1;
  for (let k = 0; k < mask.length; k++) {
    if (mask[k]) {
      first = k;
      break;
    }
  }
  if (first < 0) return new Int32Array(0);
  const parent = new Int32Array(mask.length);
  const queue = new Int32Array(mask.length);
  const N8 = [-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1];
  const bfs = (from: number): number => {
    parent.fill(-2);
    parent[from] = -1;
    let head = 0;
    let tail = 0;
    queue[tail++] = from;
    let last = from;
    while (head < tail) {
      const k = queue[head++]!;
      last = k;
      for (const o of N8) {
        const q = k + o;
        if (mask[q] && parent[q] === -2) {
          parent[q] = k;
          queue[tail++] = q;
        }
      }
    }
    return last;
  };
  const a = bfs(first);
  const b = bfs(a);
  const path: number[] = [];
  for (let k = b; k !== -1; k = parent[k]!) path.push(k);
  return Int32Array.from(path);
}

/** Centres of window pixels as image points. */
export function pixelCentres(win: Window, pixels: ArrayLike<number>): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k]!;
    const x = i % win.width;
    const y = (i - x) / win.width;
    out.push([win.x0 + x + 0.5, win.y0 + y + 0.5]);
  }
  return out;
}

/**
 * Douglas-Peucker simplification: keeps the points needed so that no dropped point lies farther
 * than `tolerance` from the kept polyline. A closed outline is split at its first point and the
 * point farthest from it. Iterative, so long outlines cannot overflow the stack.
 */
export function simplify(points: readonly Point[], tolerance: number, closed = false): Point[] {
  const n = points.length;
  if (n <= 2) return points.slice();
  // Coordinates with the first point repeated at the end, so a closed outline's last chain needs no modulo.
  const X = new Float64Array(n + 1);
  const Y = new Float64Array(n + 1);
  points.forEach(([x, y], i) => {
    X[i] = x;
    Y[i] = y;
  });
  X[n] = X[0]!;
  Y[n] = Y[0]!;
  let keep: Uint8Array;
  if (closed) {
    // The closing chain far..n-1 then back to 0 is simplified against the point n (= point 0).
    keep = simplifyClosed(X, Y, n, tolerance);
  } else {
    keep = new Uint8Array(n + 1);
    keep[0] = 1;
    keep[n - 1] = 1;
    douglasPeucker(X, Y, keep, [0, n - 1], tolerance);
  }
  const out: Point[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(points[i]!);
  return out;
}

/**
 * Chessboard depth of every set pixel (1 = on the region's edge, 2 = one pixel in, ...), 0
 * outside: half the local thickness of a region, which decides between a stroke and an outline.
 */
export function chessboardDepth(win: Window): Uint16Array {
  const { width: w, height: h, mask } = win;
  const d = new Uint16Array(mask.length);
  const big = 65535;
  for (let k = 0; k < mask.length; k++) d[k] = mask[k] ? big : 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const k = y * w + x;
      if (!d[k]) continue;
      d[k] = Math.min(d[k]!, d[k - 1]! + 1, d[k - w - 1]! + 1, d[k - w]! + 1, d[k - w + 1]! + 1);
    }
  }
  for (let y = h - 2; y >= 1; y--) {
    for (let x = w - 2; x >= 1; x--) {
      const k = y * w + x;
      if (!d[k]) continue;
      d[k] = Math.min(d[k]!, d[k + 1]! + 1, d[k + w + 1]! + 1, d[k + w]! + 1, d[k + w - 1]! + 1);
    }
  }
  return d;
}
