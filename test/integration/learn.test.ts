// Learning from corrections through the real service and CLI, on synthetic two-texture images:
// scribbles persist and undo, training and prediction work, a person's segments are kept, and a
// missing or damaged classifier is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twoTextureImage } from '../../app/learn/synthetic';
import { segmentStats } from '../../app/labelmap';
import { GrainLabService } from '../../main/service';
import { ProjectStore, compressLabels } from '../../main/store/project-store';
import { runCli } from '../../main/cli/index';
import { runToEnd } from './export-kit';

const W = 128;

async function project(images = 2) {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-')), 'proj');
  const store = ProjectStore.create(dir, 'learn test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const truths: { imageId: number; classes: Uint8Array }[] = [];
  for (let n = 0; n < images; n++) {
    const t = twoTextureImage(W, W, 31 + n);
    const file = `images/tex-${n}.png`;
    writeFileSync(join(dir, file), await sharp(Buffer.from(t.data), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
    const [img] = store.insertImages([{ name: `tex-${n}.png`, file, page: 0, hash: `tex${n}`, width: W, height: W, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
    truths.push({ imageId: img!.id, classes: t.classes });
  }
  store.close();
  const user = mkdtempSync(join(tmpdir(), 'gl-user-'));
  const svc = new GrainLabService({ userDataDir: user, binding: 'web' });
  await svc.call('project.open', { path: dir });
  const [matrix, discs] = await svc.call('classes.ensure', { count: 2 });
  return { dir, svc, user, truths, matrix: matrix!.id, discs: discs!.id };
}

/** Horizontal strokes through the middle of true regions of each class (stopping at its edge). */
function strokesFor(classes: Uint8Array, cls: number, count: number, seed: number): number[][] {
  const out: number[][] = [];
  let s = seed;
  for (let tries = 0; tries < 5000 && out.length < count; tries++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const x = s % W;
    const y = Math.floor(s / W) % W;
    const ok = (xx: number) => xx >= 0 && xx < W && [-2, 0, 2].every((d) => classes[Math.min(W - 1, Math.max(0, y + d)) * W + xx] === cls);
    if (!ok(x - 5) || !ok(x) || !ok(x + 5)) continue;
    out.push([x - 5, y, x + 5, y]);
  }
  return out;
}

function iou(labels: Uint32Array, classOf: (id: number) => number | null, truth: Uint8Array, cls: number, truthCls: number): number {
  let i = 0;
  let u = 0;
  for (let k = 0; k < labels.length; k++) {
    const a = labels[k] ? classOf(labels[k]!) === cls : false;
    const b = truth[k] === truthCls;
    if (a && b) i++;
    if (a || b) u++;
  }
  return i / u;
}

test('scribbles persist across reopening the project, erase and undo work, labels keep their source', async () => {
  const { dir, svc, truths, matrix, discs } = await project(1);
  const { imageId, classes } = truths[0]!;
  const [a, b] = strokesFor(classes, 1, 2, 3);
  await svc.call('learn.scribbles.add', { imageId, classId: discs, radius: 2, points: a! });
  let st = await svc.call('learn.scribbles.add', { imageId, classId: discs, radius: 2, points: b! });
  assert.equal(st.strokes.length, 2);
  const painted = st.pixels[String(discs)]!;
  assert.ok(painted > 20);
  st = await svc.call('learn.scribbles.erase', { imageId, radius: 3, points: b! });
  assert.ok(st.pixels[String(discs)]! < painted, 'erasing clears pixels');
  st = await svc.call('learn.scribbles.undo', { imageId });
  assert.equal(st.pixels[String(discs)], painted, 'undo brings the erased pixels back');
  const [m] = strokesFor(classes, 0, 1, 5);
  await svc.call('learn.scribbles.add', { imageId, classId: matrix, radius: 2, points: m! });
  await svc.call('project.close', {});
  await svc.call('project.open', { path: dir });
  st = await svc.call('learn.scribbles.list', { imageId });
  assert.equal(st.strokes.length, 3);
  assert.equal(st.pixels[String(discs)], painted);
  const labels = await svc.call('learn.labels', {});
  assert.deepEqual(labels.byClass.map((c) => [c.classId, c.segment, c.cluster]), [[matrix, 0, 0], [discs, 0, 0]]);
  assert.ok(labels.byClass.every((c) => c.scribble > 0));
  await svc.dispose();
});

test('train on scribbles, predict another image: the discs are found and a person\'s segment is kept exactly', async () => {
  const { dir, svc, truths, matrix, discs } = await project(2);
  const first = truths[0]!;
  for (const [cls, id] of [[0, matrix], [1, discs]] as const) {
    for (const points of strokesFor(first.classes, cls, 6, 11 + cls)) await svc.call('learn.scribbles.add', { imageId: first.imageId, classId: id, radius: 2, points });
  }
  // A segment a person drew on the second image (a square, verified) before prediction.
  const second = truths[1]!;
  await svc.call('project.close', {});
  {
    const s = ProjectStore.open(dir);
    const labels = new Uint32Array(W * W);
    for (let y = 2; y < 10; y++) for (let x = 2; x < 10; x++) labels[y * W + x] = 1;
    const map = { width: W, height: W, data: labels };
    s.saveSegmentation(second.imageId, map, segmentStats(map).map((x) => ({ ...x, source: 'brush' as const, classId: discs, classSource: 'person' as const, verified: true })), 'test', await compressLabels(labels));
    s.close();
  }
  await svc.call('project.open', { path: dir });
  await runToEnd(svc, () => svc.call('learn.train', { features: { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian', 'structure'] } }));
  const info = (await svc.call('learn.status', {}))!;
  assert.deepEqual(info.classes.map((c) => c.id), [matrix, discs]);
  assert.ok(info.labels.byClass.find((c) => c.classId === discs)!.segment > 0, 'the verified segment counts as a label');
  await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [second.imageId], skipClassIds: [matrix] }));
  const seg = (await svc.call('segmentation.get', { imageId: second.imageId }))!;
  const kept = seg.segments.find((s) => s.verified)!;
  assert.ok(kept, 'the verified segment is still there');
  for (let y = 2; y < 10; y++) for (let x = 2; x < 10; x++) assert.equal(seg.labels[y * W + x], kept.id);
  const classOf = new Map(seg.segments.map((s) => [s.id, s.classId]));
  const score = iou(seg.labels, (id) => classOf.get(id) ?? null, second.classes, discs, 1);
  assert.ok(score > 0.7, `disc IoU ${score.toFixed(3)}`);
  // Live feedback and the next uncertain region.
  const region = await svc.call('learn.predictRegion', { imageId: second.imageId, x: 10, y: 20, width: 64, height: 48 });
  assert.equal(region.classes.length, 64 * 48);
  assert.deepEqual(region.classIds, [matrix, discs]);
  let agree = 0;
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) if (region.classes[y * 64 + x] === second.classes[(20 + y) * W + 10 + x]) agree++;
  assert.ok(agree / (64 * 48) > 0.8, `region agreement ${agree / (64 * 48)}`);
  const next = (await svc.call('learn.nextUncertain', { imageId: second.imageId, size: 32 }))!;
  assert.ok(next.meanMargin <= region.meanMargin + 1e-9 || next.meanMargin < 1);
  // The trained classifier is an engine the project evaluation scores against verified segments.
  const available = await svc.call('eval.engines', {});
  assert.ok(available.engines.some((e) => e.id === 'pixel-classifier' && e.kind === 'classifier'), JSON.stringify(available.engines));
  const evalJob = await runToEnd(svc, () => svc.call('eval.project', { engines: ['pixel-classifier'], effort: false }));
  const report = (await svc.call('eval.result', { jobId: evalJob }))!;
  const row = report.engines.find((e) => e.engine === 'pixel-classifier')!;
  assert.equal(row.rank, 1, JSON.stringify(row));
  assert.equal(row.recall50, 1, 'the verified square is found at IoU >= 0.5');
  await svc.dispose();
});

test('CLI: train and predict a synthetic project; export and use a classifier file; clear errors', async () => {
  const { dir, svc, truths, matrix, discs } = await project(2);
  const first = truths[0]!;
  // Before any training, predict says what to do.
  await svc.call('project.close', {});
  const errs: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['predict', dir, '--all', '--quiet', '--yes']), 1);
    assert.match(errs.join(''), /No pixel classifier has been trained/);
    assert.equal(await runCli(['train', dir, '--quiet']), 1);
    assert.match(errs.join(''), /at least two classes/);
  } finally {
    process.stderr.write = write;
  }
  await svc.call('project.open', { path: dir });
  for (const [cls, id] of [[0, matrix], [1, discs]] as const) {
    for (const points of strokesFor(first.classes, cls, 6, 21 + cls)) await svc.call('learn.scribbles.add', { imageId: first.imageId, classId: id, radius: 2, points });
  }
  await svc.dispose();
  const file = join(mkdtempSync(join(tmpdir(), 'gl-clf-')), 'model.glclf');
  assert.equal(await runCli(['train', dir, '--quiet', '--sigmas', '0.7,1.6,3.5', '--export', file]), 0);
  assert.equal(await runCli(['predict', dir, String(truths[1]!.imageId), '--quiet', '--yes', '--skip-class', String(matrix), '--classifier', file]), 0);
  const check = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await check.call('project.open', { path: dir });
  const seg = (await check.call('segmentation.get', { imageId: truths[1]!.imageId }))!;
  assert.match(seg.engine, /^pixel-classifier/);
  assert.ok(seg.segments.length > 0 && seg.segments.every((s) => s.classId === discs));
  await check.dispose();
  // A damaged classifier file is named in a one-line error.
  const bad = join(mkdtempSync(join(tmpdir(), 'gl-clf-')), 'bad.glclf');
  writeFileSync(bad, 'GRAINLAB-PIXEL-CLASSIFIER\n\x05\x00\x00\x00{oops');
  errs.length = 0;
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['predict', dir, '--all', '--quiet', '--yes', '--classifier', bad]), 1);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errs.join(''), /bad\.glclf is not a usable GrainLab pixel classifier/);
});

