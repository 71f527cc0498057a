// The process-boundary contract: every service method and event, with its argument schema and
// result type, declared once. main/ validates arguments against these schemas; the Electron
// preload and the WebSocket client expose exactly these names.
import { z } from 'zod';
import { method, none, id, path } from './contract/define';
import { samMethods, SamAutoOptionsSchema } from './contract/sam';
import { editMethods } from './contract/edit';
import { exportMethods } from './contract/export';
import { clusterMethods } from './contract/cluster';
import { presetMethods } from './contract/presets';
import { calibrationMethods } from './contract/calibration';
import { KeepSchema, versionMethods } from './contract/versions';
import { classMethods } from './contract/classes';
import { learnMethods } from './contract/learn';
import type { ClassifierInfo } from './contract/cluster';
import type { ServiceErrorData } from './errors';
import type { ImageRecord, ProjectInfo, RasterImage, SegmentRecord } from './types';


export const ClassicOptionsSchema = z.object({
  mode: z.enum(['phase', 'grain']).default('phase'),
  /** Segments smaller than this many pixels are dropped. */
  minArea: z.number().int().min(0).max(1_000_000).default(16),
  /** Treat the darker side of the Otsu threshold as foreground. */
  invert: z.boolean().default(false),
  // Tuning of app/classic (ClassicExtra); left out = the engine's defaults.
  /** Phase mode: intensity classes, 2 = Otsu, 3..5 = multi-Otsu. */
  classes: z.number().int().min(2).max(5).optional(),
  /** Gaussian smoothing (px) before thresholding or boundary detection; 0 = none. */
  sigma: z.number().min(0).max(50).optional(),
  /** Phase mode: global (multi-)Otsu or local-mean adaptive threshold (uneven illumination). */
  threshold: z.enum(['otsu', 'adaptive']).optional(),
  /** Adaptive threshold window (odd, px). */
  blockSize: z.number().int().min(3).max(4095).refine((v) => v % 2 === 1, 'must be odd').optional(),
  /** Adaptive threshold offset, as a fraction of the intensity range. */
  offset: z.number().min(-1).max(1).optional(),
  /** Phase mode: background (matrix) regions get ids too, so every pixel is labelled. */
  labelBackground: z.boolean().optional(),
  /** Grain mode: boundaries are thin lines, shade/colour edges, or decided from the image. */
  boundaryStyle: z.enum(['auto', 'lines', 'edges']).optional(),
  /** Grain mode: grain seeds from strong boundary evidence (threshold) or Canny edges. */
  boundaries: z.enum(['threshold', 'canny']).optional(),
  /** Grain mode: typical boundary line width (px). */
  lineWidth: z.number().min(1).max(100).optional(),
  /** Grain mode: minimum seed depth (px from a boundary); larger = fewer, bigger grains. */
  seedDepth: z.number().min(0).max(1000).optional(),
  /** Grain mode: neighbours whose mean intensity differs by less than this (0..255 scale) are merged. */
  mergeContrast: z.number().min(0).max(255).optional(),
});
export type ClassicOptions = z.infer<typeof ClassicOptionsSchema>;

/** Raw bytes; a custom check so both ArrayBuffer- and SharedArrayBuffer-backed arrays are accepted. */
export const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected binary data (Uint8Array)' });
const FileBytes = z.object({ name: z.string().min(1).max(1024), bytes });

export interface ImportFailure {
  name: string;
  message: string;
}
export interface ImportResult {
  imported: ImageRecord[];
  /** Files whose content is already in the project (nothing imported; the image it already is). */
  existing: { name: string; image: ImageRecord }[];
  failed: ImportFailure[];
}

export interface SegmentationData {
  imageId: number;
  width: number;
  height: number;
  /** Instance id per pixel, row-major. */
  labels: Uint32Array;
  segments: SegmentRecord[];
  engine: string;
  updatedAt: string;
}

export interface JobStarted {
  jobId: string;
}

