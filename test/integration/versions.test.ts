// Re-segmenting an image with corrections: the segments a person made (hand-edited, verified, given
// a class) keep their exact pixels, ids and rows; the new result fills the rest; the step is one
// undoable history entry that survives reopening; what it replaced is a restorable version; the
// number of versions is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, voronoiMap } from '../support/edit-testkit';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { ProjectStore } from '../../main/store/project-store';
import { EditStore } from '../../main/store/edits';
import { saveAutomaticResult } from '../../main/store/automatic';
import { listVersions, setVersionLimit } from '../../main/store/versions';
import { ensureClasses } from '../../main/store/classes';
import { firstDifference, segmentedProject } from './edit-store';

const W = 96;
const H = 64;

const rowsOf = (segs: SegmentRecord[]) => JSON.stringify(segs.map((s) => [s.id, s.classId, s.classSource ?? null, s.verified, s.edited ?? false, s.area, s.bbox]));
const pixelsOf = (map: LabelMap, id: number) => [...map.data.keys()].filter((i) => map.data[i] === id);

test('re-segmenting keeps what a person made exactly, replaces the rest, and is one undoable step that survives reopening', async () => {
  const { dir, imageId, map } = await segmentedProject(W, H, 40, 7);
  let store = ProjectStore.open(dir);
  let edits = new EditStore(store);
  const [cls1, cls2] = ensureClasses(store, 2);
  const ids = [...new Set(map.data)].filter((v) => v !== 0);
  const [verifiedId, classedId, predictedId] = [ids[3]!, ids[7]!, ids[11]!];
  // A person: a brush stroke (a new segment), a verified segment, a class by key; the classifier: a predicted class.
  const brush = await edits.apply({ imageId, op: { kind: 'brush', mode: 'paint', points: [[10, 10], [30, 12]], radius: 3, target: 'new' } });
  const brushedId = brush.upserted.find((s) => s.edited && s.source === 'brush')!.id;
  await edits.apply({ imageId, op: { kind: 'setVerified', ids: [verifiedId], verified: true } });
  await edits.apply({ imageId, op: { kind: 'setClass', ids: [classedId], classId: cls1!.id } });
  await edits.apply({ imageId, op: { kind: 'setClass', ids: [predictedId], classId: cls2!.id }, provenance: { source: 'classifier', confidence: new Map([[predictedId, 0.7]]) } });
  const before = (await edits.snapshot(imageId))!;
  const beforeMap: LabelMap = { ...before.labels, data: before.labels.data.slice() };
  const beforeRows = rowsOf(before.segments);
  const kept = [brushedId, verifiedId, classedId];
  const historyBefore = (await edits.history(imageId))!;

  // The new automatic result: another tessellation whose ids collide with the kept ones.
  const result = voronoiMap(prng(99), W, H, 30, 0, 1);
  const saved = await saveAutomaticResult(edits, imageId, { labels: result, source: 'auto' }, { engine: 'classic', settings: { mode: 'phase', minArea: 16 }, keep: 'person' });
  assert.equal(saved.action, 'replaced');
  assert.equal(saved.kept, 3);
  const after = (await edits.snapshot(imageId))!;
  for (const id of kept) {
    assert.deepEqual(pixelsOf(after.labels, id), pixelsOf(beforeMap, id), `segment ${id} keeps its exact pixels`);
    const a = after.segments.find((s) => s.id === id)!;
    const b = before.segments.find((s) => s.id === id)!;
    assert.deepEqual({ ...a }, { ...b }, `segment ${id} keeps its row`);
  }
  assert.ok(!after.segments.some((s) => s.id === predictedId && s.classId === cls2!.id), 'a predicted class is not a person\'s: replaced');
  // Everywhere else the result, each of its segments under one id.
  const keptSet = new Set(kept);
  const idOf = new Map<number, number>();
  for (let i = 0; i < result.data.length; i++) {
    if (keptSet.has(beforeMap.data[i]!)) continue;
    const r = result.data[i]!;
    const got = after.labels.data[i]!;
    if (r === 0) assert.equal(got, 0);
    else {
      if (!idOf.has(r)) idOf.set(r, got);
      assert.equal(got, idOf.get(r), `pixel ${i}`);
      assert.ok(!keptSet.has(got), 'a new segment never takes a kept id');
    }
  }
  const h = (await edits.history(imageId))!;
  assert.equal(h.undoDepth, historyBefore.undoDepth + 1, 'one history entry');
  assert.equal(h.undoKind, 'resegment');
  assert.equal(store.getImage(imageId).status, 'in-review', 'segments were kept: the image stays in review');

  // The replaced map is a version, with its engine, edit count and what replaced it.
  const versions = listVersions(store, imageId);
  assert.equal(versions.length, 1);
  assert.equal(versions[0]!.engine, 'test');
  assert.equal(versions[0]!.editCount, 4);
  assert.equal(versions[0]!.personCount, 3);
  assert.equal(versions[0]!.replacedBy, 'classic');
  const afterMap = after.labels.data.slice();
  const afterRows = rowsOf(after.segments);

  // Undo gives back the map and rows exactly; redo the new ones.
  assert.equal((await edits.undo(imageId)).status, 'applied');
  let now = (await edits.snapshot(imageId))!;
  assert.equal(firstDifference(now.labels.data, beforeMap.data), -1, 'undo restores the previous segmentation');
  assert.equal(rowsOf(now.segments), beforeRows);
  assert.equal(rowsOf(store.listSegments(imageId)), beforeRows, 'and its rows in the database');
  assert.equal((await edits.current(imageId))!.engine, 'test');
  assert.equal((await edits.redo(imageId)).status, 'applied');
  now = (await edits.snapshot(imageId))!;
  assert.equal(firstDifference(now.labels.data, afterMap), -1);
  assert.equal(rowsOf(now.segments), afterRows);

  // Reopening replays the log to the same state; undo still reaches the corrections.
  await edits.flushAll();
  store.close();
  store = ProjectStore.open(dir);
  edits = new EditStore(store);
  now = (await edits.snapshot(imageId))!;
  assert.equal(firstDifference(now.labels.data, afterMap), -1, 'same map after reopening');
  assert.equal(rowsOf(store.listSegments(imageId)), afterRows);
  await edits.undo(imageId);
  assert.equal(firstDifference((await edits.current(imageId))!.labels.data, beforeMap.data), -1, 'undo after reopening');
  await edits.redo(imageId);
  store.close();
});

