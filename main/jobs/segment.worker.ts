// Worker thread for auto-segmentation, so the thread that serves the UI never blocks: the classic
// engine, and the SAM pipeline (main/jobs/sam-auto.ts), whose embed/decode calls go back to the
// service thread (which owns the SAM engine) as RPC messages. The clustering work of large images
// has its own worker (cluster.worker.ts): its k-means library takes ~0.2 s to load, which every
// segmentation would otherwise pay. Both speak the messages declared here.
import { parentPort } from 'node:worker_threads';
import { segmentClassicDetailed } from '../../app/classic';
import { DEFAULT_GRAIN_TILING, DEFAULT_TILING, segmentGrainsTiled, segmentPhasesTiled } from '../../app/classic/tiled';
import { propagateClassic } from '../../app/stack/propagate';

/** Images above this many pixels (4096 x 4096) are segmented in tiles in phase mode. */
const TILED_MIN_PIXELS = 4096 * 4096;
import type { AutoKOptions, AutoKResult, FeatureMatrix, FeatureOptions, PhaseMap, PhaseMapOptions, Points } from '../../app/cluster';
import { segmentStats } from '../../app/labelmap';
import type { ClassicOptions } from '../../app/contract';
import type { SamAutoOptions } from '../../app/contract/sam';
import { toErrorData, ServiceError, type ServiceErrorData } from '../../app/errors';
import type { Box, GreyImage, LabelMap, RasterImage } from '../../app/types';
import type { CropBox } from '../../app/segment';
import type { PreprocessOptions } from '../sam/preprocess';
import { transferList } from '../sam/protocol';
import type { DecodeOptions, SamDecodeResult, SamPrompt } from '../sam/runtime';
import { samAutoSegment, type SamAutoBackend, type SamAutoRun } from './sam-auto';

/** What the classic engine decided on its own: thresholds (phase mode) and boundary style (grain mode). */
export interface ClassicDetail {
  thresholds: number[];
  boundaryStyle?: 'lines' | 'edges';
}

export type SegmentRequest =
  | { kind: 'classic'; raster: RasterImage; options: ClassicOptions }
  | { kind: 'sam-auto'; raster: RasterImage; options: SamAutoOptions; name: string }
  /** A stack slice's segmentation carried to the next slice (app/stack/propagate.ts). */
  | { kind: 'propagate'; current: GreyImage; labels: LabelMap; next: GreyImage }
  | ClusterRequest;

/** The requests cluster.worker.ts serves. */
export type ClusterRequest =
  | { kind: 'features'; grey: GreyImage; labels: LabelMap; options: FeatureOptions }
  | { kind: 'kmeans'; points: Points; k: number | 'auto'; options: AutoKOptions }
  | { kind: 'phase-map'; grey: GreyImage; options: PhaseMapOptions };

/** RPC calls from the worker to the service thread (SAM pipeline only). */
export type RpcCall =
  | { call: 'embed'; crop: Box; layer: number; index: number; raster: RasterImage; preprocess: PreprocessOptions }
  | { call: 'decode'; handle: string; prompts: SamPrompt[]; options: DecodeOptions };

export type RpcReply = { kind: 'rpc-reply'; id: number; ok: true; value: unknown } | { kind: 'rpc-reply'; id: number; ok: false; error: ServiceErrorData };

export type SegmentMessage =
  | { type: 'progress'; done: number; total: number; stage: string }
  | { type: 'result'; labels: Uint32Array; width: number; height: number; stats: ReturnType<typeof segmentStats>; sam?: SamAutoRun; classic?: ClassicDetail }
  | { type: 'features'; matrix: FeatureMatrix }
  | { type: 'kmeans'; clustering: AutoKResult }
  | { type: 'phase-map'; map: PhaseMap }
  | { type: 'error'; message: string; error?: ServiceErrorData }
  | ({ type: 'rpc'; id: number } & RpcCall);

const port = parentPort!;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextId = 1;

function rpc<T>(call: RpcCall, transfer: ArrayBuffer[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    port.postMessage({ type: 'rpc', id, ...call } satisfies SegmentMessage, transfer);
  });
}

const backend: SamAutoBackend = {
  embed(crop: CropBox, index: number, raster: RasterImage, preprocess: PreprocessOptions) {
    // The whole image is still needed here for the other crops: send a copy; a crop copy is handed over.
    const sent = index === 0 ? { ...raster, data: raster.data.slice() } : raster;
    return rpc({ call: 'embed', crop: crop.box, layer: crop.layer, index, raster: sent, preprocess }, transferList([sent.data]));
  },
  decode(handle: string, prompts: SamPrompt[], options: DecodeOptions) {
    return rpc<SamDecodeResult[]>({ call: 'decode', handle, prompts, options });
  },
};

function post(m: SegmentMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

async function run(req: SegmentRequest): Promise<void> {
  const progress = (done: number, total: number, stage: string) => post({ type: 'progress', done, total, stage });
  if (req.kind === 'propagate') {
    const labels = propagateClassic(req.current, req.labels, req.next);
    post({ type: 'result', labels: labels.data, width: labels.width, height: labels.height, stats: segmentStats(labels) }, [labels.data.buffer as ArrayBuffer]);
    return;
  }
  if (req.kind !== 'classic' && req.kind !== 'sam-auto') throw new ServiceError('internal', `The segmentation worker does not do '${req.kind}'.`);
  if (req.kind === 'classic') {
    // Colour is kept: the classic grain mode uses it on colour-etched images.
    // Large images go tile by tile (app/classic/tiled.ts: the same result, less memory at once); in
    // grain mode the same where the tile margin holds the grains, and not with Canny boundaries.
    const large = req.raster.width * req.raster.height > TILED_MIN_PIXELS;
    const mode = req.options.mode ?? 'phase';
    const r = large && mode === 'phase'
      ? segmentPhasesTiled(req.raster, req.options, DEFAULT_TILING, progress)
      : large && mode === 'grain' && req.options.boundaries !== 'canny'
        ? segmentGrainsTiled(req.raster, req.options, DEFAULT_GRAIN_TILING, progress)
        : segmentClassicDetailed(req.raster, req.options, progress);
    const labels = r.labels;
    const stats = segmentStats(labels);
    const classic: ClassicDetail = { thresholds: r.thresholds, ...(r.boundaryStyle ? { boundaryStyle: r.boundaryStyle } : {}) };
    post({ type: 'result', labels: labels.data, width: labels.width, height: labels.height, stats, classic }, [labels.data.buffer as ArrayBuffer]);
    return;
  }
  const { labels, run } = await samAutoSegment(req.raster, req.options, backend, { progress }, req.name);
  const stats = segmentStats(labels);
  post({ type: 'result', labels: labels.data, width: labels.width, height: labels.height, stats, sam: run }, [labels.data.buffer as ArrayBuffer]);
}

port.on('message', (m: SegmentRequest | RpcReply) => {
  if (m.kind === 'rpc-reply') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (p === undefined) return;
    if (m.ok) p.resolve(m.value);
    else p.reject(ServiceError.fromData(m.error));
    return;
  }
  run(m).catch((e: unknown) => {
    const error = toErrorData(e);
    post({ type: 'error', message: e instanceof ServiceError ? e.message : e instanceof Error ? e.message : String(e), error });
  });
});
