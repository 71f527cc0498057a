// Slice stacks through the service: a synthetic stack with known 3D truth imported as a multi-page
// TIFF and as a folder of slices (z order), propagation from a segmented slice to the next ones
// (IoU against the truth; a person's segment on a target slice kept exactly), 3D objects and
// statistics, and 3D export (label TIFF pages and COCO track ids agree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { generateStack } from '../../app/synth/stack';
import { encodeTiffPages } from '../../main/export/tiff';
import { encodePng } from '../../main/export/png';
import { installTinySam } from '../../scripts/build-tiny-sam';

// Keep a developer's own user-level SAM models out of these tests.
process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-stack-user-models-'));

const tempDir = () => mkdtempSync(join(tmpdir(), 'grainlab-stack-'));

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

/** Mean over truth particles present on a slice of the best IoU any predicted segment reaches. */
function meanBestIoU(truth: Uint32Array, pred: Uint32Array): number {
  const ids = [...new Set(truth)].filter((v) => v !== 0);
  let sum = 0;
  for (const t of ids) {
    const inter = new Map<number, number>();
    const predArea = new Map<number, number>();
    let tArea = 0;
    for (let i = 0; i < truth.length; i++) {
      const p = pred[i]!;
      if (p) predArea.set(p, (predArea.get(p) ?? 0) + 1);
      if (truth[i] !== t) continue;
      tArea++;
      if (p) inter.set(p, (inter.get(p) ?? 0) + 1);
    }
    let best = 0;
    for (const [p, n] of inter) best = Math.max(best, n / (tArea + predArea.get(p)! - n));
    sum += best;
  }
  return ids.length ? sum / ids.length : 1;
}

const ST = generateStack({ width: 128, height: 128, depth: 8, particles: 10, seed: 11, minRadius: 8, maxRadius: 14 });

