import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeWithKept } from './compose';
import type { LabelMap } from '../types';

const map = (w: number, rows: number[][]): LabelMap => ({ width: w, height: rows.length, data: Uint32Array.from(rows.flat()) });

test('kept segments keep their pixels and ids; the new result fills only the rest', () => {
  const current = map(4, [
    [1, 1, 2, 2],
    [1, 1, 2, 2],
    [3, 3, 0, 0],
  ]);
  const result = map(4, [
    [7, 7, 7, 8],
    [7, 7, 8, 8],
    [9, 9, 9, 9],
  ]);
  const c = composeWithKept(current, new Set([2]), result, 4);
  assert.deepEqual(Array.from(c.labels.data), [7, 7, 2, 2, 7, 7, 2, 2, 9, 9, 9, 9]);
  assert.equal(c.covered, 4, 'four result pixels under the kept segment');
  assert.deepEqual([...c.idOf].sort((a, b) => a[0] - b[0]), [[7, 7], [9, 9]], 'segment 8 vanished under the kept one');
  assert.deepEqual(c.stats.map((s) => [s.id, s.area]), [[2, 4], [7, 4], [9, 4]]);
  assert.equal(c.nextId, 10);
});

test('a result id that a kept segment holds gets a fresh id above every id in use', () => {
  const current = map(3, [[5, 5, 0], [0, 0, 0]]);
  const result = map(3, [[1, 5, 5], [10, 10, 1]]);
  const c = composeWithKept(current, new Set([5]), result, 6);
  // Result 5 collides with kept 5: it becomes 11 (above result id 10), never 10.
  assert.deepEqual(Array.from(c.labels.data), [5, 5, 11, 10, 10, 1]);
  assert.equal(c.idOf.get(5), 11);
  assert.equal(c.nextId, 12);
});

test('nothing kept: the result as it is', () => {
  const current = map(2, [[1, 2]]);
  const result = map(2, [[3, 0]]);
  const c = composeWithKept(current, new Set(), result, 3);
  assert.deepEqual(Array.from(c.labels.data), [3, 0]);
  assert.equal(c.covered, 0);
  assert.throws(() => composeWithKept(map(3, [[1, 1, 1]]), new Set([1]), result, 2), /2x1 px but the current one is 3x1/);
});
