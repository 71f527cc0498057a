// The process-boundary contract: every service method and event, with its argument schema and
// result type, declared once. main/ validates arguments against these schemas; the Electron
// preload and the WebSocket client expose exactly these names.
//
// One file an area, each declaring its methods and the types they carry; this index merges them
// into `contract` and re-exports every area, so `app/contract` is the one import for all of it:
//   images.ts        app info, projects, importing and reading images (+ the image-changed event)
//   jobs.ts          background jobs: progress events, cancelling
//   segmentation.ts  automatic segmentation, reading the current segmentation
//   classic.ts       the classic engine's options
//   sam.ts           SAM models, prompting and automatic SAM
//   edit.ts          corrections: apply, undo/redo, snapshots
//   classes.ts       phase classes and class lists
//   cluster.ts       clustering, the propagation classifier, fractions
//   presets.ts       saved segmentation settings and previews
//   calibration.ts   pixel size from metadata or a scale bar
//   versions.ts      segmentation versions and batch plans
//   channels.ts      elemental maps (EDS) on an image: import, registration, overlay
//   export.ts        export, label import, statistics
//   stacks.ts        slice stacks: z order, propagation, 3D objects and export
//   define.ts        the `method()` helper and shared argument schemas (internal)
import type { z } from 'zod';
import { projectMethods, imageMethods, type ImageChangedEvent } from './images';
import { jobMethods, type ProgressEvent } from './jobs';
import { segmentationMethods } from './segmentation';
import { samMethods } from './sam';
import { editMethods } from './edit';
import { exportMethods } from './export';
import { finetuneMethods } from './finetune';
import { evalMethods } from './eval';
import { batchMethods } from './batch';
import { learnMethods } from './learn';
import { clusterMethods, type ClassifierInfo } from './cluster';
import { presetMethods } from './presets';
import { calibrationMethods } from './calibration';
import { versionMethods } from './versions';
import { classMethods } from './classes';
import { browseMethods } from './browse';
import { measureMethods } from './measure';
import { stackMethods } from './stacks';
import { channelMethods } from './channels';
import { tileMethods } from './tiles';
import type { ServiceErrorData } from '../errors';

export * from './images';
export * from './jobs';
export * from './segmentation';
export * from './classic';
export * from './sam';
export * from './edit';
export * from './classes';
export * from './cluster';
export * from './presets';
export * from './calibration';
export * from './versions';
export * from './export';
export * from './finetune';
export * from './eval';
export * from './batch';
export * from './learn';
export * from './browse';
export * from './measure';
export * from './stacks';
export * from './channels';
export * from './tiles';

/** Every method of the contract, each declared exactly once in its area file. */
export const contract = {
  ...projectMethods,
  ...imageMethods,
  ...segmentationMethods,
  ...jobMethods,
  ...samMethods,
  ...editMethods,
  ...exportMethods,
  ...finetuneMethods,
  ...evalMethods,
  ...batchMethods,
  ...learnMethods,
  ...clusterMethods,
  ...presetMethods,
  ...calibrationMethods,
  ...classMethods,
  ...versionMethods,
  ...browseMethods,
  ...measureMethods,
  ...stackMethods,
  ...channelMethods,
  ...tileMethods,
};

type Contract = typeof contract;
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
