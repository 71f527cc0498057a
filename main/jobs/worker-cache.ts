// Keeps started worker threads of one kind for the next request, so a project of thousands of
// small images does not pay a thread start (and module load) per image. A worker goes back only
// after a clean reply; one that was cancelled, failed or crashed is terminated, as before. Idle
// workers never keep the process alive and end after a short idle time.
import type { Worker } from 'node:worker_threads';

export class WorkerCache {
  private readonly idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];

  constructor(
    private readonly start: () => Worker,
    private readonly maxIdle: () => number,
    private readonly idleMs = 3000,
  ) {}

  /** An idle worker, or a new one. The caller owns it until it gives it back or terminates it. */
  acquire(): Worker {
    const entry = this.idle.pop();
    if (entry) {
      clearTimeout(entry.timer);
      entry.worker.removeAllListeners('exit').removeAllListeners('error');
      entry.worker.ref();
      return entry.worker;
    }
    return this.start();
  }

  /** Takes back a worker that answered cleanly and has no listeners of its caller left. */
  release(worker: Worker): void {
    if (this.idle.length >= this.maxIdle()) {
      void worker.terminate();
      return;
    }
    worker.unref();
    const entry = {
      worker,
      timer: setTimeout(() => {
        this.drop(worker);
        void worker.terminate();
      }, this.idleMs),
    };
    entry.timer.unref();
    worker.once('exit', () => this.drop(worker));
    // An idle worker that fails is dropped (an 'error' event with no listener would end the process).
    worker.on('error', () => {
      this.drop(worker);
      void worker.terminate();
    });
    this.idle.push(entry);
  }

  /** Ends every idle worker now. */
  async clear(): Promise<void> {
    const all = this.idle.splice(0);
    await Promise.all(all.map((e) => (clearTimeout(e.timer), e.worker.terminate())));
  }

  get idleCount(): number {
    return this.idle.length;
  }

  private drop(worker: Worker): void {
    const i = this.idle.findIndex((e) => e.worker === worker);
    if (i >= 0) {
      clearTimeout(this.idle[i]!.timer);
      this.idle.splice(i, 1);
    }
  }
}
