// Operations on feature matrices (rows = segments): choosing groups or columns, stacking images.
import type { FeatureGroup, FeatureMatrix } from './features';
import { ServiceError } from '../errors';

/** Keeps only the columns of the given groups (in the matrix's column order). */
export function selectGroups(matrix: FeatureMatrix, groups: readonly FeatureGroup[]): FeatureMatrix {
  const keep: number[] = [];
  matrix.groups.forEach((g, i) => { if (groups.includes(g)) keep.push(i); });
  return selectColumns(matrix, keep);
}

/** Keeps the given column indices, in the given order. */
function selectColumns(matrix: FeatureMatrix, columns: readonly number[]): FeatureMatrix {
  const cols = matrix.names.length;
  const rows = matrix.segmentIds.length;
  const out = new Float64Array(rows * columns.length);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns.length; j++) out[r * columns.length + j] = matrix.data[r * cols + columns[j]!]!;
  }
  return {
    segmentIds: matrix.segmentIds,
    names: columns.map((c) => matrix.names[c]!),
    groups: columns.map((c) => matrix.groups[c]!),
    data: out,
  };
}

/**
 * Stacks the rows of matrices with the same columns (e.g. several images, to normalise and
 * classify them together). Segment ids may repeat across images; `offsets` says where each starts.
 */
export function concatRows(matrices: readonly FeatureMatrix[]): { matrix: FeatureMatrix; offsets: number[] } {
  if (matrices.length === 0) throw new ServiceError('invalid-argument', 'No feature matrices to combine.');
  const first = matrices[0]!;
  const cols = first.names.length;
  for (const m of matrices) {
    if (m.names.length !== cols || m.names.some((name, i) => name !== first.names[i])) {
      throw new ServiceError('invalid-argument', 'Feature matrices have different columns; compute them with the same feature groups.');
    }
  }
  const rows = matrices.reduce((t, m) => t + m.segmentIds.length, 0);
  const ids = new Uint32Array(rows);
  const data = new Float64Array(rows * cols);
  const offsets: number[] = [];
  let r = 0;
  for (const m of matrices) {
    offsets.push(r);
    ids.set(m.segmentIds, r);
    data.set(m.data, r * cols);
    r += m.segmentIds.length;
  }
  return { matrix: { segmentIds: ids, names: [...first.names], groups: [...first.groups], data }, offsets };
}
