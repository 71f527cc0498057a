// Euclidean "within distance r of a set pixel" masks, the tolerance test behind boundary F1.
// Exact Euclidean test in two separable passes, linear in pixels whatever r is.

/**
 * 1 where the Euclidean distance from the pixel centre to the nearest non-zero pixel of `mask`
 * is <= `radius`, else 0 (a dilation by a disk of that radius, without its per-pixel cost).
 */
export function withinDistance(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (mask.length !== width * height) throw new RangeError(`Mask length ${mask.length} is not ${width}x${height}.`);
  if (!(radius >= 0)) throw new RangeError(`Radius must be >= 0, got ${radius}.`);
  const out = new Uint8Array(width * height);
  // Column distances only matter up to the radius; capping keeps them in 16 bits.
  const cap = Math.min(Math.floor(radius) + 1, 65535);
  const g = new Uint16Array(width * height);
  for (let x = 0; x < width; x++) g[x] = mask[x] !== 0 ? 0 : cap;
  for (let y = 1; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (mask[i] !== 0) g[i] = 0;
      else {
        const up = g[i - width]! + 1;
        g[i] = up < cap ? up : cap;
      }
    }
  }
  for (let y = height - 2; y >= 0; y--) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const down = g[i + width]! + 1;
      if (down < g[i]!) g[i] = down;
    }
  }
  // A set pixel at column distance g covers a horizontal span of half-width floor(sqrt(r^2 - g^2))
  // in this row; integer half-widths per g make the test exact, and two running sweeps find
  // every pixel inside some span in linear time.
  const r2 = radius * radius;
  const half = new Int32Array(cap + 1);
  for (let gv = 0; gv <= cap; gv++) {
    const rest = r2 - gv * gv;
    if (rest < 0) {
      half[gv] = -1;
      continue;
    }
    let d = Math.floor(Math.sqrt(rest));
    while ((d + 1) * (d + 1) <= rest) d++;
    while (d > 0 && d * d > rest) d--;
    half[gv] = d;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let reach = -1;
    for (let x = 0; x < width; x++) {
      const hq = half[g[row + x]!]!;
      if (hq >= 0 && x + hq > reach) reach = x + hq;
      if (reach >= x) out[row + x] = 1;
    }
    reach = width;
    for (let x = width - 1; x >= 0; x--) {
      const hq = half[g[row + x]!]!;
      if (hq >= 0 && x - hq < reach) reach = x - hq;
      if (reach <= x) out[row + x] = 1;
    }
  }
  return out;
}
