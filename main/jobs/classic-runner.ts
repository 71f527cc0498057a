// Runs one auto-segmentation (classic, or the SAM pipeline with its engine calls served from this
// thread) in a fresh segment worker, or a piece of a large image's clustering work in a fresh
// cluster worker; aborting the signal terminates the worker at once.
import { spawnWorker } from './spawn-worker';
import { WorkerCache } from './worker-cache';
import { defaultPoolSize } from './pool';
import { ServiceError, isServiceErrorData } from '../../app/errors';
import type { ClassicOptions } from '../../app/contract';
import type { SamAutoOptions } from '../../app/contract/sam';
import type { GreyImage, LabelMap, RasterImage } from '../../app/types';
import type { AutoKOptions, AutoKResult, FeatureMatrix, FeatureOptions, PhaseMap, PhaseMapOptions, Points } from '../../app/cluster';
import type { SegmentStats } from '../../app/labelmap';
import { toErrorData } from '../../app/errors';
import { transferList } from '../sam/protocol';
import type { SamDecodeResult } from '../sam/runtime';
import type { PreprocessOptions } from '../sam/preprocess';
import type { Box } from '../../app/types';
import type { SamAutoEmbedded, SamAutoRun } from './sam-auto';
import type { ClassicDetail, RpcCall, RpcReply, SegmentMessage, SegmentRequest } from './segment.worker';

export interface ClassicResult {
  labels: LabelMap;
  stats: SegmentStats[];
  /** Classic engine only: the thresholds and boundary style it chose. */
  classic?: ClassicDetail;
}

export interface SamAutoWorkerResult extends ClassicResult {
  run: SamAutoRun;
}

/** The SAM engine as the worker's pipeline needs it, served on this thread. */
export interface SamEngineCalls {
  embed(crop: Box, layer: number, index: number, raster: RasterImage, preprocess: PreprocessOptions): Promise<SamAutoEmbedded>;
  decode(handle: string, prompts: Extract<RpcCall, { call: 'decode' }>['prompts'], options: Extract<RpcCall, { call: 'decode' }>['options']): Promise<SamDecodeResult[]>;
}

/** Started segment workers kept for the next classic request, up to one per pool lane. */
const classicWorkers = new WorkerCache(
  () => spawnWorker(import.meta.url, 'segment.worker'),
  () => {
    try {
      return defaultPoolSize();
    } catch {
      return 1; // a bad GRAINLAB_WORKERS is said where a pool is sized; keeping workers is not the place
    }
  },
);

function runInWorker(
  req: SegmentRequest,
  signal: AbortSignal,
  onProgress: ((fraction: number, stage: string) => void) | undefined,
  engine: SamEngineCalls | null,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ServiceError('cancelled', 'Segmentation was cancelled.'));
    // Classic requests reuse a started segment worker (worker-cache.ts): small images would otherwise cost a thread start each.
    const reusable = req.kind === 'classic';
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

function expect<T extends Reply['type']>(m: Reply, type: T): Extract<Reply, { type: T }> {
  if (m.type !== type) throw new ServiceError('internal', `The worker answered '${m.type}' where '${type}' was asked for.`);
  return m as Extract<Reply, { type: T }>;
}

function segmentation(m: Reply): ClassicResult & { run?: SamAutoRun } {
  const r = expect(m, 'result');
  return { labels: { width: r.width, height: r.height, data: r.labels }, stats: r.stats, ...(r.sam ? { run: r.sam } : {}), ...(r.classic ? { classic: r.classic } : {}) };
}

export async function runClassicInWorker(raster: RasterImage, options: ClassicOptions, signal: AbortSignal, onProgress?: (fraction: number, stage: string) => void): Promise<ClassicResult> {
  const { labels, stats, classic } = segmentation(await runInWorker({ kind: 'classic', raster, options }, signal, onProgress, null));
  return { labels, stats, ...(classic ? { classic } : {}) };
}

const never = new AbortController().signal;

/** Segment features (app/cluster) computed in a worker: the same result as segmentFeatures, off this thread. */
export async function featuresInWorker(grey: GreyImage, labels: LabelMap, options: FeatureOptions, signal = never): Promise<FeatureMatrix> {
  return expect(await runInWorker({ kind: 'features', grey, labels, options }, signal, undefined, null), 'features').matrix;
}

/** k-means (app/cluster) in a worker: with k 'auto', autoKMeans; else kmeansCluster with no scores. Same results as on this thread. */
export async function kmeansInWorker(points: Points, k: number | 'auto', options: AutoKOptions, signal = never): Promise<AutoKResult> {
  return expect(await runInWorker({ kind: 'kmeans', points, k, options }, signal, undefined, null), 'kmeans').clustering;
}

/** A pixel k-means phase map (app/cluster phaseMap) made in a worker; cancelling terminates it. */
export async function phaseMapInWorker(grey: GreyImage, options: PhaseMapOptions, signal: AbortSignal): Promise<PhaseMap> {
  return expect(await runInWorker({ kind: 'phase-map', grey, options }, signal, undefined, null), 'phase-map').map;
}

/** SAM auto-segmentation of one image in the worker; `engine` serves its embed/decode calls. */
export async function runSamAutoInWorker(
  raster: RasterImage,
  options: SamAutoOptions,
  name: string,
  engine: SamEngineCalls,
  signal: AbortSignal,
  onProgress?: (fraction: number, stage: string) => void,
): Promise<SamAutoWorkerResult> {
  const r = segmentation(await runInWorker({ kind: 'sam-auto', raster, options, name }, signal, onProgress, engine));
  if (r.run === undefined) throw new ServiceError('internal', 'The SAM segmentation returned no statistics.');
  return { labels: r.labels, stats: r.stats, run: r.run };
}
