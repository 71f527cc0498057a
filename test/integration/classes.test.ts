// Classes behave the way a person expects: a key pressed on a predicted class makes it the person's
// (undoable); a class given to a whole cluster trains the classifier and predictions never overwrite
// it; the class manager adds, renames, merges and deletes (undo brings a deleted class back) with
// stable ids and no duplicate names; class lists travel between projects as JSON; an older
// project's classes are read with the same rules after the v5 migration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { twoPhaseImage } from '../support/cluster-synthetic';
import { segmentStats } from '../../app/labelmap';
import { GrainLabService } from '../../main/service';
import { ProjectStore, compressLabels, migrate } from '../../main/store/project-store';
import { tempDir, runToEnd } from './export-kit';

const W = 160;

async function twoPhase(images = 2) {
  const dir = join(tempDir('gl-classes-'), 'proj');
  const store = ProjectStore.create(dir, 'classes');
  const truths: { imageId: number; kindOf: Int8Array }[] = [];
  for (let n = 0; n < images; n++) {
    const t = twoPhaseImage({ width: W, height: W, seed: 40 + n });
    const file = `images/tp-${n}.png`;
    writeFileSync(join(dir, file), await sharp(Buffer.from(t.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
    const [img] = store.insertImages([{ name: `tp-${n}.png`, file, page: 0, hash: `tp${n}`, width: W, height: W, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
    store.saveSegmentation(img!.id, t.labels, segmentStats(t.labels).map((s) => ({ ...s, source: 'auto' as const })), 'test', await compressLabels(t.labels.data));
    truths.push({ imageId: img!.id, kindOf: t.kindOf });
  }
  store.close();
  const svc = new GrainLabService({ userDataDir: tempDir('gl-user-'), binding: 'web' });
  await svc.call('project.open', { path: dir });
  return { dir, svc, truths };
}

const rows = async (svc: GrainLabService, imageId: number) => (await svc.call('segmentation.get', { imageId }))!.segments;

test('cluster classes train; predictions never overwrite a person\'s class; a key on a predicted class makes it the person\'s', async () => {
  const { svc, truths } = await twoPhase(2);
  const { imageId, kindOf } = truths[0]!;
  try {
    const [a, b] = await svc.call('classes.ensure', { count: 2 });
    await runToEnd(svc, () => svc.call('cluster.run', { imageId, groups: ['intensity'], k: 2 }));
    const cl = (await svc.call('cluster.get', { imageId }))!;
    const kindOfCluster = (c: number) => kindOf[cl.segmentIds[cl.clusterIds.indexOf(c)]!]!;
    // Only whole clusters get classes (no key pressed): they are the person's and they train.
    for (let c = 0; c < 2; c++) await svc.call('cluster.assignClass', { imageId, clusterId: c, classId: kindOfCluster(c) === 0 ? a!.id : b!.id });
    assert.ok((await rows(svc, imageId)).every((s) => s.classSource === 'person'));
    const info = await svc.call('classify.train', {});
    assert.equal(info.trainedOn.segments, cl.segmentIds.length, 'every cluster-given class is a training label');
    assert.ok(info.cv && info.cv.folds >= 2 && info.cv.recall.length === 2, 'stratified CV with per-class recall');
    assert.ok(info.cv.balancedAccuracy >= 0.95, `balanced accuracy ${info.cv.balancedAccuracy}`);

    // Predicting on the same image changes nothing a person gave.
    const { predictions, ack } = await svc.call('classify.predict', { imageId });
    assert.equal(predictions.segmentIds.length, 0);
    assert.equal(ack, null);

    // A person's class that disagrees with the cluster stays through a cluster re-assignment without
    // overwrite, and through predictions on the other image's segments.
    const one = (await rows(svc, imageId)).find((s) => s.classId === a!.id)!;
    await svc.call('edit.apply', { imageId, op: { kind: 'setClass', ids: [one.id], classId: b!.id } });
    const c0 = cl.clusterIds[cl.segmentIds.indexOf(one.id)]!;
    const re = await svc.call('cluster.assignClass', { imageId, clusterId: c0, classId: a!.id });
    assert.equal(re.status, 'unchanged', 'the rest of the cluster already has the class; the disagreeing one is kept');
    assert.equal((await rows(svc, imageId)).find((s) => s.id === one.id)!.classId, b!.id);
    const over = await svc.call('cluster.assignClass', { imageId, clusterId: c0, classId: a!.id, overwrite: true });
    assert.equal(over.status, 'applied', 'with overwrite the person\'s cluster choice wins');
    assert.equal((await rows(svc, imageId)).find((s) => s.id === one.id)!.classId, a!.id);

    // The other image: predictions (source classifier), then a key on a predicted segment confirms it.
    const other = truths[1]!.imageId;
    await runToEnd(svc, () => svc.call('classify.applyToImages', { imageIds: [other] }));
    const predicted = (await rows(svc, other)).find((s) => s.classSource === 'classifier')!;
    assert.ok(predicted, 'the other image got predictions');
    const v = await svc.call('versions.list', { imageId: other });
    assert.match(v.versions[0]!.replacedBy, /^classifier v\d+$/, 'the classes it replaced are a version');
    assert.equal(v.versions[0]!.segmentCount, (await rows(svc, other)).length);
    const undoBefore = (await svc.call('edit.history', { imageId: other }))!.undoDepth;
    const confirm = await svc.call('edit.apply', { imageId: other, op: { kind: 'setClass', ids: [predicted.id], classId: predicted.classId } });
    assert.equal(confirm.status, 'applied', 'the same class by key is a change of source');
    assert.equal(confirm.upserted[0]!.classSource, 'person');
    assert.equal(confirm.undoDepth, undoBefore + 1);
    await runToEnd(svc, () => svc.call('classify.applyToImages', { imageIds: [other] }));
    assert.equal((await rows(svc, other)).find((s) => s.id === predicted.id)!.classSource, 'person', 'a new prediction round keeps it');
    // Undo back to just before the key press (the second round may have added its own step).
    while ((await svc.call('edit.history', { imageId: other }))!.undoDepth > undoBefore) await svc.call('edit.undo', { imageId: other });
    const back = (await rows(svc, other)).find((s) => s.id === predicted.id)!;
    assert.equal(back.classSource, 'classifier', 'undo gives the source back');
    assert.equal(back.classConfidence, predicted.classConfidence);
  } finally {
    await svc.dispose();
  }
});

test('class manager: unique default names, rename, merge and delete through the history, stable ids, JSON lists', async () => {
  const { svc, truths } = await twoPhase(1);
  const { imageId } = truths[0]!;
  try {
    const c1 = await svc.call('classes.create', {});
    assert.equal(c1.name, 'Class 1');
    await svc.call('classes.update', { id: c1.id, name: 'ferrite' });
    const c2 = await svc.call('classes.create', {});
    assert.equal(c2.name, 'Class 2', 'no second "Class 1" after a rename');
    const c3 = await svc.call('classes.create', { name: 'pearlite', color: '#112233', value: 7 });
    const segs = await rows(svc, imageId);
    await svc.call('edit.apply', { imageId, op: { kind: 'setClass', ids: segs.slice(0, 3).map((s) => s.id), classId: c2.id } });
    await svc.call('edit.apply', { imageId, op: { kind: 'setClass', ids: [segs[3]!.id], classId: c3.id }, });

    const merged = await svc.call('classes.merge', { from: c2.id, into: c1.id });
    assert.deepEqual(merged, { segments: 3, images: 1 });
    let now = await rows(svc, imageId);
    assert.ok(now.slice(0, 3).every((s) => s.classId === c1.id && s.classSource === 'person'), 'merged with their source');
    assert.deepEqual((await svc.call('classes.list', {})).map((c) => c.name), ['ferrite', 'pearlite']);

    const del = await svc.call('classes.delete', { id: c3.id });
    assert.deepEqual(del, { segments: 1, images: 1 });
    assert.equal((await rows(svc, imageId)).find((s) => s.id === segs[3]!.id)!.classId, null);
    assert.ok(!(await svc.call('classes.list', {})).some((c) => c.id === c3.id));
    // Undo of the deletion brings the class back, with its id and name.
    await svc.call('edit.undo', { imageId });
    now = await rows(svc, imageId);
    assert.equal(now.find((s) => s.id === segs[3]!.id)!.classId, c3.id);
    const list = await svc.call('classes.list', {});
    assert.deepEqual(list.find((c) => c.id === c3.id), { id: c3.id, name: 'pearlite', color: '#112233', value: 7 });
    // Ids are never reused.
    const c4 = await svc.call('classes.create', { name: 'bainite' });
    assert.ok(c4.id > c3.id);
    await assert.rejects(svc.call('classes.update', { id: c4.id, name: 'ferrite' }), /already exists/);

    // The class list as JSON into another project: same ids, names, colours and values.
    const file = await svc.call('classes.export', {});
    assert.equal(file.format, 'grainlab-classes');
    const other = await twoPhase(1);
    try {
      const pre = await other.svc.call('classes.create', { name: 'ferrite', color: '#000000' });
      const r = await other.svc.call('classes.import', { list: file });
      assert.deepEqual(r.updated.map((c) => [c.id, c.name, c.color]), [[pre.id, 'ferrite', c1.color]]);
      assert.deepEqual(r.created.map((c) => [c.id, c.name, c.value]), [[c3.id, 'pearlite', 7], [c4.id, 'bainite', null]]);
    } finally {
      await other.svc.dispose();
    }
  } finally {
    await svc.dispose();
  }
});

test('schema v5 reads an older project\'s classes with the new rules (backup first)', () => {
  const dir = join(tempDir('gl-v4-'), 'proj');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  migrate(db, file, 4);
  db.prepare(`INSERT INTO images (name, file, hash, width, height, channels, bit_depth) VALUES ('a.png', 'images/a.png', 'h1', 4, 4, 1, 8), ('b.png', 'images/b.png', 'h2', 4, 4, 1, 8)`).run();
  db.prepare(`INSERT INTO classes (name, color) VALUES ('ferrite', '#ff0000')`).run();
  db.prepare(`INSERT INTO segmentations (image_id, width, height, checkpoint, engine, next_id) VALUES (1, 4, 4, x'', 'classic', 9), (2, 4, 4, x'', 'pixel-kmeans', 9)`).run();
  const ins = db.prepare(`INSERT INTO segments (image_id, id, class_id, class_source, source, verified, area, bbox_x, bbox_y, bbox_w, bbox_h) VALUES (?, ?, ?, ?, ?, 0, 1, 0, 0, 1, 1)`);
  ins.run(1, 1, 1, 'cluster', 'auto'); // from the cluster menu: a person's
  ins.run(2, 1, 1, 'cluster', 'auto'); // a phase map's: stays automatic
  ins.run(1, 2, 1, null, 'import'); // imported with the file
  ins.run(1, 3, 1, null, 'auto'); // set by key before sources were recorded
  ins.run(1, 4, null, null, 'brush'); // drawn by hand
  ins.run(1, 5, 1, 'classifier', 'auto');
  db.close();
  const store = ProjectStore.open(dir);
  const got = store.db.prepare('SELECT image_id, id, class_source, edited FROM segments ORDER BY image_id, id').all() as { image_id: number; id: number; class_source: string | null; edited: number }[];
  assert.deepEqual(
    got.map((r) => [r.image_id, r.id, r.class_source, r.edited]),
    [[1, 1, 'person', 0], [1, 2, 'import', 0], [1, 3, 'person', 0], [1, 4, null, 1], [1, 5, 'classifier', 0], [2, 1, 'cluster', 0]],
  );
  assert.equal(store.listClasses()[0]!.value, null);
  assert.equal((store.db.prepare('SELECT made_at FROM segmentations WHERE image_id = 1').get() as { made_at: string }).made_at.length > 0, true);
  store.close();
});
