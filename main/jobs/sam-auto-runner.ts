// Runs SAM auto-segmentation of one image in a fresh segment worker, its embed and decode calls
// served on this thread by the SAM engine (see run-worker.ts).
import { ServiceError } from '../../app/errors';
import type { SamAutoOptions } from '../../app/contract/sam';
import type { RasterImage } from '../../app/types';
import type { ClassicResult } from './classic-runner';
import type { SamAutoRun } from './sam-auto';
import { runInWorker, segmentation, type SamEngineCalls } from './run-worker';

interface SamAutoWorkerResult extends ClassicResult {
  run: SamAutoRun;
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
