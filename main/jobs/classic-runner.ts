// Runs one auto-segmentation (classic, or the SAM pipeline with its engine calls served from this
// thread), or the segment features of a large image, in a fresh worker; aborting the signal
// terminates the worker at once.
import { spawnWorker } from './spawn-worker';
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
import type { SamAutoRun } from './sam-auto';
import type { RpcCall, RpcReply, SegmentMessage, SegmentRequest } from './segment.worker';

export interface ClassicResult {
  labels: LabelMap;
  stats: SegmentStats[];
}

export interface SamAutoWorkerResult extends ClassicResult {
  run: SamAutoRun;
}

/** The SAM engine as the worker's pipeline needs it, served on this thread. */
export interface SamEngineCalls {
  embed(crop: Box, layer: number, index: number, raster: RasterImage, preprocess: PreprocessOptions): Promise<{ handle: string; encoded: boolean }>;
  decode(handle: string, prompts: Extract<RpcCall, { call: 'decode' }>['prompts'], options: Extract<RpcCall, { call: 'decode' }>['options']): Promise<SamDecodeResult[]>;
}

function runInWorker(
  req: SegmentRequest,
  signal: AbortSignal,
  onProgress: ((fraction: number, stage: string) => void) | undefined,
  engine: SamEngineCalls | null,
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ServiceError('cancelled', 'Segmentation was cancelled.'));
    const worker = spawnWorker(import.meta.url, req.kind === 'classic' || req.kind === 'sam-auto' ? 'segment.worker' : 'cluster.worker');
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
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
      } else if (m.type === 'result') {
        finish(() => resolve({ labels: { width: m.width, height: m.height, data: m.labels }, stats: m.stats, ...(m.sam ? { run: m.sam } : {}) }));
      } else if (m.type === 'features') {
        finish(() => resolve({ matrix: m.matrix }));
      } else if (m.type === 'kmeans') {
        finish(() => resolve({ clustering: m.clustering }));
      } else if (m.type === 'phase-map') {
        finish(() => resolve({ phaseMap: m.map }));
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

type SegmentationResult = { labels: LabelMap; stats: SegmentStats[]; run?: SamAutoRun };
type WorkerResult = SegmentationResult | { matrix: FeatureMatrix } | { clustering: AutoKResult } | { phaseMap: PhaseMap };

function segmentation(r: WorkerResult): SegmentationResult {
  if (!('labels' in r)) throw new ServiceError('internal', 'The worker returned something other than the segmentation asked for.');
  return r;
}

export async function runClassicInWorker(raster: RasterImage, options: ClassicOptions, signal: AbortSignal, onProgress?: (fraction: number, stage: string) => void): Promise<ClassicResult> {
  const r = segmentation(await runInWorker({ kind: 'classic', raster, options }, signal, onProgress, null));
  return { labels: r.labels, stats: r.stats };
}

/** Segment features (app/cluster) computed in a worker: the same result as segmentFeatures, off this thread. */
export async function featuresInWorker(grey: GreyImage, labels: LabelMap, options: FeatureOptions, signal: AbortSignal = new AbortController().signal): Promise<FeatureMatrix> {
  const r = await runInWorker({ kind: 'features', grey, labels, options }, signal, undefined, null);
  if (!('matrix' in r)) throw new ServiceError('internal', 'The worker returned something other than the features asked for.');
  return r.matrix;
}

/** k-means (app/cluster) in a worker: with k 'auto', autoKMeans; else kmeansCluster with no scores. Same results as on this thread. */
export async function kmeansInWorker(points: Points, k: number | 'auto', options: AutoKOptions, signal: AbortSignal = new AbortController().signal): Promise<AutoKResult> {
  const r = await runInWorker({ kind: 'kmeans', points, k, options }, signal, undefined, null);
  if (!('clustering' in r)) throw new ServiceError('internal', 'The worker returned something other than the clustering asked for.');
  return r.clustering;
}

/** A pixel k-means phase map (app/cluster phaseMap) made in a worker; cancelling terminates it. */
export async function phaseMapInWorker(grey: GreyImage, options: PhaseMapOptions, signal: AbortSignal): Promise<PhaseMap> {
  const r = await runInWorker({ kind: 'phase-map', grey, options }, signal, undefined, null);
  if (!('phaseMap' in r)) throw new ServiceError('internal', 'The worker returned something other than the phase map asked for.');
  return r.phaseMap;
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