export interface AppInfo {
  version: string;
  engines: { id: string; available: boolean; note: string }[];
  binding: 'electron' | 'web';
}

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';
export interface ProgressEvent {
  jobId: string;
  title: string;
  done: number;
  total: number;
  state: JobState;
  message?: string;
  error?: ServiceErrorData;
}

export interface ImageChangedEvent {
  imageId: number;
  reason: 'segmented' | 'imported' | 'updated' | 'removed';
}

/**
 * Every method of the contract. Domain groups live in app/contract/*.ts and are merged here, so
 * each method is still declared exactly once.
 */
export const contract = {
  'app.info': method<AppInfo>()(none),
  'project.create': method<ProjectInfo>()(z.object({ path, name: z.string().max(200).optional() })),
  'project.open': method<ProjectInfo>()(z.object({ path })),
  'project.close': method<null>()(none),
  'project.current': method<ProjectInfo | null>()(none),
  'project.recent': method<string[]>()(none),
  'images.list': method<ImageRecord[]>()(none),
  'images.importFiles': method<ImportResult>()(z.object({ files: z.array(FileBytes).min(1).max(10_000) })),
  'images.importPaths': method<ImportResult>()(z.object({ paths: z.array(path).min(1).max(10_000) })),
  'images.thumbnail': method<{ png: Uint8Array }>()(z.object({ id })),
  'images.pixels': method<RasterImage>()(z.object({ id })),
  'images.setPixelSize': method<ImageRecord>()(z.object({ id, umPerPx: z.number().positive().max(1e6).nullable() })),
  /** Removes images with their segmentations, versions and history; their files go when no other image uses them. */
  'images.remove': method<{ removed: number; files: number }>()(z.object({ ids: z.array(id).min(1).max(100_000) })),
  'segment.auto': method<JobStarted>()(
    z.object({
      imageIds: z.array(id).min(1).max(100_000),
      /** 'classic' (always available) or 'sam' (needs an installed model, see sam.status). */
      engine: z.enum(['classic', 'sam']).default('classic'),
      classic: ClassicOptionsSchema.optional(),
      /** engine 'classic': a saved preset's settings (presets.list) when `classic` is not given; recorded with the result. */
      preset: z.string().trim().min(1).max(100).optional(),
      /** engine 'sam': prompts, filters, crops and assembly. */
      sam: SamAutoOptionsSchema.optional(),
      /** Images with a segmentation: keep the segments a person made (default) or replace everything. Either way the old one stays as a version. */
      keep: KeepSchema,
    }),
  ),
  'segmentation.get': method<SegmentationData | null>()(z.object({ imageId: id })),
  'jobs.cancel': method<boolean>()(z.object({ jobId: z.string().min(1).max(100) })),
  ...samMethods,
  ...editMethods,
  ...exportMethods,
  ...clusterMethods,
  ...presetMethods,
  ...calibrationMethods,
  ...classMethods,
  ...versionMethods,
  ...learnMethods,
};

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Args<M extends MethodName> = z.input<Contract[M]['args']>;
export type ParsedArgs<M extends MethodName> = z.output<Contract[M]['args']>;
export type Result<M extends MethodName> = Contract[M]['result'];
export const methodNames = Object.keys(contract) as MethodName[];

export interface Events {
  onDidProgress: ProgressEvent;
  onDidChangeImage: ImageChangedEvent;
  /** The propagation classifier was retrained (in the background after corrections, or by classify.train). */
  onDidChangeClassifier: ClassifierInfo;
}
export type EventName = keyof Events;
export const eventNames: EventName[] = ['onDidProgress', 'onDidChangeImage', 'onDidChangeClassifier'];

/** What the renderer talks to; the Electron preload and the WebSocket client both provide it. */
export interface GrainLabClient {
  call<M extends MethodName>(method: M, args: Args<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

/** Reply envelope used by both bindings so typed errors survive the boundary. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ServiceErrorData };

export function isMethodName(x: unknown): x is MethodName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(contract, x);
}
