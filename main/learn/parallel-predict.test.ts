import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedGrey, DEFAULT_FEATURES } from '../../app/learn/features';
import { argmaxClasses, train } from '../../app/learn/pipeline';
import { predictTiled } from '../../app/learn/predict-tiled';
import { twoTextureImage } from '../../app/learn/synthetic';
import { endPredictionThreads, predictParallel, predictionThreads } from './parallel-predict';
import { spawnWorker } from '../jobs/spawn-worker';

after(() => endPredictionThreads());

function texture(w: number, h: number, seed: number) {
  const s = twoTextureImage(w, h, seed, Math.round((w * h) / 2500), 14);
  return { ...s, grey: normalizedGrey({ width: w, height: h, channels: 1, bitDepth: 8, data: s.data } as never) };
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

// Small tiles (as 1024-pixel tiles of a big image) keep the test quick: 5 x 4 tiles of 96 px.
const w = 450;
const h = 330;
const tile = 96;
const img = texture(w, h, 21);
const labels = new Uint8Array(w * h);
for (let i = 0; i < labels.length; i += 37) labels[i] = img.classes[i]! + 1;
const clf = train([{ grey: img.grey, width: w, height: h, labels }], { features: DEFAULT_FEATURES, nClasses: 2, forest: { trees: 12 } });

test('tiles shared among 2 and 3 threads give bit-identical probabilities and label maps to one thread', async () => {
  for (const firstStageOnly of [false, true]) {
    const one = await predictTiled(clf, img.grey, w, h, undefined, { tile, firstStageOnly });
    for (const workers of [2, 3]) {
      let ticks = 0;
      const r = await predictParallel(clf, img.grey, w, h, { workers, tile, firstStageOnly, engine: 'js', onTile: () => ticks++ });
      assert.ok(same(r.probs, one), `${workers} threads${firstStageOnly ? ', first stage' : ''}: probabilities differ`);
      assert.deepEqual(argmaxClasses(r.probs, 2, w * h), argmaxClasses(one, 2, w * h));
      assert.equal(ticks, 20 * (firstStageOnly ? 1 : 2));
      assert.equal(r.engine, 'js');
    }
  }
  // Features recomputed for stage 2 (too big to keep) give the same values too.
  const recomputed = await predictParallel(clf, img.grey, w, h, { workers: 2, tile, keepBytes: 0, engine: 'js' });
  assert.ok(same(recomputed.probs, await predictTiled(clf, img.grey, w, h, undefined, { tile })));
  // The result is right, not just equal: most pixels get their texture's class.
  const cls = argmaxClasses(recomputed.probs, 2, w * h);
  const right = cls.reduce((a, c, i) => a + (c === img.classes[i] ? 1 : 0), 0);
  assert.ok(right / (w * h) > 0.8, `accuracy ${right / (w * h)}`);
});

test('extra maps are shared with the threads; a wrong count is said', async () => {
  const n = w * h;
  const extra = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    extra[i] = img.classes[i]! + 0.1 * Math.sin(i);
    extra[n + i] = (i % w) / w;
  }
  const c2 = train([{ grey: img.grey, width: w, height: h, labels, extra }], { features: DEFAULT_FEATURES, nClasses: 2, forest: { trees: 8 } });
  const one = await predictTiled(c2, img.grey, w, h, undefined, { tile, extra });
  const r = await predictParallel(c2, img.grey, w, h, { workers: 2, tile, extra, engine: 'js' });
  assert.ok(same(r.probs, one));
  await assert.rejects(predictParallel(c2, img.grey, w, h, { workers: 2, tile, engine: 'js' }), /needs 2 extra feature maps/);
});

test('a cancel ends every thread and rejects; the next prediction starts fresh ones', async () => {
  const ac = new AbortController();
  let ticks = 0;
  const run = predictParallel(clf, img.grey, w, h, {
    workers: 2,
    tile,
    engine: 'js',
    signal: ac.signal,
    onTile: () => {
      if (++ticks === 3) ac.abort();
    },
  });
  await assert.rejects(run, /Cancelled/);
  assert.ok(ticks < 40, `${ticks} tiles ran`);
  assert.equal(predictionThreads(), 0);
  const again = await predictParallel(clf, img.grey, w, h, { workers: 2, tile, engine: 'js' });
  assert.ok(same(again.probs, await predictTiled(clf, img.grey, w, h, undefined, { tile })));
  assert.equal(predictionThreads(), 2);
});

test('the learn worker shares a big image\'s 1024-pixel tiles among its threads: same probabilities with 1 and 2 workers', async () => {
  const W = 1100;
  const H = 200;
  const big = texture(W, H, 22);
  const worker = spawnWorker(import.meta.url, 'learn.worker');
  try {
    const ask = (workers: number) =>
      new Promise<{ probs: Float32Array; workers?: number }>((resolve, reject) => {
        worker.once('message', (m: { ok: boolean; message?: string; probs: Float32Array; workers?: number }) => (m.ok ? resolve(m) : reject(new Error(m.message))));
        worker.postMessage({ id: workers, op: 'predict', classifier: clf, grey: big.grey, width: W, height: H, engine: 'js', workers });
      });
    const one = await ask(1);
    const two = await ask(2);
    assert.equal(one.workers, undefined);
    assert.equal(two.workers, 2);
    assert.ok(same(one.probs, two.probs));
    assert.ok(same(one.probs, await predictTiled(clf, big.grey, W, H)));
  } finally {
    await worker.terminate();
  }
});
