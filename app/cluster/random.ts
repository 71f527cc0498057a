// Small seeded pseudo-random generator for deterministic sampling (same seed, same sample).
// mulberry32: 32-bit state, good enough for picking sample indices, not for cryptography.

/** Returns a function yielding uniform numbers in [0, 1) from a 32-bit integer seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Up to `size` distinct indices from [0, n), chosen by a seeded partial Fisher-Yates shuffle and
 * returned in ascending order; all of [0, n) when n <= size.
 */
export function sampleIndices(n: number, size: number, seed: number): Int32Array {
  if (n <= size) {
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  // Sparse Fisher-Yates: only swapped positions are remembered, so memory is O(size), not O(n).
  const rand = seededRandom(seed);
  const swapped = new Map<number, number>();
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out.sort();
}