test('a multi-page TIFF becomes one stack; propagation follows the truth and keeps a person\'s segment; 3D stats and export agree', async () => {
  const dir = tempDir();
  const svc = new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
  try {
    await svc.call('project.create', { path: join(dir, 'proj') });
    const tif = join(dir, 'stack.tif');
    writeFileSync(tif, encodeTiffPages(ST.slices.map((data) => ({ width: 128, height: 128, channels: 1, bitDepth: 8, data }))));
    const { stack } = await svc.call('stacks.importPaths', { paths: [tif], spacingUm: 0.5 });
    assert.equal(stack.imageIds.length, 8);
    for (const id of stack.imageIds) await svc.call('images.setPixelSize', { id, umPerPx: 0.25 });
    const images = await svc.call('images.list', {});
    const byId = new Map(images.map((im) => [im.id, im]));
    assert.deepEqual(stack.imageIds.map((id) => byId.get(id)!.page), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(await svc.call('stacks.ofImage', { imageId: stack.imageIds[3]! }), stack);
    // An image is a slice of one stack only.
    await assert.rejects(svc.call('stacks.create', { name: 'again', imageIds: [stack.imageIds[0]!] }), /already slice 1 of the stack/);

    // Slice 3 segmented by the classic engine; slice 4 segmented too, and a person verifies one of its segments.
    const seg = await svc.call('segment.auto', { imageIds: [stack.imageIds[2]!, stack.imageIds[3]!], engine: 'classic' });
    assert.equal((await waitJob(svc, seg.jobId)).state, 'done');
    const s4 = (await svc.call('segmentation.get', { imageId: stack.imageIds[3]! }))!;
    const mine = s4.segments.reduce((a, b) => (b.area > a.area ? b : a));
    await svc.call('edit.apply', { imageId: stack.imageIds[3]!, op: { kind: 'setVerified', ids: [mine.id], verified: true } });
    const minePixels = [...s4.labels.keys()].filter((i) => s4.labels[i] === mine.id);

    const job = await svc.call('stacks.propagate', { imageId: stack.imageIds[2]!, count: 4, engine: 'classic' });
    const end = await waitJob(svc, job.jobId);
    assert.equal(end.state, 'done', end.message);
    for (let z = 3; z < 7; z++) {
      const s = (await svc.call('segmentation.get', { imageId: stack.imageIds[z]! }))!;
      assert.equal(s.engine, 'propagate:classic');
      const iou = meanBestIoU(ST.labels[z]!, s.labels);
      assert.ok(iou > 0.75, `slice ${z + 1}: mean IoU ${iou.toFixed(3)} against the truth`);
    }
    // The verified segment on slice 4 is exactly as the person left it.
    const after4 = (await svc.call('segmentation.get', { imageId: stack.imageIds[3]! }))!;
    const kept = after4.segments.find((s) => s.verified)!;
    assert.deepEqual([...after4.labels.keys()].filter((i) => after4.labels[i] === kept.id), minePixels);
    // Cancelled at once: the next slice stays as it was.
    const cancelled = await svc.call('stacks.propagate', { imageId: stack.imageIds[6]!, count: 1, engine: 'classic' });
    const ended = waitJob(svc, cancelled.jobId);
    assert.equal(await svc.call('jobs.cancel', { jobId: cancelled.jobId }), true);
    assert.equal((await ended).state, 'cancelled');
    assert.equal(await svc.call('segmentation.get', { imageId: stack.imageIds[7]! }), null);
    // Past the last slice there is nothing to propagate to.
    await assert.rejects(svc.call('stacks.propagate', { imageId: stack.imageIds[7]!, count: 1 }), /last slice/);

    // 3D objects over slices 3..7: the truth's particles that reach those slices.
    const st = await svc.call('stacks.stats', { stackId: stack.id });
    const truthIds = new Set<number>();
    for (let z = 2; z < 7; z++) for (const v of ST.labels[z]!) if (v) truthIds.add(v);
    assert.ok(Math.abs(st.objectCount - truthIds.size) <= 1, `${st.objectCount} objects, truth ${truthIds.size}`);
    assert.equal(st.spacingUm, 0.5);
    let segments = 0;
    for (const id of stack.imageIds) segments += (await svc.call('segmentation.get', { imageId: id }))?.segments.length ?? 0;
    assert.equal(st.slices, 8);
    for (const o of st.objects) {
      assert.equal(o.esdVoxels, Math.cbrt((6 * o.voxels) / Math.PI));
      assert.ok(Math.abs(o.volumeUm3! - o.voxels * 0.25 * 0.25 * 0.5) < 1e-9);
    }

    // Export: the TIFF's pages carry the same object ids as the COCO annotations' track ids.
    const out = join(dir, 'out');
    const ex = await svc.call('stacks.export', { stackId: stack.id, dir: out });
    assert.equal((await sharp(readFileSync(ex.tiff)).metadata()).pages, 8);
    const coco = JSON.parse(readFileSync(ex.coco, 'utf8')) as { images: { id: number; grainlab: { z: number } }[]; annotations: { image_id: number; track_id: number; bbox: number[] }[] };
    assert.equal(coco.images.length, 8);
    const z4 = 4;
    const page = await sharp(readFileSync(ex.tiff), { page: z4 }).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    const ids = new Uint16Array(page.buffer, page.byteOffset, page.byteLength / 2);
    const imageId = coco.images.find((im) => im.grainlab.z === z4)!.id;
    const anns = coco.annotations.filter((a) => a.image_id === imageId);
    assert.ok(anns.length > 0);
    for (const a of anns) {
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      let hits = 0;
      for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) if (ids[yy * 128 + xx] === a.track_id) hits++;
      assert.ok(hits > 0, `object ${a.track_id} is on page ${z4}`);
    }

    // The label TIFF carries ImageJ's header: imported again, it is a stack with the same spacing and pixel size.
    const back = await svc.call('stacks.importPaths', { paths: [ex.tiff], name: 'labels back' });
    assert.equal(back.stack.imageIds.length, 8);
    assert.equal(back.stack.spacingUm, 0.5);
    const first = (await svc.call('images.list', {})).find((im) => im.id === back.stack.imageIds[0])!;
    assert.ok(Math.abs(first.pixelSizeUm! - 0.25) < 1e-6, `pixel size ${first.pixelSizeUm}`);

    // The object id of every segment is stored with the project (read once the project is closed).
    await svc.call('project.close', {});
    const db = new Database(join(dir, 'proj', 'project.sqlite'), { readonly: true });
    try {
      const stored = db.prepare('SELECT COUNT(DISTINCT object_id) AS n, COUNT(*) AS segments FROM stack_objects').get() as { n: number; segments: number };
      assert.deepEqual(stored, { n: st.objectCount, segments });
    } finally {
      db.close();
    }
  } finally {
    await svc.dispose();
  }
});

