// learn.predict's minConfidence through the real service: only the segments the classifier is
// at least that sure of are saved (with their confidence); the rest of the image is unlabelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twoTextureImage } from '../../app/learn/synthetic';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { runCli } from '../../main/cli/index';
import { runToEnd } from './export-kit';

const W = 160;
const H = 120;

test('learn.predict minConfidence keeps only the sure segments and leaves the rest unlabelled', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-conf-')), 'proj');
  const store = ProjectStore.create(dir, 'confidence test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const t = twoTextureImage(W, H, 7, 14, 10);
  writeFileSync(join(dir, 'images/a.png'), await sharp(Buffer.from(t.data), { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
  const [img] = store.insertImages([{ name: 'a.png', file: 'images/a.png', page: 0, hash: 'a', width: W, height: H, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  store.close();
  const imageId = img!.id;
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  try {
    await svc.call('project.open', { path: dir });
    const classes = await svc.call('classes.ensure', { count: 2 });
    // Few strokes, so that the classifier is unsure in places.
    for (const [cls, c] of classes.entries()) {
      let added = 0;
      for (let y = 5; y < H - 5 && added < 3; y += 13) {
        for (let x = 6; x < W - 6 && added < 3; x += 5) {
          if ([-4, 0, 4].every((d) => t.classes[y * W + x + d] === cls)) {
            await svc.call('learn.scribbles.add', { imageId, classId: c.id, radius: 1, points: [x - 4, y, x + 4, y] });
            added++;
            x += 60;
          }
        }
      }
    }
    await runToEnd(svc, () => svc.call('learn.train', { features: { sigmas: [0.7, 1.6], kinds: ['gauss', 'gradient'] } }));
    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId], keep: 'none' }));
    const all = (await svc.call('segmentation.get', { imageId }))!;
    const confs = all.segments.map((s) => s.classConfidence!).sort((a, b) => a - b);
    assert.ok(confs.length >= 3 && confs[0]! < confs[confs.length - 1]!, `confidences ${confs.join(' ')}`);
    const min = confs[Math.floor(confs.length / 2)]!;
    const sureBefore = all.segments.filter((s) => s.classConfidence! >= min);

    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId], keep: 'none', minConfidence: min }));
    const sure = (await svc.call('segmentation.get', { imageId }))!;
    assert.ok(sure.segments.length < all.segments.length);
    assert.deepEqual(
      sure.segments.map((s) => [s.classId, s.area, s.classConfidence]).sort(),
      sureBefore.map((s) => [s.classId, s.area, s.classConfidence]).sort(),
      'the same sure segments, with their class and confidence',
    );
    const unlabelled = sure.labels.filter((v) => v === 0).length;
    const droppedArea = all.segments.filter((s) => s.classConfidence! < min).reduce((a, s) => a + s.area, 0);
    assert.equal(unlabelled, droppedArea, 'the pixels of the unsure segments are left to draw');
    const sureIds = sure.segments.map((s) => [s.classId, s.area]).sort();
    await svc.dispose();

    // The CLI flag: a value outside 0..1 is refused with what to give; a valid one gives the same result.
    const errs: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      assert.equal(await runCli(['predict', dir, '--all', '--quiet', '--yes', '--replace', '--min-confidence', '80']), 1);
    } finally {
      process.stderr.write = write;
    }
    assert.match(errs.join(''), /--min-confidence takes a probability from 0 to 1 \(got '80'\)/);
    assert.equal(await runCli(['predict', dir, '--all', '--quiet', '--yes', '--replace', '--min-confidence', String(min)]), 0);
    const check = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
    await check.call('project.open', { path: dir });
    assert.deepEqual((await check.call('segmentation.get', { imageId }))!.segments.map((s) => [s.classId, s.area]).sort(), sureIds);
    await check.dispose();
  } finally {
    await svc.dispose();
  }
});
