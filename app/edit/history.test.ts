// Undo/redo history: gestures as one entry, redo invalidation, limits, meta undo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../types';
import { EditHistory } from './history';
import { applyEdit, type BrushOp, type EditOp } from './ops';
import { applyPatch, patchPixelCount } from './patch';
import { cloneMap } from '../../test/support/edit-testkit';

function blank(width: number, height: number): LabelMap {
  return { width, height, data: new Uint32Array(width * height) };
}

test('a brush stroke of many pointer moves is one undo entry that restores the map before the stroke', () => {
  const map = blank(100, 60);
  map.data.fill(2, 0, 3000);
  const start = cloneMap(map);
  const h = new EditHistory();
  h.beginGesture();
  let prev: [number, number] = [5, 5];
  let nextId = 3;
  let strokeId = 0;
  for (let k = 1; k <= 20; k++) {
    // Back-and-forth motion: later moves repaint pixels earlier moves already painted.
    const pt: [number, number] = [5 + ((k * 37) % 90), 5 + ((k * 23) % 50)];
    const op: BrushOp = { kind: 'brush', mode: 'paint', points: [prev, pt], radius: 4, target: strokeId || 'new' };
    const res = applyEdit(map, op, { nextId });
    if (!strokeId) strokeId = nextId;
    nextId = res.nextId;
    h.record(op, res.patch, res.meta);
    prev = pt;
  }
  const entry = h.endGesture();
  assert.ok(entry);
  assert.equal(entry.steps, 20);
  assert.equal(h.undoSize, 1);
  assert.equal(entry.op.kind, 'brush');
  const painted = cloneMap(map);
  assert.equal(patchPixelCount(entry.patch), map.data.filter((v, i) => v !== start.data[i]).length);
  const step = h.undo()!;
  assert.equal(step.direction, 'inverse');
  applyPatch(map, step.patch, step.direction);
  assert.deepEqual(map.data, start.data);
  assert.equal(h.canUndo, false);
  const redo = h.redo()!;
  applyPatch(map, redo.patch, redo.direction);
  assert.deepEqual(map.data, painted.data);
});

test('a new edit after undo clears redo; the limit drops the oldest entries', () => {
  const map = blank(20, 20);
  const h = new EditHistory({ limit: 3 });
  const paint = (x: number, id: number) => {
    const op: EditOp = { kind: 'brush', mode: 'paint', points: [[x, 10]], radius: 1, target: id };
    const res = applyEdit(map, op, { nextId: 10 });
    h.record(op, res.patch, res.meta);
  };
  for (let k = 0; k < 5; k++) paint(2 + 3 * k, k + 1);
  assert.equal(h.undoSize, 3);
  const s = h.undo()!;
  applyPatch(map, s.patch, s.direction);
  assert.equal(h.redoSize, 1);
  paint(10, 9);
  assert.equal(h.redoSize, 0);
  assert.equal(h.redo(), null);
  // Edits that change nothing do not become entries.
  const before = h.undoSize;
  const op: EditOp = { kind: 'brush', mode: 'paint', points: [[10, 10]], radius: 1, target: 9 };
  const res = applyEdit(map, op, { nextId: 10 });
  h.record(op, res.patch, res.meta);
  assert.equal(h.undoSize, before);
});

test('undo during an open gesture closes it first; meta changes undo to their old values', () => {
  const map = blank(10, 10);
  map.data.fill(1);
  const meta = new Map([[1, { classId: null as number | null, verified: false }]]);
  const h = new EditHistory();
  const run = (op: EditOp) => {
    const res = applyEdit(map, op, { nextId: 2, meta: (id) => meta.get(id) });
    for (const c of res.meta) if (c.field === 'classId') meta.get(c.id)!.classId = c.new;
    h.record(op, res.patch, res.meta);
  };
  h.beginGesture();
  run({ kind: 'setClass', ids: [1], classId: 3 });
  run({ kind: 'setClass', ids: [1], classId: 4 });
  assert.equal(h.inGesture, true);
  const step = h.undo()!;
  assert.equal(h.inGesture, false);
  assert.equal(step.entry.steps, 2);
  assert.deepEqual(step.meta, [{ id: 1, field: 'classId', old: 4, new: null }]);
  const redo = h.redo()!;
  assert.deepEqual(redo.meta, [{ id: 1, field: 'classId', old: null, new: 4 }]);
  // A gesture whose edits cancel out leaves no entry.
  h.beginGesture();
  run({ kind: 'setClass', ids: [1], classId: 5 });
  run({ kind: 'setClass', ids: [1], classId: 4 });
  assert.equal(h.endGesture(), null);
  assert.equal(h.undoSize, 1);
});
