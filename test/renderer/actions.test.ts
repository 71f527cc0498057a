// The actions registry: key tests, predicates and perform, run against a fake workspace context
// that records what each action asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EditOp } from '../../app/edit';
import type { ClassRecord, ImageRecord, SegmentRecord } from '../../app/types';
import { ACTIONS, actionByName, actionForKey, actionsByGroup, isEnabled, keyCombo, menuActions, runAction } from '../../renderer/actions/registry';
import type { ActionContext, Toggle } from '../../renderer/actions/types';
import { resizeBrush } from '../../renderer/actions/brush-size';
import { TOOLS } from '../../renderer/tools';
import type { ToolId } from '../../renderer/tools/types';

const seg = (id: number, area: number, verified = false): SegmentRecord => ({ id, classId: null, source: 'auto', verified, clusterId: null, area, bbox: { x: id, y: 0, width: 2, height: 2 } });
const image = (id: number, status: ImageRecord['status'] = 'in-review') => ({ id, status }) as ImageRecord;

interface Fake extends ActionContext {
  calls: string[];
  edits: { ops: EditOp[]; label: string; select?: string }[];
  selected: number[];
  brush: number;
}

function fake(over: { chosen?: number[]; running?: boolean; segments?: SegmentRecord[] | null; selection?: number[]; undoDepth?: number; redoDepth?: number; pending?: number; classes?: ClassRecord[]; images?: ImageRecord[]; image?: ImageRecord | null; clusterSelect?: boolean; hasClusters?: boolean; hasImage?: boolean; learn?: { canTrain?: boolean; training?: boolean; trained?: boolean } } = {}): Fake {
  const calls: string[] = [];
  const segments = over.segments === null ? null : new Map((over.segments ?? [seg(1, 10), seg(2, 100), seg(3, 4)]).map((s) => [s.id, s]));
  const f: Fake = {
    calls,
    edits: [],
    selected: [...(over.selection ?? [])],
    brush: 8,
    hasImage: over.hasImage ?? true,
    doc: segments ? { segments, undoDepth: over.undoDepth ?? 0, redoDepth: over.redoDepth ?? 0 } : null,
    pending: over.pending ?? 0,
    selection: {
      get ids() {
        return f.selected;
      },
      get single() {
        return f.selected.length === 1 ? f.selected[0]! : null;
      },
      apply: (ids) => {
        f.selected = [...ids];
      },
      clear: () => {
        f.selected = [];
      },
    },
    tool: 'select',
    image: over.image === undefined ? image(1) : over.image,
    images: over.images ?? [image(1), image(2), image(3)],
    chosen: over.chosen ?? [],
    running: over.running ?? false,
    classes: over.classes ?? [],
    minArea: 50,
    clusterSelect: over.clusterSelect ?? false,
    hasClusters: over.hasClusters ?? false,
    edit: (ops, label, intent) => {
      f.edits.push({ ops, label, ...(intent?.select ? { select: intent.select } : {}) });
      // Like the real session: the document changes at once.
      for (const op of ops) if (op.kind === 'deleteSmallerThan') for (const [id, s] of segments ?? []) if (s.area < op.minArea) segments!.delete(id);
    },
    undo: () => calls.push('undo'),
    redo: () => calls.push('redo'),
    setTool: (id: ToolId) => calls.push(`tool:${id}`),
    ensureClasses: async (n) => {
      calls.push(`ensure:${n}`);
      return Array.from({ length: n }, (_, k) => ({ id: 100 + k, name: `c${k}`, color: '#000' }) as unknown as ClassRecord);
    },
    setImageStatus: (id, status) => calls.push(`status:${id}:${status}`),
    openImage: (id) => calls.push(`open:${id}`),
    segment: (ids, verb) => calls.push(`segment:${ids.join(',')}${verb ? `:${verb}` : ''}`),
    phaseMap: (id) => calls.push(`phase:${id}`),
    notify: (kind, text) => calls.push(`${kind}:${text}`),
    view: {
      fit: () => calls.push('fit'),
      actualSize: () => calls.push('1:1'),
      zoomBy: (x) => calls.push(`zoom:${x}`),
      centreOn: (b) => calls.push(`centre:${b.x}`),
    },
    toggle: (what: Toggle) => calls.push(`toggle:${what}`),
    setBrushRadius: (next) => {
      f.brush = next(f.brush);
    },
    showClustersTab: () => calls.push('clusters-tab'),
    learn: {
      canTrain: over.learn?.canTrain ?? false,
      training: over.learn?.training ?? false,
      trained: over.learn?.trained ?? false,
      train: () => calls.push('learn:train'),
      nextUncertain: () => calls.push('learn:nextUncertain'),
    },
  };
  return f;
}

