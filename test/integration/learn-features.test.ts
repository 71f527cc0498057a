// The pixel classifier's feature set as a project setting and the per-image feature cache, through
// the real service and CLI: the chosen set is stored, used by training and reported; the cache is
// written by training, read by the retrain and live prediction, keyed by the recipe, and dropped
// with its image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, existsSync, truncateSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twoTextureImage } from '../../app/learn/synthetic';
import { FEATURE_KINDS } from '../../app/learn/features';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';
import { runCli } from '../../main/cli/index';
import { runToEnd } from './export-kit';

const W = 96;

async function project(images: number) {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-featset-')), 'proj');
  const store = ProjectStore.create(dir, 'featset test');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const truths: { imageId: number; classes: Uint8Array }[] = [];
  for (let n = 0; n < images; n++) {
    const t = twoTextureImage(W, W, 41 + n);
    const file = `images/tex-${n}.png`;
    writeFileSync(join(dir, file), await sharp(Buffer.from(t.data), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
    const [img] = store.insertImages([{ name: `tex-${n}.png`, file, page: 0, hash: `texhash${n}`, width: W, height: W, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
    truths.push({ imageId: img!.id, classes: t.classes });
  }
  store.close();
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await svc.call('project.open', { path: dir });
  const [matrix, discs] = await svc.call('classes.ensure', { count: 2 });
  // A few short strokes of each class through the middle of its true region.
  for (const { imageId, classes } of truths) {
    for (const [cls, classId] of [[0, matrix!.id], [1, discs!.id]] as const) {
      let added = 0;
      for (let y = 6; y < W - 6 && added < 4; y += 7) {
        for (let x = 6; x < W - 6 && added < 4; x += 3) {
          if ([-4, 0, 4].every((d) => classes[y * W + x + d] === cls)) {
            await svc.call('learn.scribbles.add', { imageId, classId, radius: 2, points: [x - 4, y, x + 4, y] });
            added++;
            x += 20;
          }
        }
      }
    }
  }
  return { dir, svc, truths };
}

const cacheFiles = (dir: string) => (existsSync(join(dir, 'cache', 'features')) ? readdirSync(join(dir, 'cache', 'features')).filter((f) => f.endsWith('.bin')).sort() : []);
/** The cache files once `n` are there: the worker writes them after it has replied, so a busy machine may still be writing. */
async function cacheFilesWhen(dir: string, n: number): Promise<string[]> {
  for (let i = 0; i < 200 && cacheFiles(dir).length < n; i++) await new Promise((r) => setTimeout(r, 100));
  return cacheFiles(dir);
}

test('the chosen feature set is stored in the project, used by training and reported; the cache follows the recipe and the images', async () => {
  const { dir, svc, truths } = await project(2);
  const def = await svc.call('learn.features', {});
  assert.equal(def.preset, 'Default');
  const chosen = await svc.call('learn.setFeatures', { sigmas: [3.5, 1], kinds: ['gauss', 'gradient', 'structure'] });
  assert.deepEqual([chosen.sigmas, chosen.kinds, chosen.preset], [[1, 3.5], ['gauss', 'gradient', 'structure'], null]);
  assert.match(chosen.summary, /gauss, gradient, structure × 2 scales \(1, 3\.5 px\), 8 maps/);
  await assert.rejects(svc.call('learn.setFeatures', { sigmas: [1], kinds: ['gauss', 'sobel' as never] }), /kinds/);
  // Reopening keeps it.
  await svc.call('project.close', {});
  await svc.call('project.open', { path: dir });
  assert.deepEqual((await svc.call('learn.features', {})).sigmas, [1, 3.5]);

  await runToEnd(svc, () => svc.call('learn.train', { autoContext: false }));
  const info = (await svc.call('learn.status', {}))!;
  assert.deepEqual(info.features, { sigmas: [1, 3.5], kinds: ['gauss', 'gradient', 'structure'] });
  const first = await cacheFilesWhen(dir, 2);
  assert.equal(first.length, 2, `one cache file per training image: ${first.join(', ')}`);
  assert.ok(first.every((f) => f.startsWith('texhash')));
  const bytes = statSync(join(dir, 'cache', 'features', first[0]!)).size;
  assert.equal(bytes, 16 + 8 * W * W * 4, 'float32 maps of the chosen set and a 16-byte header');

  // Live prediction of a trained image with and without its cached maps gives the same answer.
  const region = { imageId: truths[0]!.imageId, x: 8, y: 8, width: 64, height: 64 };
  const withCache = await svc.call('learn.predictRegion', region);
  truncateSync(join(dir, 'cache', 'features', first[0]!), 1000);
  await svc.call('project.close', {});
  await svc.call('project.open', { path: dir });
  const without = await svc.call('learn.predictRegion', region);
  assert.deepEqual(without.classes, withCache.classes);

  // Retraining with the same set reuses the files (the damaged one is written again); another set adds its own.
  await runToEnd(svc, () => svc.call('learn.train', { autoContext: false }));
  assert.deepEqual(await cacheFilesWhen(dir, 2), first);
  const sizeNow = () => statSync(join(dir, 'cache', 'features', first[0]!)).size;
  for (let i = 0; i < 200 && sizeNow() !== bytes; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sizeNow(), bytes, 'the truncated file was recomputed');
  await svc.call('learn.setFeatures', { sigmas: [1], kinds: ['gauss', 'log'] });
  await runToEnd(svc, () => svc.call('learn.train', { autoContext: false }));
  assert.deepEqual((await svc.call('learn.status', {}))!.features, { sigmas: [1], kinds: ['gauss', 'log'] });
  assert.equal((await cacheFilesWhen(dir, 4)).length, 4);

  // Batch prediction reads the cached maps (and writes none); the result equals computing them.
  const imageId = truths[0]!.imageId;
  const files = cacheFiles(dir).map((f) => join(dir, 'cache', 'features', f));
  for (const f of files) utimesSync(f, 1_000_000, 1_000_000);
  await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId] }));
  const used = files.filter((f) => statSync(f).mtimeMs > 1_000_000_000);
  assert.equal(used.length, 1, 'one file was read (its last use is now)');
  assert.match(used[0]!, /texhash0-0-/);
  const cached = (await svc.call('segmentation.get', { imageId }))!.labels;
  assert.equal(cacheFiles(dir).length, 4);
  process.env.GRAINLAB_FEATURE_CACHE_MB = '0';
  try {
    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId], keep: 'none' }));
  } finally {
    delete process.env.GRAINLAB_FEATURE_CACHE_MB;
  }
  assert.deepEqual((await svc.call('segmentation.get', { imageId }))!.labels, cached);

  // Removing an image removes its cached maps.
  await svc.call('images.remove', { ids: [truths[1]!.imageId] });
  const left = cacheFiles(dir);
  assert.equal(left.length, 2);
  assert.ok(left.every((f) => f.startsWith('texhash0-')), left.join(', '));
  await svc.dispose();
});

