// Worker thread for the pixel classifier: features, training and prediction run here, off the
// service's thread. Messages: { id, op: 'train' | 'predict', ... }; replies { id, ok, ... }.
// Prediction goes tile by tile (bounded memory) with the forests run by onnxruntime, or by the JS
// forest when onnxruntime does not load (the reply's `engine` and `fallback` say so).
import { parentPort } from 'node:worker_threads';
import { train, type Classifier, type TrainImage, type TrainOptions } from '../../app/learn/pipeline';
import { predictTiled } from '../../app/learn/predict-tiled';
import { forestEngine } from './forest-engine';
import { selfTrain, type UnlabelledImage } from '../../app/learn/self-train';

type Msg =
  | { id: number; op: 'train'; images: TrainImage[]; options: Omit<TrainOptions, 'onProgress' | 'signal'>; unlabelled?: UnlabelledImage[] }
  | { id: number; op: 'predict'; classifier: Classifier; grey: Float32Array; width: number; height: number; firstStageOnly?: boolean; engine?: 'onnxruntime' | 'js'; extra?: Float32Array; colour?: Float32Array };

const fail = (id: number, e: unknown) => parentPort!.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e) });

parentPort!.on('message', (m: Msg) => {
  if (m.op === 'predict') {
    void (async () => {
      const engine = await forestEngine(m.classifier.stage1, m.engine);
      const probs = await predictTiled(m.classifier, m.grey, m.width, m.height, engine.evaluate, { firstStageOnly: m.firstStageOnly ?? false, ...(m.extra ? { extra: m.extra } : {}), ...(m.colour ? { colour: m.colour } : {}) });
      parentPort!.postMessage({ id: m.id, ok: true, probs, engine: engine.name, fallback: engine.fallback }, [probs.buffer as ArrayBuffer]);
    })().catch((e: unknown) => fail(m.id, e));
    return;
  }
  try {
    const options = { ...m.options, onProgress: (done: number, total: number, what: string) => parentPort!.postMessage({ id: m.id, progress: { done, total, what } }) };
    if (m.unlabelled) {
      const r = selfTrain(m.images, m.unlabelled, options);
      parentPort!.postMessage({ id: m.id, ok: true, classifier: r.classifier, selfTrain: { pseudoLabelled: r.pseudoLabelled, dropped: r.dropped, images: m.unlabelled.length } });
      return;
    }
    const classifier = train(m.images, options);
    parentPort!.postMessage({ id: m.id, ok: true, classifier });
  } catch (e) {
    fail(m.id, e);
  }
});