const k = (key: string, m: Partial<{ ctrl: boolean; shift: boolean; alt: boolean }> = {}) => ({ key, ctrlKey: !!m.ctrl, metaKey: false, shiftKey: !!m.shift, altKey: !!m.alt });
const named = (name: string) => actionByName(name)!;

test('key tests: combos as typed, one action per key, every tool has a key, help lists every action', () => {
  assert.equal(keyCombo(k('z', { ctrl: true })), 'Ctrl+Z');
  assert.equal(keyCombo(k('Z', { ctrl: true, shift: true })), 'Ctrl+Shift+Z');
  assert.equal(keyCombo(k('?', { shift: true })), '?');
  assert.equal(keyCombo(k('Delete', { shift: true })), 'Shift+Delete');
  assert.equal(keyCombo({ key: 'z', ctrlKey: false, metaKey: true, shiftKey: false, altKey: false }), 'Ctrl+Z', 'Cmd counts as Ctrl');
  const expect: [ReturnType<typeof k>, string][] = [
    [k('z', { ctrl: true }), 'edit.undo'],
    [k('Z', { ctrl: true, shift: true }), 'edit.redo'],
    [k('y', { ctrl: true }), 'edit.redo'],
    [k('o'), 'view.overlay'],
    [k('O', { shift: true }), 'view.outlines'],
    [k('m'), 'edit.merge'],
    [k('3'), 'class.3'],
    [k('0'), 'class.clear'],
    [k('PageDown'), 'image.next'],
    [k('d'), 'image.next'],
    [k('a'), 'image.prev'],
    [k('PageUp'), 'image.prev'],
    [k('w'), 'tool.sam'],
    [k('n'), 'sel.nextUnverified'],
    [k('N', { shift: true }), 'sel.prevUnverified'],
    [k(']'), 'view.brushLarger'],
    [k('?', { shift: true }), 'view.help'],
    [k('Delete', { shift: true }), 'edit.deleteSmaller'],
    [k('t'), 'tool.train'],
    [k('T', { shift: true }), 'learn.train'],
    [k('u'), 'learn.nextUncertain'],
  ];
  for (const [e, name] of expect) assert.equal(actionForKey(e)?.name, name, keyCombo(e));
  assert.equal(actionForKey(k('x')), undefined);
  const all = ACTIONS.flatMap((a) => a.keys);
  assert.equal(new Set(all).size, all.length, 'no key is bound twice');
  for (const t of TOOLS) assert.equal(actionForKey(k(t.key.toLowerCase()))!.name, `tool.${t.id}`);
  const listed = actionsByGroup().flatMap(([, list]) => list.map((a) => a.name));
  assert.deepEqual(listed.sort(), ACTIONS.filter((a) => a.keys.length > 0).map((a) => a.name).sort(), 'help lists every action that has a key');
  assert.ok(ACTIONS.filter((a) => a.toolbar).every((a) => a.glyph || a.short), 'toolbar actions have something to draw');
});

