// Tests of each edit operation's meaning (merge, split, brush, fill holes, polygon, masks, meta).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '../errors';
import { segmentStats } from '../labelmap';
import type { LabelMap } from '../types';
import { applyEdit, invertMeta, planEdit, type EditContext, type SegmentMeta } from './ops';
import { applyPatch, isEmptyPatch } from './patch';
import { maskToRle, rleToMask } from './spans';
import { bboxLookup, cloneMap, maxId, prng, voronoiMap } from '../../test/support/edit-testkit';

function blank(width: number, height: number): LabelMap {
  return { width, height, data: new Uint32Array(width * height) };
}
function fillRect(m: LabelMap, x0: number, y0: number, w: number, h: number, id: number): void {
  for (let y = y0; y < y0 + h; y++) m.data.fill(id, y * m.width + x0, y * m.width + x0 + w);
}
function ctxOf(m: LabelMap, extra: Partial<EditContext> = {}): EditContext {
  return { nextId: maxId(m) + 1, bboxes: bboxLookup(m), ...extra };
}
function area(m: LabelMap, id: number): number {
  let n = 0;
  for (const v of m.data) if (v === id) n++;
  return n;
}
function idsIn(m: LabelMap, x0: number, y0: number, w: number, h: number): Set<number> {
  const s = new Set<number>();
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) s.add(m.data[y * m.width + x]!);
  return s;
}
/** Pixels of `id` form one 4-connected component. */
function connected4(m: LabelMap, id: number): boolean {
  const start = m.data.indexOf(id);
  if (start < 0) return false;
  const seen = new Uint8Array(m.data.length);
  const stack = [start];
  seen[start] = 1;
  let n = 0;
  while (stack.length) {
    const k = stack.pop()!;
    n++;
    const x = k % m.width;
    for (const q of [x > 0 ? k - 1 : -1, x < m.width - 1 ? k + 1 : -1, k - m.width, k + m.width]) {
      if (q >= 0 && q < m.data.length && !seen[q] && m.data[q] === id) {
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return n === area(m, id);
}

test('merge leaves one id with the summed area, with and without bboxes', () => {
  const map = voronoiMap(prng(5), 80, 60, 20, 0);
  const [a, b, c] = segmentStats(map).map((s) => s.id);
  const total = area(map, a!) + area(map, b!);
  const noBoxes = cloneMap(map);
  const res = applyEdit(map, { kind: 'merge', ids: [b!, a!] }, ctxOf(map));
  assert.equal(area(map, b!), 0);
  assert.equal(area(map, a!), total);
  assert.deepEqual(res.segmentChanges.removed, [b]);
  assert.deepEqual(res.segmentChanges.changed, [a]);
  const res2 = applyEdit(noBoxes, { kind: 'merge', ids: [a!, b!] }, { nextId: 1000 });
  assert.deepEqual(res2.patch, res.patch);
  // An explicit target that is not listed still receives all of them.
  applyEdit(map, { kind: 'merge', ids: [a!], target: c! }, ctxOf(map));
  assert.equal(area(map, a!), 0);
});

test('a vertical line splits a rectangle into two pieces with no gap; the larger keeps the id', () => {
  const map = blank(40, 30);
  fillRect(map, 5, 5, 30, 20, 5);
  fillRect(map, 0, 0, 40, 2, 9); // another segment the line crosses: untouched
  const before = cloneMap(map);
  const res = applyEdit(map, { kind: 'splitByLine', segmentId: 5, points: [[20.5, -3], [20.5, 40]] }, { nextId: 10, bboxes: bboxLookup(map) });
  assert.deepEqual(idsIn(map, 5, 5, 30, 20), new Set([5, 10]));
  assert.equal(area(map, 5) + area(map, 10), 600);
  assert.ok(area(map, 5) > area(map, 10));
  // The sides are clean: every new-id pixel is right of the line column, every kept pixel left or on it.
  for (let y = 5; y < 25; y++) {
    for (let x = 5; x < 35; x++) assert.equal(map.data[y * 40 + x], x <= 20 ? 5 : 10, `pixel ${x},${y}`);
  }
  assert.deepEqual(idsIn(map, 0, 0, 40, 2), new Set([9]));
  assert.equal(res.idsUsed, 1);
  assert.deepEqual(res.segmentChanges.created, [10]);
  assert.deepEqual(res.segmentChanges.derivedFrom, [[10, 5]]);
  applyPatch(map, res.patch, 'inverse');
  assert.deepEqual(map.data, before.data);
});

test('a diagonal 8-connected line still separates pieces, in both directions; a line that stops inside cuts nothing', () => {
  const lines: [number, number][][] = [
    [[0, 2], [48, 38.5]],
    [[0, 38], [48, 1.5]],
    [[3, 37.2], [12, 20.1], [47, 9.7]],
  ];
  for (const points of lines) {
    const map = blank(50, 40);
    fillRect(map, 5, 5, 40, 30, 3);
    const res = applyEdit(map, { kind: 'splitByLine', segmentId: 3, points }, ctxOf(map));
    const ids = [...idsIn(map, 5, 5, 40, 30)];
    assert.equal(ids.length, 2, JSON.stringify(points));
    assert.ok(ids.every((id) => connected4(map, id)));
    assert.equal(area(map, ids[0]!) + area(map, ids[1]!), 1200);
    assert.equal(res.idsUsed, 1);
  }
  const map = blank(50, 40);
  fillRect(map, 5, 5, 40, 30, 3);
  const partial = applyEdit(map, { kind: 'splitByLine', segmentId: 3, points: [[20, 0], [20, 12]] }, ctxOf(map));
  assert.ok(isEmptyPatch(partial.patch));
  assert.equal(partial.idsUsed, 0);
});

test('split only cuts the part the line crosses; a diagonal-only join elsewhere stays joined', () => {
  const map = blank(16, 16);
  fillRect(map, 2, 2, 5, 5, 4); // A: x 2..6, y 2..6
  fillRect(map, 7, 7, 5, 5, 4); // B: x 7..11, y 7..11, touching A only at a corner
  fillRect(map, 13, 0, 3, 3, 4); // C: a separate part, not crossed
  const res = applyEdit(map, { kind: 'splitByLine', segmentId: 4, points: [[6.5, 9.5], [13, 9.5]] }, { nextId: 20 });
  assert.deepEqual(idsIn(map, 2, 2, 5, 5), new Set([4]));
  assert.deepEqual(idsIn(map, 13, 0, 3, 3), new Set([4]));
  assert.deepEqual(idsIn(map, 7, 10, 5, 2), new Set([20]));
  assert.deepEqual(idsIn(map, 7, 7, 5, 3), new Set([4]));
  assert.equal(res.idsUsed, 1);
});

test('brush: a fast stroke (samples far apart) paints exactly the pixels within the radius, with no gaps', () => {
  const map = blank(200, 100);
  const pts: [number, number][] = [[5.3, 10.2], [120.7, 85.1], [190.2, 20.6], [60, 50]];
  const r = 2.6;
  const res = applyEdit(map, { kind: 'brush', mode: 'paint', points: pts, radius: r, target: 'new' }, { nextId: 7 });
  assert.equal(res.idsUsed, 1);
  const dist2 = (px: number, py: number, a: [number, number], b: [number, number]) => {
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy)));
    return (px - a[0] - t * dx) ** 2 + (py - a[1] - t * dy) ** 2;
  };
  let expected = 0;
  for (let y = 0; y < 100; y++) {
    for (let x = 0; x < 200; x++) {
      let d = Infinity;
      for (let k = 0; k + 1 < pts.length; k++) d = Math.min(d, dist2(x + 0.5, y + 0.5, pts[k]!, pts[k + 1]!));
      const inside = d <= r * r;
      if (inside) expected++;
      assert.equal(map.data[y * 200 + x], inside ? 7 : 0, `pixel ${x},${y} (distance ${Math.sqrt(d).toFixed(3)})`);
    }
  }
  assert.ok(expected > 1000);
  assert.ok(connected4(map, 7));
});

