// The renderer's edit session against a fake main that answers only when the test lets it: edits
// show at once (optimistic), undo and redo are main's (nothing changes until main answers with its
// patch, which is then applied), the request log is bounded, and a refused edit reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdit, applyPatch, encodePatch, patchPixelCount, type EditOp, type LabelPatch } from '../../app/edit';
import type { EditAck, EditHistoryState, EditSnapshot, EditStepResult } from '../../app/contract/edit';
import { segmentStats } from '../../app/labelmap';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { EditSession, SESSION_LOG_LIMIT, type SessionClient } from '../../renderer/editor/session';

/** A fake main with one image: an edit log with undo/redo, answering calls when `release()` is called. */
class FakeMain {
  map: LabelMap;
  nextId: number;
  done: LabelPatch[] = [];
  undone: LabelPatch[] = [];
  rev = 0;
  calls: { method: string; args: Record<string, unknown> }[] = [];
  private held: (() => void)[] = [];
  hold = false;

  constructor(map: LabelMap) {
    this.map = { ...map, data: map.data.slice() };
    this.nextId = Math.max(...map.data) + 1;
  }

  /** Lets every held answer go. */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  private history(): EditHistoryState {
    return { imageId: 1, revision: `r${this.rev}`, seq: this.done.length, nextId: this.nextId, undoDepth: this.done.length, redoDepth: this.undone.length, undoKind: this.done.length ? 'brush' : null, redoKind: this.undone.length ? 'brush' : null };
  }

  private rows(): SegmentRecord[] {
    return segmentStats(this.map).map((s) => ({ id: s.id, classId: null, source: 'auto', verified: false, clusterId: null, area: s.area, bbox: s.bbox }));
  }

  readonly client: SessionClient = {
    call: ((method: string, args: Record<string, unknown>) => {
      this.calls.push({ method, args });
      const answer = () => this.answer(method, args);
      if (!this.hold) return Promise.resolve().then(answer);
      return new Promise<unknown>((resolve, reject) => this.held.push(() => void Promise.resolve().then(answer).then(resolve, reject)));
    }) as SessionClient['call'],
  };

  private answer(method: string, args: Record<string, unknown>): unknown {
    const stale = args.expectRevision !== undefined && args.expectRevision !== `r${this.rev}`;
    if (method === 'edit.open') {
      const snap: EditSnapshot = { ...this.history(), width: this.map.width, height: this.map.height, labels: this.map.data.slice(), segments: this.rows(), engine: 'test', updatedAt: 't' };
      return snap;
    }
    if (method === 'edit.apply') {
      if (stale) return { ...this.history(), status: 'stale', box: { x: 0, y: 0, width: 0, height: 0 }, pixels: 0, upserted: [], removed: [] } satisfies EditAck;
      const ops = (args.ops as EditOp[] | undefined) ?? [args.op as EditOp];
      let pixels = 0;
      for (const op of ops) {
        const r = applyEdit(this.map, op, { nextId: this.nextId, meta: () => ({ classId: null, verified: false }) });
        this.nextId = r.nextId;
        this.done.push(r.patch);
        pixels += patchPixelCount(r.patch);
      }
      this.undone = [];
      this.rev++;
      return { ...this.history(), status: 'applied', box: { x: 0, y: 0, width: 1, height: 1 }, pixels, upserted: [], removed: [] } satisfies EditAck;
    }
    if (method === 'edit.undo' || method === 'edit.redo') {
      const undo = method === 'edit.undo';
      const from = undo ? this.done : this.undone;
      if (stale || from.length === 0) return { ...this.history(), status: stale ? 'stale' : 'nothing', patch: new Uint8Array(0), direction: 'forward', upserted: [], removed: [] } satisfies EditStepResult;
      const patch = from.pop()!;
      applyPatch(this.map, patch, undo ? 'inverse' : 'forward');
      (undo ? this.undone : this.done).push(patch);
      this.rev++;
      return { ...this.history(), status: 'applied', patch: encodePatch(patch), direction: undo ? 'inverse' : 'forward', upserted: this.rows(), removed: [] } satisfies EditStepResult;
    }
    if (method === 'edit.history') return this.history();
    throw new Error(`unexpected ${method}`);
  }
}

/** Segment 1 on the left half, 2 on the right, of a 20 x 10 map. */
function halves(): LabelMap {
  const data = new Uint32Array(200);
  for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) data[y * 20 + x] = x < 10 ? 1 : 2;
  return { width: 20, height: 10, data };
}

const tick = () => new Promise((r) => setImmediate(r));

const merge: EditOp = { kind: 'merge', ids: [1, 2] };
const erase: EditOp = { kind: 'brush', mode: 'erase', points: [[2, 2], [6, 2]], radius: 1 };

