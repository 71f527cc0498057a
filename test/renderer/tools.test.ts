// Headless tool tests: pointer and key sequences through the editor harness produce the expected
// edit operations, selections and prompts, and the document ends in the expected state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../../app/types';
import { applyEdit, type EditOp } from '../../app/edit';
import { ToolHarness } from '../../renderer/tools/harness';
import { SelectTool } from '../../renderer/tools/select/select';
import { BrushTool } from '../../renderer/tools/brush/brush';
import { SplitTool } from '../../renderer/tools/split/split';
import { MergeTool } from '../../renderer/tools/merge/merge';
import { PolygonTool } from '../../renderer/tools/polygon/polygon';
import { BoundaryTool } from '../../renderer/tools/boundary/boundary';
import { CarveTool, SamPromptTool } from '../../renderer/tools/sam/sam';
import { nextUnverified } from '../../renderer/tools/geometry';

/** Three vertical bands 1 | 2 | 3 (each 20 px wide) on a 60 x 40 map, with a 0 hole inside band 2. */
function bands(): LabelMap {
  const width = 60;
  const height = 40;
  const data = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = x < 20 ? 1 : x < 40 ? 2 : 3;
  for (let y = 18; y < 22; y++) for (let x = 28; x < 32; x++) data[y * width + x] = 0;
  return { width, height, data };
}

function count(map: LabelMap, id: number): number {
  let n = 0;
  for (const v of map.data) if (v === id) n++;
  return n;
}

function expectedAfter(map: LabelMap, ops: EditOp[], nextId = 4): LabelMap {
  const m = { ...map, data: map.data.slice() };
  let n = nextId;
  for (const op of ops) n = applyEdit(m, op, { nextId: n, meta: () => ({ classId: null, verified: false }) }).nextId;
  return m;
}

test('select: click, shift-click toggles, drag box by centre, empty click clears', () => {
  const h = new ToolHarness(new SelectTool(), bands());
  h.click(5, 5);
  assert.deepEqual(h.selection.ids, [1]);
  h.click(45, 5, { shift: true });
  assert.deepEqual(h.selection.ids.sort(), [1, 3]);
  h.click(45, 5, { shift: true });
  assert.deepEqual(h.selection.ids, [1]);
  // A box over the middle band's centre (30, 19.5) only.
  h.drag([[22, 10], [38, 30]]);
  assert.deepEqual(h.selection.ids, [2]);
  h.drag([[2, 2], [58, 38]], { shift: true });
  assert.deepEqual(h.selection.ids.sort(), [1, 2, 3]);
  h.click(30, 20); // the hole
  assert.deepEqual(h.selection.ids, []);
  assert.equal(h.ops.length, 0, 'selection never edits');
  assert.equal(h.key('Escape'), false, 'Escape with no gesture is left to the clear-selection action');
});

test('brush: one stroke is one op with the whole polyline; fast moves leave no gaps; next stroke paints into the new segment', () => {
  const map = bands();
  const h = new ToolHarness(new BrushTool('paint'), map, { brushRadius: 2 });
  h.down(3, 10).move(15, 10).move(57, 10).up(57, 10);
  assert.equal(h.intents.length, 1);
  const op = h.ops[0]!;
  assert.equal(op.kind, 'brush');
  if (op.kind !== 'brush') return;
  assert.equal(op.target, 'new');
  assert.deepEqual(op.points, [[3, 10], [15, 10], [57, 10]]);
  const expected = expectedAfter(map, [op]);
  assert.deepEqual(h.doc.labels.data, expected.data);
  // A pixel far from any sample (between 15 and 57) is painted: no gaps.
  assert.equal(h.doc.labelAt(36, 10), 4);
  assert.deepEqual(h.selection.ids, [4], 'the new segment is selected');
  h.drag([[10, 30], [20, 30]]);
  const second = h.ops[1]!;
  assert.ok(second.kind === 'brush' && second.target === 4, 'the next stroke continues the selected segment');
  assert.equal(h.doc.labelAt(15, 30), 4);
  assert.equal(h.doc.segment(4)!.area, count(h.doc.labels, 4));
});

test('eraser: clears pixels, only the selected segment when one is selected; Alt-paint protects other segments', () => {
  const map = bands();
  const h = new ToolHarness(new BrushTool('erase'), map, { brushRadius: 3 });
  h.selection.apply([2]);
  h.drag([[10, 5], [50, 5]]);
  const op = h.ops[0]!;
  assert.ok(op.kind === 'brush' && op.mode === 'erase' && op.onlyInto === 2);
  assert.equal(h.doc.labelAt(10, 5), 1, 'band 1 untouched');
  assert.equal(h.doc.labelAt(30, 5), 0, 'band 2 erased');
  const p = new ToolHarness(new BrushTool('paint'), map, { brushRadius: 3 });
  p.drag([[30, 20], [30, 21]], { alt: true });
  const op2 = p.ops[0]!;
  assert.ok(op2.kind === 'brush' && op2.protect === true);
  assert.equal(p.doc.labelAt(30, 20), 4, 'the empty hole is painted');
  assert.equal(p.doc.labelAt(26, 20), 2, 'band 2 around it is protected');
});

