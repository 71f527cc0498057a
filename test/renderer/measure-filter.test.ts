// The Measure tab's filters (class, area or ECD range) and its ASTM E112 grain size with particle
// classes left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterRows, grainSize, NO_FILTER, typedBound, type MeasureRow } from '../../renderer/components/measure/table';
import { astmGFromGrainsPerMm2 } from '../../app/stats';

const row = (id: number, classId: number | null, area: number): MeasureRow => ({ id, classId, area, ecd: Math.sqrt((4 * area) / Math.PI), perimeter: 0, touchesEdge: false, bbox: { x: 0, y: 0, width: 1, height: 1 } });
const rows = [row(1, 1, 10), row(2, 2, 50), row(3, null, 100), row(4, 1, 400), row(5, 2, 1000)];
const ids = (r: MeasureRow[]) => r.map((x) => x.id);

test('filters: by class, by no class, by an area or ECD range, bounds inclusive; none keeps every row', () => {
  assert.deepEqual(ids(filterRows(rows, NO_FILTER)), [1, 2, 3, 4, 5]);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, classId: 1 })), [1, 4]);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, classId: 'none' })), [3]);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, min: 50, max: 400 })), [2, 3, 4]);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, min: 100 })), [3, 4, 5]);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, classId: 2, max: 100 })), [2]);
  const ecd10 = Math.sqrt((4 * 100) / Math.PI);
  assert.deepEqual(ids(filterRows(rows, { ...NO_FILTER, key: 'ecd', min: ecd10 })), [3, 4, 5]);
  assert.equal(typedBound(''), null);
  assert.equal(typedBound('  '), null);
  assert.equal(typedBound('2,5'), 2.5);
  assert.equal(typedBound('abc'), null);
  assert.equal(typedBound('0'), 0);
});

test('grain size: ASTM G of the grains only, null without a calibration or grains', () => {
  // A 4 x 4 grid of 10 px squares in a 40 x 40 image; ids 1..16; class 9 on ids 1..4 (a row of particles).
  const W = 40;
  const data = new Uint32Array(W * W);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) data[y * W + x] = Math.floor(y / 10) * 4 + Math.floor(x / 10) + 1;
  const map = { width: W, height: W, data };
  const classOf = new Map(Array.from({ length: 16 }, (_, k) => [k + 1, k < 4 ? 9 : 1] as [number, number]));
  assert.equal(grainSize(map, classOf, new Set(), null), null, 'no calibration, no G');
  const all = grainSize(map, classOf, new Set(), 1)!;
  // 4 inside, 12 cut by the border (counted 1/2): 10 grains in 0.0016 mm².
  assert.equal(all.grains, 10);
  assert.ok(Math.abs(all.planimetricG - astmGFromGrainsPerMm2(10 / 0.0016)) < 1e-9);
  const grains = grainSize(map, classOf, new Set([9]), 1)!;
  assert.equal(grains.grains, 8, 'the top row of particles (all on the border) is left out');
  assert.ok(grains.planimetricG < all.planimetricG);
  const none = grainSize(map, new Map([...classOf].map(([id]) => [id, 9] as [number, number])), new Set([9]), 1);
  assert.equal(none, null, 'nothing but particles: no grain size');
});
