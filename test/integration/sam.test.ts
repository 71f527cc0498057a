// SAM through the service end to end, on the tiny SAM-signature models (scripts/build-tiny-sam.ts)
// placed in the project's models/ folder with a manifest: model status and selection, prompts with the
// embedding cache (memory and project database), SAM auto-segmentation (MatSAM and grid), cancellation,
// and broken model files. The tiny models are not SAM: a mask is the cells similar to the clicked one,
// so coloured squares on black are found one by one. Their masks are soft, so the stability filter is
// relaxed here (offset 0.25, threshold 0.85); real SAM keeps the defaults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import type { Box } from '../../app/types';
import { buildTinySamModels, tinyManifestFile, tinyManifestModel } from '../../scripts/build-tiny-sam';

// Keep a developer's own user-level models out of these tests.
process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-user-models-'));

const W = 256;
const H = 192;
const SIDE = 60;
const COLOURS = [
  [220, 30, 30],
  [30, 220, 30],
  [30, 30, 220],
  [220, 220, 30],
  [30, 220, 220],
  [220, 30, 220],
];
const SQUARES: Box[] = COLOURS.map((_, k) => ({ x: 16 + (k % 3) * 80, y: 16 + Math.floor(k / 3) * 90, width: SIDE, height: SIDE }));
const TINY_FILTERS = { stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85 };

async function squaresPng(): Promise<Uint8Array> {
  const rgb = new Uint8Array(W * H * 3);
  SQUARES.forEach((b, k) => {
    for (let y = b.y; y < b.y + b.height; y++) for (let x = b.x; x < b.x + b.width; x++) rgb.set(COLOURS[k]!, (y * W + x) * 3);
  });
  return new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
}

/** Writes the tiny models into <project>/models with a manifest: a good model and three broken ones. */
function installTinyModels(projectDir: string): void {
  const dir = join(projectDir, 'models');
  const m = buildTinySamModels(dir);
  const truncated = join(dir, 'tiny-truncated.encoder.onnx');
  writeFileSync(truncated, readFileSync(m.encoderNchw).subarray(0, 300));
  const file = tinyManifestFile;
  const model = tinyManifestModel;
  const manifest = {
    version: 1,
    models: [
      model('tiny-sam', file('encoder', m.encoderNchw), file('decoder', m.decoder)),
      model('tiny-missing', file('encoder', m.encoderNchw), file('decoder', join(dir, 'tiny-absent.decoder.onnx'), 1000)),
      model('tiny-truncated', file('encoder', truncated, statSync(m.encoderNchw).size), file('decoder', m.decoder)),
      model('tiny-foreign', file('encoder', m.encoderNchw), file('decoder', m.foreignDecoder)),
    ],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

function waitJob(svc: GrainLabService, jobId: string, onEvent?: (e: ProgressEvent) => void): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId !== jobId) return;
      onEvent?.(e);
      if (e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

/** IoU of a box-cropped mask with a box-shaped region. */
function maskIoU(box: Box, mask: Uint8Array, region: Box): number {
  let inter = 0;
  let area = 0;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      if (!mask[y * box.width + x]) continue;
      area++;
      const gx = box.x + x;
      const gy = box.y + y;
      if (gx >= region.x && gx < region.x + region.width && gy >= region.y && gy < region.y + region.height) inter++;
    }
  }
  return inter / (area + region.width * region.height - inter);
}

/** Best IoU of a region with any segment of a label map. */
function bestSegmentIoU(labels: Uint32Array, width: number, region: Box): number {
  let max = 0;
  for (const v of labels) if (v > max) max = v;
  const total = new Uint32Array(max + 1);
  const inside = new Uint32Array(max + 1);
  labels.forEach((v, i) => {
    total[v]!++;
    const x = i % width;
    const y = Math.floor(i / width);
    if (x >= region.x && x < region.x + region.width && y >= region.y && y < region.y + region.height) inside[v]!++;
  });
  let best = 0;
  for (let id = 1; id <= max; id++) if (inside[id]! > 0) best = Math.max(best, inside[id]! / (total[id]! + region.width * region.height - inside[id]!));
  return best;
}

let root = '';
let dir = '';
let svc: GrainLabService;
let imageId = 0;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gl-sam-'));
  dir = join(root, 'proj');
  svc = new GrainLabService({ userDataDir: join(root, 'user'), binding: 'web' });
  await svc.call('project.create', { path: dir });
  installTinyModels(dir);
  const res = await svc.call('images.importFiles', { files: [{ name: 'squares.png', bytes: await squaresPng() }] });
  imageId = res.imported[0]!.id;
});
after(async () => {
  await svc?.dispose();
  rmSync(root, { recursive: true, force: true });
});

