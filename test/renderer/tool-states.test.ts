// Tools as state machines: each gesture walks the tool through its named states ("sam.idle" →
// "sam.pointing" → "sam.waiting" → "sam.candidate"), with enter/exit hooks run in order and the
// data of a state gone once it is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../../app/types';
import { ToolHarness } from './harness';
import { StateNode, StateTool } from '../../renderer/tools/state-node';
import { SelectTool } from '../../renderer/tools/select/select';
import { BrushTool } from '../../renderer/tools/brush/brush';
import { SplitTool } from '../../renderer/tools/split/split';
import { PolygonTool } from '../../renderer/tools/polygon/polygon';
import { BoundaryTool } from '../../renderer/tools/boundary/boundary';
import { CarveTool, SamPromptTool } from '../../renderer/tools/sam/sam';
import type { PointerInput } from '../../renderer/tools/types';

/** Two vertical bands 1 | 2 on a 40 x 20 map. */
function bands(): LabelMap {
  const data = new Uint32Array(40 * 20);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) data[y * 40 + x] = x < 20 ? 1 : 2;
  return { width: 40, height: 20, data };
}

const at = (x: number, y: number, button = 0): PointerInput => ({ x, y, button, shift: false, alt: false, ctrl: false, pixelSize: 1 });

test('state node: transitions run exit then enter with the data carried; unknown states throw', () => {
  const log: string[] = [];
  class A extends StateNode<Probe> {
    readonly id = 'a' as const;
    override onEnter(info: unknown) {
      log.push(`enter a ${String(info)}`);
    }
    override onExit() {
      log.push('exit a');
    }
    override onPointerDown() {
      this.tool.transition('b', 42);
    }
  }
  class B extends StateNode<Probe> {
    readonly id = 'b' as const;
    override onEnter(info: unknown) {
      log.push(`enter b ${String(info)}`);
    }
    override onExit() {
      log.push('exit b');
    }
  }
  class Probe extends StateTool<'a' | 'b'> {
    readonly id = 'select' as const;
    protected readonly initial = 'a' as const;
    constructor() {
      super();
      this.states(new A(this), new B(this));
    }
    hint() {
      return '';
    }
  }
  const p = new Probe();
  assert.equal(p.path, 'select.a');
  assert.equal(p.busy, false);
  const h = new ToolHarness(p, bands());
  h.down(1, 1);
  assert.equal(p.path, 'select.b');
  assert.equal(p.busy, true);
  assert.equal(h.key('Escape'), true, 'Escape cancels a state other than the initial one');
  assert.equal(p.path, 'select.a');
  assert.deepEqual(log, ['enter a undefined', 'exit a', 'enter b 42', 'exit b', 'enter a undefined']);
  assert.throws(() => p.transition('c' as 'a'), /no state c/);
});

test('select: idle → pointing → brushing → idle', () => {
  const h = new ToolHarness(new SelectTool(), bands());
  assert.equal(h.tool.path, 'select.idle');
  h.down(22, 2);
  assert.equal(h.tool.path, 'select.pointing');
  assert.deepEqual(h.tool.preview(), [], 'no box before the pointer moved');
  h.move(32, 12);
  assert.equal(h.tool.path, 'select.brushing');
  assert.equal(h.tool.preview()[0]!.kind, 'box');
  h.up(38, 18);
  assert.equal(h.tool.path, 'select.idle');
  assert.deepEqual(h.selection.ids, [2], 'the box holds the centre of segment 2 only');
  h.click(5, 5);
  assert.equal(h.tool.path, 'select.idle');
  assert.deepEqual(h.selection.ids, [1]);
});

