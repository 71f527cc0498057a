// Opening projects that are not what they seem: an empty or foreign database, images/ as a link
// out of the project, a tampered label-map checkpoint, the project that is already open. Each is
// refused (or handled) clearly, and nothing is written where it should not be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ProjectStore } from '../../main/store/project-store';
import { pngGrey8 } from '../fixtures/images';
import { jobEnd, newService, runToEnd } from './export-kit';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function folder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

test('an empty (0-byte) or foreign project.sqlite is refused and left exactly as it was: no tables, no WAL, no backup', async () => {
  const svc = newService();
  const empty = folder('gl-proj-empty-');
  writeFileSync(join(empty, 'project.sqlite'), '');
  const foreign = folder('gl-proj-foreign-');
  const other = new Database(join(foreign, 'project.sqlite'));
  other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');");
  other.pragma('user_version = 3');
  other.close();
  const blank = folder('gl-proj-blank-');
  new Database(join(blank, 'project.sqlite')).exec('VACUUM').close();
  const text = folder('gl-proj-text-');
  writeFileSync(join(text, 'project.sqlite'), 'this is not a database');
  for (const [dir, why] of [
    [empty, /is empty \(0 bytes\), so it is not a GrainLab project; GrainLab leaves it as it is/],
    [foreign, /is an SQLite database of another program \(tables: notes\), not a GrainLab project/],
    [blank, /is an empty SQLite database, not a GrainLab project/],
    [text, /is not an SQLite database, so it is not a GrainLab project/],
  ] as const) {
    const file = join(dir, 'project.sqlite');
    const before = sha(file);
    await assert.rejects(svc.call('project.open', { path: dir }), (e: Error & { code?: string }) => e.code === 'unsupported' && why.test(e.message), dir);
    assert.equal(sha(file), before, `${file} is unchanged`);
    assert.deepEqual(readdirSync(dir), ['project.sqlite'], 'no -wal, -shm, backup or images/ was made');
  }
  const check = new Database(join(foreign, 'project.sqlite'), { readonly: true });
  assert.equal(check.pragma('journal_mode', { simple: true }), 'delete', 'the foreign database was not switched to WAL');
  check.close();
  await svc.dispose();
});

test('images/ as a link out of the project is refused: nothing at its target is deleted, nothing is written there', async () => {
  const base = folder('gl-proj-link-');
  const dir = join(base, 'p');
  const svc = newService();
  await svc.call('project.create', { path: dir });
  await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(24, 16) }] });
  await svc.call('project.close', {});
  const elsewhere = join(base, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'precious.part'), 'not ours');
  renameSync(join(dir, 'images'), join(base, 'moved-images'));
  symlinkSync(elsewhere, join(dir, 'images'));
  await assert.rejects(svc.call('project.open', { path: dir }), (e: Error & { code?: string }) => e.code === 'invalid-argument' && /images is a link \(to .*elsewhere\)\. GrainLab keeps a project's image files in its own images\/ folder/.test(e.message));
  assert.ok(existsSync(join(elsewhere, 'precious.part')), 'the .part file at the link target was not removed');
  assert.equal((await svc.call('project.current', {})), null);
  assert.deepEqual(readdirSync(elsewhere), ['precious.part'], 'nothing was written through the link');
  await svc.dispose();
});

async function segmented() {
  const base = folder('gl-proj-cp-');
  const dir = join(base, 'p');
  const svc = newService();
  await svc.call('project.create', { path: dir });
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(64, 48) }] });
  const imageId = imported[0]!.id;
  await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [imageId] }));
  await svc.call('project.close', {});
  return { svc, dir, base, imageId };
}

test('a tampered checkpoint is checked against the image: a huge claimed size or a map one pixel too wide is refused before allocation', async () => {
  const { svc, dir, base, imageId } = await segmented();
  const tamper = (sql: string) => {
    const db = new Database(join(dir, 'project.sqlite'));
    db.exec(sql);
    db.close();
  };
  // A 20-byte blob claiming a 20000 x 20000 map (1.6 GB if allocated).
  tamper(`UPDATE segmentations SET width = 20000, height = 20000, checkpoint = x'789c636060606000000004000001' WHERE image_id = ${imageId}`);
  await svc.call('project.open', { path: dir });
  const rss0 = process.memoryUsage().rss;
  const bad = (e: Error & { code?: string }) => e.code === 'io' && /saved label map of a\.png is 20000 x 20000 px but the image is 64 x 48 px/.test(e.message);
  await assert.rejects(svc.call('segmentation.get', { imageId }), bad);
  await assert.rejects(svc.call('edit.open', { imageId }), bad);
  assert.ok(process.memoryUsage().rss - rss0 < 512 * 2 ** 20, 'no map of the claimed size was allocated');
  await svc.call('project.close', {});

  // 65 x 48 on a 64 x 48 image: a well-formed map of the wrong size is not accepted or exported.
  const db = new Database(join(dir, 'project.sqlite'));
  const { compressLabels } = await import('../../main/store/labels-codec');
  const blob = await compressLabels(new Uint32Array(65 * 48).fill(1));
  db.prepare('UPDATE segmentations SET width = 65, height = 48, checkpoint = ? WHERE image_id = ?').run(Buffer.from(blob), imageId);
  db.close();
  await svc.call('project.open', { path: dir });
  await assert.rejects(svc.call('segmentation.get', { imageId }), /is 65 x 48 px but the image is 64 x 48 px/);
  const out = join(base, 'ds');
  const { jobId } = await svc.call('export.dataset', { dest: out, format: 'png' });
  const end = await jobEnd(svc, jobId);
  assert.equal(end.state, 'failed');
  assert.match(end.message ?? '', /is 65 x 48 px but the image is 64 x 48 px/);
  assert.ok(!existsSync(out), 'nothing was exported');
  // The rest of the project still works.
  assert.equal((await svc.call('images.pixels', { id: imageId })).width, 64);
  await svc.dispose();
});

test('opening the project that is already open here keeps it open; a second store in this process is told so, not "another process"', async () => {
  const { svc, dir, imageId } = await segmented();
  const first = await svc.call('project.open', { path: dir });
  const again = await svc.call('project.open', { path: join(dir, 'project.sqlite') });
  assert.deepEqual(again, first);
  assert.ok((await svc.call('segmentation.get', { imageId }))!.segments.length > 0, 'the project still works');
  assert.throws(() => ProjectStore.open(dir), (e: Error & { code?: string }) => e.code === 'locked' && /already open in this GrainLab/.test(e.message) && !/another GrainLab window or process/.test(e.message));
  await svc.call('project.close', {});
  ProjectStore.open(dir).close();
  await svc.dispose();
});