test('colour images: phases of one grey that differ by hue are told apart (the classifier gets colour features)', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-colour-')), 'proj');
  const store = ProjectStore.create(dir, 'colour test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const truths: { imageId: number; classes: Uint8Array }[] = [];
  for (let n = 0; n < 2; n++) {
    const t = twoTextureImage(W, W, 51 + n);
    // Discs reddish (170,110,120), matrix bluish-green (110,150,140): the same channel mean, so
    // the grey is one level plus the same noise everywhere; only the hue tells them apart.
    const rgb = new Uint8Array(W * W * 3);
    let s = 7 + n;
    for (let i = 0; i < W * W; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const noise = (s % 21) - 10;
      const c = t.classes[i] ? [170, 110, 120] : [110, 150, 140];
      for (let k = 0; k < 3; k++) rgb[i * 3 + k] = c[k]! + noise;
    }
    const file = `images/hue-${n}.png`;
    writeFileSync(join(dir, file), await sharp(Buffer.from(rgb), { raw: { width: W, height: W, channels: 3 } }).png().toBuffer());
    const [img] = store.insertImages([{ name: `hue-${n}.png`, file, page: 0, hash: `hue${n}`, width: W, height: W, channels: 3, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
    truths.push({ imageId: img!.id, classes: t.classes });
  }
  store.close();
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  // Disposed even when an assertion fails (a live service keeps the test process from ending).
  try {
    await svc.call('project.open', { path: dir });
    const [matrix, discs] = (await svc.call('classes.ensure', { count: 2 })).map((c) => c.id);
    const first = truths[0]!;
    for (const [cls, id] of [[0, matrix!], [1, discs!]] as const) {
      for (const points of strokesFor(first.classes, cls, 6, 21 + cls)) await svc.call('learn.scribbles.add', { imageId: first.imageId, classId: id, radius: 2, points });
    }
    await runToEnd(svc, () => svc.call('learn.train', { features: { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient'] } }));
    const second = truths[1]!;
    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [second.imageId], skipClassIds: [matrix!] }));
    const seg = (await svc.call('segmentation.get', { imageId: second.imageId }))!;
    const classOf = new Map(seg.segments.map((x) => [x.id, x.classId]));
    const score = iou(seg.labels, (id) => classOf.get(id) ?? null, second.classes, discs!, 1);
    assert.ok(score > 0.8, `disc IoU on hue alone ${score.toFixed(3)}`);
    // The live view predicts with the same colour features.
    const region = await svc.call('learn.predictRegion', { imageId: second.imageId, x: 0, y: 0, width: W, height: W });
    let agree = 0;
    for (let i = 0; i < W * W; i++) if (region.classes[i] === second.classes[i]) agree++;
    assert.ok(agree / (W * W) > 0.85, `live agreement ${agree / (W * W)}`);
  } finally {
    await svc.dispose();
  }
});

test('CLI: train --self-train pseudo-labels the unlabelled images and says how many pixels; --no-self-train does not', async () => {
  const { dir, svc, truths, matrix, discs } = await project(3);
  const first = truths[0]!;
  for (const [cls, id] of [[0, matrix], [1, discs]] as const) {
    for (const points of strokesFor(first.classes, cls, 6, 31 + cls)) await svc.call('learn.scribbles.add', { imageId: first.imageId, classId: id, radius: 2, points });
  }
  await svc.dispose();
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    assert.equal(await runCli(['train', dir, '--quiet', '--sigmas', '0.7,1.6,3.5', '--self-train']), 0);
  } finally {
    console.log = log;
  }
  assert.match(out.join('\n'), /self-trained with [\d,]+ pseudo-labelled pixels of 2 unlabelled images/);
  const check = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await check.call('project.open', { path: dir });
  const info = (await check.call('learn.status', {}))!;
  assert.equal(info.selfTrain?.images, 2);
  assert.ok(info.selfTrain.pseudoLabelled > 0);
  // The person's scribbles are untouched by self-training.
  const labels = await check.call('learn.labels', {});
  assert.ok(labels.byClass.every((c) => c.scribble > 0 && c.segment === 0));
  await check.dispose();
  assert.equal(await runCli(['train', dir, '--quiet', '--sigmas', '0.7,1.6,3.5', '--no-self-train']), 0);
  const again = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await again.call('project.open', { path: dir });
  assert.equal((await again.call('learn.status', {}))!.selfTrain, undefined);
  await again.dispose();
});
