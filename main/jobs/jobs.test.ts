// What a finished job's card says: its summary when the job sent one with the work complete, not
// the name of the last step it passed on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProgressEvent } from '../../app/contract';
import { JobManager } from './jobs';

async function finalEvent(body: (p: (done: number, message?: string) => void) => void, total = 10): Promise<ProgressEvent> {
  const events: ProgressEvent[] = [];
  const jobs = new JobManager((e) => events.push(e));
  const id = jobs.start('Work', total, async (ctx) => body(ctx.progress));
  await jobs.wait(id);
  return events.at(-1)!;
}

test('a step name sent on the way does not stay on the finished job', async () => {
  const e = await finalEvent((p) => {
    p(2, 'first stage');
    p(7, 'second stage');
  });
  assert.equal(e.state, 'done');
  assert.equal(e.done, 10);
  assert.equal(e.message, undefined);
});

test('a summary sent with the work complete stays on the finished job', async () => {
  const e = await finalEvent((p) => {
    p(7, 'second stage');
    p(10, '3 files written');
  });
  assert.equal(e.state, 'done');
  assert.equal(e.message, '3 files written');
});

test('a failed job keeps its error as its message', async () => {
  const events: ProgressEvent[] = [];
  const jobs = new JobManager((ev) => events.push(ev));
  const id = jobs.start('Work', 4, async (ctx) => {
    ctx.progress(1, 'reading');
    throw new Error('disk on fire');
  });
  await jobs.wait(id);
  const e = events.at(-1)!;
  assert.equal(e.state, 'failed');
  assert.match(e.message ?? '', /disk on fire/);
});
