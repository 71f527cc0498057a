// SAM-embedding features of the pixel classifier with a tiny SAM-signature model whose embedding
// sees what the grey filter bank cannot: the orientation of fine stripes (every filter of the bank
// is rotation-invariant, so horizontal and vertical stripes of one grey look the same to it).
// Training with the features stores the recipe, helps (IoU with vs without), the CLI trains and
// predicts with it, and a classifier file used where the model is not installed says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { runCli } from '../../main/cli/index';
import type { ProgressEvent } from '../../app/contract/jobs';
import { SamEngine } from '../../main/sam/engine';
import { samFeatureMaps } from '../../app/learn/sam-features';
import { decodeClassifierFile } from '../../main/learn/classifier-file';
import { attrInts, encodeModel, FLOAT, GraphBuilder, pooledFeatures, tinyDecoder, tinyManifestFile, tinyManifestModel, valueInfo } from '../../scripts/build-tiny-sam';

const W = 128;
const DISCS = [
  [36, 36, 20],
  [92, 44, 18],
  [60, 96, 22],
] as const;

/** Discs of horizontal stripes in a matrix of vertical ones, both alternating 80 / 176 (same grey, same contrast). */
function stripes(): { data: Uint8Array; truth: Uint8Array } {
  const data = new Uint8Array(W * W);
  const truth = new Uint8Array(W * W);
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const disc = DISCS.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
      truth[y * W + x] = disc ? 1 : 0;
      data[y * W + x] = (disc ? y : x) % 2 ? 176 : 80;
    }
  }
  return { data, truth };
}

/**
 * A SAM-signature encoder ([1,3,1024,1024] normalised -> [1,256,64,64]) whose embedding holds, per
 * 16 px cell, the energy of horizontal and of vertical differences and the mean grey.
 */
function orientationEncoder(): Uint8Array {
  const g = new GraphBuilder();
  const grey = g.op('Conv', ['image', g.floats([1, 3, 1, 1], [1 / 3, 1 / 3, 1 / 3])]);
  const dx = g.op('Conv', [grey, g.floats([1, 1, 1, 2], [-1, 1])], [attrInts('pads', [0, 0, 0, 1])]);
  const dy = g.op('Conv', [grey, g.floats([1, 1, 2, 1], [-1, 1])], [attrInts('pads', [0, 0, 1, 0])]);
  const pool = (x: string) => g.op('AveragePool', [x], [attrInts('kernel_shape', [16, 16]), attrInts('strides', [16, 16])]);
  const ex = pool(g.op('Mul', [dx, dx]));
  const ey = pool(g.op('Mul', [dy, dy]));
  const mean = pool(grey);
  const cells = g.op('Concat', [ex, ey, mean], [{ name: 'axis', type: 2, i: 1 }]);
  // 1x1 "pooling" keeps the 64x64 grid; the projection spreads the three maps over 256 channels.
  pooledFeatures(g, cells, 1, 256, 'image_embeddings');
  return encodeModel('tiny_orientation_encoder', g, [valueInfo('image', FLOAT, [1, 3, 1024, 1024])], [valueInfo('image_embeddings', FLOAT, [1, 256, 64, 64])]);
}

function installModel(projectDir: string): void {
  const dir = join(projectDir, 'models');
  mkdirSync(dir, { recursive: true });
  const enc = join(dir, 'tiny-orient.encoder.onnx');
  const dec = join(dir, 'tiny-orient.decoder.onnx');
  writeFileSync(enc, orientationEncoder());
  writeFileSync(dec, tinyDecoder());
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: 1, models: [tinyManifestModel('tiny-orient', tinyManifestFile('encoder', enc), tinyManifestFile('decoder', dec))] }));
}