test("sam.status lists the project's model as installed and active; app.info reports SAM available", async () => {
  const s = await svc.call('sam.status', {});
  const tiny = s.models.find((m) => m.id === 'tiny-sam')!;
  assert.equal(tiny.installed, true);
  assert.equal(tiny.location, join(dir, 'models'));
  assert.equal(s.models.find((m) => m.id === 'tiny-missing')!.installed, false);
  assert.equal(s.active, 'tiny-sam');
  assert.equal(s.searchDirs[0], join(dir, 'models'));
  assert.ok(s.models.some((m) => m.id === 'sam-vit-b-quant'), 'the bundled manifest is listed too');
  const info = await svc.call('app.info', {});
  assert.equal(info.engines.find((e) => e.id === 'sam')!.available, true);
});

test('a click inside a square returns that square; a second click reuses the cached embedding', async () => {
  const first = await svc.call('sam.prompt', { imageId, points: [{ x: 40, y: 40, label: 1 }] });
  assert.equal(first.embedding, 'encoder');
  assert.ok(first.timing.embedMs > 0);
  assert.equal(first.model, 'tiny-sam');
  assert.equal(first.mask.length, first.box.width * first.box.height);
  assert.ok(maskIoU(first.box, first.mask, SQUARES[0]!) > 0.85, `IoU ${maskIoU(first.box, first.mask, SQUARES[0]!)}`);
  assert.ok(first.score > 0.85);

  const second = await svc.call('sam.prompt', { imageId, points: [{ x: 200, y: 140, label: 1 }] });
  assert.equal(second.embedding, 'memory');
  assert.equal(second.timing.embedMs, 0);
  assert.ok(maskIoU(second.box, second.mask, SQUARES[5]!) > 0.85);

  // A box prompt and a refinement with the last low-res mask both decode on the cached embedding.
  const boxed = await svc.call('sam.prompt', { imageId, points: [{ x: 120, y: 40, label: 1 }], box: { x: 90, y: 10, width: 72, height: 72 } });
  assert.ok(maskIoU(boxed.box, boxed.mask, SQUARES[1]!) > 0.85);
  const refined = await svc.call('sam.prompt', { imageId, points: [{ x: 120, y: 40, label: 1 }], refine: true });
  assert.equal(refined.embedding, 'memory');

  const status = await svc.call('sam.status', {});
  assert.equal(status.provider?.name, 'cpu', 'the loaded model reports its provider');
  await assert.rejects(svc.call('sam.prompt', { imageId, points: [] }), /at least one point or a box/);
  await assert.rejects(svc.call('sam.prompt', { imageId, points: [{ x: 999, y: 5, label: 1 }] }), /outside the image/);
});

test('the embedding persists in the project database across reopening', async () => {
  await svc.call('project.close', {});
  await svc.call('project.open', { path: dir });
  const again = await svc.call('sam.prompt', { imageId, points: [{ x: 40, y: 40, label: 1 }] });
  assert.equal(again.embedding, 'store');
  assert.ok(maskIoU(again.box, again.mask, SQUARES[0]!) > 0.85);
  assert.deepEqual(await svc.call('sam.prepare', { imageId }), { cached: true, jobId: null });
});

test('segment.auto with SAM: MatSAM and grid prompts both give label maps; MatSAM needs >= 4x fewer decoder calls than 32x32', async () => {
  const runs: Record<string, { calls: number; segments: number }> = {};
  for (const [prompts, extra] of [
    ['matsam', {}],
    ['grid', { pointsPerSide: 8 }],
  ] as const) {
    const { jobId } = await svc.call('segment.auto', { imageIds: [imageId], engine: 'sam', sam: { prompts, ...TINY_FILTERS, ...extra } });
    const end = await waitJob(svc, jobId);
    assert.equal(end.state, 'done', end.message);
    const stats = (await svc.call('sam.runStats', { jobId }))!;
    assert.equal(stats.length, 1);
    const s = stats[0]!;
    assert.equal(s.imageId, imageId);
    assert.equal(s.crops, 1);
    assert.equal(s.encoderRuns, 0, 'the embedding from the prompts is reused');
    const seg = (await svc.call('segmentation.get', { imageId }))!;
    assert.equal(seg.engine, `sam:tiny-sam:${prompts}`);
    assert.equal(seg.segments.length, s.segments);
    assert.ok(seg.segments.every((x) => x.source === 'auto'));
    for (const sq of SQUARES) assert.ok(bestSegmentIoU(seg.labels, W, sq) > 0.85, `${prompts}: square at ${sq.x},${sq.y}`);
    runs[prompts] = { calls: s.decoderCalls, segments: s.segments };
  }
  assert.equal(runs.grid!.calls, 64, '8 x 8 grid');
  assert.ok(runs.matsam!.calls * 4 <= 32 * 32, `MatSAM used ${runs.matsam!.calls} decoder calls`);
  assert.equal((await svc.call('images.list', {}))[0]!.status, 'auto-segmented');
});

