// Classifier files for batch use: `grainlab train --out` writes .onnx / .json / .glclf by the
// extension, `grainlab predict --classifier` reads each back in another project and predicts; the
// service's learn.export does the same; the .onnx file runs in onnxruntime on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InferenceSession } from 'onnxruntime-node';
import { twoTextureImage } from '../../app/learn/synthetic';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { runCli } from '../../main/cli/index';

const W = 112;

async function project(seed: number) {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-export-')), 'proj');
  const store = ProjectStore.create(dir, 'learn export test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const t = twoTextureImage(W, W, seed);
  writeFileSync(join(dir, 'images/tex.png'), await sharp(Buffer.from(t.data), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const [img] = store.insertImages([{ name: 'tex.png', file: 'images/tex.png', page: 0, hash: `tex${seed}`, width: W, height: W, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  store.close();
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svc.call('project.open', { path: dir });
  const [matrix, discs] = await svc.call('classes.ensure', { count: 2 });
  return { dir, svc, imageId: img!.id, classes: t.classes, matrix: matrix!.id, discs: discs!.id };
}

test('train --out .onnx / .json / .glclf, then predict --classifier with each in another project', async () => {
  const a = await project(41);
  // Scribbles: short strokes on pixels of each true class.
  for (const [cls, id] of [[0, a.matrix], [1, a.discs]] as const) {
    let painted = 0;
    for (let i = 0; i < W * W && painted < 12; i += 97) {
      const x = i % W;
      const y = Math.floor(i / W);
      if (x < 3 || x > W - 4 || a.classes[i] !== cls || a.classes[i - 2] !== cls || a.classes[i + 2] !== cls) continue;
      await a.svc.call('learn.scribbles.add', { imageId: a.imageId, classId: id, radius: 1, points: [x - 2, y, x + 2, y] });
      painted++;
    }
  }
  await a.svc.dispose();
  const out = mkdtempSync(join(tmpdir(), 'gl-clf-out-'));
  const onnx = join(out, 'model.onnx');
  assert.equal(await runCli(['train', a.dir, '--quiet', '--sigmas', '0.7,1.6,3.5', '--out', onnx]), 0);
  // The .onnx runs in onnxruntime on its own and carries GrainLab's header.
  const session = await InferenceSession.create(readFileSync(onnx));
  assert.deepEqual(session.inputNames, ['features', 'features_context']);
  await session.release();
  const b = await project(42);
  const bImage = b.imageId;
  // The service writes the other formats (the same as train --out with those extensions).
  await b.svc.dispose();
  const svcA = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svcA.call('project.open', { path: a.dir });
  const json = join(out, 'model.json');
  const glclf = join(out, 'model.glclf');
  assert.ok((await svcA.call('learn.export', { path: json })).bytes > 100);
  assert.ok((await svcA.call('learn.export', { path: glclf })).bytes > 100);
  await svcA.dispose();
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).format, 'grainlab-pixel-classifier');
  const results: number[][] = [];
  for (const file of [onnx, json, glclf]) {
    assert.equal(await runCli(['predict', b.dir, String(bImage), '--quiet', '--yes', '--replace', '--min-area', '4', '--classifier', file]), 0, file);
    const check = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
    await check.call('project.open', { path: b.dir });
    const seg = (await check.call('segmentation.get', { imageId: bImage }))!;
    assert.match(seg.engine, /^pixel-classifier/);
    results.push(seg.segments.map((s) => s.area).sort((x, y) => x - y));
    await check.dispose();
  }
  // The three files are the same classifier: the same segments.
  assert.ok(results[0]!.length > 0);
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
});
