import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from '../../app/errors';
import { runOrdered } from './ordered';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('prepares up to N at once and commits in item order, whatever order the preparations end in', async () => {
  const items = Array.from({ length: 17 }, (_, i) => i);
  let running = 0;
  let peak = 0;
  const committed: number[] = [];
  await runOrdered(
    items,
    { size: 4 },
    async (item) => {
      running++;
      peak = Math.max(peak, running);
      await tick(((item * 7) % 5) + 1); // later items often end first
      running--;
      return item * 10;
    },
    async (p, item, i) => {
      assert.equal(p, item * 10);
      assert.equal(i, item);
      committed.push(item);
    },
  );
  assert.deepEqual(committed, items);
  assert.ok(peak > 1 && peak <= 4, `peak ${peak}`);
});

test('a failure stops it: nothing after the failed item is committed, running preparations see the abort, the error is thrown', async () => {
  const committed: number[] = [];
  const aborted: number[] = [];
  const boom = new Error('img 5 is broken');
  await assert.rejects(
    runOrdered(
      Array.from({ length: 30 }, (_, i) => i),
      { size: 3 },
      async (item, _i, signal) => {
        await tick(item === 5 ? 15 : item === 6 ? 40 : 2);
        if (item === 5) throw boom;
        if (signal.aborted) aborted.push(item);
        return item;
      },
      async (p) => {
        committed.push(p);
      },
    ),
    (e) => e === boom,
  );
  assert.deepEqual(committed, [0, 1, 2, 3, 4]);
  assert.ok(aborted.includes(6), 'the preparation running beside the failure was told to stop');
});

test('a cancel stops starting items and throws cancelled; what was committed stays', async () => {
  const ac = new AbortController();
  const committed: number[] = [];
  let started = 0;
  await assert.rejects(
    runOrdered(
      Array.from({ length: 50 }, (_, i) => i),
      { size: 2, signal: ac.signal },
      async (item) => {
        started++;
        await tick(2);
        return item;
      },
      async (p) => {
        committed.push(p);
        if (p === 3) ac.abort();
      },
    ),
    (e) => e instanceof ServiceError && e.code === 'cancelled',
  );
  assert.deepEqual(committed, [0, 1, 2, 3]);
  assert.ok(started < 10, `started ${started}`);
});