test('stroke tools: idle → stroking → idle; the stroke exists only while stroking', () => {
  const brush = new ToolHarness(new BrushTool('paint'), bands(), { brushRadius: 1 });
  brush.move(3, 3);
  assert.equal(brush.tool.path, 'brush.idle');
  assert.deepEqual(brush.tool.preview().map((s) => s.kind), ['cursor']);
  brush.down(3, 3).move(8, 3);
  assert.equal(brush.tool.path, 'brush.stroking');
  assert.deepEqual(brush.tool.preview().map((s) => s.kind), ['stroke', 'cursor']);
  brush.up(12, 3);
  assert.equal(brush.tool.path, 'brush.idle');
  assert.equal(brush.intents.length, 1);
  assert.deepEqual(brush.tool.preview().map((s) => s.kind), ['cursor']);
  // A right press does not start a stroke; Escape abandons one.
  brush.down(3, 3, { button: 2 });
  assert.equal(brush.tool.path, 'brush.idle');
  brush.down(3, 3).move(9, 9);
  assert.equal(brush.key('Escape'), true);
  assert.equal(brush.tool.path, 'brush.idle');
  brush.up(9, 9);
  assert.equal(brush.intents.length, 1, 'the abandoned stroke is not applied');
  const split = new ToolHarness(new SplitTool(), bands());
  split.down(10, 1);
  assert.equal(split.tool.path, 'split.stroking');
  split.up(10, 19);
  assert.equal(split.tool.path, 'split.idle');
});

test('polygon: idle → drawing (vertices) → idle; a drag from the first vertex → lasso', () => {
  const h = new ToolHarness(new PolygonTool(), bands());
  h.click(2, 2);
  assert.equal(h.tool.path, 'polygon.drawing');
  h.click(10, 2).click(10, 10);
  assert.equal(h.tool.path, 'polygon.drawing');
  assert.equal(h.key('Enter'), true);
  assert.equal(h.tool.path, 'polygon.idle');
  assert.equal(h.ops.length, 1);
  h.down(22, 2).move(30, 2);
  assert.equal(h.tool.path, 'polygon.lasso');
  h.move(30, 10).move(22, 10).up(22, 10);
  assert.equal(h.tool.path, 'polygon.idle');
  assert.equal(h.ops.length, 2);
  // Backspace removes vertices; the last one gone, the polygon is gone.
  h.click(5, 15);
  assert.equal(h.key('Backspace'), true);
  assert.equal(h.tool.path, 'polygon.idle');
  assert.equal(h.key('Backspace'), false, 'nothing to remove: the key is left to the actions');
});

test('grain boundary: a press → pressing; moved → dragging; each release back to idle', () => {
  const h = new ToolHarness(new BoundaryTool(), bands(), { brushRadius: 2 });
  h.down(19.8, 10);
  assert.equal(h.tool.path, 'boundary.pressing');
  h.up(19.8, 10);
  assert.equal(h.tool.path, 'boundary.idle');
  assert.equal(h.ops[0]!.kind, 'merge', 'a click on the boundary merges');
  const g = new ToolHarness(new BoundaryTool(), bands(), { brushRadius: 2 });
  g.down(15, 10).move(16, 10);
  assert.equal(g.tool.path, 'boundary.pressing', 'within 3 screen px it is still a click');
  g.move(24, 10);
  assert.equal(g.tool.path, 'boundary.dragging');
  g.up(24, 10);
  assert.equal(g.tool.path, 'boundary.idle');
  assert.deepEqual(g.ops[0]!.kind === 'brush' ? [g.ops[0]!.target, g.ops[0]!.onlyInto] : null, [1, 2]);
});

