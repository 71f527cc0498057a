// Parallel prediction through the real service: an image wider than one 1024-pixel tile is
// predicted by the learn worker with its tiles shared among helper threads (GRAINLAB_WORKERS=2)
// into exactly the label map of one thread (GRAINLAB_WORKERS=1); a cancelled prediction saves
// nothing and leaves the previous result as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twoTextureImage } from '../../app/learn/synthetic';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { jobEnd, runToEnd } from './export-kit';

const W = 1100;
const H = 160;

test('learn.predict gives the same label map with 1 and 2 workers; a cancel saves nothing', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-learn-par-')), 'proj');
  const store = ProjectStore.create(dir, 'parallel prediction test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const t = twoTextureImage(W, H, 41, 60, 14);
  writeFileSync(join(dir, 'images/wide.png'), await sharp(Buffer.from(t.data), { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
  const [img] = store.insertImages([{ name: 'wide.png', file: 'images/wide.png', page: 0, hash: 'wide', width: W, height: H, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  store.close();
  const imageId = img!.id;
  const saved = process.env.GRAINLAB_WORKERS;
  const open = async (workers: string) => {
    // The learn worker (and so its thread count) starts with the service's first learn call.
    process.env.GRAINLAB_WORKERS = workers;
    const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
    await svc.call('project.open', { path: dir });
    return svc;
  };
  try {
    const one = await open('1');
    const classes = await one.call('classes.ensure', { count: 2 });
    // A few short strokes inside each texture, on both tiles.
    for (const [cls, c] of classes.entries()) {
      let added = 0;
      for (let y = 6; y < H - 6 && added < 12; y += 17) {
        for (let x = 8; x < W - 8 && added < 12; x += 7) {
          if ([-5, 0, 5].every((d) => t.classes[y * W + x + d] === cls)) {
            await one.call('learn.scribbles.add', { imageId, classId: c.id, radius: 2, points: [x - 5, y, x + 5, y] });
            added++;
            x += 90;
          }
        }
      }
    }
    await runToEnd(one, () => one.call('learn.train', { features: { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian'] } }));
    await runToEnd(one, () => one.call('learn.predict', { imageIds: [imageId] }));
    const a = (await one.call('segmentation.get', { imageId }))!;
    await one.dispose();

    const two = await open('2');
    await runToEnd(two, () => two.call('learn.predict', { imageIds: [imageId] }));
    const b = (await two.call('segmentation.get', { imageId }))!;
    assert.deepEqual(b.labels, a.labels);
    assert.deepEqual(b.segments.map((s) => [s.id, s.classId, s.area]), a.segments.map((s) => [s.id, s.classId, s.area]));
    // Right, not just equal: most pixels get their texture's class.
    const classOf = new Map(b.segments.map((s) => [s.id, s.classId]));
    let right = 0;
    for (let i = 0; i < W * H; i++) if (classOf.get(b.labels[i]!) === classes[t.classes[i]!]!.id) right++;
    assert.ok(right / (W * H) > 0.8, `accuracy ${right / (W * H)}`);

    // Cancelled at once: the job ends 'cancelled' and the saved result is the one before.
    const { jobId } = await two.call('learn.predict', { imageIds: [imageId], minArea: 500 });
    const ended = jobEnd(two, jobId);
    await two.call('jobs.cancel', { jobId });
    assert.equal((await ended).state, 'cancelled');
    const c = (await two.call('segmentation.get', { imageId }))!;
    assert.deepEqual(c.labels, b.labels);
    // The next prediction starts fresh threads and gives the same map again.
    await runToEnd(two, () => two.call('learn.predict', { imageIds: [imageId] }));
    assert.deepEqual((await two.call('segmentation.get', { imageId }))!.labels, a.labels);
    await two.dispose();
  } finally {
    if (saved === undefined) delete process.env.GRAINLAB_WORKERS;
    else process.env.GRAINLAB_WORKERS = saved;
  }
});
