// Worker thread for classic auto-segmentation, so the thread that serves the UI never blocks.
import { parentPort } from 'node:worker_threads';
import { segmentClassic } from '../../app/classic';
import { toGrey } from '../../app/image/display';
import { segmentStats } from '../../app/labelmap';
import type { ClassicOptions } from '../../app/contract';
import type { RasterImage } from '../../app/types';

export interface SegmentRequest {
  raster: RasterImage;
  options: ClassicOptions;
}

export type SegmentMessage =
  | { type: 'progress'; done: number; total: number; stage: string }
  | { type: 'result'; labels: Uint32Array; width: number; height: number; stats: ReturnType<typeof segmentStats> }
  | { type: 'error'; message: string };

const port = parentPort!;
port.on('message', (req: SegmentRequest) => {
  try {
    const grey = toGrey(req.raster);
    const labels = segmentClassic(grey, req.options, (done, total, stage) => port.postMessage({ type: 'progress', done, total, stage } satisfies SegmentMessage));
    const stats = segmentStats(labels);
    port.postMessage({ type: 'result', labels: labels.data, width: labels.width, height: labels.height, stats } satisfies SegmentMessage, [labels.data.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies SegmentMessage);
  }
});