test('SAM: sam.idle → sam.pointing → sam.waiting → sam.candidate → (Enter) sam.idle', () => {
  const h = new ToolHarness(new SamPromptTool(), bands());
  const sam = h.tool as SamPromptTool;
  sam.setAvailability(true, '');
  assert.equal(sam.path, 'sam.idle');
  h.down(5, 5);
  assert.equal(sam.path, 'sam.pointing');
  assert.equal(sam.busy, true);
  h.up(5, 5);
  assert.equal(sam.path, 'sam.waiting');
  assert.equal(sam.busy, false);
  assert.equal(sam.status, 'SAM is thinking…');
  const prompt = h.intents.at(-1)!;
  assert.ok(prompt.type === 'prompt' && prompt.refine === false && prompt.points.length === 1);
  const box = { x: 2, y: 2, width: 6, height: 4 };
  sam.setCandidate({ box, mask: new Uint8Array(24).fill(1), score: 0.9 }, h.doc);
  assert.equal(sam.path, 'sam.candidate');
  // A second click refines: the answer stays shown while pointing and waiting.
  h.down(6, 6, { button: 2 });
  assert.equal(sam.path, 'sam.pointing');
  assert.ok(sam.preview().some((s) => s.kind === 'mask'), 'the answer is shown under the press');
  h.up(6, 6, { button: 2 });
  assert.equal(sam.path, 'sam.waiting');
  const refine = h.intents.at(-1)!;
  assert.ok(refine.type === 'prompt' && refine.refine === true && refine.points[1]!.label === 0);
  assert.ok(sam.preview().some((s) => s.kind === 'mask'));
  sam.setCandidate({ box, mask: new Uint8Array(24).fill(1), score: 0.8 }, h.doc);
  assert.equal(sam.path, 'sam.candidate');
  assert.equal(h.key('Enter'), true);
  assert.equal(sam.path, 'sam.idle');
  assert.equal(h.ops[0]!.kind, 'addFromMask');
  assert.deepEqual(sam.preview(), [], 'prompt and answer are gone');
});

test('SAM: a drag → sam.boxing; a failed prompt → sam.idle with the points kept; Escape clears; no model → stays idle', () => {
  const h = new ToolHarness(new SamPromptTool(), bands());
  const sam = h.tool as SamPromptTool;
  sam.setAvailability(true, '');
  h.down(2, 2).move(12, 12);
  assert.equal(sam.path, 'sam.boxing');
  assert.ok(sam.preview().some((s) => s.kind === 'box'));
  h.up(12, 12);
  assert.equal(sam.path, 'sam.waiting');
  const p = h.intents.at(-1)!;
  assert.ok(p.type === 'prompt' && p.box !== null && p.points.length === 0);
  sam.setCandidate(null, h.doc);
  assert.equal(sam.path, 'sam.idle');
  assert.ok(sam.preview().some((s) => s.kind === 'box'), 'the prompt box stays to try again');
  assert.equal(h.key('Escape'), true);
  assert.deepEqual(sam.preview(), []);
  assert.equal(h.key('Escape'), false, 'nothing left to discard');
  // An answer that arrives during a press is shown under it; the press goes on.
  h.click(5, 5);
  h.down(6, 6);
  sam.setCandidate({ box: { x: 4, y: 4, width: 2, height: 2 }, mask: new Uint8Array(4).fill(1), score: 0.5 }, h.doc);
  assert.equal(sam.path, 'sam.pointing');
  h.up(6, 6);
  assert.equal(sam.path, 'sam.waiting');
  assert.ok((h.intents.at(-1) as { refine: boolean }).refine, 'it refines the answer that arrived');
  // Without a model a press says so and nothing starts.
  const none = new ToolHarness(new SamPromptTool(), bands());
  (none.tool as SamPromptTool).setAvailability(false, 'No SAM model installed.');
  none.tool.onPointerDown(at(3, 3), none.ctx);
  assert.equal(none.tool.path, 'sam.idle');
  assert.deepEqual(none.intents, [{ type: 'message', kind: 'info', text: 'No SAM model installed.' }]);
});

test('carve: a click outside every segment does not prompt and leaves the tool idle', () => {
  const map = bands();
  map.data.fill(0, 0, 5);
  const h = new ToolHarness(new CarveTool(), map);
  (h.tool as CarveTool).setAvailability(true, '');
  h.click(1, 0);
  assert.equal(h.tool.path, 'carve.idle');
  assert.equal(h.intents[0]!.type, 'message');
  h.click(25, 5);
  assert.equal(h.tool.path, 'carve.waiting');
  assert.equal((h.tool as CarveTool).target, 2);
});
