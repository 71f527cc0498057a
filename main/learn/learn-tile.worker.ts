// A helper thread of parallel prediction (parallel-predict.ts): runs the stages of the tiles it is
// given for one image at a time. The image's stretched grey, its other maps and the probability
// planes live in shared memory (no copy per thread); this thread writes only its own tiles.
// Messages: { op: 'setup', job, ... } then { op: 'stage1' | 'stage2', job, i }, replies { job, i, ok }.
import { parentPort } from 'node:worker_threads';
import { tileStages, type TileStages } from '../../app/learn/predict-tiled';
import type { Classifier } from '../../app/learn/pipeline';
import { forestEngine } from './forest-engine';

export interface TileSetup {
  op: 'setup';
  job: number;
  classifier: Classifier;
  /** Stretched grey (stretchGrey), on shared memory. */
  grey: Float32Array;
  width: number;
  height: number;
  firstStageOnly: boolean;
  engine?: 'onnxruntime' | 'js';
  extra?: Float32Array;
  colour?: Float32Array;
  maps?: Float32Array;
  tile: number;
  keepBytes?: number;
  probs: Float32Array;
  out: Float32Array;
}

export type TileMsg = TileSetup | { op: 'stage1' | 'stage2'; job: number; i: number } | { op: 'end'; job: number };

let current: { job: number; stages: Promise<{ s: TileStages; engine: string; fallback: string | null }>; probs: Float32Array; out: Float32Array } | null = null;

parentPort!.on('message', (m: TileMsg) => {
  if (m.op === 'setup') {
    const stages = forestEngine(m.classifier.stage1, m.engine).then((engine) => ({
      s: tileStages(m.classifier, m.grey, m.width, m.height, engine.evaluate, {
        firstStageOnly: m.firstStageOnly,
        tile: m.tile,
        ...(m.keepBytes !== undefined ? { keepBytes: m.keepBytes } : {}),
        ...(m.extra ? { extra: m.extra } : {}),
        ...(m.colour ? { colour: m.colour } : {}),
        ...(m.maps ? { maps: m.maps } : {}),
      }),
      engine: engine.name,
      fallback: engine.fallback,
    }));
    current = { job: m.job, stages, probs: m.probs, out: m.out };
    return;
  }
  if (m.op === 'end') {
    if (current?.job === m.job) current = null;
    return;
  }
  const c = current;
  if (!c || c.job !== m.job) {
    parentPort!.postMessage({ job: m.job, i: m.i, ok: false, message: `no prediction ${m.job} is set up in this thread` });
    return;
  }
  void (async () => {
    const { s, engine, fallback } = await c.stages;
    if (m.op === 'stage1') await s.stage1(m.i, c.probs);
    else await s.stage2(m.i, c.probs, c.out);
    parentPort!.postMessage({ job: m.job, i: m.i, ok: true, engine, fallback });
  })().catch((e: unknown) => parentPort!.postMessage({ job: m.job, i: m.i, ok: false, message: e instanceof Error ? e.message : String(e) }));
});