test('a folder of slices is one stack in natural file-name order', async () => {
  const dir = tempDir();
  const svc = new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
  try {
    await svc.call('project.create', { path: join(dir, 'proj') });
    const folder = join(dir, 'slices');
    mkdirSync(folder);
    // Written out of order, named so that plain string order would put slice 10 second.
    const depth = 11;
    const st = generateStack({ width: 64, height: 64, depth, particles: 4, seed: 2 });
    for (const z of [...Array(depth).keys()].reverse()) {
      writeFileSync(join(folder, `slice${z + 1}.png`), await encodePng({ width: 64, height: 64, channels: 1, bitDepth: 8, data: st.slices[z]! }));
    }
    writeFileSync(join(folder, 'notes.txt'), 'not a slice');
    const { stack } = await svc.call('stacks.importPaths', { paths: [folder], name: 'serial sections' });
    const names = new Map((await svc.call('images.list', {})).map((im) => [im.id, im.name]));
    assert.deepEqual(stack.imageIds.map((id) => names.get(id)), [...Array(depth).keys()].map((z) => `slice${z + 1}.png`));
    assert.equal(stack.name, 'serial sections');
    assert.equal(stack.spacingUm, null);
    assert.equal((await svc.call('stacks.setSpacing', { stackId: stack.id, spacingUm: 2 })).spacingUm, 2);
    assert.equal((await svc.call('stacks.list', {})).length, 1);
    await svc.call('stacks.remove', { stackId: stack.id });
    assert.equal(await svc.call('stacks.ofImage', { imageId: stack.imageIds[0]! }), null);
    assert.equal((await svc.call('images.list', {})).length, depth, 'dissolving a stack keeps its images');
  } finally {
    await svc.dispose();
  }
});

test('with a SAM model installed, auto propagation prompts SAM; the pixel classifier is refused until trained', async () => {
  const dir = tempDir();
  const svc = new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
  try {
    await svc.call('project.create', { path: join(dir, 'proj') });
    installTinySam(join(dir, 'proj'));
    await svc.call('sam.select', { modelId: 'tiny-sam' });
    const tif = join(dir, 'stack.tif');
    writeFileSync(tif, encodeTiffPages(ST.slices.map((data) => ({ width: 128, height: 128, channels: 1, bitDepth: 8, data }))));
    const { stack } = await svc.call('stacks.importPaths', { paths: [tif] });
    // Slice 4 gets its true labels, as a person's corrected slice would be.
    const truth = await encodePng({ width: 128, height: 128, channels: 1, bitDepth: 16, data: Uint16Array.from(ST.labels[3]!) });
    const imp = await svc.call('labels.import', { kind: 'instance', files: [{ name: 'truth.png', bytes: truth }], imageId: stack.imageIds[3]! });
    await waitJob(svc, imp.jobId);
    const job = await svc.call('stacks.propagate', { imageId: stack.imageIds[3]!, count: 1 });
    const end = await waitJob(svc, job.jobId);
    assert.equal(end.state, 'done', end.message);
    assert.match(end.title, /\(sam\)$/);
    const s = (await svc.call('segmentation.get', { imageId: stack.imageIds[4]! }))!;
    assert.equal(s.engine, 'propagate:sam');
    // The tiny test model answers in 16 px cells of its frame, so masks are coarse but on the particles.
    const iou = meanBestIoU(ST.labels[4]!, s.labels);
    assert.ok(iou > 0.4, `mean IoU ${iou.toFixed(3)} against the truth`);
    await assert.rejects(svc.call('stacks.propagate', { imageId: stack.imageIds[3]!, count: 1, engine: 'classifier' }), /No pixel classifier has been trained/);
  } finally {
    await svc.dispose();
  }
});
