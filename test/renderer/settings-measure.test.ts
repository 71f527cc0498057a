// The Segment tab's settings → classic options mapping, the visible region the preview segments,
// the measurement table's rows, sort, per-class summaries and canvas link, and the toast cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassicOptionsSchema } from '../../app/contract';
import type { ClassRecord } from '../../app/types';
import { DEFAULT_FORM, formToOptions, optionsToForm, sameOptions, visibleRegion } from '../../renderer/workspace/segmentation-settings';
import { classSummaries, measureRows, nextSort, rowForSelection, rowsToCsv, sortRows, typedUmPerPx, type MeasureRow } from '../../renderer/components/measure/table';
import { addToast, MAX_TOASTS } from '../../renderer/workspace/toasts';
import { keyBelongsToField } from '../../renderer/workspace/field-keys';

test('settings → options: only what the mode uses, defaults left to the engine', () => {
  assert.deepEqual(formToOptions(DEFAULT_FORM), ClassicOptionsSchema.parse({ mode: 'phase', invert: false, minArea: 16 }));
  const phase = formToOptions({ ...DEFAULT_FORM, invert: true, classes: 3, sigma: 1.5, threshold: 'adaptive', blockSize: 40, offset: 0.05, labelBackground: true, boundaryStyle: 'edges' });
  assert.deepEqual(phase, { mode: 'phase', invert: true, minArea: 16, sigma: 1.5, classes: 3, threshold: 'adaptive', blockSize: 41, offset: 0.05, labelBackground: true });
  const grain = formToOptions({ ...DEFAULT_FORM, mode: 'grain', classes: 4, threshold: 'adaptive', boundaryStyle: 'lines', boundaries: 'canny', minArea: 99.6 });
  assert.deepEqual(grain, { mode: 'grain', invert: false, minArea: 100, boundaryStyle: 'lines', boundaries: 'canny' });
  const tuned = formToOptions({ ...DEFAULT_FORM, mode: 'grain', lineWidth: 3, seedDepth: 4.5, mergeContrast: 12 });
  assert.deepEqual(tuned, { mode: 'grain', invert: false, minArea: 16, lineWidth: 3, seedDepth: 4.5, mergeContrast: 12 });
  // Grain tuning does not reach phase mode.
  assert.equal(formToOptions({ ...DEFAULT_FORM, seedDepth: 4 }).seedDepth, undefined);
});

test('settings → options: an out-of-range value is refused with its name', () => {
  assert.throws(() => formToOptions({ ...DEFAULT_FORM, sigma: 80 }), /"sigma"/);
  assert.throws(() => formToOptions({ ...DEFAULT_FORM, classes: 7 }), /"classes"/);
  assert.throws(() => formToOptions({ ...DEFAULT_FORM, minArea: -1 }), /"minArea"/);
  assert.throws(() => formToOptions({ ...DEFAULT_FORM, mode: 'grain', mergeContrast: 300 }), /"mergeContrast"/);
});

test('options → settings round trip; stored records with extra or bad fields', () => {
  const f = { ...DEFAULT_FORM, mode: 'grain' as const, invert: true, minArea: 50, sigma: 2, boundaryStyle: 'edges' as const, seedDepth: 6 };
  assert.ok(sameOptions(optionsToForm(formToOptions(f)), f));
  // A recorded segmentation carries fields the engine resolved; they are ignored.
  assert.equal(optionsToForm({ mode: 'grain', minArea: 30, resolvedBoundaryStyle: 'lines' }).minArea, 30);
  assert.deepEqual(optionsToForm({ mode: 'nonsense' }), DEFAULT_FORM);
  assert.deepEqual(optionsToForm(null), DEFAULT_FORM);
  assert.ok(!sameOptions(DEFAULT_FORM, { ...DEFAULT_FORM, minArea: 17 }));
  // Settings a mode does not use do not make two forms differ.
  assert.ok(sameOptions(DEFAULT_FORM, { ...DEFAULT_FORM, boundaryStyle: 'lines' }));
});