test('predicates: what each action needs before it can run', () => {
  const none = fake({ segments: null, hasImage: false, image: null });
  for (const name of ['edit.undo', 'edit.redo', 'edit.merge', 'edit.delete', 'sel.all', 'tool.brush', 'view.fit', 'image.segment']) assert.equal(isEnabled(named(name), none), false, name);
  assert.equal(isEnabled(named('view.help'), none), true, 'help always opens');
  const one = fake({ selection: [1] });
  assert.equal(isEnabled(named('edit.merge'), one), false, 'merge needs two');
  assert.equal(isEnabled(named('edit.merge'), fake({ selection: [1, 2] })), true);
  assert.equal(isEnabled(named('edit.delete'), one), true);
  assert.equal(isEnabled(named('sel.clear'), fake()), false);
  assert.equal(isEnabled(named('edit.undo'), fake({ undoDepth: 1 })), true);
  assert.equal(isEnabled(named('edit.undo'), fake({ pending: 1 })), true, 'an edit on its way to main can be undone');
  assert.equal(isEnabled(named('edit.redo'), fake({ undoDepth: 3 })), false);
  assert.equal(isEnabled(named('edit.redo'), fake({ redoDepth: 1 })), true);
  assert.equal(isEnabled(named('edit.redo'), fake({ pending: 1 })), true, 'a redo typed while an undo is on its way to main is not dropped');
  // runAction respects the predicate.
  const f = fake({ selection: [1] });
  assert.equal(runAction(named('edit.merge'), f), false);
  assert.deepEqual(f.edits, []);
});

test('perform: edits, selection, review, navigation and view reach the context', async () => {
  const f = fake({ selection: [1, 2] });
  assert.ok(runAction(named('edit.merge'), f));
  assert.deepEqual(f.edits.pop(), { ops: [{ kind: 'merge', ids: [1, 2] }], label: 'Merge', select: 'target' });
  runAction(named('review.verify'), f);
  assert.deepEqual(f.edits.pop()!.ops, [{ kind: 'setVerified', ids: [1, 2], verified: true }]);
  const verified = fake({ selection: [1], segments: [seg(1, 10, true)] });
  runAction(named('review.verify'), verified);
  assert.deepEqual(verified.edits.pop(), { ops: [{ kind: 'setVerified', ids: [1], verified: false }], label: 'Unverify' }, 'again: unverified');
  runAction(named('edit.delete'), f);
  assert.deepEqual(f.edits.pop()!.ops, [{ kind: 'delete', ids: [1, 2] }]);
  assert.deepEqual(f.selected, [], 'delete clears the selection');
  runAction(named('sel.all'), f);
  assert.deepEqual(f.selected, [1, 2, 3]);
  runAction(named('sel.clear'), f);
  assert.deepEqual(f.selected, []);

  // Class keys create the classes they need, then assign.
  const c = fake({ selection: [3] });
  runAction(named('class.2'), c);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(c.calls, ['ensure:2']);
  assert.deepEqual(c.edits.pop(), { ops: [{ kind: 'setClass', ids: [3], classId: 101 }], label: 'Class 2' });
  runAction(named('class.clear'), c);
  assert.deepEqual(c.edits.pop()!.ops, [{ kind: 'setClass', ids: [3], classId: null }]);

  // Delete smaller says how many went.
  const d = fake();
  runAction(named('edit.deleteSmaller'), d);
  assert.deepEqual(d.edits.pop()!.ops, [{ kind: 'deleteSmallerThan', minArea: 50 }]);
  assert.deepEqual(d.calls, ['info:Deleted 2 segments smaller than 50 px.']);

  // Next to review: the first unverified segment, centred; none left says so.
  const n = fake({ segments: [seg(1, 10, true), seg(2, 10), seg(3, 10)] });
  runAction(named('sel.nextUnverified'), n);
  assert.deepEqual(n.selected, [2]);
  assert.deepEqual(n.calls, ['centre:2']);
  const allDone = fake({ segments: [seg(1, 10, true)] });
  runAction(named('sel.nextUnverified'), allDone);
  assert.deepEqual(allDone.calls, ['info:Every segment of this image is verified.']);

  // Images: next / previous within the list, reviewed toggles, S segments the open one.
  const i = fake({ image: image(2, 'verified') });
  for (const name of ['image.next', 'image.prev', 'review.image', 'image.segment', 'view.fit', 'view.zoomOut', 'tool.sam']) runAction(named(name), i);
  assert.deepEqual(i.calls, ['open:3', 'open:1', 'status:2:in-review', 'segment:2', 'fit', 'zoom:0.8', 'tool:sam']);
  const last = fake({ image: image(3) });
  runAction(named('image.next'), last);
  assert.deepEqual(last.calls, [], 'no image after the last');

  // Cluster select needs a clustering first.
  const cl = fake();
  runAction(named('sel.byCluster'), cl);
  assert.deepEqual(cl.calls, ['clusters-tab', 'info:Cluster the segments first: Run in the Clusters tab.']);
  const cl2 = fake({ hasClusters: true });
  runAction(named('sel.byCluster'), cl2);
  assert.deepEqual(cl2.calls, ['toggle:clusterSelect']);

  // Brush size steps by a quarter, in half pixels, within 0.5..500.
  const b = fake();
  runAction(named('view.brushLarger'), b);
  assert.equal(b.brush, 10);
  runAction(named('view.brushSmaller'), b);
  assert.equal(b.brush, 8);
  assert.equal(resizeBrush(0.5, 0.8), 0.5);
  assert.equal(resizeBrush(480, 1.25), 500);
});

