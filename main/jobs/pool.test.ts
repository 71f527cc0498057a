import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '../../app/errors';
import { defaultPoolSize, failuresError, keptWorkerCount, runPool, serialized } from './pool';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('runs N tasks on at most M at once, every task once, results in input order', async () => {
  const items = Array.from({ length: 23 }, (_, i) => i);
  let running = 0;
  let peak = 0;
  const seen: number[] = [];
  const { results, failures } = await runPool(items, { size: 4, name: (i) => `img${i}.png` }, async (item) => {
    running++;
    peak = Math.max(peak, running);
    seen.push(item);
    await tick(1 + (item % 3));
    running--;
    return item * 10;
  });
  assert.equal(peak, 4);
  assert.deepEqual([...seen].sort((a, b) => a - b), items);
  assert.deepEqual(results, items.map((i) => i * 10));
  assert.deepEqual(failures, []);
});

test('a failing task is reported by its file name and the others still run', async () => {
  const names = ['a.png', 'broken.tif', 'c.png', 'd.png'];
  const { results, failures } = await runPool(names, { size: 2, name: (n) => n }, async (n) => {
    await tick(1);
    if (n === 'broken.tif') throw new ServiceError('bad-image', 'not a TIFF file: the header is damaged.');
    return n.toUpperCase();
  });
  assert.deepEqual(results, ['A.PNG', undefined, 'C.PNG', 'D.PNG']);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.index, 1);
  assert.equal(failures[0]!.message, 'broken.tif: not a TIFF file: the header is damaged.');
  const err = failuresError(failures, names.length, 'segmented');
  assert.match(err.message, /^1 of 4 image\(s\) could not be segmented; the others were\. broken\.tif: not a TIFF/);
});

test('a cancel starts nothing new, waits for the running tasks and says cancelled', async () => {
  const controller = new AbortController();
  const started: number[] = [];
  let running = 0;
  const done = runPool(Array.from({ length: 20 }, (_, i) => i), { size: 3, signal: controller.signal, name: String }, async (i) => {
    started.push(i);
    running++;
    if (started.length === 5) controller.abort();
    await tick(2);
    running--;
    return i;
  });
  await assert.rejects(done, (e: unknown) => e instanceof ServiceError && e.code === 'cancelled');
  assert.equal(running, 0, 'no task is still running when the pool says cancelled');
  assert.ok(started.length <= 7, `at most the running lanes finish their current task (${started.length} started)`);
});

test('serialized runs steps one at a time, also after one fails', async () => {
  const save = serialized();
  let inside = 0;
  let overlap = false;
  const step = (fail: boolean) =>
    save(async () => {
      inside++;
      if (inside > 1) overlap = true;
      await tick(1);
      inside--;
      if (fail) throw new Error('disk full');
      return 1;
    });
  const all = await Promise.allSettled([step(false), step(true), step(false), step(false)]);
  assert.equal(overlap, false);
  assert.deepEqual(all.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
});

test('the pool size comes from GRAINLAB_WORKERS, and a bad value is refused with what to do', () => {
  assert.equal(defaultPoolSize({ GRAINLAB_WORKERS: '3' }), 3);
  assert.ok(defaultPoolSize({}) >= 1);
  assert.throws(() => defaultPoolSize({ GRAINLAB_WORKERS: 'many' }), /GRAINLAB_WORKERS is 'many': give a whole number/);
});

test('kept workers follow the pool size, and a bad GRAINLAB_WORKERS keeps one instead of failing', () => {
  assert.equal(keptWorkerCount({ GRAINLAB_WORKERS: '3' }), 3);
  assert.equal(keptWorkerCount({ GRAINLAB_WORKERS: 'many' }), 1);
});
