// Hands the per-image work of a dataset export (items.ts) to started export workers, kept for the
// next image like the segment workers (main/jobs/worker-cache.ts). Aborting ends the worker at once.
import { spawnWorker } from '../jobs/spawn-worker';
import { WorkerCache } from '../jobs/worker-cache';
import { keptWorkerCount } from '../jobs/pool';
import { ServiceError, isServiceErrorData } from '../../app/errors';
import type { PrepareRequest, PreparedImage } from './items';
import type { ExportWorkerReply } from './export.worker';

const workers = new WorkerCache(
  () => spawnWorker(import.meta.url, 'export.worker'),
  () => keptWorkerCount(),
);

/**
 * Prepares one image in an export worker. With `handOver` the request's label map is moved to the
 * worker (not copied) and unusable here afterwards: only for a map nobody else holds.
 */
export function prepareInWorker(req: PrepareRequest, signal: AbortSignal, handOver: boolean): Promise<PreparedImage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ServiceError('cancelled', 'Export cancelled.'));
    const worker = workers.acquire();
    let settled = false;
    const finish = (fn: () => void, clean = false) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
      if (clean) workers.release(worker);
      else void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new ServiceError('cancelled', 'Export cancelled.')));
    signal.addEventListener('abort', onAbort);
    worker.on('message', (m: ExportWorkerReply) => {
      if (m.type === 'prepared') finish(() => resolve(m.value), true);
      else finish(() => reject(isServiceErrorData(m.error) && m.error.code !== 'internal' ? ServiceError.fromData(m.error) : new ServiceError('internal', `Export of ${req.image.name} failed: ${m.message}`)), true);
    });
    worker.on('error', (e) => finish(() => reject(new ServiceError('internal', `Export worker failed on ${req.image.name}: ${e.message}`))));
    worker.on('exit', (code) => finish(() => reject(new ServiceError('internal', `Export worker stopped unexpectedly on ${req.image.name} (exit code ${code}).`))));
    const buf = req.labels.data.buffer;
    worker.postMessage(req, handOver && buf instanceof ArrayBuffer && req.labels.data.byteLength === buf.byteLength ? [buf] : []);
  });
}
