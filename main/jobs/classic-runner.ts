// Runs the classic engine on one image in a segment worker (see run-worker.ts; started classic
// workers are kept for the next image, worker-cache.ts).
import type { ClassicOptions } from '../../app/contract';
import type { LabelMap, RasterImage } from '../../app/types';
import type { SegmentStats } from '../../app/labelmap';
import type { ClassicDetail } from './segment.worker';
import { runInWorker, segmentation } from './run-worker';

export interface ClassicResult {
  labels: LabelMap;
  stats: SegmentStats[];
  /** Classic engine only: the thresholds and boundary style it chose. */
  classic?: ClassicDetail;
}

export async function runClassicInWorker(raster: RasterImage, options: ClassicOptions, signal: AbortSignal, onProgress?: (fraction: number, stage: string) => void): Promise<ClassicResult> {
  const { labels, stats, classic } = segmentation(await runInWorker({ kind: 'classic', raster, options }, signal, onProgress, null));
  return { labels, stats, ...(classic ? { classic } : {}) };
}

