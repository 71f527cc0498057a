// A misbehaving web client against the learn.* calls: a stroke that covers no pixel of the image
// is refused by name and not stored (it would otherwise be the invisible stroke the next Ctrl+Z
// takes back), exporting the classifier onto a folder or into a missing folder is a clear error
// that leaves no temporary file (before, a `<folder>.tmp` stayed beside the folder, outside the
// served root), and through all of it the scribbles and the trained classifier stay as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebServer } from '../../main/server/web-server';
import { GrainLabService } from '../../main/service';
import { connectWs, type WireReply } from '../fixtures/ws-client';
import sharp from 'sharp';

function refused(r: WireReply, pattern: RegExp, what: string): void {
  assert.equal(r.ok, false, `${what} should be refused`);
  if (!r.ok) assert.match(r.error.message, pattern, what);
}

test('learn.*: off-image strokes and exports onto folders are refused cleanly, labels kept', { timeout: 180_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-learn-hostile-'));
  const root = join(base, 'root');
  mkdirSync(root);
  const svc = new GrainLabService({ userDataDir: join(base, 'user'), binding: 'web', browseRoots: [root] });
  const staticDir = mkdtempSync(join(tmpdir(), 'gl-learn-hostile-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>GrainLab</title>');
  const server = await startWebServer({ service: svc, staticDir, port: 0 });
  const ws = await connectWs(server);
  try {
    await svc.call('project.create', { path: join(root, 'p'), name: 'hostile' });
    // Left half dark, right half bright: two classes a forest separates at once.
    const W = 64;
    const raw = Buffer.alloc(W * W);
    for (let i = 0; i < W * W; i++) raw[i] = i % W < W / 2 ? 40 : 210;
    const png = new Uint8Array(await sharp(raw, { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
    const imageId = (await svc.call('images.importFiles', { files: [{ name: 'halves.png', bytes: png }] })).imported[0]!.id;
    const [dark, bright] = await svc.call('classes.ensure', { count: 2 });
    const add = (classId: number, points: number[], radius = 2) => ws.call('learn.scribbles.add', { imageId, classId, radius, points });
    assert.equal((await add(dark!.id, [5, 10, 5, 50])).ok, true);
    assert.equal((await add(bright!.id, [58, 10, 58, 50])).ok, true);

    // Strokes that cover no pixel: beyond the right edge, far away, and an erase above the image.
    refused(await add(dark!.id, [W + 10, 5, W + 40, 30]), /outside image halves\.png \(64 × 64 px\)/, 'a stroke right of the image');
    refused(await add(dark!.id, [-1e6, 1e6, -1e6, 1e6], 500), /outside image halves\.png/, 'a stroke far away');
    refused(await ws.call('learn.scribbles.erase', { imageId, radius: 3, points: [10, -20, 50, -20] }), /outside image halves\.png/, 'an erase above the image');
    // One that starts outside and crosses in is a stroke like any other.
    assert.equal((await add(bright!.id, [W + 20, 30, 50, 30])).ok, true);
    assert.equal((await ws.call('learn.scribbles.undo', { imageId })).ok, true);
    const strokes = (await svc.call('learn.scribbles.list', { imageId })).strokes;
    assert.deepEqual(strokes.map((s) => s.classId), [dark!.id, bright!.id], 'the two strokes, none of the refused ones');

    // Train, then export onto the served folder itself and into a folder that does not exist.
    const { jobId } = (await svc.call('learn.train', { features: { sigmas: [1, 3], kinds: ['gauss'] }, autoContext: false })) as { jobId: string };
    assert.ok(jobId);
    for (let i = 0; i < 600 && !(await svc.call('learn.status', {})); i++) await new Promise((r) => setTimeout(r, 200));
    const status = await svc.call('learn.status', {});
    assert.equal(status?.version, 1);
    const before = readdirSync(base).sort();
    const folder = join(root, 'models');
    mkdirSync(folder);
    refused(await ws.call('learn.export', { path: folder }), /models is a folder; give the classifier a file name in it/, 'export onto a folder');
    refused(await ws.call('learn.export', { path: join(root, 'missing', 'c.onnx') }), /Cannot write the classifier file .*c\.onnx \(ENOENT\)/, 'export into a missing folder');
    assert.deepEqual(readdirSync(base).sort(), before, 'nothing written beside the served folder');
    assert.deepEqual(readdirSync(root).sort(), ['models', 'p'], 'no temporary file in the served folder');
    assert.deepEqual(readdirSync(folder), [], 'the folder is left as it was');
    // A good export still works, and the labels and classifier are untouched.
    const ok = await ws.call('learn.export', { path: join(folder, 'c.onnx') });
    assert.equal(ok.ok, true);
    assert.deepEqual(readdirSync(folder), ['c.onnx']);
    assert.equal((await svc.call('learn.scribbles.list', { imageId })).strokes.length, 2);
    assert.equal((await svc.call('learn.status', {}))?.version, 1);
  } finally {
    ws.close();
    await server.close();
    await svc.dispose();
  }
});
