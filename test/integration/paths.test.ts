// Path containment: files a project refers to stay inside it, and an export never replaces a folder
// that is not a GrainLab dataset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInside, assertReplaceableDataset } from '../../main/fs/contain';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { pngGrey8 } from '../fixtures/images';

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
