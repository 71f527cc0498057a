// Runs many independent per-image tasks (each of which hands its CPU work to a worker thread) a few
// at a time, so segmenting, importing or exporting a big project uses every core. A task that
// fails is reported by the name of its image and the others go on; a cancel stops starting new
// tasks, lets the running ones end (they stop on the same signal) and then says 'cancelled'.
import { availableParallelism } from 'node:os';
import { ServiceError } from '../../app/errors';

/** Most tasks at once: GRAINLAB_WORKERS when set (1..256), else one per core. */
export function defaultPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GRAINLAB_WORKERS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new ServiceError('invalid-argument', `GRAINLAB_WORKERS is '${raw}': give a whole number of workers from 1 to 256, or unset it to use one per core.`);
    return n;
  }
  return Math.max(1, availableParallelism());
}

/**
 * How many started workers to keep for the next task (worker-cache.ts): one per pool lane. A bad
 * GRAINLAB_WORKERS is said where a pool is sized; keeping workers is not the place, so it keeps one.
 */
export function keptWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  try {
    return defaultPoolSize(env);
  } catch {
    return 1;
  }
}

export interface PoolFailure {
  index: number;
  /** The item's name (an image's file name), said first in `message`. */
  name: string;
  message: string;
  /** What the task threw. */
  error: unknown;
}

export interface PoolOutcome<R> {
  /** Each item's result in input order; undefined where it failed. */
  results: (R | undefined)[];
  failures: PoolFailure[];
}

export interface PoolOptions<T> {
  /** Most tasks running at once (at least 1). */
  size: number;
  signal?: AbortSignal;
  /** How a failure names its item. */
  name(item: T, index: number): string;
}

function isCancel(e: unknown): boolean {
  return e instanceof ServiceError && e.code === 'cancelled';
}

/**
 * Runs `task` on every item with at most `size` running at once. Results come back in input
 * order. A task's error is kept as a failure naming the item and the rest go on; a cancelled
 * signal (or a task's 'cancelled' error) stops the pool: nothing new starts, the running tasks
 * are awaited, and a 'cancelled' ServiceError is thrown.
 */
export async function runPool<T, R>(items: readonly T[], o: PoolOptions<T>, task: (item: T, index: number) => Promise<R>): Promise<PoolOutcome<R>> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  const failures: PoolFailure[] = [];
  let next = 0;
  let cancelled = false;
  let cancelError: unknown = null;
  const lane = async () => {
    while (!cancelled && next < items.length) {
      if (o.signal?.aborted) {
        cancelled = true;
        break;
      }
      const i = next++;
      const item = items[i]!;
      try {
        results[i] = await task(item, i);
      } catch (e) {
        if (isCancel(e) || o.signal?.aborted) {
          cancelled = true;
          if (isCancel(e)) cancelError ??= e;
          break;
        }
        const name = o.name(item, i);
        const message = e instanceof Error ? e.message : String(e);
        failures.push({ index: i, name, message: message.includes(name) ? message : `${name}: ${message}`, error: e });
      }
    }
  };
  const size = Math.max(1, Math.min(Math.floor(o.size) || 1, items.length || 1));
  await Promise.all(Array.from({ length: size }, lane));
  // A task's own 'cancelled' error says best what stopped and what was kept.
  if (cancelled) throw cancelError ?? new ServiceError('cancelled', 'Cancelled.');
  failures.sort((a, b) => a.index - b.index);
  return { results, failures };
}

/** One at a time: steps that write the project (saving a result) run in turn, in any order. */
export function serialized(): <R>(fn: () => Promise<R>) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return <R>(fn: () => Promise<R>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** One error for the failures of a pool run: how many, and the first few by name. */
export function failuresError(failures: readonly PoolFailure[], total: number, what: string): ServiceError {
  const shown = failures.slice(0, 5).map((f) => f.message);
  const more = failures.length > shown.length ? `; and ${failures.length - shown.length} more` : '';
  return new ServiceError('bad-image', `${failures.length} of ${total} image(s) could not be ${what}; the others were. ${shown.join('; ')}${more}`);
}
