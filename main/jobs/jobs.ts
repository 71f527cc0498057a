// Long-running work with progress events and cancellation. A job runs async on the service's
// thread and hands CPU-heavy steps to workers; its progress reaches the UI as onDidProgress events.
import { randomUUID } from 'node:crypto';
import { toErrorData, ServiceError } from '../../app/errors';
import { storageError } from '../fs/storage-errors';
import type { ProgressEvent } from '../../app/contract';
import { callerSignal } from './call-context';

export interface JobContext {
  signal: AbortSignal;
  /** Report progress: `done` of `total` units, with an optional message. */
  progress(done: number, message?: string): void;
}

export class JobManager {
  private readonly running = new Map<string, { controller: AbortController; promise: Promise<void> }>();

  constructor(private readonly emit: (e: ProgressEvent) => void) {}

  start(title: string, total: number, body: (ctx: JobContext) => Promise<void>): string {
    const jobId = randomUUID();
    const controller = new AbortController();
    // A job started for a caller that goes away (its WebSocket closed) is cancelled with it.
    const caller = callerSignal();
    const stop = () => controller.abort();
    if (caller?.aborted) controller.abort();
    else caller?.addEventListener('abort', stop, { once: true });
    let last: ProgressEvent = { jobId, title, done: 0, total, state: 'running' };
    let lastSent = 0;
    const send = (e: ProgressEvent, force = false) => {
      last = e;
      const now = Date.now();
      // Throttle to ~20 events/s: progress bars need no more, and sockets stay quiet.
      if (force || now - lastSent >= 50) {
        lastSent = now;
        this.emit(e);
      }
    };
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (done, message) => send({ jobId, title, done, total, state: 'running', ...(message ? { message } : {}) }),
    };
    send(last, true);
    const promise = (async () => {
      try {
        await body(ctx);
        // A message sent with the work complete is the job's summary and stays; a step's name
        // ("second stage") sent on the way would read as if the job were still there.
        const { message, ...rest } = last;
        const summary = last.done >= total && message ? { message } : {};
        send({ ...rest, ...summary, done: total, state: controller.signal.aborted ? 'cancelled' : 'done' }, true);
      } catch (e) {
        const cancelled = controller.signal.aborted || (e instanceof ServiceError && e.code === 'cancelled');
        const err = toErrorData(storageError(e, null) ?? e);
        send(cancelled ? { ...last, state: 'cancelled', message: 'Cancelled' } : { ...last, state: 'failed', error: err, message: err.message }, true);
      } finally {
        caller?.removeEventListener('abort', stop);
        this.running.delete(jobId);
      }
    })();
    this.running.set(jobId, { controller, promise });
    return jobId;
  }

  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  /** Waits for a job to end (tests and the CLI). */
  async wait(jobId: string): Promise<void> {
    await this.running.get(jobId)?.promise;
  }

  async cancelAll(): Promise<void> {
    const all = [...this.running.values()];
    all.forEach((j) => j.controller.abort());
    await Promise.all(all.map((j) => j.promise));
  }
}