test('cancelling a SAM run mid-way leaves the previous segmentation untouched', async () => {
  const classic = await svc.call('segment.auto', { imageIds: [imageId] });
  assert.equal((await waitJob(svc, classic.jobId)).state, 'done');
  const before = (await svc.call('segmentation.get', { imageId }))!;
  const { jobId } = await svc.call('segment.auto', { imageIds: [imageId], engine: 'sam', sam: { prompts: 'grid', batchSize: 8, ...TINY_FILTERS } });
  let cancelled = false;
  const end = await waitJob(svc, jobId, (e) => {
    if (!cancelled && /prompts \d+\/1024/.test(e.message ?? '')) {
      cancelled = true;
      void svc.call('jobs.cancel', { jobId });
    }
  });
  assert.equal(end.state, 'cancelled');
  const after = (await svc.call('segmentation.get', { imageId }))!;
  assert.equal(after.engine, 'classic');
  assert.equal(after.updatedAt, before.updatedAt);
  assert.deepEqual(after.labels, before.labels);
});

test('bad model files: each refused with a message naming the file and the next step; the project is untouched', async () => {
  const before = (await svc.call('segmentation.get', { imageId }))!;
  await assert.rejects(svc.call('sam.select', { modelId: 'tiny-missing' }), (e: unknown) => {
    assert.ok(e instanceof ServiceError && e.code === 'not-found');
    assert.match(e.message, /tiny-absent\.decoder\.onnx not found/);
    assert.match(e.message, /grainlab models fetch tiny-missing/);
    assert.match(e.message, /grainlab models import tiny-missing/);
    return true;
  });
  await assert.rejects(svc.call('sam.select', { modelId: 'tiny-truncated' }), (e: unknown) => {
    assert.ok(e instanceof ServiceError && e.code === 'model');
    assert.match(e.message, /tiny-truncated\.encoder\.onnx/);
    assert.match(e.message, /grainlab models verify/);
    return true;
  });
  await assert.rejects(svc.call('sam.select', { modelId: 'tiny-foreign' }), (e: unknown) => {
    assert.ok(e instanceof ServiceError && e.code === 'model');
    assert.match(e.message, /"tiny-ort-sam2\.decoder\.onnx" is not a SAM decoder GrainLab recognises/);
    assert.match(e.message, /missing inputs mask_input, has_mask_input, orig_im_size/);
    assert.match(e.message, /Found inputs: image_features_0 /);
    return true;
  });
  await assert.rejects(
    svc.call('segment.auto', { imageIds: [imageId], engine: 'sam', sam: { model: 'tiny-foreign' } }),
    (e: unknown) => e instanceof ServiceError && /tiny-ort-sam2\.decoder\.onnx/.test(e.message),
  );
  await assert.rejects(svc.call('sam.select', { modelId: 'no-such-model' }), /No SAM model "no-such-model"/);
  assert.equal((await svc.call('sam.status', {})).active, 'tiny-sam', 'a failed selection keeps the active model');
  const after = (await svc.call('segmentation.get', { imageId }))!;
  assert.equal(after.updatedAt, before.updatedAt);
  assert.deepEqual(after.labels, before.labels);

  // Selecting a good model works and is remembered by the project.
  const s = await svc.call('sam.select', { modelId: 'tiny-sam' });
  assert.equal(s.active, 'tiny-sam');
});

test('without any model: the status gives the install hint and SAM segmentation is refused with it', async (t) => {
  const other = join(root, 'empty-proj');
  const svc2 = new GrainLabService({ userDataDir: join(root, 'user2'), binding: 'web' });
  try {
    await svc2.call('project.create', { path: other });
    const s = await svc2.call('sam.status', {});
    if (s.models.some((m) => m.installed)) {
      t.skip('a SAM model is installed in the app folder of this checkout');
      return;
    }
    assert.equal(s.active, null);
    assert.match(s.hint, /grainlab models fetch sam-vit-b-quant/);
    const info = await svc2.call('app.info', {});
    assert.equal(info.engines.find((e) => e.id === 'sam')!.available, false);
    copyFileSync(join(root, 'proj', 'images', (await svc.call('images.list', {}))[0]!.file.split('/').pop()!), join(root, 'sq.png'));
    const im = await svc2.call('images.importPaths', { paths: [join(root, 'sq.png')] });
    await assert.rejects(
      svc2.call('segment.auto', { imageIds: [im.imported[0]!.id], engine: 'sam' }),
      (e: unknown) => e instanceof ServiceError && e.code === 'unsupported' && /classic engine/.test(e.message),
    );
  } finally {
    await svc2.dispose();
  }
});