test('visible region: the viewport clamped to the image, the whole image when unknown', () => {
  assert.deepEqual(visibleRegion(null, 800, 600, 1000, 500), { x: 0, y: 0, width: 1000, height: 500 });
  // Scale 2, image origin 100 px left of and 50 px above the screen: x from 50, y from 25.
  assert.deepEqual(visibleRegion({ scale: 2, x: -100, y: -50 }, 400, 300, 1000, 500), { x: 50, y: 25, width: 200, height: 150 });
  // Zoomed out beyond the image: clamped.
  assert.deepEqual(visibleRegion({ scale: 0.5, x: 10, y: 10 }, 800, 600, 1000, 500), { x: 0, y: 0, width: 1000, height: 500 });
  // Panned entirely off the image: the whole image rather than nothing.
  assert.deepEqual(visibleRegion({ scale: 1, x: 5000, y: 0 }, 800, 600, 1000, 500), { x: 0, y: 0, width: 1000, height: 500 });
});

/** A 10 x 6 map: segment 1 a 4x4 square, 2 a 2x2 square, 3 a 1x3 bar. */
function map() {
  const width = 10;
  const height = 6;
  const data = new Uint32Array(width * height);
  const fill = (id: number, x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * width + x] = id;
  };
  fill(1, 1, 1, 4, 4);
  fill(2, 6, 1, 2, 2);
  fill(3, 8, 3, 1, 3);
  return { width, height, data };
}

const classes: ClassRecord[] = [
  { id: 7, name: 'ferrite', color: '#0f0' },
  { id: 8, name: 'austenite', color: '#00f' },
];

test('measurement rows: px without a calibration, µm² / µm with one', () => {
  const classOf = new Map<number, number | null>([
    [1, 7],
    [2, 8],
    [3, null],
  ]);
  const px = measureRows(map(), classOf, null);
  assert.equal(px.unit, 'px');
  const one = px.rows.find((r) => r.id === 1)!;
  assert.equal(one.area, 16);
  assert.ok(Math.abs(one.ecd - Math.sqrt((4 * 16) / Math.PI)) < 1e-9);
  assert.equal(one.classId, 7);
  const um = measureRows(map(), classOf, 0.5);
  assert.equal(um.unit, 'µm');
  const oneUm = um.rows.find((r) => r.id === 1)!;
  assert.equal(oneUm.area, 16 * 0.25);
  assert.ok(Math.abs(oneUm.ecd - one.ecd * 0.5) < 1e-9);
  assert.ok(Math.abs(oneUm.perimeter - one.perimeter * 0.5) < 1e-9);
  assert.ok(px.rows.find((r) => r.id === 3)!.touchesEdge);
});

const row = (id: number, classId: number | null, area: number): MeasureRow => ({ id, classId, area, ecd: Math.sqrt((4 * area) / Math.PI), perimeter: area / 2, touchesEdge: false, bbox: { x: 0, y: 0, width: 1, height: 1 } });

test('sorting: numbers either way, class by name with none last, ties by id', () => {
  const rows = [row(1, 7, 10), row(2, 8, 30), row(3, null, 10), row(4, 7, 20)];
  assert.deepEqual(sortRows(rows, { key: 'area', dir: 'desc' }, classes).map((r) => r.id), [2, 4, 1, 3]);
  assert.deepEqual(sortRows(rows, { key: 'ecd', dir: 'asc' }, classes).map((r) => r.id), [1, 3, 4, 2]);
  // austenite < ferrite; no class last.
  assert.deepEqual(sortRows(rows, { key: 'class', dir: 'asc' }, classes).map((r) => r.id), [2, 1, 4, 3]);
  assert.deepEqual(sortRows(rows, { key: 'id', dir: 'desc' }, classes).map((r) => r.id), [4, 3, 2, 1]);
  assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4], 'the input is not reordered');
  assert.deepEqual(nextSort({ key: 'area', dir: 'desc' }, 'area'), { key: 'area', dir: 'asc' });
  assert.deepEqual(nextSort({ key: 'area', dir: 'asc' }, 'ecd'), { key: 'ecd', dir: 'desc' });
  assert.deepEqual(nextSort({ key: 'area', dir: 'desc' }, 'class'), { key: 'class', dir: 'asc' });
});

