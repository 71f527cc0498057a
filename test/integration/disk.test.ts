// A full or read-only disk: the failing step gets a clear error, the open project stays usable
// (everything saved before can still be read), and once there is room again, work goes on.
// Uses a real 4 MB tmpfs when this process may mount one (root on Linux); otherwise SQLite's own
// page limit stands in for the full disk and the read-only part is skipped, with the reason printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync, symlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import type { ProjectStore } from '../../main/store/project-store';
import { contentHash } from '../../main/images/io';
import { pngGrey8 } from '../fixtures/images';
import { runToEnd } from './export-kit';

function tryMount(dir: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system holding `dir` until a write fails; returns the filler's path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler.bin');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  for (;;) {
    try {
      writeFileSync(filler, chunk, { flag: size === 0 ? 'w' : 'a' });
      size += chunk.length;
    } catch {
      break;
    }
  }
  // Then byte by byte-ish: the last partial chunk too.
  for (const n of [4096, 512, 64, 1]) {
    for (;;) {
      try {
        writeFileSync(filler, Buffer.alloc(n, 1), { flag: 'a' });
      } catch {
        break;
      }
    }
  }
  return filler;
}

const brush = (x: number) => ({ kind: 'brush' as const, mode: 'paint' as const, points: [[x, 10], [x + 30, 50]] as [number, number][], radius: 4, target: 'new' as const });

async function setUp(dir: string) {
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svc.call('project.create', { path: dir });
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(128, 96) }] });
  const imageId = imported[0]!.id;
  await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [imageId] }));
  const first = await svc.call('edit.apply', { imageId, op: brush(5) });
  assert.equal(first.status, 'applied');
  return { svc, imageId };
}

async function usable(svc: GrainLabService, imageId: number, segments: number): Promise<void> {
  assert.equal((await svc.call('images.list', {})).length, 1);
  const seg = (await svc.call('segmentation.get', { imageId }))!;
  assert.equal(seg.segments.length, segments, 'the saved segmentation reads back unchanged');
  assert.ok((await svc.call('images.pixels', { id: imageId })).width === 128);
}

test('full disk: clear error for edits, imports and exports; the project stays usable and goes on once there is room', async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'gl-disk-'));
  const mounted = tryMount(mnt);
  if (!mounted) console.log('disk test: cannot mount a tmpfs here (not root or no mount); SQLite page limit stands in for the full disk');
  try {
    const dir = join(mnt, 'project');
    const { svc, imageId } = await setUp(dir);
    const before = (await svc.call('segmentation.get', { imageId }))!.segments.length;
    const history = await svc.call('edit.history', { imageId });
    let undoFull: () => void;
    if (mounted) {
      const filler = fill(mnt);
      undoFull = () => rmSync(filler);
    } else {
      const store = (svc as unknown as { store: ProjectStore }).store;
      const pages = store.db.pragma('page_count', { simple: true }) as number;
      store.db.pragma(`max_page_count = ${pages}`);
      undoFull = () => store.db.pragma('max_page_count = 1073741823');
    }
    // Several edits: the first ones may still fit in pages SQLite already has.
    let failure: (Error & { code?: string }) | null = null;
    for (let k = 0; k < 40 && !failure; k++) {
      try {
        await svc.call('edit.apply', { imageId, op: { ...brush(10 + (k % 8) * 10), radius: 6 } });
      } catch (e) {
        failure = e as Error & { code?: string };
      }
    }
    assert.ok(failure, 'an edit fails once the disk is full');
    assert.equal(failure.code, 'io');
    assert.match(failure.message, /disk holding .* is full.*free some space/);
    // Reads work; the failed edit left no trace in the history.
    await usable(svc, imageId, (await svc.call('segmentation.get', { imageId }))!.segments.length);
    const after = await svc.call('edit.history', { imageId });
    assert.ok(after!.seq >= history!.seq);
    if (mounted) {
      const imp = await svc.call('images.importFiles', { files: [{ name: 'b.png', bytes: await pngGrey8(300, 300) }] }).catch((e: Error) => ({ imported: [], failed: [{ name: 'b.png', message: e.message }] }));
      assert.equal(imp.imported.length, 0);
      assert.match(imp.failed[0]!.message, /full|space/i);
      const dest = join(mnt, 'dataset');
      await assert.rejects(runToEnd(svc, () => svc.call('export.dataset', { dest, format: 'png', copyImages: true })), /full/);
      assert.ok(!existsSync(dest), 'no half-written dataset');
      assert.deepEqual(readdirSync(mnt).filter((f) => f.includes('grainlab-partial')), []);
    }
    undoFull();
    const ok = await svc.call('edit.apply', { imageId, op: brush(60) });
    assert.equal(ok.status, 'applied', 'edits work again once there is room');
    assert.ok((await svc.call('segmentation.get', { imageId }))!.segments.length >= before);
    await svc.dispose();
  } finally {
    if (mounted) execFileSync('umount', ['-l', mnt]);
  }
});