test('split: a line across a segment cuts it into two; a click only selects', () => {
  const map = bands();
  const h = new ToolHarness(new SplitTool(), map);
  h.drag([[18, 8], [25, 8], [42, 8]]);
  const op = h.ops[0]!;
  assert.ok(op.kind === 'splitByLine' && op.segmentId === 2, 'the segment crossed most is cut');
  assert.deepEqual(h.doc.labels.data, expectedAfter(map, [op]).data);
  assert.ok(h.doc.segment(4), 'a new piece exists');
  assert.equal(h.doc.segment(4)!.area + h.doc.segment(2)!.area, count(map, 2));
  h.click(50, 30);
  assert.deepEqual(h.selection.ids, [3]);
  assert.equal(h.ops.length, 1);
  // The selected segment wins when the line crosses it.
  const s = new ToolHarness(new SplitTool(), map);
  s.selection.apply([1]);
  s.drag([[10, -1], [10, 25], [30, 25]], { shift: false });
  const op2 = s.ops[0]!;
  assert.ok(op2.kind === 'splitByLine' && op2.segmentId === 1);
});

test('merge by line: segments crossed become the first one', () => {
  const h = new ToolHarness(new MergeTool(), bands());
  h.drag([[50, 5], [30, 5], [5, 5]]);
  const op = h.ops[0]!;
  assert.deepEqual(op, { kind: 'merge', ids: [3, 2, 1], target: 3 });
  assert.equal(count(h.doc.labels, 3), 60 * 40 - 16);
  assert.deepEqual(h.selection.ids, [3]);
  assert.equal(h.doc.segments.size, 1);
});

test('polygon: clicks add a new segment, close on the first vertex; Alt subtracts; lasso; Backspace and Escape', () => {
  const map = bands();
  const h = new ToolHarness(new PolygonTool(), map);
  h.click(5, 5).click(15, 5).click(15, 15);
  assert.equal(h.ops.length, 0, 'still open');
  h.click(5.5, 5.5);
  const op = h.ops[0]!;
  assert.ok(op.kind === 'polygon' && op.mode === 'add' && op.target === 'new');
  assert.deepEqual(h.doc.labels.data, expectedAfter(map, [op]).data);
  assert.deepEqual(h.selection.ids, [4]);
  // The next polygon adds to the selected segment; Enter closes.
  h.click(40, 30).click(50, 30).click(50, 38);
  assert.equal(h.key('Backspace'), true);
  h.click(45, 38);
  h.key('Enter');
  const op2 = h.ops[1]!;
  assert.deepEqual(op2.kind === 'polygon' ? [op2.target, op2.points] : null, [4, [[40, 30], [50, 30], [45, 38]]], 'Backspace dropped the third vertex');
  // Alt at closing subtracts from the selected segment only.
  h.selection.apply([3]);
  h.click(41, 1).click(59, 1).click(59, 10).click(41, 1, { alt: true });
  const op3 = h.ops[2]!;
  assert.ok(op3.kind === 'polygon' && op3.mode === 'subtract' && op3.target === 3);
  assert.equal(h.doc.labelAt(50, 4), 0);
  // Lasso: one drag.
  h.selection.clear();
  h.drag([[22, 30], [30, 30], [30, 36], [22, 36]]);
  const op4 = h.ops[3]!;
  assert.ok(op4.kind === 'polygon' && op4.mode === 'add' && op4.points.length >= 4);
  // Escape abandons an open polygon.
  h.click(1, 1).click(8, 1);
  assert.equal(h.key('Escape'), true);
  assert.equal(h.tool.busy, false);
  assert.equal(h.ops.length, 4);
});

test('grain boundary: a click on a boundary merges the two grains; a drag moves the boundary without gaps', () => {
  const map = bands();
  const h = new ToolHarness(new BoundaryTool(), map, { brushRadius: 3, pixelSize: 0.5 });
  h.click(20.2, 30);
  assert.deepEqual(h.ops[0], { kind: 'merge', ids: [2, 1], target: 2 });
  const g = new ToolHarness(new BoundaryTool(), map, { brushRadius: 3 });
  const zeros = count(map, 0);
  g.drag([[37, 8], [42, 8], [46, 8], [46, 30]]);
  const op = g.ops[0]!;
  assert.ok(op.kind === 'brush' && op.target === 2 && op.onlyInto === 3);
  assert.equal(count(g.doc.labels, 0), zeros, 'no gap opened');
  assert.ok(count(g.doc.labels, 2) > count(map, 2) && count(g.doc.labels, 1) === count(map, 1));
  g.click(10, 10);
  assert.equal(g.intents[g.intents.length - 1]!.type, 'message', 'a click inside a grain explains itself');
});

