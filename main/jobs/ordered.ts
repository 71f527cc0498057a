// Runs per-item work on several items at once but commits the results one at a time in item order,
// for outputs that must not depend on the number of workers (a dataset export is byte for byte
// the same with 1 or 16 workers). At most `size` items are in flight, prepared or waiting for their
// turn, so memory stays bounded. The first error (or a cancel) stops it: nothing new starts, the
// running preparations get an aborted signal, what was committed stays committed, and the error
// (or a 'cancelled' ServiceError) is thrown.
import { ServiceError } from '../../app/errors';

export interface OrderedOptions {
  /** Most items in flight (at least 1). */
  size: number;
  signal?: AbortSignal;
}

export async function runOrdered<T, P>(
  items: readonly T[],
  o: OrderedOptions,
  prepare: (item: T, index: number, signal: AbortSignal) => Promise<P>,
  commit: (prepared: P, item: T, index: number) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (o.signal?.aborted) stop.abort();
  else o.signal?.addEventListener('abort', onAbort);
  let next = 0;
  let committed = 0;
  let failed = false;
  let error: unknown = null;
  const waiting = new Map<number, () => void>();
  const wakeAll = () => {
    for (const w of waiting.values()) w();
    waiting.clear();
  };
  // After a failure or cancel nobody commits any more: a lane asking for its turn then gets it at once and stops.
  const turn = (i: number) => (i === committed || failed || stop.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(i, resolve)));
  const lane = async () => {
    while (!failed && !stop.signal.aborted && next < items.length) {
      const i = next++;
      try {
        const p = await prepare(items[i]!, i, stop.signal);
        await turn(i);
        if (failed || stop.signal.aborted) break;
        await commit(p, items[i]!, i);
        committed++;
        const w = waiting.get(committed);
        waiting.delete(committed);
        w?.();
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
        break;
      }
    }
    // A lane that stops lets the waiting ones see why and stop too.
    if (failed || stop.signal.aborted) {
      stop.abort();
      wakeAll();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.floor(o.size) || 1, items.length || 1)) }, lane));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  // A cancel that made a preparation fail is said as a cancel.
  if (o.signal?.aborted) throw failed && error instanceof ServiceError && error.code === 'cancelled' ? error : new ServiceError('cancelled', 'Cancelled.');
  if (failed) throw error;
}
