// Convex hull sizes of segments for the shape features (solidity): lattice points inside each
// segment's convex hull, from its per-row pixel extents.

/**
 * Number of lattice points (pixel centres) inside or on the convex hull of each segment's pixel
 * centres, from its per-row extents: Andrew's monotone chain, then Pick's theorem (A + B/2 + 1).
 */
export function convexHullPixelCounts(n: number, extents: { readonly data: Int32Array; readonly length: number }): Float64Array {
  const rec = extents.data;
  const nRec = extents.length / 4;
  // Group records by segment (counting sort keeps each segment's records in row order).
  const start = new Int32Array(n + 1);
  for (let r = 0; r < nRec; r++) start[rec[4 * r]! + 1]++;
  for (let s = 0; s < n; s++) start[s + 1] += start[s]!;
  const order = new Int32Array(nRec);
  const fill = start.slice(0, n);
  for (let r = 0; r < nRec; r++) order[fill[rec[4 * r]!]!++] = r;

  const counts = new Float64Array(n);
  let px = new Float64Array(64);
  let py = new Float64Array(64);
  let hx = new Float64Array(128);
  let hy = new Float64Array(128);
  for (let s = 0; s < n; s++) {
    const rows = start[s + 1]! - start[s]!;
    if (px.length < 2 * rows) {
      px = new Float64Array(4 * rows); py = new Float64Array(4 * rows);
      hx = new Float64Array(8 * rows + 8); hy = new Float64Array(8 * rows + 8);
    }
    // The first and last pixel of each row, already sorted by (y, x): no other pixel can be a hull vertex.
    let m = 0;
    for (let k = start[s]!; k < start[s + 1]!; k++) {
      const r = order[k]!;
      const y = rec[4 * r + 1]!;
      px[m] = rec[4 * r + 2]!; py[m] = y; m++;
      if (rec[4 * r + 3]! !== rec[4 * r + 2]!) { px[m] = rec[4 * r + 3]!; py[m] = y; m++; }
    }
    counts[s] = hullLatticePoints(px, py, m, hx, hy);
  }
  return counts;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Lattice points in the convex hull of integer points sorted by (y, x). */
function hullLatticePoints(px: Float64Array, py: Float64Array, m: number, hx: Float64Array, hy: Float64Array): number {
  if (m <= 1) return m;
  const cross = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) =>
    (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  let k = 0;
  for (let i = 0; i < m; i++) {
    while (k >= 2 && cross(hx[k - 2]!, hy[k - 2]!, hx[k - 1]!, hy[k - 1]!, px[i]!, py[i]!) <= 0) k--;
    hx[k] = px[i]!; hy[k] = py[i]!; k++;
  }
  const lower = k + 1;
  for (let i = m - 2; i >= 0; i--) {
    while (k >= lower && cross(hx[k - 2]!, hy[k - 2]!, hx[k - 1]!, hy[k - 1]!, px[i]!, py[i]!) <= 0) k--;
    hx[k] = px[i]!; hy[k] = py[i]!; k++;
  }
  // hx/hy is a closed loop (first vertex repeated); a collinear set gives p0 -> p1 -> p0, area 0.
  let twice = 0;
  let boundary = 0;
  for (let i = 0; i < k - 1; i++) {
    twice += hx[i]! * hy[i + 1]! - hx[i + 1]! * hy[i]!;
    boundary += gcd(Math.abs(hx[i + 1]! - hx[i]!), Math.abs(hy[i + 1]! - hy[i]!));
  }
  return Math.abs(twice) / 2 + boundary / 2 + 1;
}
