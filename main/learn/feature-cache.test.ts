import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeFeatures, featureCount, normalizedGrey, type FeatureSpec } from '../../app/learn/features';
import { predict, stretchGrey, train, type TrainOptions } from '../../app/learn/pipeline';
import { predictTiled } from '../../app/learn/predict-tiled';
import { twoTextureImage } from '../../app/learn/synthetic';
import { FeatureCache, featureCacheLimit, imageKey, recipeKey } from './feature-cache';

const w = 96;
const h = 80;
const spec: FeatureSpec = { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian'] };
const img = twoTextureImage(w, h, 3, 8, 12);
const grey = normalizedGrey({ width: w, height: h, channels: 1, bitDepth: 8, data: img.data } as never);
const labels = new Uint8Array(w * h);
for (let i = 0; i < w * h; i += 7) labels[i] = img.classes[i]! + 1;
const q: [number, number] = [0.02, 0.98];
const maps = () => computeFeatures(stretchGrey(grey, q), w, h, spec);
const count = featureCount(spec) * w * h;
const dir = () => join(mkdtempSync(join(tmpdir(), 'gl-fcache-')), 'cache', 'features');
const recipe = recipeKey({ features: spec, greyQuantiles: q, width: w, height: h });
const image = imageKey({ hash: 'abc123', page: 0 });

/** A bank hook backed by the cache, as the learn worker makes it. */
function hook(cache: FeatureCache): NonNullable<TrainOptions['bank']> {
  return (_k, gq, compute) => {
    const r = recipeKey({ features: spec, greyQuantiles: gq, width: w, height: h });
    const hit = cache.get(image, r, count);
    if (hit) return hit;
    const m = compute();
    cache.put(image, r, m);
    return m;
  };
}

test('a cache hit gives the same maps, the same classifier and the same prediction', () => {
  const cache = new FeatureCache(dir(), 64 * 1024 * 1024);
  const opts = { features: spec, nClasses: 2, forest: { trees: 6 } };
  const plain = train([{ grey, width: w, height: h, labels }], opts);
  const first = train([{ grey, width: w, height: h, labels }], { ...opts, bank: hook(cache) });
  assert.deepEqual(cache.stats, { hits: 0, misses: 1, writes: 1, evicted: 0, damaged: 0 });
  const second = train([{ grey, width: w, height: h, labels }], { ...opts, bank: hook(cache) });
  assert.equal(cache.stats.hits, 1, 'the retrain read the cached maps');
  assert.deepEqual(cache.get(image, recipe, count), maps());
  assert.deepEqual(second.stage1, plain.stage1);
  assert.deepEqual(first.stage2, plain.stage2);
  assert.deepEqual(second.stage2, plain.stage2);
  const p0 = predict(plain, grey, w, h);
  const p1 = predict(second, grey, w, h, { bank: (_q, compute) => cache.get(image, recipe, count) ?? compute() });
  assert.deepEqual(p1, p0);
});

test('tiled prediction from cached maps equals computing them', async () => {
  const clf = train([{ grey, width: w, height: h, labels }], { features: spec, nClasses: 2, forest: { trees: 4 } });
  const a = await predictTiled(clf, grey, w, h);
  const b = await predictTiled(clf, grey, w, h, undefined, { maps: maps() });
  assert.deepEqual(b, a);
  await assert.rejects(predictTiled(clf, grey, w, h, undefined, { maps: new Float32Array(5) }), /cached feature maps hold 5 values/);
});

test('a changed recipe or image misses', () => {
  const cache = new FeatureCache(dir(), 64 * 1024 * 1024);
  cache.put(image, recipe, maps());
  assert.ok(cache.get(image, recipe, count));
  const others = [
    recipeKey({ features: { ...spec, sigmas: [0.7, 1.6] }, greyQuantiles: q, width: w, height: h }),
    recipeKey({ features: { ...spec, kinds: ['gauss'] }, greyQuantiles: q, width: w, height: h }),
    recipeKey({ features: { ...spec, kinds: [...spec.kinds, 'tophat'] }, greyQuantiles: q, width: w, height: h }),
    recipeKey({ features: spec, greyQuantiles: [0.01, 0.99], width: w, height: h }),
    recipeKey({ features: spec, greyQuantiles: q, width: h, height: w }),
  ];
  assert.equal(new Set([recipe, ...others]).size, 6);
  // The same set given in another order is the same recipe.
  assert.equal(recipeKey({ features: { sigmas: [3.5, 0.7, 1.6], kinds: ['hessian', 'gauss', 'gradient'] }, greyQuantiles: q, width: w, height: h }), recipe);
  for (const r of others) assert.equal(cache.get(image, r, count), null);
  assert.equal(cache.get(imageKey({ hash: 'abc124', page: 0 }), recipe, count), null);
  assert.equal(cache.get(imageKey({ hash: 'abc123', page: 1 }), recipe, count), null);
});

test('a truncated or damaged file is recomputed, not an error', async () => {
  const cache = new FeatureCache(dir(), 64 * 1024 * 1024);
  cache.put(image, recipe, maps());
  const file = cache.fileOf(image, recipe);
  truncateSync(file, statSync(file).size - 100);
  assert.equal(await cache.read(image, recipe, count), null, 'async read refuses it too');
  assert.equal(cache.get(image, recipe, count), null);
  assert.equal(cache.stats.damaged, 2);
  assert.deepEqual(readdirSync(cache.dir), [], 'the damaged file is removed');
  // Flipped bytes in the middle: the checksum catches them.
  cache.put(image, recipe, maps());
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(file, bytes);
  const opts = { features: spec, nClasses: 2, forest: { trees: 4 } };
  const clf = train([{ grey, width: w, height: h, labels }], { ...opts, bank: hook(cache) });
  assert.deepEqual(clf.stage1, train([{ grey, width: w, height: h, labels }], opts).stage1);
  assert.deepEqual(cache.get(image, recipe, count), maps(), 'the recomputed maps were written back');
  assert.deepEqual(await cache.read(image, recipe, count), maps());
  // Writes leave no temp files behind.
  assert.deepEqual(readdirSync(cache.dir).filter((f) => !f.endsWith('.bin')), []);
});

test('the size bound evicts the least recently used files', () => {
  const one = 16 + count * 4;
  const cache = new FeatureCache(dir(), Math.floor(2.5 * one));
  const m = maps();
  const keys = ['a-0', 'b-0', 'c-0'];
  const t0 = Date.now() / 1000 - 100;
  cache.put(keys[0]!, recipe, m);
  utimesSync(cache.fileOf(keys[0]!, recipe), t0, t0);
  cache.put(keys[1]!, recipe, m);
  utimesSync(cache.fileOf(keys[1]!, recipe), t0 + 10, t0 + 10);
  // Using a makes b the least recently used.
  assert.ok(cache.get(keys[0]!, recipe, count));
  cache.put(keys[2]!, recipe, m);
  assert.equal(cache.stats.evicted, 1);
  assert.deepEqual(readdirSync(cache.dir).sort(), [`a-0-${recipe}.bin`, `c-0-${recipe}.bin`]);
  assert.ok(cache.size() <= cache.limitBytes);
  // A temp file left by an interrupted write goes once stale; a fresh one (a write under way) stays.
  writeFileSync(join(cache.dir, 'x-0-r.bin.1.a.tmp'), 'partial');
  utimesSync(join(cache.dir, 'x-0-r.bin.1.a.tmp'), t0 - 3600, t0 - 3600);
  writeFileSync(join(cache.dir, 'y-0-r.bin.1.b.tmp'), 'partial');
  cache.trim();
  assert.deepEqual(readdirSync(cache.dir).filter((f) => f.endsWith('.tmp')), ['y-0-r.bin.1.b.tmp']);
  rmSync(join(cache.dir, 'y-0-r.bin.1.b.tmp'));
  // Removing an image's files: everything not kept goes.
  assert.equal(cache.prune(new Set(['c-0'])), 1);
  assert.deepEqual(readdirSync(cache.dir), [`c-0-${recipe}.bin`]);
});

test('GRAINLAB_FEATURE_CACHE_MB sets the bound; 0 turns the cache off', () => {
  assert.equal(featureCacheLimit({}), 2048 * 1024 * 1024);
  assert.equal(featureCacheLimit({ GRAINLAB_FEATURE_CACHE_MB: '10' }), 10 * 1024 * 1024);
  assert.equal(featureCacheLimit({ GRAINLAB_FEATURE_CACHE_MB: 'lots' }), 2048 * 1024 * 1024);
  const off = new FeatureCache(dir(), featureCacheLimit({ GRAINLAB_FEATURE_CACHE_MB: '0' }));
  off.put(image, recipe, maps());
  assert.equal(off.get(image, recipe, count), null);
  assert.equal(off.stats.writes, 0);
});
