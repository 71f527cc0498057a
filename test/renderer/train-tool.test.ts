// The Train tool's state paths ('train.idle' → 'train.painting' → 'train.idle') and what each
// gesture and key emits, and the pure parts of its layer (stroke shape, prediction pixels,
// visible rectangle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../../app/types';
import { ToolHarness } from './harness';
import { TrainTool } from '../../renderer/tools/train/train';
import { predictedFractions, predictionRgba, scribbleShape, squareOutline, visibleRect } from '../../renderer/tools/train/layer';
import type { Intent } from '../../renderer/tools/types';

const empty = (): LabelMap => ({ width: 40, height: 20, data: new Uint32Array(40 * 20) });
const scribbles = (h: ToolHarness) => h.intents.filter((i): i is Extract<Intent, { type: 'scribble' | 'scribbleUndo' }> => i.type === 'scribble' || i.type === 'scribbleUndo');

test('train tool: a left drag paints the active class (1-9 pick it) with the brush radius; the document is untouched', () => {
  const tool = new TrainTool();
  const h = new ToolHarness(tool, empty(), { brushRadius: 3 });
  assert.equal(tool.path, 'train.idle');
  h.down(2, 2);
  assert.equal(tool.path, 'train.painting');
  assert.equal(tool.busy, true);
  h.move(5, 2).move(9, 3);
  assert.ok(tool.preview().some((s) => s.kind === 'stroke' && s.points.length === 3 && !s.erase), 'the stroke so far is drawn');
  h.up(9, 3);
  assert.equal(tool.path, 'train.idle');
  assert.deepEqual(scribbles(h), [{ type: 'scribble', mode: 'paint', classIndex: 1, radius: 3, points: [2, 2, 5, 2, 9, 3] }]);
  assert.equal(h.ops.length, 0, 'scribbles are labels, not segment edits');
  assert.equal(h.key('3'), true);
  h.drag([[1, 1], [4, 4]]);
  assert.equal((scribbles(h)[1] as { classIndex: number }).classIndex, 3);
  assert.match(tool.hint(), /class 3/);
});

test('train tool: Alt, the right button or erase mode (X) erase; Escape abandons a stroke; Ctrl+Z asks to undo the last stroke', () => {
  const tool = new TrainTool();
  const h = new ToolHarness(tool, empty());
  assert.equal(tool.usesRightButton, true);
  h.drag([[1, 1], [6, 1]], { alt: true });
  h.drag([[1, 2], [6, 2]], { button: 2 });
  assert.equal(h.key('x'), true);
  h.drag([[1, 3], [6, 3]]);
  assert.deepEqual(scribbles(h).map((i) => (i.type === 'scribble' ? i.mode : i.type)), ['erase', 'erase', 'erase']);
  h.key('x');
  h.down(1, 4).move(8, 4);
  assert.equal(h.key('Escape'), true);
  assert.equal(tool.path, 'train.idle');
  h.up(8, 4);
  assert.equal(scribbles(h).length, 3, 'an abandoned stroke sends nothing');
  assert.equal(h.key('z', { ctrl: true }), true);
  assert.deepEqual(scribbles(h)[3], { type: 'scribbleUndo' });
  assert.equal(h.key('z'), false, 'plain Z is not the tool\u2019s');
  assert.equal(h.key('1', { ctrl: true }), false, 'Ctrl+1 stays the view\u2019s');
});

test('train tool layer: strokes in class colours with erase strokes clearing; prediction pixels by class or by margin; the visible rectangle', () => {
  const classes = [
    { id: 7, name: 'a', color: '#ff0000' },
    { id: 9, name: 'b', color: '#00f' },
  ];
  const shape = scribbleShape(
    [
      { id: 1, kind: 'paint', classId: 9, radius: 2, points: [0, 0, 4, 0], createdAt: '' },
      { id: 2, kind: 'erase', classId: null, radius: 1, points: [2, 0], createdAt: '' },
    ],
    classes,
  );
  assert.ok(shape && shape.kind === 'scribbles');
  assert.deepEqual(shape.strokes, [
    { points: [[0, 0], [4, 0]], radius: 2, colour: '#00f' },
    { points: [[2, 0]], radius: 1, colour: null },
  ]);
  assert.equal(scribbleShape([], classes), null);
  const p = { width: 2, height: 1, classIds: [7, 9], classes: Uint8Array.from([0, 1]), margin: Uint8Array.from([255, 0]) };
  assert.deepEqual([...predictionRgba(p, classes, 'classes', 100)], [255, 0, 0, 100, 0, 0, 255, 100]);
  const u = predictionRgba(p, classes, 'uncertainty');
  assert.equal(u[3], 0, 'a certain pixel is clear');
  assert.ok(u[7]! > 150, 'an undecided pixel is strongly marked');
  assert.deepEqual([...predictedFractions(p)], [[7, 0.5], [9, 0.5]]);
  // Image 100 x 80 at scale 2, shifted: the screen shows image x 10..60, y 0..40.
  assert.deepEqual(visibleRect({ scale: 2, x: -20, y: 0 }, 100, 80, 100, 80), { x: 10, y: 0, width: 50, height: 40 });
  assert.equal(visibleRect({ scale: 1, x: 500, y: 0 }, 100, 80, 100, 80), null, 'image off screen');
  assert.deepEqual(visibleRect({ scale: 1, x: 0, y: 0 }, 3000, 3000, 3000, 3000, 1024), { x: 988, y: 988, width: 1024, height: 1024 }, 'large views predict a centred square');
});

test('train tool: the square Next uncertain went to is outlined over the prediction and strokes, under the cursor', () => {
  const tool = new TrainTool();
  const h = new ToolHarness(tool, empty(), { brushRadius: 2 });
  h.move(3, 3);
  tool.layer = { scribbles: null, prediction: null, target: squareOutline({ x: 8, y: 4, width: 16, height: 16 }) };
  const shapes = tool.preview();
  assert.deepEqual(shapes.map((s) => s.kind), ['line', 'line', 'cursor']);
  // White dashes over a solid black line: seen over the red uncertainty view and over any image.
  const [under, over] = shapes as Extract<(typeof shapes)[number], { kind: 'line' }>[];
  assert.deepEqual([under!.colour, under!.dashed ?? false, over!.colour, over!.dashed], ['#000000', false, '#ffffff', true]);
  assert.deepEqual(over!.points, [[8, 4], [24, 4], [24, 20], [8, 20]]);
  assert.equal(over!.closed, true);
  tool.layer = { scribbles: null, prediction: null, target: null };
  assert.deepEqual(tool.preview().map((s) => s.kind), ['cursor'], 'no outline once the workspace clears it');
});
