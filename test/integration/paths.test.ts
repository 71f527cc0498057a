// Path containment: files a project refers to stay inside it, and an export never replaces a folder
// that is not a GrainLab dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { resolveInside, resolveChosenPath, assertReplaceableDataset } from '../../main/fs/contain';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { pngGrey8 } from '../fixtures/images';
import { runToEnd } from './export-kit';

function layout() {
  const base = mkdtempSync(join(tmpdir(), 'gl-paths-'));
  const root = join(base, 'project');
  mkdirSync(join(root, 'images'), { recursive: true });
  writeFileSync(join(root, 'images', 'a.png'), 'x');
  writeFileSync(join(base, 'secret.txt'), 'outside');
  symlinkSync(base, join(root, 'images', 'escape'));
  return { base, root };
}

test('resolveInside allows project files and refuses .., absolute paths and links out of the project', () => {
  const { base, root } = layout();
  assert.equal(resolveInside(root, 'images/a.png'), join(root, 'images', 'a.png'));
  assert.equal(resolveInside(root, 'images/not-yet-written.png'), join(root, 'images', 'not-yet-written.png'));
  assert.throws(() => resolveInside(root, '../secret.txt'), /leads out of the project/);
  assert.throws(() => resolveInside(root, 'images/../../secret.txt'), /leads out of the project/);
  assert.throws(() => resolveInside(root, join(base, 'secret.txt')), /is absolute/);
  assert.throws(() => resolveInside(root, 'images/escape/secret.txt'), /link that leads out/);
  assert.throws(() => resolveInside(root, 'images/a\0.png'), /NUL/);
});

test('an image row pointing out of the project (a tampered database) is refused, not read', async () => {
  const { root } = layout();
  const dir = join(root, 'p');
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svc.call('project.create', { path: dir });
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(32, 32) }] });
  await svc.call('project.close', {});
  const store = ProjectStore.open(dir);
  store.db.prepare('UPDATE images SET file = ? WHERE id = ?').run('../../secret.txt', imported[0]!.id);
  store.close();
  await svc.call('project.open', { path: dir });
  await assert.rejects(svc.call('images.pixels', { id: imported[0]!.id }), (e: Error & { code?: string }) => e.code === 'invalid-argument' && /leads out of the project/.test(e.message));
  // The project stays usable.
  assert.equal((await svc.call('images.list', {})).length, 1);
  await svc.dispose();
});

test('an export replaces only a GrainLab dataset, never another folder', () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-dest-'));
  const home = join(base, 'home');
  mkdirSync(home);
  writeFileSync(join(home, 'thesis.docx'), 'precious');
  assert.throws(() => assertReplaceableDataset(home), /not a GrainLab dataset/);
  writeFileSync(join(home, 'dataset-card.json'), '{}');
  assert.throws(() => assertReplaceableDataset(home), /thesis\.docx/);
  const ds = join(base, 'ds');
  mkdirSync(join(ds, 'images'), { recursive: true });
  writeFileSync(join(ds, 'dataset-card.json'), '{}');
  assert.doesNotThrow(() => assertReplaceableDataset(ds));
  assert.ok(existsSync(join(home, 'thesis.docx')));
});

test('resolveChosenPath: absolute chosen places pass, `..` never does, relative paths need a project to stay in', () => {
  const { base, root } = layout();
  assert.equal(resolveChosenPath(join(base, 'secret.txt'), 'image file'), join(base, 'secret.txt'));
  assert.equal(resolveChosenPath('images/a.png', 'image file', root), join(root, 'images', 'a.png'));
  assert.throws(() => resolveChosenPath(`${base}/project/../secret.txt`, 'image file'), /contains '\.\.'/);
  assert.throws(() => resolveChosenPath('..\\secret.txt', 'image file', root), /contains '\.\.'/);
  assert.throws(() => resolveChosenPath('images/a.png', 'image file'), /relative and no project is open/);
  assert.throws(() => resolveChosenPath('images/escape/secret.txt', 'image file', root), /link that leads out/);
});

test('paths sent to the service: `..`, relative paths without a project and links out are refused; chosen places and project paths work', async () => {
  const { base, root } = layout();
  writeFileSync(join(base, 'outside.png'), await pngGrey8(48, 40));
  const dir = join(root, 'p');
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  const refused = (re: RegExp) => (e: Error & { code?: string }) => e.code === 'invalid-argument' && re.test(e.message);
  await assert.rejects(svc.call('project.create', { path: 'relative-project' }), refused(/relative and no project is open/));
  await assert.rejects(svc.call('project.create', { path: `${root}/images/../p` }), refused(/contains '\.\.'/));
  assert.ok(!existsSync(dir) && !existsSync('relative-project'), 'nothing was created');
  await svc.call('project.create', { path: dir });
  symlinkSync(base, join(dir, 'out'));
  mkdirSync(join(dir, 'inbox'));
  writeFileSync(join(dir, 'inbox', 'c.png'), await pngGrey8(40, 32));

  // Imports: one refused path refuses the whole call before anything is read.
  await assert.rejects(svc.call('images.importPaths', { paths: [join(base, 'outside.png'), '../../outside.png'] }), refused(/contains '\.\.'/));
  await assert.rejects(svc.call('images.importPaths', { paths: ['out/outside.png'] }), refused(/link that leads out/));
  await assert.rejects(svc.call('images.importPaths', { paths: [`${base}/../${basename(base)}/outside.png`] }), refused(/contains '\.\.'/));
  assert.equal((await svc.call('images.list', {})).length, 0);
  const chosen = await svc.call('images.importPaths', { paths: [join(base, 'outside.png'), 'inbox/c.png'] });
  assert.deepEqual(chosen.imported.map((i) => i.name), ['outside.png', 'c.png'], 'a chosen absolute file and a file inside the project are imported');

  // Exports: a relative destination is inside the project; `..` and links out are refused.
  await runToEnd(svc, () => svc.call('segment.auto', { imageIds: chosen.imported.map((i) => i.id) }));
  await assert.rejects(svc.call('export.dataset', { dest: '../../ds', format: 'coco' }), refused(/contains '\.\.'/));
  await assert.rejects(svc.call('export.dataset', { dest: 'out/ds', format: 'coco' }), refused(/link that leads out/));
  await assert.rejects(svc.call('export.dataset', { dest: `${base}/x/../ds`, format: 'coco' }), refused(/contains '\.\.'/));
  assert.ok(!existsSync(join(base, 'ds')), 'nothing was written outside');
  await runToEnd(svc, () => svc.call('export.dataset', { dest: 'exports/coco', format: 'coco', copyImages: false }));
  assert.ok(existsSync(join(dir, 'exports', 'coco', 'dataset-card.json')), 'a relative destination lands inside the project');
  await runToEnd(svc, () => svc.call('export.dataset', { dest: join(base, 'ds'), format: 'coco', copyImages: false }));
  assert.ok(existsSync(join(base, 'ds', 'dataset-card.json')), 'an absolute destination is the place the person chose');

  // Label imports: the same rules.
  await assert.rejects(svc.call('labels.import', { kind: 'coco', paths: ['../../ds/annotations/instances_train.json'] }), refused(/contains '\.\.'/));
  await assert.rejects(svc.call('labels.import', { kind: 'coco', paths: ['out/ds/annotations/instances_train.json'] }), refused(/link that leads out/));
  await svc.dispose();
});
