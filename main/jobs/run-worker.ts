// Runs one request in a worker (a kept one for classic requests, else a fresh one) (segment.worker for auto-segmentation, cluster.worker for
// clustering work) and waits for its result, with progress, and the SAM engine calls of the SAM
// pipeline served from this thread; aborting the signal terminates the worker at once. The runner
// of each job kind is its own module: classic-runner.ts, sam-auto-runner.ts, cluster-runner.ts.
import { spawnWorker } from './spawn-worker';
import { WorkerCache } from './worker-cache';
import { keptWorkerCount } from './pool';
import { ServiceError, isServiceErrorData } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import { toErrorData } from '../../app/errors';
import { transferList } from '../sam/protocol';
import type { SamDecodeResult } from '../sam/runtime';
import type { PreprocessOptions } from '../sam/preprocess';
import type { Box } from '../../app/types';
import type { SamAutoEmbedded, SamAutoRun } from './sam-auto';
import type { ClassicResult } from './classic-runner';
import type { RpcCall, RpcReply, SegmentMessage, SegmentRequest } from './segment.worker';

/** The SAM engine as the worker's pipeline needs it, served on this thread. */
export interface SamEngineCalls {
  embed(crop: Box, layer: number, index: number, raster: RasterImage, preprocess: PreprocessOptions): Promise<SamAutoEmbedded>;
  decode(handle: string, prompts: Extract<RpcCall, { call: 'decode' }>['prompts'], options: Extract<RpcCall, { call: 'decode' }>['options']): Promise<SamDecodeResult[]>;
}

/** Started segment workers kept for the next classic request, up to one per pool lane. */
const classicWorkers = new WorkerCache(
  () => spawnWorker(import.meta.url, 'segment.worker'),
  () => keptWorkerCount(),
);

export function runInWorker(
  req: SegmentRequest,
  signal: AbortSignal,
  onProgress: ((fraction: number, stage: string) => void) | undefined,
  engine: SamEngineCalls | null,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ServiceError('cancelled', 'Segmentation was cancelled.'));
    // Classic requests reuse a started segment worker (worker-cache.ts): small images would otherwise cost a thread start each.
    const reusable = req.kind === 'classic' || req.kind === 'propagate';
    const worker = reusable ? classicWorkers.acquire() : spawnWorker(import.meta.url, req.kind === 'sam-auto' ? 'segment.worker' : 'cluster.worker');
    let settled = false;
    const finish = (fn: () => void, clean = false) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      worker.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
      if (reusable && clean) classicWorkers.release(worker);
      else void worker.terminate();
      fn();
    };
    const onAbort = () => finish(() => reject(new ServiceError('cancelled', 'Segmentation was cancelled.')));
    signal.addEventListener('abort', onAbort);
    const reply = (r: RpcReply, transfer: ArrayBuffer[] = []) => {
      // A reply after the end (cancel) has nobody to go to.
      if (!settled) worker.postMessage(r, transfer);
    };
    const serve = async (id: number, call: RpcCall) => {
      try {
        if (engine === null) throw new ServiceError('internal', 'No SAM engine for this segmentation.');
        if (call.call === 'embed') {
          reply({ kind: 'rpc-reply', id, ok: true, value: await engine.embed(call.crop, call.layer, call.index, call.raster, call.preprocess) });
        } else {
          const results = await engine.decode(call.handle, call.prompts, call.options);
          reply({ kind: 'rpc-reply', id, ok: true, value: results }, transferList(results.flatMap((r) => [r.masks, r.lowRes, r.iou])));
        }
      } catch (e) {
        reply({ kind: 'rpc-reply', id, ok: false, error: toErrorData(e) });
      }
    };
    worker.on('message', (m: SegmentMessage) => {
      if (m.type === 'progress') onProgress?.(m.done / Math.max(1, m.total), m.stage);
      else if (m.type === 'rpc') {
        const { type: _t, id, ...call } = m;
        void serve(id, call as RpcCall);
      } else if (m.type !== 'error') {
        finish(() => resolve(m), true);
      } else {
        const err = m.error && isServiceErrorData(m.error) && m.error.code !== 'internal' ? ServiceError.fromData(m.error) : new ServiceError('internal', `Segmentation failed: ${m.message}`);
        finish(() => reject(err));
      }
    });
    worker.on('error', (e) => finish(() => reject(new ServiceError('internal', `Segmentation worker failed: ${e.message}`))));
    worker.on('exit', (code) => finish(() => reject(new ServiceError('internal', `Segmentation worker stopped unexpectedly (exit code ${code}).`))));
    // A raster is handed over (the caller made it for this run); features get copies of what the caller keeps.
    worker.postMessage(req, req.kind === 'classic' || req.kind === 'sam-auto' ? [req.raster.data.buffer as ArrayBuffer] : []);
  });
}

/** The worker's final message (its result); which one depends on the request. */
type Reply = Exclude<SegmentMessage, { type: 'progress' | 'rpc' | 'error' }>;

export function expect<T extends Reply['type']>(m: Reply, type: T): Extract<Reply, { type: T }> {
  if (m.type !== type) throw new ServiceError('internal', `The worker answered '${m.type}' where '${type}' was asked for.`);
  return m as Extract<Reply, { type: T }>;
}

export function segmentation(m: Reply): ClassicResult & { run?: SamAutoRun } {
  const r = expect(m, 'result');
  return { labels: { width: r.width, height: r.height, data: r.labels }, stats: r.stats, ...(r.sam ? { run: r.sam } : {}), ...(r.classic ? { classic: r.classic } : {}) };
}

