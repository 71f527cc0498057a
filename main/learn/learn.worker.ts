// Worker thread for the pixel classifier: features, training and prediction run here, off the
// service's thread. Messages: { id, op: 'train' | 'predict', ... }; replies { id, ok, ... }.
import { parentPort } from 'node:worker_threads';
import { predict, train, type Classifier, type TrainImage, type TrainOptions } from '../../app/learn/pipeline';

type Msg =
  | { id: number; op: 'train'; images: TrainImage[]; options: Omit<TrainOptions, 'onProgress' | 'signal'> }
  | { id: number; op: 'predict'; classifier: Classifier; grey: Float32Array; width: number; height: number; firstStageOnly?: boolean; extra?: Float32Array };

parentPort!.on('message', (m: Msg) => {
  try {
    if (m.op === 'train') {
      const classifier = train(m.images, { ...m.options, onProgress: (done, total, what) => parentPort!.postMessage({ id: m.id, progress: { done, total, what } }) });
      parentPort!.postMessage({ id: m.id, ok: true, classifier });
    } else {
      const probs = predict(m.classifier, m.grey, m.width, m.height, { firstStageOnly: m.firstStageOnly ?? false, ...(m.extra ? { extra: m.extra } : {}) });
      parentPort!.postMessage({ id: m.id, ok: true, probs }, [probs.buffer as ArrayBuffer]);
    }
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