test('SAM prompt tool: no model = message; clicks and boxes prompt; Enter adds or replaces; Escape discards', () => {
  const map = bands();
  const h = new ToolHarness(new SamPromptTool(), map);
  const sam = h.tool as SamPromptTool;
  sam.setAvailability(false, 'No SAM model installed.');
  h.click(10, 10);
  assert.deepEqual(h.intents, [{ type: 'message', kind: 'info', text: 'No SAM model installed.' }]);
  sam.setAvailability(true, '');
  h.click(10, 10);
  h.click(12, 12, { button: 2 });
  const prompts = h.intents.filter((i) => i.type === 'prompt');
  assert.equal(prompts.length, 2);
  const last = prompts[1]!;
  assert.ok(last.type === 'prompt');
  assert.deepEqual(last.points.map((p) => p.label), [1, 0]);
  assert.equal(sam.waiting, true);
  // A candidate: a 6 x 4 block at (30, 30).
  const box = { x: 30, y: 30, width: 6, height: 4 };
  sam.setCandidate({ box, mask: new Uint8Array(24).fill(1), score: 0.9 }, h.doc);
  assert.ok(sam.preview().some((s) => s.kind === 'mask'));
  assert.match(sam.status, /24 px/);
  assert.equal(h.key('Enter'), true);
  const op = h.ops[0]!;
  assert.ok(op.kind === 'addFromMask' && op.target === 'new' && op.overwrite === true);
  assert.equal(h.doc.labelAt(32, 31), 4);
  assert.deepEqual(h.selection.ids, [4]);
  // With segment 1 selected, Enter replaces it by the candidate (one entry: delete + add).
  h.selection.apply([1]);
  h.drag([[2, 2], [8, 8]]);
  const boxPrompt = h.intents[h.intents.length - 1]!;
  assert.ok(boxPrompt.type === 'prompt' && boxPrompt.box !== null && boxPrompt.box.width === 6);
  sam.setCandidate({ box: { x: 2, y: 2, width: 4, height: 4 }, mask: new Uint8Array(16).fill(1), score: 0.8 }, h.doc);
  h.key('Enter');
  const edit = h.intents[h.intents.length - 1]!;
  assert.ok(edit.type === 'edit' && edit.ops.length === 2 && edit.ops[0]!.kind === 'delete');
  assert.equal(h.doc.segment(1)!.area, 16, 'segment 1 is now exactly the candidate');
  // Escape discards without an edit.
  h.click(50, 5);
  sam.setCandidate({ box: { x: 48, y: 3, width: 2, height: 2 }, mask: new Uint8Array(4).fill(1), score: 0.5 }, h.doc);
  const n = h.ops.length;
  assert.equal(h.key('Escape'), true);
  assert.equal(h.key('Enter'), false);
  assert.equal(h.ops.length, n);
});

test('split with SAM: the candidate is limited to the clicked segment and carved out as a new segment with its class', () => {
  const map = bands();
  const h = new ToolHarness(new CarveTool(), map);
  const carve = h.tool as CarveTool;
  carve.setAvailability(true, '');
  h.doc.segments.set(2, { ...h.doc.segment(2)!, classId: 7 });
  h.click(25, 5);
  assert.equal(carve.target, 2);
  // A candidate that spills over into segment 1 and 3.
  const box = { x: 15, y: 0, width: 30, height: 10 };
  carve.setCandidate({ box, mask: new Uint8Array(300).fill(1), score: 0.9 }, h.doc);
  h.key('Enter');
  const edit = h.intents.find((i) => i.type === 'edit')!;
  assert.ok(edit.type === 'edit' && edit.classFrom === 2 && edit.ops[0]!.kind === 'addFromMask');
  assert.equal(h.doc.labelAt(16, 5), 1, 'segment 1 untouched');
  assert.equal(h.doc.labelAt(44, 5), 3, 'segment 3 untouched');
  assert.equal(h.doc.labelAt(25, 5), 4);
  assert.equal(h.doc.segment(4)!.area, 20 * 10);
  assert.equal(h.doc.segment(4)!.classId, 7, 'the carved part keeps the class');
  // A click outside any segment does not start.
  const c2 = new ToolHarness(new CarveTool(), map);
  (c2.tool as CarveTool).setAvailability(true, '');
  c2.click(30, 20);
  assert.equal(c2.intents[0]!.type, 'message');
});

test('next unverified segment walks in reading order and wraps', () => {
  const h = new ToolHarness(new SelectTool(), bands());
  const segs = () => h.doc.segments.values();
  assert.equal(nextUnverified(segs(), null)!.id, 1);
  assert.equal(nextUnverified(segs(), 1)!.id, 2);
  h.doc.segments.set(2, { ...h.doc.segment(2)!, verified: true });
  assert.equal(nextUnverified(segs(), 1)!.id, 3);
  assert.equal(nextUnverified(segs(), 3)!.id, 1, 'wraps');
  assert.equal(nextUnverified(segs(), 1, true)!.id, 3, 'backwards');
  for (const id of [1, 3]) h.doc.segments.set(id, { ...h.doc.segment(id)!, verified: true });
  assert.equal(nextUnverified(segs(), 1), null);
});
