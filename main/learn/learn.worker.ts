// Worker thread for the pixel classifier: features, training and prediction run here, off the
// service's thread. Messages: { id, op: 'train' | 'predict', ... }; replies { id, ok, ... }.
// Prediction goes tile by tile (bounded memory) with the forests run by onnxruntime, or by the JS
// forest when onnxruntime does not load (the reply's `engine` and `fallback` say so). With `cache`
// the filter-bank maps of images featured whole come from the project's feature cache
// (feature-cache.ts) and are written there on a miss.
import { parentPort } from 'node:worker_threads';
import { stretchGrey, train, type Classifier, type TrainImage, type TrainOptions } from '../../app/learn/pipeline';
import { predictTiled } from '../../app/learn/predict-tiled';
import { computeFeatures, featureCount, tilesOf, type FeatureSpec } from '../../app/learn/features';
import { keptWorkerCount } from '../jobs/pool';
import { predictParallel } from './parallel-predict';
import { forestEngine } from './forest-engine';
import { FeatureCache, recipeKey } from './feature-cache';
import { selfTrain, type UnlabelledImage } from '../../app/learn/self-train';

/** The project's cache folder and bound, and the image key (content hash, page) of each image sent. */
interface CacheMsg {
  dir: string;
  limitBytes: number;
  images: (string | null)[];
  /** Use hits only, write nothing (batch prediction of many images would churn the cache). */
  readOnly?: boolean;
}

type Msg =
  | { id: number; op: 'train'; images: TrainImage[]; options: Omit<TrainOptions, 'onProgress' | 'signal' | 'bank'>; cache?: CacheMsg; unlabelled?: UnlabelledImage[] }
  | { id: number; op: 'predict'; classifier: Classifier; grey: Float32Array; width: number; height: number; firstStageOnly?: boolean; engine?: 'onnxruntime' | 'js'; workers?: number; extra?: Float32Array; colour?: Float32Array; cache?: CacheMsg };

const fail = (id: number, e: unknown) => parentPort!.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e) });

/** Images up to this many filter-bank values are cached (as pipeline features them whole). */
const CACHE_VALUES = 48 * 1024 * 1024;

/**
 * Cached maps of one image, or computed (and cached: at once, or through `later` after the reply
 * so writing does not add to the wait); null when the image is too large to cache.
 */
function cachedBank(c: CacheMsg | undefined, image: string | null | undefined, spec: FeatureSpec, q: [number, number] | undefined, w: number, h: number, compute: () => Float32Array, later?: (() => void)[]): Float32Array | null {
  const count = featureCount(spec) * w * h;
  if (!c || !image || count > CACHE_VALUES) return null;
  const cache = new FeatureCache(c.dir, c.limitBytes);
  const recipe = recipeKey({ features: spec, greyQuantiles: q, width: w, height: h });
  const hit = cache.get(image, recipe, count);
  if (hit) return hit;
  if (c.readOnly) return null;
  const maps = compute();
  if (later) later.push(() => cache.put(image, recipe, maps));
  else cache.put(image, recipe, maps);
  return maps;
}

parentPort!.on('message', (m: Msg) => {
  if (m.op === 'predict') {
    void (async () => {
      const clf = m.classifier;
      const maps = cachedBank(m.cache, m.cache?.images[0], clf.features, clf.greyQuantiles, m.width, m.height, () => computeFeatures(stretchGrey(m.grey, clf.greyQuantiles), m.width, m.height, clf.features));
      // Tiles shared among helper threads (one per core, GRAINLAB_WORKERS) when the image has
      // more than one (1024-pixel) tile; the probabilities are the same as this thread's alone.
      const workers = m.workers ?? keptWorkerCount();
      if (workers > 1 && tilesOf(m.width, m.height, 1024).length > 1) {
        const r = await predictParallel(clf, m.grey, m.width, m.height, { workers, firstStageOnly: m.firstStageOnly ?? false, ...(m.engine ? { engine: m.engine } : {}), ...(m.extra ? { extra: m.extra } : {}), ...(m.colour ? { colour: m.colour } : {}), ...(maps ? { maps } : {}) });
        // On shared memory: posted without a copy (a shared buffer cannot be transferred).
        parentPort!.postMessage({ id: m.id, ok: true, probs: r.probs, engine: r.engine, fallback: r.fallback, workers });
        return;
      }
      const engine = await forestEngine(m.classifier.stage1, m.engine);
      const probs = await predictTiled(clf, m.grey, m.width, m.height, engine.evaluate, { firstStageOnly: m.firstStageOnly ?? false, ...(m.extra ? { extra: m.extra } : {}), ...(m.colour ? { colour: m.colour } : {}), ...(maps ? { maps } : {}) });
      parentPort!.postMessage({ id: m.id, ok: true, probs, engine: engine.name, fallback: engine.fallback }, [probs.buffer as ArrayBuffer]);
    })().catch((e: unknown) => fail(m.id, e));
    return;
  }
  try {
    const onProgress = (done: number, total: number, what: string) => parentPort!.postMessage({ id: m.id, progress: { done, total, what } });
    if (m.unlabelled) {
      // Self-training trains on the labelled and pseudo-labelled images together, so the feature
      // cache's per-training-image hook does not apply there.
      const r = selfTrain(m.images, m.unlabelled, { ...m.options, onProgress });
      parentPort!.postMessage({ id: m.id, ok: true, classifier: r.classifier, selfTrain: { pseudoLabelled: r.pseudoLabelled, dropped: r.dropped, images: m.unlabelled.length } });
      return;
    }
    const c = m.cache;
    const writes: (() => void)[] = [];
    const bank: TrainOptions['bank'] = c
      ? (k, q, compute) => {
          const im = m.images[k]!;
          return cachedBank(c, c.images[k], m.options.features, q, im.width, im.height, compute, writes) ?? compute();
        }
      : undefined;
    const classifier = train(m.images, { ...m.options, ...(bank ? { bank } : {}), onProgress });
    parentPort!.postMessage({ id: m.id, ok: true, classifier });
    for (const write of writes) write();
  } catch (e) {
    fail(m.id, e);
  }
});
