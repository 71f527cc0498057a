// One long-lived segment worker for live previews: starting a worker per preview costs more than
// segmenting a 512 px region, so previews reuse this one. Runs go one at a time; while one runs,
// only the newest request waits and the ones it replaced end as 'cancelled' (latest wins).
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './spawn-worker';
import { ServiceError, isServiceErrorData } from '../../app/errors';
import type { ClassicOptions } from '../../app/contract';
import type { RasterImage } from '../../app/types';
import type { ClassicResult } from './classic-runner';
import type { SegmentMessage } from './segment.worker';

export class PreviewWorker {
  private worker: Worker | null = null;
  private active: Promise<unknown> | null = null;
  private newest = 0;

  /** Segments `raster` (handed over) with `options`; rejects with 'cancelled' when a newer run replaced it while it waited. */
  async run(raster: RasterImage, options: ClassicOptions): Promise<ClassicResult & { ms: number }> {
    const ticket = ++this.newest;
    while (this.active) {
      await this.active.catch(() => {});
      if (ticket !== this.newest) throw new ServiceError('cancelled', 'A newer preview replaced this one.');
    }
    const p = this.once(raster, options);
    this.active = p;
    try {
      return await p;
    } finally {
      if (this.active === p) this.active = null;
    }
  }

  private once(raster: RasterImage, options: ClassicOptions): Promise<ClassicResult & { ms: number }> {
    this.worker ??= spawnWorker(import.meta.url, 'segment.worker');
    const w = this.worker;
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const done = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (m: SegmentMessage) => {
        if (m.type === 'progress' || m.type === 'rpc') return;
        done();
        if (m.type === 'result') {
          resolve({ labels: { width: m.width, height: m.height, data: m.labels }, stats: m.stats, ...(m.classic ? { classic: m.classic } : {}), ms: performance.now() - t0 });
        } else if (m.type === 'error') {
          reject(m.error && isServiceErrorData(m.error) && m.error.code !== 'internal' ? ServiceError.fromData(m.error) : new ServiceError('internal', `Preview failed: ${m.message}`));
        } else reject(new ServiceError('internal', `The preview worker answered '${m.type}'.`));
      };
      const onError = (e: Error) => {
        done();
        this.worker = null;
        reject(new ServiceError('internal', `Preview worker failed: ${e.message}`));
      };
      const onExit = (code: number) => {
        done();
        this.worker = null;
        reject(new ServiceError('cancelled', `The preview worker stopped (exit code ${code}).`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage({ kind: 'classic', raster, options }, [raster.data.buffer as ArrayBuffer]);
    });
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
