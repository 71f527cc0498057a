// Elemental maps attacked as a hostile user would: a header claiming a huge map, an empty file, a
// map much bigger than its image, odd characters in a path, the same map twice, a killed import's
// leftovers, and an image removed with its maps. Each is refused by name or handled without loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edsProject, grayPng } from '../support/eds-kit';
import { pngClaimingSize } from '../fixtures/images';
import { MAX_SIDE } from '../../app/limits';

test('a map whose header claims 100000 x 100000 px, an empty file and a text .tif are refused by name', async () => {
  const { svc, dir, imageId } = await edsProject(21, 256);
  try {
    const small = await grayPng(64, 64, new Uint8Array(64 * 64));
    const rss0 = process.memoryUsage().rss;
    const r = await svc.call('channels.importFiles', {
      imageId,
      files: [
        { name: 'Bomb Ka.png', bytes: pngClaimingSize(small, 100000, 100000) },
        { name: 'Empty Ka.png', bytes: new Uint8Array(0) },
        { name: 'Text Ka.tif', bytes: new TextEncoder().encode('II*\0 this is text') },
      ],
    });
    assert.ok(process.memoryUsage().rss - rss0 < 256 * 2 ** 20, 'nothing near the claimed size was allocated');
    assert.deepEqual(r.added, []);
    assert.match(r.failed[0]!.message, new RegExp(`^Bomb Ka\\.png .*100000 x 100000 px.*limit of ${MAX_SIDE} px a side`));
    assert.match(r.failed[1]!.message, /^Empty Ka\.png.*empty/i);
    assert.match(r.failed[2]!.message, /^Text Ka\.tif/);
    assert.equal(readdirSync(join(dir, 'channels')).length, 3, 'no file of a refused map is kept');
  } finally {
    await svc.dispose();
  }
});

test('a map much bigger than its image is registered at a scale below 1 and resampled onto the image', async () => {
  const { svc, imageId } = await edsProject(22, 64);
  try {
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i % 1024) < 512 ? 40 : 200;
    const r = await svc.call('channels.importFiles', { imageId, files: [{ name: 'Big Ka.png', bytes: await grayPng(1024, 1024, big) }], register: false });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.added[0]!.registration, { sx: 64 / 1024, sy: 64 / 1024, tx: 0, ty: 0 });
    const d = await svc.call('channels.display', { id: r.added[0]!.id });
    assert.deepEqual([d.width, d.height], [1024, 1024]);
  } finally {
    await svc.dispose();
  }
});

test('a path with odd characters imports, and the same map added twice is refused the second time', async () => {
  const { svc, dir, imageId, eds } = await edsProject(23, 256);
  try {
    const folder = join(mkdtempSync(join(tmpdir(), 'gl eds ü #%&')), "odd 'dir' ; (1)");
    mkdirSync(folder);
    const file = join(folder, "Fe Kα #1 'copy' ; $(x).png");
    writeFileSync(file, await grayPng(64, 64, eds.maps[0]!.data));
    const before = (await svc.call('channels.list', { imageId })).length;
    const r = await svc.call('channels.importPaths', { imageId, paths: [file], register: false });
    // Fe Ka.png was already added by edsProject with the same pixels: the same file is refused.
    assert.deepEqual(r.added, []);
    assert.match(r.failed[0]!.message, /already/);
    assert.match(r.failed[0]!.message, /Fe Kα #1 'copy' ; \$\(x\)\.png/);
    const other = new Uint8Array(64 * 64).fill(7);
    other[5] = 250;
    writeFileSync(file, await grayPng(64, 64, other));
    const ok = await svc.call('channels.importPaths', { imageId, paths: [file], register: false });
    assert.deepEqual(ok.failed, []);
    assert.equal(ok.added[0]!.name, "Fe Kα #1 'copy' ; $(x).png");
    const again = await svc.call('channels.importPaths', { imageId, paths: [file, file], register: false });
    assert.deepEqual(again.added, []);
    assert.equal(again.failed.length, 2);
    assert.equal((await svc.call('channels.list', { imageId })).length, before + 1);
    assert.equal(readdirSync(join(dir, 'channels')).length, before + 1);
  } finally {
    await svc.dispose();
  }
});

test('a killed import leaves nothing on reopen; removing an image removes its maps, and their files once unused', async () => {
  const { svc, dir, imageId } = await edsProject(24, 256);
  try {
    const channels = join(dir, 'channels');
    const kept = readdirSync(channels).sort();
    assert.equal(kept.length, 3);
    // What a process killed between writing a map and committing its row leaves.
    writeFileSync(join(channels, '0123456789abcdef.png'), 'orphan');
    writeFileSync(join(channels, 'fedcba9876543210.png.part'), 'half');
    writeFileSync(join(channels, 'notes.txt'), 'a person put this here');
    await svc.call('project.close', {});
    await svc.call('project.open', { path: dir });
    assert.deepEqual(readdirSync(channels).sort(), [...kept, 'notes.txt'].sort());
    assert.equal((await svc.call('channels.list', { imageId })).length, 3);
    // Removing the image removes its channel rows and, once unused, its map files.
    await svc.call('images.remove', { ids: [imageId] });
    await assert.rejects(svc.call('channels.list', { imageId }), /not|exist/i);
    await svc.call('project.close', {});
    await svc.call('project.open', { path: dir });
    assert.deepEqual(readdirSync(channels), ['notes.txt']);
    assert.ok(existsSync(join(dir, 'images')));
  } finally {
    await svc.dispose();
  }
});