test('per-class summaries and the row a canvas selection shows', () => {
  const rows = [row(1, 7, 10), row(2, 8, 30), row(3, null, 10), row(4, 7, 30)];
  const s = classSummaries(rows);
  assert.deepEqual(s.map((c) => [c.classId, c.count]), [[7, 2], [8, 1], [null, 1]]);
  assert.equal(s[0]!.meanArea, 20);
  assert.ok(Math.abs(s[0]!.areaFraction - 40 / 80) < 1e-12);
  assert.ok(Math.abs(s.reduce((a, c) => a + c.areaFraction, 0) - 1) < 1e-12);
  const sorted = sortRows(rows, { key: 'area', dir: 'desc' }, classes);
  assert.equal(rowForSelection(sorted, [1, 4])?.id, 4, 'the first selected row in table order');
  assert.equal(rowForSelection(sorted, []), null);
  assert.equal(rowForSelection(sorted, [99]), null);
});

test('typed pixel size: µm or nm per pixel, comma decimals, nonsense refused', () => {
  assert.equal(typedUmPerPx('0.25', 'um'), 0.25);
  assert.equal(typedUmPerPx('250', 'nm'), 0.25);
  assert.equal(typedUmPerPx('0,5', 'um'), 0.5);
  for (const bad of ['', ' ', '0', '-1', 'abc']) assert.equal(typedUmPerPx(bad, 'um'), null, bad);
});

test('toasts: at most three, newest last, a repeated message once', () => {
  let list = addToast([], { id: 1, kind: 'error', text: 'a' });
  list = addToast(list, { id: 2, kind: 'error', text: 'a' });
  assert.deepEqual(list.map((t) => t.id), [1]);
  for (let id = 2; id <= 6; id++) list = addToast(list, { id, kind: 'info', text: `t${id}` });
  assert.equal(list.length, MAX_TOASTS);
  assert.deepEqual(list.map((t) => t.id), [4, 5, 6]);
});

test('keys in form fields: text fields keep every key, a checkbox only Space and Enter, a slider its arrows', () => {
  assert.ok(keyBelongsToField('INPUT', 'text', false, 's'));
  assert.ok(keyBelongsToField('INPUT', 'number', false, 'ArrowUp'));
  assert.ok(keyBelongsToField('SELECT', '', false, 's'));
  assert.ok(keyBelongsToField('DIV', '', true, 's'));
  assert.ok(!keyBelongsToField('INPUT', 'checkbox', false, 's'), 'S after ticking a checkbox segments');
  assert.ok(keyBelongsToField('INPUT', 'checkbox', false, ' '));
  assert.ok(!keyBelongsToField('INPUT', 'range', false, 'b'));
  assert.ok(keyBelongsToField('INPUT', 'range', false, 'ArrowLeft'));
  assert.ok(!keyBelongsToField('BUTTON', '', false, 'v'));
});

test('table CSV: units in the header, rows in table order, class names quoted when needed', () => {
  const rows = [row(2, 8, 30), row(1, null, 10)];
  const cls: ClassRecord[] = [{ id: 8, name: 'grain, large', color: '#fff' }];
  const csv = rowsToCsv(rows, 'µm', cls).trimEnd().split('\n');
  assert.equal(csv[0], 'segment_id,class,area_um2,ecd_um,perimeter_um,touches_edge');
  assert.equal(csv.length, 3);
  assert.ok(csv[1]!.startsWith('2,"grain, large",30,'));
  assert.ok(csv[2]!.startsWith('1,,10,'));
  assert.equal(rowsToCsv([], 'px', []), 'segment_id,class,area_px2,ecd_px,perimeter_px,touches_edge\n');
});
