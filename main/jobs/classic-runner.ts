// Runs one classic segmentation in a fresh worker; aborting the signal terminates the worker at once.
import { spawnWorker } from './spawn-worker';
import { ServiceError } from '../../app/errors';
import type { ClassicOptions } from '../../app/contract';
import type { LabelMap, RasterImage } from '../../app/types';
import type { SegmentStats } from '../../app/labelmap';
import type { SegmentMessage, SegmentRequest } from './segment.worker';

export interface ClassicResult {
  labels: LabelMap;
  stats: SegmentStats[];
}

export function runClassicInWorker(raster: RasterImage, options: ClassicOptions, signal: AbortSignal, onProgress?: (fraction: number, stage: string) => void): Promise<ClassicResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ServiceError('cancelled', 'Segmentation was cancelled.'));
    const worker = spawnWorker(import.meta.url, 'segment.worker');
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
    worker.on('message', (m: SegmentMessage) => {
      if (m.type === 'progress') onProgress?.(m.done / Math.max(1, m.total), m.stage);
      else if (m.type === 'result') finish(() => resolve({ labels: { width: m.width, height: m.height, data: m.labels }, stats: m.stats }));
      else finish(() => reject(new ServiceError('internal', `Segmentation failed: ${m.message}`)));
    });
    worker.on('error', (e) => finish(() => reject(new ServiceError('internal', `Segmentation worker failed: ${e.message}`))));
    worker.on('exit', (code) => finish(() => reject(new ServiceError('internal', `Segmentation worker stopped unexpectedly (exit code ${code}).`))));
    const req: SegmentRequest = { raster, options };
    worker.postMessage(req, [raster.data.buffer as ArrayBuffer]);
  });
}