test('brush onlyInto moves a grain boundary without gaps; protect paints only empty pixels; erase', () => {
  const map = blank(60, 40);
  fillRect(map, 0, 0, 30, 40, 1);
  fillRect(map, 30, 0, 30, 30, 2);
  // Bottom right stays empty; a third grain sits inside the brush path.
  fillRect(map, 32, 10, 4, 4, 3);
  const before = cloneMap(map);
  applyEdit(map, { kind: 'brush', mode: 'paint', points: [[30, 2], [34, 38]], radius: 5, target: 1, onlyInto: 2 }, ctxOf(map));
  let moved = 0;
  for (let i = 0; i < map.data.length; i++) {
    if (before.data[i] === 2 && map.data[i] === 1) moved++;
    else assert.equal(map.data[i], before.data[i], `only grain 2 pixels change (index ${i})`);
  }
  assert.ok(moved > 50);
  assert.equal(area(map, 0), area(before, 0), 'no gap opened, no empty pixel filled');
  assert.equal(area(map, 3), 16);

  const p = cloneMap(before);
  applyEdit(p, { kind: 'brush', mode: 'paint', points: [[40, 28], [40, 32]], radius: 4, target: 2, protect: true }, ctxOf(p));
  for (let i = 0; i < p.data.length; i++) if (before.data[i] !== 0) assert.equal(p.data[i], before.data[i]);
  assert.ok(area(p, 2) > area(before, 2));

  const e = cloneMap(before);
  applyEdit(e, { kind: 'brush', mode: 'erase', points: [[30, 20]], radius: 6, onlyInto: 1 }, ctxOf(e));
  assert.ok(area(e, 1) < area(before, 1));
  assert.equal(area(e, 2), area(before, 2));
  const e2 = cloneMap(before);
  applyEdit(e2, { kind: 'brush', mode: 'erase', points: [[30, 20]], radius: 6 }, ctxOf(e2));
  assert.ok(area(e2, 2) < area(before, 2) && area(e2, 1) < area(before, 1));
});

