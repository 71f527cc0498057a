// The service end to end in-process: real SQLite file in a temp dir, real images, real worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import { pngGrey8, jpegRgb, tiffGrey16, tiffMultiPage, pngClaimingSize } from '../fixtures/images';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'grainlab-test-'));
}

function newService(): GrainLabService {
  return new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
}

async function waitJob(svc: GrainLabService, jobId: string): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

test('create, import every format, segment, close and reopen: all there from the database', async () => {
  const dir = join(tempDir(), 'proj');
  const svc = newService();
  const info = await svc.call('project.create', { path: dir, name: 'Steel A' });
  assert.equal(info.name, 'Steel A');
  assert.ok(existsSync(join(dir, 'project.sqlite')));
  assert.ok(existsSync(join(dir, 'images')));

  const res = await svc.call('images.importFiles', {
    files: [
      { name: 'grey8.png', bytes: await pngGrey8() },
      { name: 'rgb.jpg', bytes: await jpegRgb() },
      { name: 'sem16.tif', bytes: tiffGrey16() },
      { name: 'stack.tif', bytes: tiffMultiPage() },
    ],
  });
  assert.deepEqual(res.failed, []);
  assert.equal(res.imported.length, 5, 'multi-page TIFF gives one image per page');
  const byName = Object.fromEntries(res.imported.map((r) => [r.name, r]));
  assert.equal(byName['sem16.tif']!.bitDepth, 16);
  assert.ok(Math.abs(byName['sem16.tif']!.pixelSizeUm! - 0.5) < 1e-6, 'calibration from TIFF resolution tags');
  assert.equal(byName['rgb.jpg']!.channels, 3);
  assert.ok(byName['stack.tif [page 2]']);

  const raw16 = await svc.call('images.pixels', { id: byName['sem16.tif']!.id });
  assert.ok(raw16.data instanceof Uint16Array, 'raw 16-bit values stay available');
  assert.ok(Math.max(...raw16.data) > 2000 && Math.min(...raw16.data) >= 1000);

  const thumb = await svc.call('images.thumbnail', { id: byName['grey8.png']!.id });
  assert.deepEqual(Array.from(thumb.png.subarray(1, 4)), [0x50, 0x4e, 0x47]);

  const progress: ProgressEvent[] = [];
  svc.on('onDidProgress', (e) => progress.push(e));
  const ids = res.imported.map((r) => r.id);
  const { jobId } = await svc.call('segment.auto', { imageIds: ids });
  const end = await waitJob(svc, jobId);
  assert.equal(end.state, 'done', end.message);
  assert.ok(progress.some((p) => p.state === 'running'));

  const seg = await svc.call('segmentation.get', { imageId: byName['grey8.png']!.id });
  assert.ok(seg);
  assert.equal(seg.segments.length, 3, 'three discs');
  assert.equal(seg.labels.length, 96 * 64);
  const seg16 = await svc.call('segmentation.get', { imageId: byName['sem16.tif']!.id });
  assert.equal(seg16!.segments.length, 3, '16-bit image segments the same discs');
  await svc.dispose();

  const svc2 = newService();
  const reopened = await svc2.call('project.open', { path: dir });
  assert.equal(reopened.imageCount, 5);
  assert.equal(reopened.name, 'Steel A');
  const list = await svc2.call('images.list', {});
  assert.ok(list.every((im) => im.status === 'auto-segmented'));
  const again = await svc2.call('segmentation.get', { imageId: byName['grey8.png']!.id });
  assert.deepEqual(again!.labels, seg.labels);
  assert.deepEqual(again!.segments, seg.segments);
  await svc2.dispose();
});

