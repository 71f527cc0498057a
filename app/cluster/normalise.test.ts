import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeatureMatrix } from './features';
import { applyZScore, fitZScore, zScore } from './normalise';

const matrix = (names: string[], rows: number[][], groups?: FeatureMatrix['groups']): FeatureMatrix => ({
  segmentIds: Uint32Array.from(rows.map((_, i) => i + 1)),
  names,
  groups: groups ?? names.map(() => 'intensity'),
  data: Float64Array.from(rows.flat()),
});

test('z-score gives zero mean and unit std per column; constant columns become 0', () => {
  const m = matrix(['a', 'b', 'c'], [[1, 1e9, 5], [2, 1e9 + 2, 5], [3, 1e9 + 4, 5], [6, 1e9 + 6, 5]]);
  const { matrix: z, stats } = zScore(m);
  for (let c = 0; c < 3; c++) {
    const col = [0, 1, 2, 3].map((r) => z.data[r * 3 + c]!);
    const mean = col.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    assert.ok(Math.abs(mean) < 1e-12, `column ${c} mean ${mean}`);
    assert.ok(Math.abs(sd - (c === 2 ? 0 : 1)) < 1e-9, `column ${c} std ${sd}`);
  }
  assert.equal(stats.std[2], 0);
  assert.equal(stats.mean[1], 1e9 + 3);
});

test('stored statistics apply to new rows, matched by column name', () => {
  const stats = fitZScore(matrix(['a', 'b'], [[0, 10], [2, 30]]));
  const other = matrix(['b', 'extra', 'a'], [[20, 99, 4]]);
  const z = applyZScore(other, stats);
  assert.deepEqual(z.names, ['a', 'b']);
  assert.deepEqual([...z.data], [3, 0]);
  assert.throws(() => applyZScore(matrix(['a'], [[1]]), stats), /"b" is missing/);
});

test('balanced groups weigh each group equally', () => {
  const m = matrix(['x', 'e1', 'e2', 'e3', 'e4'], [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
    ['intensity', 'embedding', 'embedding', 'embedding', 'embedding']);
  const { matrix: z } = zScore(m, { balanceGroups: true });
  const sq = (from: number, to: number) => {
    let s = 0;
    for (let c = from; c < to; c++) s += (z.data[5 + c]! - z.data[c]!) ** 2;
    return s;
  };
  // Squared distance between the rows contributed by each group is the same.
  assert.ok(Math.abs(sq(0, 1) - sq(1, 5)) < 1e-12, `${sq(0, 1)} vs ${sq(1, 5)}`);
});