test('replace everything, restore a version, and keep only the newest N versions', async () => {
  const { dir, imageId, map } = await segmentedProject(W, H, 30, 3);
  const store = ProjectStore.open(dir);
  const edits = new EditStore(store);
  const someId = [...new Set(map.data)].find((v) => v !== 0)!;
  await edits.apply({ imageId, op: { kind: 'setVerified', ids: [someId], verified: true } });
  const result = voronoiMap(prng(5), W, H, 12, 0, 1);
  const saved = await saveAutomaticResult(edits, imageId, { labels: result, source: 'auto' }, { engine: 'sam:x:matsam', keep: 'none' });
  assert.equal(saved.kept, 0);
  const now = (await edits.current(imageId))!;
  assert.equal(firstDifference(now.labels.data, result.data), -1, 'the result as it is, ids included');
  assert.equal(store.getImage(imageId).status, 'auto-segmented');

  // Restoring the first version brings back the verified segment (one more undoable step).
  const [v1] = listVersions(store, imageId);
  const { GrainLabService } = await import('../../main/service');
  store.close();
  const svc = new GrainLabService({ userDataDir: dir, binding: 'web' });
  await svc.call('project.open', { path: dir });
  const r = await svc.call('versions.restore', { imageId, versionId: v1!.id });
  assert.equal(r.action, 'replaced');
  const seg = (await svc.call('segmentation.get', { imageId }))!;
  assert.equal(firstDifference(seg.labels, map.data), -1, 'the first version is back');
  assert.equal(seg.segments.find((s) => s.id === someId)!.verified, true);
  const list = await svc.call('versions.list', { imageId });
  assert.equal(list.versions.length, 2, 'the SAM result became a version in turn');
  assert.equal(list.versions[0]!.engine, 'sam:x:matsam');
  assert.equal(list.versions[0]!.replacedBy, `restore of version ${v1!.id}`);
  assert.equal(list.current!.engine, 'test');
  const small = await svc.call('versions.get', { imageId, versionId: list.versions[0]!.id, maxSide: 32 });
  assert.equal(small.step, 3);
  assert.equal(small.width, 32);
  assert.equal(small.labels[1 * 32 + 2], result.data[3 * W + 6], 'downsampled by nearest sample');

  // Bounded: with a limit of 2, a third and fourth replacement drop the oldest.
  await svc.call('versions.setLimit', { limit: 2 });
  for (const seed of [6, 7]) {
    await runSave(svc, dir, imageId, voronoiMap(prng(seed), W, H, 10, 0, 1));
  }
  const bounded = await svc.call('versions.list', { imageId });
  assert.equal(bounded.limit, 2);
  assert.equal(bounded.versions.length, 2);
  assert.ok(bounded.versions.every((v) => v.id > list.versions[0]!.id), 'the oldest went first');
  await svc.dispose();
});

async function runSave(svc: import('../../main/service').GrainLabService, dir: string, imageId: number, labels: LabelMap): Promise<void> {
  // The open service's store, so its edit store sees the change.
  const edits = (svc as unknown as { edits: EditStore }).edits;
  assert.equal(edits.store.dir, dir);
  await saveAutomaticResult(edits, imageId, { labels, source: 'auto' }, { engine: 'classic', keep: 'person' });
}

test('nothing changes, nothing is stored: the same result twice is no new step', async () => {
  const { dir, imageId, map } = await segmentedProject(W, H, 20, 4);
  const store = ProjectStore.open(dir);
  const edits = new EditStore(store);
  const r = await saveAutomaticResult(edits, imageId, { labels: map, source: 'auto' }, { engine: 'test', keep: 'person' });
  assert.equal(r.action, 'unchanged');
  assert.equal(r.versionId, null);
  assert.equal((await edits.history(imageId))!.undoDepth, 0);
  assert.equal(listVersions(store, imageId).length, 0);
  setVersionLimit(store, 3);
  store.close();
});