test('the Segment menu reads the registry: captions with counts, predicates, perform', () => {
  assert.deepEqual(menuActions('segment').map((a) => a.testId ?? a.name), ['segment-chosen', 'segment-all', 'phase-map-menu', 'view.clusters']);
  const f = fake({ chosen: [2, 3] });
  assert.deepEqual(menuActions('segment').map((a) => a.caption?.(f) ?? a.label), ['Segment chosen images (2)', 'Segment all images (3)', 'Phase map (pixel k-means)…', 'Cluster segments…']);
  for (const a of menuActions('segment')) assert.ok(runAction(a, f), a.name);
  assert.deepEqual(f.calls, ['segment:2,3:Segment 2 chosen images', 'segment:1,2,3:Segment all 3 images', 'phase:1', 'clusters-tab']);
  const busy = fake({ chosen: [1], running: true });
  assert.deepEqual(menuActions('segment').map((a) => isEnabled(a, busy)), [false, false, false, true], 'nothing new starts while a job runs');
  assert.equal(isEnabled(named('image.segmentChosen'), fake()), false, 'nothing chosen');
  assert.equal(isEnabled(named('image.phaseMap'), fake({ image: null })), false, 'no open image');
});

test('learn actions: train needs labels of two classes and no training under way; next uncertain needs a classifier and an image', () => {
  const train = named('learn.train');
  const next = named('learn.nextUncertain');
  assert.equal(isEnabled(train, fake()), false, 'no labels yet');
  assert.equal(isEnabled(train, fake({ learn: { canTrain: true, training: true } })), false, 'already training');
  const ready = fake({ learn: { canTrain: true } });
  assert.equal(runAction(train, ready), true);
  assert.deepEqual(ready.calls, ['learn:train']);
  assert.equal(isEnabled(next, fake({ learn: { trained: false } })), false, 'nothing trained');
  assert.equal(isEnabled(next, fake({ hasImage: false, image: null, learn: { trained: true } })), false, 'no image open');
  const trained = fake({ learn: { trained: true } });
  assert.equal(runAction(next, trained), true);
  assert.deepEqual(trained.calls, ['learn:nextUncertain']);
  // T switches to the Train tool.
  const t = fake();
  runAction(actionForKey(k('t'))!, t);
  assert.deepEqual(t.calls, ['tool:train']);
});