test('read-only disk: the project opens read-only (view, measure, export elsewhere); changes are refused clearly; nothing on the disk is touched', async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'gl-ro-'));
  if (!tryMount(mnt)) {
    t.skip('cannot mount a tmpfs here (needs root on Linux) to make a real read-only disk');
    return;
  }
  try {
    const dir = join(mnt, 'project');
    const { svc, imageId } = await setUp(dir);
    const segments = (await svc.call('segmentation.get', { imageId }))!.segments.length;
    await svc.call('project.close', {});
    const before = readdirSync(dir).sort();
    // A file system cannot become read-only under open files; the project is closed first, as on a
    // write-protected share or a card whose lock switch was flipped.
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const info = await svc.call('project.open', { path: dir });
    assert.equal(info.readOnly, true, 'the project says it is read-only');
    await usable(svc, imageId, segments);
    assert.ok((await svc.call('edit.open', { imageId, create: true }))!.segments.length === segments, 'the editor view opens');
    assert.ok((await svc.call('stats.compute', {})).images[0]!.segmented, 'measurements work');
    const out = join(mkdtempSync(join(tmpdir(), 'gl-ro-out-')), 'ds');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: out, format: 'coco' }));
    assert.ok(existsSync(join(out, 'dataset-card.json')), 'an export to a writable folder works');
    const refused = (e: Error & { code?: string }) => e.code === 'read-only' && /is open read-only.*copy the project to a writable disk/.test(e.message);
    await assert.rejects(svc.call('edit.apply', { imageId, op: brush(70) }), refused);
    await assert.rejects(svc.call('images.importFiles', { files: [{ name: 'b.png', bytes: await pngGrey8(64, 64) }] }), refused);
    await assert.rejects(svc.call('segment.auto', { imageIds: [imageId] }), refused);
    await assert.rejects(svc.call('images.setPixelSize', { id: imageId, umPerPx: 0.5 }), refused);
    await svc.call('project.close', {});
    assert.deepEqual(readdirSync(dir).sort(), before, 'no file was added on the read-only disk');
    execFileSync('mount', ['-o', 'remount,rw', mnt]);
    assert.equal((await svc.call('project.open', { path: dir })).readOnly, false);
    await usable(svc, imageId, segments);
    assert.equal((await svc.call('edit.apply', { imageId, op: brush(70) })).status, 'applied');
    await svc.dispose();
  } finally {
    execFileSync('umount', ['-l', mnt]);
  }
});

test('full disk while importing (no root needed: the image file is written into /dev/full): clear error, nothing half-written, works once there is room', async (t) => {
  if (!existsSync('/dev/full')) {
    t.skip('no /dev/full on this system');
    return;
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-full-')), 'project');
  const { svc, imageId } = await setUp(dir);
  const segments = (await svc.call('segmentation.get', { imageId }))!.segments.length;
  const bytes = await pngGrey8(200, 150);
  const final = join(dir, 'images', `${contentHash(bytes).slice(0, 16)}.png`);
  // The import writes `<final>.part` first; the kernel answers every write to /dev/full with ENOSPC.
  symlinkSync('/dev/full', `${final}.part`);
  const r = await svc.call('images.importFiles', { files: [{ name: 'b.png', bytes }] });
  assert.equal(r.imported.length, 0);
  assert.match(r.failed[0]!.message, /^b\.png: The disk holding .*project is full.*free some space and try again/);
  assert.ok(!existsSync(final) && !existsSync(`${final}.part`), 'no image file, whole or part, is left');
  await usable(svc, imageId, segments);
  assert.equal((await svc.call('edit.apply', { imageId, op: brush(40) })).status, 'applied', 'edits still work');
  const again = await svc.call('images.importFiles', { files: [{ name: 'b.png', bytes }] });
  assert.equal(again.imported.length, 1, 'the import works once writes succeed again');
  assert.equal((await svc.call('images.list', {})).length, 2);
  await svc.dispose();
});

test('read-only project folder (file permissions): imports and opening say so; reads and edits of the open project go on', async (t) => {
  if (process.getuid?.() === 0 || process.platform === 'win32') {
    // root writes through any permission bits; the tmpfs test above makes a real read-only disk instead.
    t.skip('running as root (or on Windows): file permissions do not stop writes here');
    return;
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-perm-')), 'project');
  const { svc, imageId } = await setUp(dir);
  const segments = (await svc.call('segmentation.get', { imageId }))!.segments.length;
  const images = join(dir, 'images');
  chmodSync(images, 0o555);
  try {
    const r = await svc.call('images.importFiles', { files: [{ name: 'c.png', bytes: await pngGrey8(210, 150) }] });
    assert.equal(r.imported.length, 0);
    assert.match(r.failed[0]!.message, /^c\.png: .*project is read-only \(or not writable for you\).*copy the project to a writable disk/);
    await usable(svc, imageId, segments);
    assert.equal((await svc.call('edit.apply', { imageId, op: brush(45) })).status, 'applied', 'the database is still writable, so edits go on');
  } finally {
    chmodSync(images, 0o755);
  }
  const after = (await svc.call('segmentation.get', { imageId }))!.segments.length;
  await svc.call('project.close', {});
  const files = readdirSync(dir).map((f) => join(dir, f)).filter((f) => !f.endsWith('images'));
  for (const f of files) chmodSync(f, 0o444);
  chmodSync(dir, 0o555);
  try {
    // A project GrainLab cannot write to opens read-only: readable, and every change refused clearly.
    assert.equal((await svc.call('project.open', { path: dir })).readOnly, true);
    await usable(svc, imageId, after);
    await assert.rejects(svc.call('edit.apply', { imageId, op: brush(75) }), (e: Error & { code?: string }) => e.code === 'read-only' && /copy the project to a writable disk/.test(e.message));
    await svc.call('project.close', {});
  } finally {
    chmodSync(dir, 0o755);
    for (const f of files) chmodSync(f, 0o644);
  }
  await svc.call('project.open', { path: dir });
  await usable(svc, imageId, after);
  assert.equal((await svc.call('edit.apply', { imageId, op: brush(75) })).status, 'applied');
  await svc.dispose();
});