async function project(withModel: boolean) {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-sam-')), 'proj');
  const store = ProjectStore.create(dir, 'learn sam test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const s = stripes();
  writeFileSync(join(dir, 'images/stripes.png'), await sharp(Buffer.from(s.data), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const [img] = store.insertImages([{ name: 'stripes.png', file: 'images/stripes.png', page: 0, hash: 'stripes', width: W, height: W, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  store.close();
  if (withModel) installModel(dir);
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svc.call('project.open', { path: dir });
  const [matrix, discs] = await svc.call('classes.ensure', { count: 2 });
  return { dir, svc, imageId: img!.id, truth: s.truth, matrix: matrix!.id, discs: discs!.id };
}

function waitJob(svc: GrainLabService, jobId: string): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId !== jobId || e.state === 'running') return;
      off();
      resolve(e);
    });
  });
}

/** IoU of the disc class of a whole-image live prediction with the truth. */
async function discIoU(svc: GrainLabService, imageId: number, discs: number, truth: Uint8Array): Promise<{ iou: number; classes: Uint8Array }> {
  const r = await svc.call('learn.predictRegion', { imageId, x: 0, y: 0, width: W, height: W });
  const k = r.classIds.indexOf(discs);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < W * W; i++) {
    const a = r.classes[i] === k;
    const b = truth[i] === 1;
    if (a && b) inter++;
    if (a || b) union++;
  }
  return { iou: inter / union, classes: r.classes };
}

test('SAM-embedding features see what the grey filter bank cannot; the recipe travels with the classifier', async (t) => {
  // Services still open when an assertion fails are closed, so the test process ends.
  const open: GrainLabService[] = [];
  t.after(async () => {
    for (const svc of open) await svc.dispose().catch(() => undefined);
  });
  const a = await project(true);
  open.push(a.svc);
  // Scribbles: a cross in the middle of each disc and short ones around the matrix.
  for (const [cx, cy] of DISCS) {
    await a.svc.call('learn.scribbles.add', { imageId: a.imageId, classId: a.discs, radius: 2, points: [cx - 10, cy, cx + 10, cy] });
    await a.svc.call('learn.scribbles.add', { imageId: a.imageId, classId: a.discs, radius: 2, points: [cx, cy - 10, cx, cy + 10] });
  }
  for (const [x, y] of [[8, 8], [64, 6], [120, 10], [8, 64], [8, 120], [118, 118], [118, 80], [64, 64], [100, 122]]) await a.svc.call('learn.scribbles.add', { imageId: a.imageId, classId: a.matrix, radius: 2, points: [x - 4, y - 4, x + 4, y + 4] });
  const features = { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'log', 'gradient', 'dog', 'hessian', 'structure'] as const };
  const plain = await waitJob(a.svc, (await a.svc.call('learn.train', { features: { sigmas: [...features.sigmas], kinds: [...features.kinds] }, autoContext: false })).jobId);
  assert.equal(plain.state, 'done', plain.error?.message);
  assert.equal((await a.svc.call('learn.status', {}))!.sam, undefined);
  const without = await discIoU(a.svc, a.imageId, a.discs, a.truth);
  const job = await waitJob(a.svc, (await a.svc.call('learn.train', { features: { sigmas: [...features.sigmas], kinds: [...features.kinds] }, autoContext: false, sam: true })).jobId);
  assert.equal(job.state, 'done', job.error?.message);
  const status = (await a.svc.call('learn.status', {}))!;
  assert.equal(status.sam?.model, 'tiny-orient');
  assert.equal(status.sam.mean.length, 256);
  // The embedding has three degrees of freedom (two energies and the grey): at most three components.
  const k = status.sam.components.length / 256;
  assert.ok(k >= 2 && k <= 3, `${k} components`);
  const withSam = await discIoU(a.svc, a.imageId, a.discs, a.truth);
  console.log(`disc IoU without SAM features ${without.iou.toFixed(3)}, with ${withSam.iou.toFixed(3)}`);
  assert.ok(withSam.iou > 0.7, `IoU with SAM features ${withSam.iou}`);
  assert.ok(withSam.iou > without.iou + 0.3, `IoU ${without.iou} -> ${withSam.iou}`);
  // The same request gives the same classes (the maps are deterministic).
  assert.deepEqual((await discIoU(a.svc, a.imageId, a.discs, a.truth)).classes, withSam.classes);
  const out = mkdtempSync(join(tmpdir(), 'gl-clf-sam-'));
  await a.svc.call('learn.export', { path: join(out, 'sam.json') });
  const file = JSON.parse(readFileSync(join(out, 'sam.json'), 'utf8')) as { info: { sam: unknown }; extraFeatures: number };
  assert.deepEqual(file.info.sam, status.sam);
  assert.equal(file.extraFeatures, k);
  await a.svc.call('learn.export', { path: join(out, 'sam.onnx') });
  assert.deepEqual(decodeClassifierFile(readFileSync(join(out, 'sam.onnx')), 'onnx', 'sam.onnx').info.sam, status.sam);
  await a.svc.dispose();

  // The CLI trains with --sam-features --model and writes a file another project predicts with.
  const clf = join(out, 'cli.glclf');
  assert.equal(await runCli(['train', a.dir, '--quiet', '--no-auto-context', '--sigmas', '0.7,1.6,3.5', '--sam-features', '--model', 'tiny-orient', '--out', clf]), 0);
  const b = await project(true);
  await b.svc.dispose();
  assert.equal(await runCli(['predict', b.dir, String(b.imageId), '--quiet', '--yes', '--replace', '--min-area', '4', '--classifier', clf]), 0);

  // Where the model is not installed, prediction says which model and what to do.
  const c = await project(false);
  open.push(c.svc);
  const err = await waitJob(c.svc, (await c.svc.call('learn.predict', { imageIds: [c.imageId], classifier: clf })).jobId);
  assert.equal(err.state, 'failed');
  assert.match(err.error?.message ?? '', /SAM-embedding features of the SAM model "tiny-orient", which is not installed here/);
  assert.match(err.error?.message ?? '', /grainlab models fetch tiny-orient/);
  // Training with SAM embeddings there is refused before any work starts.
  await c.svc.call('learn.scribbles.add', { imageId: c.imageId, classId: c.discs, radius: 2, points: [30, 36, 42, 36] });
  await c.svc.call('learn.scribbles.add', { imageId: c.imageId, classId: c.matrix, radius: 2, points: [4, 4, 12, 4] });
  await assert.rejects(c.svc.call('learn.train', { sam: true }), /Training with SAM embeddings needs a SAM model installed \(No SAM model installed/);
  await assert.rejects(c.svc.call('learn.train', { sam: true, samModel: 'tiny-orient' }), /needs the SAM model "tiny-orient" installed/);
});

