// Parallel prediction of one image: its tiles shared among a few helper threads
// (learn-tile.worker.ts), stage 1 of every tile, then stage 2 of every tile (which reads the first
// stage's probabilities around it). Each tile is computed by the same code as predictTiled, so the
// probabilities are identical to the one-thread path whatever the split (tested). The stretched
// grey, the image's other maps and both probability planes sit in shared memory: one copy for all
// threads, each of which holds only its tiles' features. The helpers are kept for the next
// prediction; an error or a cancel ends them all (a fresh set starts next time).
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../jobs/spawn-worker';
import { stretchGrey, type Classifier } from '../../app/learn/pipeline';
import { tilesOf } from '../../app/learn/features';
import type { TileMsg } from './learn-tile.worker';

export interface ParallelPredictOptions {
  /** Helper threads (at least 2 to be worth it; the caller runs predictTiled for 1). */
  workers: number;
  engine?: 'onnxruntime' | 'js';
  firstStageOnly?: boolean;
  extra?: Float32Array;
  colour?: Float32Array;
  maps?: Float32Array;
  /** Tile side (default 1024, as predictTiled: the same tiles give the same probabilities). */
  tile?: number;
  keepBytes?: number;
  onTile?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ParallelPrediction {
  /** Class-major probabilities (on shared memory). */
  probs: Float32Array;
  engine: 'onnxruntime' | 'js';
  fallback: string | null;
}

interface Reply {
  job: number;
  i: number;
  ok: boolean;
  message?: string;
  engine?: 'onnxruntime' | 'js';
  fallback?: string | null;
}

interface Helper {
  worker: Worker;
  waiting: ((r: Reply) => void) | null;
  failed: ((e: Error) => void) | null;
}

const helpers: Helper[] = [];
let jobs = 0;

function helper(k: number): Helper {
  let h = helpers[k];
  if (h) return h;
  const worker = spawnWorker(import.meta.url, 'learn-tile.worker');
  const made: Helper = { worker, waiting: null, failed: null };
  worker.on('message', (r: Reply) => {
    const f = made.waiting;
    made.waiting = null;
    f?.(r);
  });
  worker.on('error', (e) => made.failed?.(e));
  worker.on('exit', (code) => {
    const i = helpers.indexOf(made);
    if (i >= 0) helpers.splice(i, 1);
    made.failed?.(new Error(`a prediction thread stopped (exit code ${code})`));
  });
  helpers[k] = made;
  h = made;
  return h;
}

/** Ends every helper thread (after an error or a cancel, and for tests and benchmarks). */
export async function endPredictionThreads(): Promise<void> {
  const all = helpers.splice(0);
  await Promise.all(all.map((h) => h.worker.terminate()));
}

function shared(a: Float32Array): Float32Array {
  const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

export async function predictParallel(clf: Classifier, rawGrey: Float32Array, w: number, h: number, o: ParallelPredictOptions): Promise<ParallelPrediction> {
  const N = Math.max(1, Math.floor(o.workers));
  const C = clf.nClasses;
  const n = w * h;
  const tile = o.tile ?? 1024;
  const tiles = tilesOf(w, h, tile);
  const two = !!clf.stage2 && !o.firstStageOnly;
  const cancelled = () => Object.assign(new Error('Cancelled'), { name: 'AbortError' });
  if (o.signal?.aborted) throw cancelled();
  const grey = shared(stretchGrey(rawGrey, clf.greyQuantiles));
  const probs = new Float32Array(new SharedArrayBuffer(C * n * 4));
  const out = two ? new Float32Array(new SharedArrayBuffer(C * n * 4)) : probs;
  const job = ++jobs;
  const team = Array.from({ length: Math.min(N, tiles.length) }, (_, k) => helper(k));
  let engine: 'onnxruntime' | 'js' = 'js';
  let fallback: string | null = null;
  let stop: Error | null = null;
  const onAbort = () => {
    stop = cancelled();
    for (const h of team) h.failed?.(stop);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const h of team) h.worker.ref();
    const setup: TileMsg = {
      op: 'setup',
      job,
      classifier: clf,
      grey,
      width: w,
      height: h,
      firstStageOnly: !!o.firstStageOnly,
      tile,
      probs,
      out,
      ...(o.engine ? { engine: o.engine } : {}),
      ...(o.keepBytes !== undefined ? { keepBytes: o.keepBytes } : {}),
      ...(o.extra ? { extra: shared(o.extra) } : {}),
      ...(o.colour ? { colour: shared(o.colour) } : {}),
      ...(o.maps ? { maps: shared(o.maps) } : {}),
    };
    for (const h of team) h.worker.postMessage(setup);
    const total = tiles.length * (two ? 2 : 1);
    let done = 0;
    const ask = (hp: Helper, op: 'stage1' | 'stage2', i: number) =>
      new Promise<void>((resolve, reject) => {
        if (stop) return reject(stop);
        hp.failed = reject;
        hp.waiting = (r) => {
          hp.failed = null;
          if (!r.ok) return reject(new Error(r.message ?? 'a prediction thread failed'));
          if (r.engine) engine = r.engine;
          if (r.fallback) fallback = r.fallback;
          o.onTile?.(++done, total);
          resolve();
        };
        hp.worker.postMessage({ op, job, i } satisfies TileMsg);
      });
    // Stage 1: each thread takes the next tile when it is free; who did which tile is noted, for
    // stage 2 reuses the features that thread kept.
    const owner = new Int32Array(tiles.length);
    let next = 0;
    await Promise.all(
      team.map(async (hp, k) => {
        while (next < tiles.length) {
          const i = next++;
          owner[i] = k;
          await ask(hp, 'stage1', i);
        }
      }),
    );
    if (two) {
      await Promise.all(
        team.map(async (hp, k) => {
          for (let i = 0; i < tiles.length; i++) if (owner[i] === k) await ask(hp, 'stage2', i);
        }),
      );
    }
    for (const h of team) {
      h.worker.postMessage({ op: 'end', job } satisfies TileMsg);
      h.worker.unref();
    }
    return { probs: out, engine, fallback };
  } catch (e) {
    // A thread may be mid-tile: end them all, so nothing of this prediction runs on.
    await endPredictionThreads();
    throw stop ?? e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** Helper threads started now (tests). */
export function predictionThreads(): number {
  return helpers.length;
}
