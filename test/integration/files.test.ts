// Files GrainLab is pointed at, tried as an attacker would: devices and pipes, paths under /proc,
// a file where a folder should be, huge headers on small files, very long TIFF stacks, files that
// are not what their name says. Each ends in a clear error or the right result, never a hang, an
// unbounded allocation or an echo of the file's contents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { readRegularFile } from '../../main/fs/read';
import { makeDirs, makeDirsSync } from '../../main/fs/dirs';
import { probeImage } from '../../main/images/io';
import { MAX_PAGES, MAX_SIDE } from '../../app/limits';
import { pngGrey8, pngClaimingSize, tiffGrey16 } from '../fixtures/images';
import { writeTiff } from '../fixtures/tiff-writer';
import { jobEnd, newService, runToEnd } from './export-kit';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const linux = process.platform === 'linux';

async function project(): Promise<{ svc: GrainLabService; dir: string; base: string }> {
  const base = mkdtempSync(join(tmpdir(), 'gl-files-'));
  const dir = join(base, 'p');
  const svc = newService();
  await svc.call('project.create', { path: dir });
  return { svc, dir, base };
}

function fifo(dir: string, name: string): string | null {
  if (process.platform === 'win32') return null;
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

/** A stack of `n` tiny 8-bit pages, each filled with its page number (mod 256). */
function stack(n: number, side = 8): Uint8Array {
  return writeTiff(Array.from({ length: n }, (_, i) => ({ width: side, height: side, channels: 1 as const, bitDepth: 8 as const, data: new Uint8Array(side * side).fill(i % 256) })));
}

test('/dev/zero and a FIFO as images or label files: refused at once as not regular files (no endless read, no hang)', { skip: !linux && 'needs /dev/zero and mkfifo' }, async () => {
  const { svc, base } = await project();
  const pipe = fifo(base, 'f.png')!;
  const r = await svc.call('images.importPaths', { paths: ['/dev/zero', pipe] });
  assert.equal(r.imported.length, 0);
  assert.match(r.failed[0]!.message, /\/dev\/zero is a character device, not a regular file/);
  assert.match(r.failed[1]!.message, /f\.png is a pipe \(FIFO\), not a regular file/);
  // Label imports read through the same helper.
  await svc.call('images.importFiles', { files: [{ name: 'zero.png', bytes: await pngGrey8(16, 16) }] });
  for (const kind of ['coco', 'instance'] as const) {
    const { jobId } = await svc.call('labels.import', { kind, paths: ['/dev/zero', pipe] });
    await jobEnd(svc, jobId);
    const summary = (await svc.call('labels.importResult', { jobId }))!;
    assert.equal(summary.failed.length, 2, kind);
    assert.ok(summary.failed.every((f) => /not a regular file/.test(f.message)), kind);
  }
  await assert.rejects(readRegularFile('/dev/zero', { what: 'image file', maxBytes: 1 << 20 }), (e: Error & { code?: string }) => e.code === 'invalid-argument');
  await svc.dispose();
});

test('the CLI importing a FIFO named .png ends with a one-line error instead of waiting forever', { skip: !linux && 'needs mkfifo' }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-files-cli-'));
  const dir = join(base, 'p');
  const env = { ...process.env, GRAINLAB_USER_DATA: mkdtempSync(join(tmpdir(), 'gl-user-')) };
  assert.equal(spawnSync(process.execPath, [BIN, 'init', dir], { env }).status, 0);
  const pipe = fifo(base, 'f.png')!;
  // A hang would be killed by the timeout and show as signal SIGTERM, not as an exit code.
  const r = spawnSync(process.execPath, [BIN, 'import', dir, pipe], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null, 'the command ended by itself');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not a regular file/);
});

test('a file larger than the limit is refused from its size, before it is read', async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-files-size-'));
  const big = join(base, 'big.json');
  writeFileSync(big, Buffer.alloc(4096, 0x20));
  await assert.rejects(readRegularFile(big, { what: 'COCO file', maxBytes: 1024 }), (e: Error & { code?: string }) => e.code === 'too-large' && /4\.0 KiB, larger than the 1\.0 KiB GrainLab reads for a COCO file/.test(e.message));
  assert.equal((await readRegularFile(big, { what: 'COCO file', maxBytes: 4096 })).byteLength, 4096);
});