test('the SAM feature maps of an image are the same from two separate encoder runs, at the image size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-sam-maps-'));
  installModel(dir);
  const paths = { encoder: join(dir, 'models/tiny-orient.encoder.onnx'), decoder: join(dir, 'models/tiny-orient.decoder.onnx') };
  // A 160 x 96 image: SAM pads it below, so 64 x 38.4 cells are the image's.
  const w = 160;
  const h = 96;
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = (i % w) < 80 ? ((i % w) % 2 ? 176 : 80) : (Math.floor(i / w) % 2 ? 176 : 80);
  const recipe = { mean: new Array<number>(256).fill(0), components: Array.from({ length: 2 * 256 }, (_, i) => (i === 0 || i === 256 + 1 ? 1 : 0)) };
  const maps: Float32Array[] = [];
  for (let run = 0; run < 2; run++) {
    const engine = await SamEngine.load(paths, { threads: 1, workerEmbeddings: 1 });
    try {
      const emb = await engine.embed('img', { width: w, height: h, channels: 1, bitDepth: 8, data: data.slice() });
      maps.push(samFeatureMaps(emb.data, { cellsX: emb.geometry.resizedWidth / 16, cellsY: emb.geometry.resizedHeight / 16 }, recipe, w, h));
    } finally {
      await engine.dispose();
    }
  }
  assert.equal(maps[0]!.length, 2 * w * h);
  assert.deepEqual(maps[1], maps[0]);
  // Channel 0 is the energy of horizontal differences: high over the vertical stripes (left half), ~0 on the right.
  const at = (x: number, y: number) => maps[0]![y * w + x]!;
  assert.ok(at(30, 48) > 10 * Math.max(1e-6, Math.abs(at(130, 48))), `${at(30, 48)} vs ${at(130, 48)}`);
});