test('CLI: train --sigmas/--kinds uses the set given and reports it; bad values say what is allowed', async () => {
  const { dir, svc } = await project(1);
  await svc.dispose();
  const out: string[] = [];
  const errs: string[] = [];
  const log = console.log;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['train', dir, '--quiet', '--sigmas', '0.7,abc']), 1);
    assert.match(errs.join(''), /--sigmas: feature scale 'abc' is not a number: scales are numbers from 0\.3 to 64 px/);
    assert.equal(await runCli(['train', dir, '--quiet', '--kinds', 'gauss,sobel']), 1);
    assert.match(errs.join(''), new RegExp(`--kinds: unknown feature kind 'sobel': the kinds are ${FEATURE_KINDS.join(', ')}`));
    assert.equal(await runCli(['train', dir, '--quiet', '--preset', 'quick']), 1);
    assert.match(errs.join(''), /--preset: unknown preset 'quick'\. Use Default, Fast, All/);
    assert.equal(await runCli(['train', dir, '--quiet', '--no-auto-context', '--sigmas', '0.7,1,3.5', '--kinds', 'gauss,log,hessian', '--save-features']), 0);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  assert.ok(out.some((l) => /features: gauss, log, hessian × 3 scales \(0\.7, 1, 3\.5 px\), 12 maps/.test(l)), out.join('\n'));
  const check = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-user-')), binding: 'web' });
  await check.call('project.open', { path: dir });
  assert.deepEqual((await check.call('learn.features', {})).kinds, ['gauss', 'log', 'hessian'], '--save-features made it the project\'s');
  await check.dispose();
});