test('edits show at once and main confirms them', async () => {
  const main = new FakeMain(halves());
  const s = (await EditSession.open(main.client, 1))!;
  main.hold = true;
  const local = s.edit([merge]);
  assert.ok(local && local.removed.length === 1, 'merged locally');
  assert.equal(s.doc.labelAt(15, 5), s.doc.labelAt(5, 5), 'before main answered');
  assert.equal(s.pending, 1);
  await tick();
  assert.equal(main.calls.at(-1)!.method, 'edit.apply');
  assert.equal(main.calls.at(-1)!.args.expectRevision, 'r0');
  main.release();
  await s.flush();
  assert.equal(s.pending, 0);
  assert.equal(s.doc.revision, 'r1');
  assert.equal(s.doc.undoDepth, 1);
  assert.deepEqual(s.log.map((e) => `${e.kind}:${e.status}`), ['edit:applied']);
  assert.equal(s.edit([{ kind: 'delete', ids: [999] }]), null, 'an edit that changes nothing is not sent');
});

test('undo and redo are main’s: nothing changes until main answers, then its patch is applied', async () => {
  const main = new FakeMain(halves());
  const s = (await EditSession.open(main.client, 1))!;
  s.edit([erase]);
  await s.flush();
  const edited = s.doc.labels.data.slice();
  assert.equal(s.doc.labelAt(4, 2), 0);
  main.hold = true;
  const undone = s.undo();
  await tick();
  assert.deepEqual(s.doc.labels.data, edited, 'the renderer keeps no undo stack of its own');
  main.release();
  assert.equal(await undone, true);
  assert.equal(main.calls.at(-1)!.method, 'edit.undo');
  assert.equal(main.calls.at(-1)!.args.expectRevision, 'r1');
  assert.deepEqual(s.doc.labels.data, main.map.data, 'main’s patch was applied');
  assert.equal(s.doc.labelAt(4, 2), 1);
  assert.equal(s.doc.redoDepth, 1);
  main.hold = false;
  assert.equal(await s.redo(), true);
  assert.equal(s.doc.labelAt(4, 2), 0);
  assert.equal(await s.redo(), false, 'nothing to redo');
  // A new session (a page reload) undoes the same history: it is main's.
  const fresh = (await EditSession.open(main.client, 1))!;
  assert.equal(fresh.doc.undoDepth, 1);
  assert.equal(await fresh.undo(), true);
  assert.equal(fresh.doc.labelAt(4, 2), 1);
  assert.deepEqual(fresh.doc.labels.data, main.map.data);
});

test('an undo queued behind a pending edit goes to main after it, against the edit’s revision', async () => {
  const main = new FakeMain(halves());
  const s = (await EditSession.open(main.client, 1))!;
  main.hold = true;
  s.edit([erase]);
  const undone = s.undo();
  await tick();
  assert.equal(main.calls.filter((c) => c.method === 'edit.undo').length, 0, 'not sent before the edit is answered');
  main.release();
  await tick();
  main.release();
  assert.equal(await undone, true);
  assert.deepEqual(main.calls.map((c) => c.method).slice(-2), ['edit.apply', 'edit.undo']);
  assert.equal(main.calls.at(-1)!.args.expectRevision, 'r1');
  assert.deepEqual(s.doc.labels.data, halves().data);
});

test('the request log keeps the newest entries only', async () => {
  const main = new FakeMain(halves());
  const s = (await EditSession.open(main.client, 1, { logLimit: 3 }))!;
  for (let k = 0; k < 5; k++) s.edit([{ kind: 'brush', mode: 'erase', points: [[k * 3 + 1, 5]], radius: 1 }]);
  void s.undo();
  await s.flush();
  assert.equal(s.log.length, 3);
  assert.deepEqual(s.log.map((e) => e.kind), ['edit', 'edit', 'undo'], 'the oldest went first');
  assert.ok(SESSION_LOG_LIMIT > 0 && SESSION_LOG_LIMIT <= 1000, 'the default keeps a bounded number');
});

test('an edit against a map changed elsewhere is refused, said, and main’s map reloaded', async () => {
  const main = new FakeMain(halves());
  const messages: string[] = [];
  const s = (await EditSession.open(main.client, 1, { onMessage: (_k, t) => messages.push(t) }))!;
  // Another window edits first.
  const other = (await EditSession.open(main.client, 1))!;
  other.edit([{ kind: 'delete', ids: [2] }]);
  await other.flush();
  s.edit([erase]);
  await s.flush();
  assert.match(messages[0]!, /changed elsewhere/);
  assert.deepEqual(s.doc.labels.data, main.map.data, 'main’s map, without the refused edit');
  assert.equal(s.doc.labelAt(4, 2), 1);
  assert.equal(s.doc.labelAt(15, 5), 0);
});