test('bad input: each file gets a clear error naming it, and the project keeps what it had', async () => {
  const dir = join(tempDir(), 'proj');
  const svc = newService();
  await svc.call('project.create', { path: dir });
  const good = await svc.call('images.importFiles', { files: [{ name: 'good.png', bytes: await pngGrey8() }] });
  const { jobId } = await svc.call('segment.auto', { imageIds: [good.imported[0]!.id] });
  await waitJob(svc, jobId);
  const before = await svc.call('segmentation.get', { imageId: good.imported[0]!.id });

  const png = await pngGrey8(200, 200);
  const truncated = png.subarray(0, Math.floor(png.length / 2));
  const textAsTif = new TextEncoder().encode('this is not an image, just text\n');
  const tiny = await (await import('sharp')).default(new Uint8Array([128]), { raw: { width: 1, height: 1, channels: 1 } }).png().toBuffer();
  // A 20000 x 20000 header with a few bytes of pixels: a mosaic of that size imports for tiled
  // viewing, so the missing pixel data is what is said. 70000 x 70000 is past even that limit:
  // refused from the header, nothing decoded.
  const huge = pngClaimingSize(png, 20000, 20000);
  const bomb = pngClaimingSize(png, 70000, 70000);

  const res = await svc.call('images.importFiles', {
    files: [
      { name: 'truncated.png', bytes: truncated },
      { name: 'notes.tif', bytes: textAsTif },
      { name: 'empty.png', bytes: new Uint8Array(0) },
      { name: 'one-pixel.png', bytes: new Uint8Array(tiny) },
      { name: 'huge.png', bytes: huge },
      { name: 'bomb.png', bytes: bomb },
    ],
  });
  const failed = Object.fromEntries(res.failed.map((f) => [f.name, f.message]));
  assert.match(failed['truncated.png']!, /truncated\.png.*(damaged|truncated|readable)/);
  assert.match(failed['notes.tif']!, /notes\.tif.*not a readable/);
  assert.match(failed['empty.png']!, /empty\.png.*empty/);
  assert.match(failed['huge.png']!, /huge\.png.*(damaged|truncated)/);
  assert.match(failed['bomb.png']!, /bomb\.png.*70000 x 70000.*Crop or tile/);
  assert.equal(res.imported.length, 1, 'a 1 x 1 image is valid and imported');
  assert.equal(res.imported[0]!.width, 1);

  const list = await svc.call('images.list', {});
  assert.deepEqual(list.map((i) => i.name).sort(), ['good.png', 'one-pixel.png']);
  const after = await svc.call('segmentation.get', { imageId: good.imported[0]!.id });
  assert.deepEqual(after!.labels, before!.labels);
  assert.deepEqual(readdirSync(join(dir, 'images')).filter((f) => f.endsWith('.part')), []);
  assert.equal(readdirSync(join(dir, 'images')).length, 2, 'no stray copies of rejected files');

  // Segmenting the 1 x 1 image works and yields at most one segment.
  const one = await svc.call('segment.auto', { imageIds: [res.imported[0]!.id] });
  assert.equal((await waitJob(svc, one.jobId)).state, 'done');
  await svc.dispose();
});

test('arguments are validated and errors are typed', async () => {
  const svc = newService();
  await assert.rejects(svc.invoke('images.list', {}), (e: unknown) => e instanceof ServiceError && e.code === 'no-project');
  await assert.rejects(svc.invoke('project.open', { path: 42 }), (e: unknown) => e instanceof ServiceError && e.code === 'invalid-argument' && /path/.test(e.message));
  await assert.rejects(svc.invoke('nope.method' as 'images.list', {}), /Unknown method/);
  const dir = tempDir();
  writeFileSync(join(dir, 'x.txt'), 'x');
  await assert.rejects(svc.call('project.create', { path: dir }), /not empty/);
  await assert.rejects(svc.call('project.open', { path: join(dir, 'missing') }), /No GrainLab project/);
  await svc.dispose();
});

test('a running segmentation can be cancelled and leaves the saved result untouched', async () => {
  const dir = join(tempDir(), 'proj');
  const svc = newService();
  await svc.call('project.create', { path: dir });
  const sharp = (await import('sharp')).default;
  const big = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: 'grey' } }).png().toBuffer();
  const r = await svc.call('images.importFiles', { files: [{ name: 'big.png', bytes: new Uint8Array(big) }] });
  const { jobId } = await svc.call('segment.auto', { imageIds: [r.imported[0]!.id] });
  const done = waitJob(svc, jobId);
  assert.equal(await svc.call('jobs.cancel', { jobId }), true);
  assert.equal((await done).state, 'cancelled');
  assert.equal(await svc.call('segmentation.get', { imageId: r.imported[0]!.id }), null);
  assert.equal((await svc.call('images.list', {}))[0]!.status, 'new');
  await svc.dispose();
});