test('brush with a new id off the image uses no id', () => {
  const map = blank(20, 20);
  const res = applyEdit(map, { kind: 'brush', mode: 'paint', points: [[-50, -50], [-40, -60]], radius: 3, target: 'new' }, { nextId: 4 });
  assert.ok(isEmptyPatch(res.patch));
  assert.equal(res.idsUsed, 0);
  assert.equal(res.nextId, 4);
});

test('fillHoles fills an enclosed hole but not an open bay, and keeps enclosed segments unless asked', () => {
  const map = blank(40, 40);
  fillRect(map, 5, 5, 20, 20, 4);
  fillRect(map, 10, 10, 6, 6, 0); // enclosed hole, 36 px
  fillRect(map, 19, 12, 6, 4, 0); // bay open to the right edge of the segment
  const res = applyEdit(map, { kind: 'fillHoles', id: 4 }, ctxOf(map));
  assert.deepEqual(idsIn(map, 10, 10, 6, 6), new Set([4]));
  assert.deepEqual(idsIn(map, 19, 12, 6, 4), new Set([0]));
  assert.equal(res.segmentChanges.stats[0]!.area, 400 - 24);

  const inc = blank(30, 30);
  fillRect(inc, 2, 2, 20, 20, 4);
  fillRect(inc, 6, 6, 10, 10, 0);
  fillRect(inc, 9, 9, 4, 4, 8); // an inclusion in the hole
  const keep = cloneMap(inc);
  applyEdit(keep, { kind: 'fillHoles', id: 4 }, ctxOf(keep));
  assert.equal(area(keep, 8), 16);
  assert.equal(area(keep, 0), 900 - 400);
  const res2 = applyEdit(inc, { kind: 'fillHoles', id: 4, absorbEnclosed: true }, ctxOf(inc));
  assert.equal(area(inc, 8), 0);
  assert.deepEqual(res2.segmentChanges.removed, [8]);
});

test('fillHoles: a hole that only touches the outside diagonally (through the segment outline) is enclosed', () => {
  const map = blank(9, 9);
  fillRect(map, 1, 1, 7, 7, 2);
  fillRect(map, 3, 3, 3, 3, 0);
  map.data[2 * 9 + 2] = 0; // diagonal step from the hole towards the corner; still 4-enclosed
  map.data[1 * 9 + 1] = 0; // the corner pixel opens the diagonal chain to the box border
  const res = applyEdit(map, { kind: 'fillHoles', id: 2 }, ctxOf(map));
  assert.deepEqual(idsIn(map, 3, 3, 3, 3), new Set([2]));
  assert.equal(map.data[2 * 9 + 2], 2);
  assert.equal(map.data[1 * 9 + 1], 0, 'the corner touches the box border: outside');
  assert.equal(res.segmentChanges.stats[0]!.area, 48);
});

