// Adjusted Rand index of two label maps, pixels treated as a clustering (MatSAM's grain-map metric).
// Pair-count sums are exact integers (BigInt past float64's exact range) so 16k x 16k maps stay exact.
import { contingency, marginal, type IndexMap } from './contingency';

export interface AriOptions {
  /** Leave out pixels whose truth label is this value (e.g. 0 = boundary/unlabelled in the truth). */
  ignoreTruth?: number;
}

/** Float64 holds every integer below 2^53; pair sums stay below C(n, 2), so small n can skip BigInt. */
const EXACT_PIXELS = 94_906_265; // largest n with n * (n - 1) / 2 < 2^53

/**
 * Adjusted Rand index (Hubert & Arabie) of `pred` against `truth`, the same value as
 * scikit-learn's `adjusted_rand_score(truth.ravel(), pred.ravel())`. Every distinct value is a
 * cluster, 0 included. 1 = identical partitions (up to renaming), about 0 = chance, may be < 0.
 */
export function adjustedRandIndex(truth: IndexMap, pred: IndexMap, options: AriOptions = {}): number {
  const table = contingency(truth, pred, options.ignoreTruth === undefined ? {} : { ignoreTruth: options.ignoreTruth });
  const { a, b, count } = table.entries();
  let n = 0;
  for (let i = 0; i < count.length; i++) n += count[i]!;
  const rows = marginal(a, count).count;
  const cols = marginal(b, count).count;
  const exact = n <= EXACT_PIXELS;
  const sumPairs = exact ? sumComb2(count) : sumComb2Big(count);
  const sumRows = exact ? sumComb2(rows) : sumComb2Big(rows);
  const sumCols = exact ? sumComb2(cols) : sumComb2Big(cols);
  const total = (BigInt(n) * BigInt(Math.max(n - 1, 0))) / 2n;
  // ARI = (S - A*B/N) / ((A+B)/2 - A*B/N), multiplied through by 2N to keep integers.
  const num = 2n * (total * sumPairs - sumRows * sumCols);
  const den = total * (sumRows + sumCols) - 2n * sumRows * sumCols;
  // den is 0 only when both partitions agree perfectly (all one cluster or all singletons).
  if (den === 0n) return 1;
  return Number(num) / Number(den);
}

function sumComb2(counts: Float64Array): bigint {
  let s = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    s += (c * (c - 1)) / 2;
  }
  return BigInt(s);
}

function sumComb2Big(counts: Float64Array): bigint {
  let s = 0n;
  for (let i = 0; i < counts.length; i++) {
    const c = BigInt(counts[i]!);
    s += (c * (c - 1n)) / 2n;
  }
  return s;
}
