// Deterministic sampling for clustering (same seed, same sample), on the shared seeded generator.

import { seededRandom } from '../random';

export { seededRandom };

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