test('polygon fill of a triangle matches a point-in-triangle count and its area within 1 px per row', () => {
  const map = blank(200, 150);
  const t: [number, number][] = [[10.3, 12.7], [180.1, 40.2], [60.6, 140.9]];
  applyEdit(map, { kind: 'polygon', mode: 'add', points: t }, { nextId: 1 });
  const sign = (p: [number, number], a: [number, number], b: [number, number]) => (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
  let brute = 0;
  for (let y = 0; y < 150; y++) {
    for (let x = 0; x < 200; x++) {
      const c: [number, number] = [x + 0.5, y + 0.5];
      const s = [sign(c, t[0]!, t[1]!), sign(c, t[1]!, t[2]!), sign(c, t[2]!, t[0]!)];
      const inside = s.every((v) => v > 0) || s.every((v) => v < 0);
      if (inside) brute++;
      assert.equal(map.data[y * 200 + x] === 1, inside, `pixel ${x},${y}`);
    }
  }
  const exact = Math.abs(sign(t[2]!, t[0]!, t[1]!)) / 2;
  const rows = Math.ceil(140.9) - Math.floor(12.7);
  assert.equal(area(map, 1), brute);
  assert.ok(Math.abs(brute - exact) <= rows, `count ${brute}, area ${exact}`);
  // An axis-aligned square on pixel edges covers exactly its pixels.
  const sq = blank(20, 20);
  applyEdit(sq, { kind: 'polygon', mode: 'add', points: [[2, 3], [12, 3], [12, 13], [2, 13]], target: 'new' }, { nextId: 5 });
  assert.equal(area(sq, 5), 100);
  assert.deepEqual(idsIn(sq, 2, 3, 10, 10), new Set([5]));
});

test('polygon subtract clears only its target; overwrite=false paints only empty pixels', () => {
  const map = blank(30, 30);
  fillRect(map, 0, 0, 15, 30, 1);
  fillRect(map, 15, 0, 15, 20, 2);
  const before = cloneMap(map);
  const square: [number, number][] = [[10, 10], [25, 10], [25, 25], [10, 25]];
  applyEdit(map, { kind: 'polygon', mode: 'subtract', points: square, target: 2 }, ctxOf(map));
  assert.equal(area(map, 1), area(before, 1));
  assert.equal(area(map, 2), area(before, 2) - 10 * 10);
  const m2 = cloneMap(before);
  applyEdit(m2, { kind: 'polygon', mode: 'add', points: square, target: 1, overwrite: false }, ctxOf(m2));
  assert.equal(area(m2, 2), area(before, 2));
  assert.equal(area(m2, 1), area(before, 1) + 10 * 5);
});

test('addFromMask writes the mask, over others only with overwrite', () => {
  const map = blank(20, 10);
  fillRect(map, 0, 0, 10, 10, 3);
  const bytes = new Uint8Array(8 * 4);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 3 === 0 ? 1 : 0;
  const mask = maskToRle(bytes, { x: 6, y: 2, width: 8, height: 4 });
  assert.deepEqual(rleToMask(mask), bytes);
  const inside = bytes.reduce((s, v) => s + v, 0);
  const a = cloneMap(map);
  const ra = applyEdit(a, { kind: 'addFromMask', mask, target: 'new', overwrite: true }, ctxOf(a));
  assert.equal(area(a, 4), inside);
  assert.deepEqual(ra.segmentChanges.created, [4]);
  const b = cloneMap(map);
  applyEdit(b, { kind: 'addFromMask', mask, target: 'new', overwrite: false }, ctxOf(b));
  assert.ok(area(b, 4) > 0 && area(b, 4) < inside);
  assert.equal(area(b, 3), 100);
  assert.throws(() => planEdit(map, { kind: 'addFromMask', mask: { box: mask.box, runs: [1, 2] }, target: 3, overwrite: true }, ctxOf(map)), ServiceError);
});

test('delete and deleteSmallerThan remove exactly the chosen segments', () => {
  const map = voronoiMap(prng(9), 60, 50, 16, 0);
  const stats = segmentStats(map);
  const res = applyEdit(map, { kind: 'delete', ids: [stats[0]!.id, stats[1]!.id] }, ctxOf(map));
  assert.deepEqual(res.segmentChanges.removed, [stats[0]!.id, stats[1]!.id]);
  assert.equal(area(map, 0), stats[0]!.area + stats[1]!.area);
  const rest = stats.slice(2);
  const cut = [...rest.map((s) => s.area)].sort((p, q) => p - q)[4]!;
  const res2 = applyEdit(map, { kind: 'deleteSmallerThan', minArea: cut }, { nextId: maxId(map) + 1 });
  const expectRemoved = rest.filter((s) => s.area < cut).map((s) => s.id);
  assert.deepEqual(res2.segmentChanges.removed, expectRemoved);
  assert.equal(expectRemoved.length, 4);
  for (const s of rest) assert.equal(area(map, s.id), s.area < cut ? 0 : s.area);
});

test('setClass and setVerified change only metadata and carry old values for undo', () => {
  const map = voronoiMap(prng(2), 30, 30, 4, 0);
  const before = cloneMap(map);
  const table = new Map<number, SegmentMeta>([
    [1, { classId: null, verified: false }],
    [4, { classId: 2, verified: true }],
  ]);
  const ctx = { nextId: 100, meta: (id: number) => table.get(id) };
  const r = applyEdit(map, { kind: 'setClass', ids: [1, 4, 4], classId: 2 }, ctx);
  assert.ok(isEmptyPatch(r.patch));
  assert.deepEqual(map.data, before.data);
  assert.deepEqual(r.meta, [{ id: 1, field: 'classId', old: null, new: 2 }]);
  assert.deepEqual(invertMeta(r.meta), [{ id: 1, field: 'classId', old: 2, new: null }]);
  const v = applyEdit(map, { kind: 'setVerified', ids: [1, 4], verified: false }, ctx);
  assert.deepEqual(v.meta, [{ id: 4, field: 'verified', old: true, new: false }]);
  assert.throws(() => applyEdit(map, { kind: 'setVerified', ids: [77], verified: true }, ctx), (e: unknown) => e instanceof ServiceError && e.code === 'not-found');
  assert.throws(() => applyEdit(map, { kind: 'setVerified', ids: [1], verified: true }, { nextId: 100 }), /ctx\.meta/);
});

test('bad arguments are refused with a typed error before anything changes', () => {
  const map = voronoiMap(prng(4), 30, 30, 4, 0);
  const snapshot = map.data.slice();
  const ctx = ctxOf(map);
  const bad = [
    () => applyEdit(map, { kind: 'brush', mode: 'paint', points: [[Number.NaN, 3]], radius: 3, target: 1 }, ctx),
    () => applyEdit(map, { kind: 'brush', mode: 'paint', points: [[3, 3]], radius: 0, target: 1 }, ctx),
    () => applyEdit(map, { kind: 'brush', mode: 'paint', points: [[3, 3]], radius: 2 }, ctx),
    () => applyEdit(map, { kind: 'brush', mode: 'paint', points: [[3, 3]], radius: 2, target: ctx.nextId + 5 }, ctx),
    () => applyEdit(map, { kind: 'merge', ids: [1, -2] }, ctx),
    () => applyEdit(map, { kind: 'polygon', mode: 'add', points: [[1, 1], [5, 5]] }, ctx),
    () => applyEdit(map, { kind: 'polygon', mode: 'subtract', points: [[1, 1], [5, 5], [1, 5]], target: 'new' }, ctx),
    () => applyEdit(map, { kind: 'splitByLine', segmentId: 1, points: [[1, 1]] }, ctx),
    () => applyEdit(map, { kind: 'deleteSmallerThan', minArea: Number.NaN }, ctx),
  ];
  for (const f of bad) assert.throws(f, ServiceError);
  assert.deepEqual(map.data, snapshot);
});