test('a project under /proc, or where a file stands: a clear error at once (no endless mkdir)', async () => {
  const svc = newService();
  if (linux && existsSync('/proc/self')) {
    await assert.rejects(svc.call('project.create', { path: '/proc/self/grainlab-project' }), (e: Error & { code?: string }) => e.code === 'io' && /Cannot create the project folder \/proc\/self\/grainlab-project/.test(e.message));
    await assert.rejects(makeDirs('/proc/self/a/b', 'export destination'), /Cannot create the export destination/);
    assert.throws(() => makeDirsSync('/proc/self/a/b'), /Cannot create the folder/);
  }
  const base = mkdtempSync(join(tmpdir(), 'gl-files-notdir-'));
  const file = join(base, 'notes.txt');
  writeFileSync(file, 'a file');
  for (const path of [file, join(file, 'sub')]) {
    await assert.rejects(svc.call('project.create', { path }), (e: Error & { code?: string }) => e.code === 'invalid-argument' && e.message.includes(`${file} is a file, not a folder`) && !/ENOTDIR/.test(e.message), path);
  }
  assert.equal(readFileSync(file, 'utf8'), 'a file');
  await svc.dispose();
});

test('one pixel policy: a 16384 x 16383 PNG imports; one pixel more a side is refused naming the file, its size and the limit, from the header', async () => {
  const { svc } = await project();
  const side = await sharp({ create: { width: MAX_SIDE, height: MAX_SIDE - 1, channels: 3, background: { r: 0, g: 0, b: 0 } }, limitInputPixels: false }).toColourspace('b-w').png({ compressionLevel: 1 }).toBuffer();
  const ok = await svc.call('images.importFiles', { files: [{ name: 'edge.png', bytes: new Uint8Array(side) }] });
  assert.deepEqual(ok.failed, []);
  assert.equal(ok.imported[0]!.width, MAX_SIDE);
  assert.equal(ok.imported[0]!.height, MAX_SIDE - 1);
  const px = await svc.call('images.pixels', { id: ok.imported[0]!.id });
  assert.equal(px.data.length, MAX_SIDE * (MAX_SIDE - 1));

  // Small files claiming huge sizes: refused from the header, before a pixel is decoded.
  const small = await pngGrey8(32, 32);
  const rss0 = process.memoryUsage().rss;
  for (const [w, h] of [[MAX_SIDE + 1, 16], [16, MAX_SIDE + 1], [100000, 100000]] as const) {
    const r = await svc.call('images.importFiles', { files: [{ name: 'claims.png', bytes: pngClaimingSize(small, w, h) }] });
    assert.equal(r.imported.length, 0);
    assert.match(r.failed[0]!.message, new RegExp(`^claims\\.png \\([\\d.]+ KiB\\) is ${w} x ${h} px .*over GrainLab's limit of ${MAX_SIDE} px a side`));
  }
  assert.ok(process.memoryUsage().rss - rss0 < 256 * 2 ** 20, 'nothing near the claimed size was allocated');
  await svc.dispose();
});

test('multi-page TIFF: every page of a long stack imports, one over the page limit is refused from the header, and an import stops when its caller leaves', async () => {
  const { svc } = await project();
  const r = await svc.call('images.importFiles', { files: [{ name: 'stack.tif', bytes: stack(600) }] });
  assert.deepEqual(r.failed, []);
  assert.equal(r.imported.length, 600);
  assert.equal(r.imported[599]!.name, 'stack.tif [page 600]');
  const last = await svc.call('images.pixels', { id: r.imported[599]!.id });
  assert.equal(last.data[0], 599 % 256, 'page 600 holds its own pixels');

  const tooLong = await svc.call('images.importFiles', { files: [{ name: 'long.tif', bytes: stack(MAX_PAGES + 1, 2) }] });
  assert.equal(tooLong.imported.length, 0);
  assert.match(tooLong.failed[0]!.message, new RegExp(`has ${MAX_PAGES + 1} pages; GrainLab imports up to ${MAX_PAGES} pages`));

  // The caller (a WebSocket client) goes away: its signal aborts, and the import stops with nothing half-added.
  const leaving = new AbortController();
  const before = (await svc.call('images.list', {})).length;
  const importing = svc.invoke('images.importFiles', { files: [{ name: 'other.tif', bytes: stack(3000, 64) }] }, { signal: leaving.signal });
  setImmediate(() => leaving.abort());
  await assert.rejects(importing, (e: Error & { code?: string }) => e.code === 'cancelled');
  assert.equal((await svc.call('images.list', {})).length, before, 'no page of the abandoned stack was added');
  await svc.dispose();
});

