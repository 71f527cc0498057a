// segment.auto over many images runs them in a worker pool: failures are named per image and the
// rest are saved; a cancel leaves every image either saved whole or as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { writeSyntheticImages } from './scale-kit';

const tempDir = () => mkdtempSync(join(tmpdir(), 'gl-pool-'));

function waitJob(svc: GrainLabService, jobId: string): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

async function projectWith(n: number, workers: number) {
  const tmp = tempDir();
  const svc = new GrainLabService({ userDataDir: tmp, binding: 'web', workers });
  await svc.call('project.create', { path: join(tmp, 'p') });
  const paths = await writeSyntheticImages(join(tmp, 'in'), n);
  const res = await svc.call('images.importPaths', { paths });
  assert.equal(res.imported.length, n);
  return { svc, dir: join(tmp, 'p'), images: res.imported };
}

test('7 images on 3 workers: the broken one is named, the other 6 are segmented', async () => {
  const { svc, dir, images } = await projectWith(7, 3);
  const broken = images[2]!;
  writeFileSync(join(dir, broken.file), new Uint8Array(200).fill(7));
  const { jobId } = await svc.call('segment.auto', { imageIds: images.map((i) => i.id), engine: 'classic' });
  const end = await waitJob(svc, jobId);
  assert.equal(end.state, 'failed');
  assert.match(end.error!.message, /^1 of 7 image\(s\) could not be segmented; the others were\./);
  assert.ok(end.error!.message.includes(broken.name), end.error!.message);
  const after = await svc.call('images.list', {});
  for (const im of after) {
    if (im.id === broken.id) assert.equal(im.segmentCount, 0);
    else {
      assert.equal(im.status, 'auto-segmented', im.name);
      assert.ok(im.segmentCount > 0, im.name);
    }
  }
  await svc.dispose();
});

test('the pooled run gives each image the same segmentation as one worker does', async () => {
  const one = await projectWith(5, 1);
  const many = await projectWith(5, 4);
  for (const p of [one, many]) {
    const { jobId } = await p.svc.call('segment.auto', { imageIds: p.images.map((i) => i.id), engine: 'classic' });
    assert.equal((await waitJob(p.svc, jobId)).state, 'done');
  }
  for (let k = 0; k < 5; k++) {
    const a = await one.svc.call('segmentation.get', { imageId: one.images[k]!.id });
    const b = await many.svc.call('segmentation.get', { imageId: many.images[k]!.id });
    assert.deepEqual(Buffer.from(b!.labels.buffer), Buffer.from(a!.labels.buffer), one.images[k]!.name);
  }
  await one.svc.dispose();
  await many.svc.dispose();
});

test('cancelling at once leaves the project unchanged', async () => {
  const { svc, images } = await projectWith(6, 2);
  const before = await svc.call('images.list', {});
  const { jobId } = await svc.call('segment.auto', { imageIds: images.map((i) => i.id), engine: 'classic' });
  const ended = waitJob(svc, jobId);
  assert.equal(await svc.call('jobs.cancel', { jobId }), true);
  assert.equal((await ended).state, 'cancelled');
  assert.deepEqual(await svc.call('images.list', {}), before);
  for (const im of images) assert.equal(await svc.call('segmentation.get', { imageId: im.id }), null);
  await svc.dispose();
});

test('a pooled import keeps the order of the files for image ids and does not duplicate content given twice', async () => {
  const tmp = tempDir();
  const svc = new GrainLabService({ userDataDir: tmp, binding: 'web', workers: 3 });
  await svc.call('project.create', { path: join(tmp, 'p') });
  const paths = await writeSyntheticImages(join(tmp, 'in'), 6);
  const twice = join(tmp, 'in', 'copy-of-first.png');
  writeFileSync(twice, readFileSync(paths[0]!));
  const broken = join(tmp, 'in', 'broken.png');
  writeFileSync(broken, new Uint8Array(64).fill(1));
  const res = await svc.call('images.importPaths', { paths: [...paths.slice(0, 3), twice, broken, ...paths.slice(3)] });
  assert.deepEqual(res.imported.map((i) => i.name), paths.map((p) => basename(p)));
  assert.deepEqual(res.imported.map((i) => i.id), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(res.existing.map((e) => [e.name, e.image.id]), [['copy-of-first.png', 1]]);
  assert.equal(res.failed.length, 1);
  assert.match(res.failed[0]!.message, /broken\.png/);
  await svc.dispose();
});
