// The one seeded pseudo-random generator of the pure layer (mulberry32): the same seed gives the
// same sequence on every machine, for dataset splits, sampling, tests and benchmarks.

/** Returns a function yielding uniform numbers in [0, 1) from a 32-bit integer seed. Not for cryptography. */
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
