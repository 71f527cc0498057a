import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { WorkerCache } from './worker-cache';

const doubler = () => new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m * 2))", { eval: true });
const ask = (w: Worker, n: number) => new Promise<number>((resolve) => w.once('message', resolve).postMessage(n));

test('a worker given back is handed out again; beyond the idle limit workers are ended', async () => {
  let started = 0;
  const cache = new WorkerCache(() => (started++, doubler()), () => 2);
  const a = cache.acquire();
  const b = cache.acquire();
  const c = cache.acquire();
  assert.equal(started, 3);
  assert.deepEqual(await Promise.all([ask(a, 1), ask(b, 2), ask(c, 3)]), [2, 4, 6]);
  const cEnded = new Promise((r) => c.once('exit', r));
  for (const w of [a, b, c]) cache.release(w);
  assert.equal(cache.idleCount, 2);
  await cEnded;
  const again = cache.acquire();
  assert.ok(again === a || again === b, 'an idle worker is reused');
  assert.equal(started, 3);
  assert.equal(await ask(again, 21), 42);
  cache.release(again);
  await cache.clear();
  assert.equal(cache.idleCount, 0);
});

test('an idle worker that exits is dropped, and idle workers end after the idle time', async () => {
  const cache = new WorkerCache(doubler, () => 4, 50);
  const a = cache.acquire();
  const b = cache.acquire();
  await Promise.all([ask(a, 1), ask(b, 1)]);
  cache.release(a);
  cache.release(b);
  await a.terminate();
  await new Promise((r) => setImmediate(r));
  assert.equal(cache.idleCount, 1);
  // Idle workers and their timers do not keep a process alive: this test does, until b ends.
  const alive = setInterval(() => {}, 10);
  await new Promise((r) => b.once('exit', r));
  clearInterval(alive);
  assert.equal(cache.idleCount, 0);
});
