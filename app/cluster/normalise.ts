// Z-score normalisation of feature matrices with stored statistics, so that segments of other
// images (or added later) are scaled exactly like the ones the clusters/classifier were built on.
import { ServiceError } from '../errors';
import type { FeatureMatrix } from './features';

export interface ZScoreStats {
  names: string[];
  mean: Float64Array;
  /** 0 for a constant column: its normalised values are all 0. */
  std: Float64Array;
  /** Multiplier applied after scaling (1, or 1/sqrt(columns in the group) with balanceGroups). */
  weight: Float64Array;
}

interface ZScoreOptions {
  /**
   * Scale each column by 1/sqrt(number of columns in its group), so every feature group weighs the
   * same in Euclidean distances (otherwise 256 embedding columns drown 5 intensity ones).
   */
  balanceGroups?: boolean;
}

/** Column means and population standard deviations of a feature matrix. */
export function fitZScore(matrix: FeatureMatrix, options: ZScoreOptions = {}): ZScoreStats {
  const cols = matrix.names.length;
  const rows = matrix.segmentIds.length;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  const d = matrix.data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += d[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c] = rows > 0 ? mean[c]! / rows : 0;
  // Two passes: the centred sum of squares does not cancel catastrophically for large values.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = d[r * cols + c]! - mean[c]!;
      std[c] += x * x;
    }
  }
  for (let c = 0; c < cols; c++) {
    const s = rows > 0 ? Math.sqrt(std[c]! / rows) : 0;
    // Rounding noise on a constant column must not be blown up into unit variance.
    std[c] = s > 1e-12 * Math.max(1, Math.abs(mean[c]!)) ? s : 0;
  }
  const weight = new Float64Array(cols).fill(1);
  if (options.balanceGroups) {
    const perGroup = new Map<string, number>();
    for (const g of matrix.groups) perGroup.set(g, (perGroup.get(g) ?? 0) + 1);
    matrix.groups.forEach((g, c) => { weight[c] = 1 / Math.sqrt(perGroup.get(g)!); });
  }
  return { names: [...matrix.names], mean, std, weight };
}

/**
 * Applies stored statistics; columns are matched by name, so the matrix may list them in another
 * order, but it must have every column the statistics were fitted on (extra columns are dropped).
 */
export function applyZScore(matrix: FeatureMatrix, stats: ZScoreStats): FeatureMatrix {
  const cols = matrix.names.length;
  const rows = matrix.segmentIds.length;
  const position = new Map(matrix.names.map((n, i) => [n, i]));
  const source = stats.names.map((name) => {
    const i = position.get(name);
    if (i === undefined) {
      throw new ServiceError('invalid-argument', `Feature "${name}" is missing; compute features with the same groups as the model.`);
    }
    return i;
  });
  const outCols = stats.names.length;
  const out = new Float64Array(rows * outCols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < outCols; c++) {
      const s = stats.std[c]!;
      out[r * outCols + c] = s > 0 ? ((matrix.data[r * cols + source[c]!]! - stats.mean[c]!) / s) * stats.weight[c]! : 0;
    }
  }
  return {
    segmentIds: matrix.segmentIds,
    names: [...stats.names],
    groups: source.map((i) => matrix.groups[i]!),
    data: out,
  };
}

/** Fits and applies in one step. */
export function zScore(matrix: FeatureMatrix, options: ZScoreOptions = {}): { matrix: FeatureMatrix; stats: ZScoreStats } {
  const stats = fitZScore(matrix, options);
  return { matrix: applyZScore(matrix, stats), stats };
}