test('pages of different sizes: read page by page, up to a small limit', async () => {
  const mixed = writeTiff([
    { width: 20, height: 10, channels: 1, bitDepth: 8, data: new Uint8Array(200).fill(1) },
    { width: 8, height: 8, channels: 1, bitDepth: 8, data: new Uint8Array(64).fill(2) },
  ]);
  const probed = await probeImage(mixed, 'mixed.tif');
  assert.equal(probed.uniform, false);
  assert.deepEqual(probed.pages.map((p) => [p.width, p.height]), [[20, 10], [8, 8]]);
  const { svc } = await project();
  const r = await svc.call('images.importFiles', { files: [{ name: 'mixed.tif', bytes: mixed }] });
  assert.deepEqual(r.imported.map((i) => [i.width, i.height]), [[20, 10], [8, 8]]);
  await svc.dispose();
});

test('a TIFF named .png is stored and exported as .tif, with its own bytes', async () => {
  const { svc, dir, base } = await project();
  const tiff = tiffGrey16(48, 40);
  const r = await svc.call('images.importFiles', { files: [{ name: 'scan.png', bytes: tiff }] });
  assert.equal(r.imported.length, 1);
  assert.match(r.imported[0]!.file, /\.tif$/);
  assert.ok(readdirSync(join(dir, 'images')).every((f) => f.endsWith('.tif')));
  await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [r.imported[0]!.id] }));
  const out = join(base, 'ds');
  await runToEnd(svc, () => svc.call('export.dataset', { dest: out, format: 'coco', ratios: [1, 0, 0] }));
  const files = readdirSync(join(out, 'images', 'train'));
  assert.deepEqual(files, ['scan.tif']);
  assert.deepEqual(new Uint8Array(readFileSync(join(out, 'images', 'train', 'scan.tif'))), tiff);
  await svc.dispose();
});

test('labels: a non-JSON file is refused without quoting it; COCO with a byte-order mark imports', async () => {
  const { svc, base } = await project();
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(32, 24) }] });
  const secret = join(base, 'shadow');
  writeFileSync(secret, 'root:$6$S3cr3tHashValue:19000:0:99999:7:::\n');
  const { jobId } = await svc.call('labels.import', { kind: 'coco', paths: [secret] });
  await jobEnd(svc, jobId);
  const failed = (await svc.call('labels.importResult', { jobId }))!.failed;
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.message, /^shadow is not valid JSON \(.*\); a COCO file is a JSON object/);
  assert.doesNotMatch(failed[0]!.message, /root|S3cr3t|\$6\$/, 'the file is not echoed');

  const coco = {
    images: [{ id: 1, file_name: 'a.png', width: 32, height: 24 }],
    categories: [{ id: 1, name: 'grain' }],
    annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 8, 8], area: 64, iscrowd: 0, segmentation: [[0, 0, 8, 0, 8, 8, 0, 8]] }],
  };
  const file = join(base, 'bom.json');
  writeFileSync(file, '\ufeff' + JSON.stringify(coco));
  const ok = await svc.call('labels.import', { kind: 'coco', paths: [file] });
  await jobEnd(svc, ok.jobId);
  const summary = (await svc.call('labels.importResult', { jobId: ok.jobId }))!;
  assert.deepEqual(summary.failed, []);
  assert.equal(summary.imported[0]!.imageId, imported[0]!.id);
  await svc.dispose();
});
