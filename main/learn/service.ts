// The learning service (issue 12): gathers training labels from everything a person does
// (scribbles, corrected or verified segments with classes, classes given to clusters, imported
// label maps), trains the pixel classifier in a worker, predicts images into new segmentations
// that keep what a person made, gives live feedback for a region and finds where it is least sure.
import { readFile, writeFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { ServiceContext } from '../handlers/context';
import type { ProjectStore } from '../store/project-store';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../jobs/spawn-worker';
import { loadPixels } from '../handlers/images';
import { saveAutomaticResult } from '../store/automatic';
import { isTrainingLabel } from '../../app/provenance';
import { normalizedGrey, featureCount, type FeatureSpec } from '../../app/learn/features';
import { FeatureCache, featureCacheDir, featureCacheLimit, imageKey, projectFeatures, recipeKey } from './feature-cache';
import { colourPlanes, DEFAULT_COLOUR_SIGMAS, isColour } from '../../app/learn/colour-features';
import { channelExtra, imageElements } from './channel-inputs';
import { fitSamRecipe, requireSamModel, samExtra } from './sam-features';
import { concatExtra } from '../../app/learn/sam-features';
import type { SamPrompting } from '../sam/prompting';
import { predictForest } from '../../app/learn/forest';
import { argmaxClasses, fractionWeights, margins, regionFeatures, stretchGrey, type Classifier, type TrainImage } from '../../app/learn/pipeline';
import { confidentSegments, grainSegments, phaseSegments, segmentConfidence } from '../../app/learn/segments';
import type { LabelSource, LabelSummary, LearnClassifierInfo, RegionPrediction, UncertainRegion } from '../../app/contract/learn';
import type { ParsedArgs } from '../../app/contract';
import type { LabelMap } from '../../app/types';
import { imagesWithStrokes, loadClassifier, requireClassifier, saveClassifier, scribbleClassIds } from './store';
import type { StoredClassifier } from './codec';
import { decodeClassifierFile, encodeClassifierFile, formatOf } from './classifier-file';
import { resolveChosenPath } from '../fs/contain';
import { SELF_TRAIN_DEFAULT } from '../../app/learn/self-train-default';
import { unlabelledImages } from './self-train-images';

const SOURCE_CODE: Record<LabelSource, number> = { scribble: 1, segment: 2, cluster: 3 };

interface ImageLabels {
  imageId: number;
  /** Class id per pixel (0 = none) and where it came from (SOURCE_CODE). */
  classIds: Uint32Array;
  source: Uint8Array;
}

/** Runs pipeline steps in one worker thread, one at a time. */
class LearnWorker {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: { done: number; total: number; what: string }) => void }>();
  private chain: Promise<unknown> = Promise.resolve();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = spawnWorker(import.meta.url, 'learn.worker');
    w.on('message', (m: { id: number; ok?: boolean; message?: string; progress?: { done: number; total: number; what: string } }) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      if (m.progress) return p.progress?.(m.progress);
      this.waiting.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(new ServiceError('internal', `The pixel classifier failed: ${m.message}`));
    });
    // Only the current worker's end fails the waiting requests: a cancelled one ends after the
    // next request may have started a fresh worker.
    w.on('error', (e) => {
      if (this.worker === w) this.fail(e);
    });
    w.on('exit', () => {
      if (this.worker !== w) return;
      this.worker = null;
      this.fail(new Error('the worker stopped'));
    });
    this.worker = w;
    return w;
  }

  private fail(e: Error): void {
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  /** Sends one request after the previous ones; aborting terminates the worker (a fresh one starts next time). */
  run<T>(msg: Record<string, unknown>, signal?: AbortSignal, transfer: ArrayBuffer[] = [], progress?: (p: { done: number; total: number; what: string }) => void): Promise<T> {
    const go = () =>
      new Promise<T>((resolve, reject) => {
        if (signal?.aborted) return reject(new ServiceError('cancelled', 'Cancelled.'));
        const w = this.start();
        const id = this.next++;
        const onAbort = () => {
          this.waiting.delete(id);
          reject(new ServiceError('cancelled', 'Cancelled.'));
          // The next request starts a fresh worker (this one, and its helper threads, end now).
          if (this.worker === w) this.worker = null;
          void w.terminate();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.set(id, {
          resolve: (v) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(v as T);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
          ...(progress ? { progress } : {}),
        });
        w.postMessage({ ...msg, id }, transfer);
      });
    const p = this.chain.then(go, go);
    this.chain = p.catch(() => undefined);
    return p;
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

export class LearnService {
  private readonly worker = new LearnWorker();
  /** Normalised grey of recently used images (live feedback repaints the same image). */
  private readonly greyCache = new Map<number, { grey: Float32Array; w: number; h: number; colour?: Float32Array }>();

  /** The decoded classifier of the open project, by version (live feedback asks many times a second). */
  private clfCache: StoredClassifier | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    /** The SAM engine, for classifiers with SAM-embedding features. */
    private readonly sam?: SamPrompting,
  ) {
    ctx.onProjectClose(async () => {
      this.greyCache.clear();
      this.clfCache = null;
      this.mapsCache = null;
      await this.worker.dispose();
    });
  }

  private fallbackTold = false;

  /** Probabilities from the worker; when onnxruntime did not load, says so once (the JS forest ran). */
  private async predictInWorker(msg: Record<string, unknown>, signal: AbortSignal | undefined, transfer: ArrayBuffer[]): Promise<{ probs: Float32Array }> {
    const r = await this.worker.run<{ probs: Float32Array; fallback: string | null }>(msg, signal, transfer);
    if (r.fallback && !this.fallbackTold) {
      this.fallbackTold = true;
      console.warn(`GrainLab: ${r.fallback}.`);
    }
    return r;
  }

  /** The image's grey (and, for a colour image, its colour planes for the colour features). */
  private async grey(store: ProjectStore, imageId: number): Promise<{ grey: Float32Array; w: number; h: number; colour?: Float32Array }> {
    const hit = this.greyCache.get(imageId);
    if (hit) return hit;
    const img = await loadPixels(store, imageId);
    const colour = isColour(img.data, img.channels) ? colourPlanes(img.data, img.channels, img.width, img.height) : undefined;
    const v = { grey: normalizedGrey(img), w: img.width, h: img.height, ...(colour ? { colour } : {}) };
    this.greyCache.set(imageId, v);
    while (this.greyCache.size > 3) this.greyCache.delete(this.greyCache.keys().next().value!);
    return v;
  }

  /** Every labelled pixel of one image with its class id and source (scribbles win). */
  async imageLabels(store: ProjectStore, imageId: number, segments: boolean): Promise<ImageLabels> {
    const im = store.getImage(imageId);
    const n = im.width * im.height;
    const classIds = new Uint32Array(n);
    const source = new Uint8Array(n);
    if (segments) {
      // Through the edit store: the current map, with edits not yet checkpointed.
      const seg = await this.ctx.edits().current(imageId);
      if (seg) {
        const cls = new Map<number, { classId: number; source: number }>();
        for (const s of store.listSegments(imageId)) {
          if (s.classId == null) continue;
          if (isTrainingLabel(s)) cls.set(s.id, { classId: s.classId, source: SOURCE_CODE.segment });
          else if (s.classSource === 'cluster') cls.set(s.id, { classId: s.classId, source: SOURCE_CODE.cluster });
        }
        if (cls.size) {
          const d = seg.labels.data;
          for (let i = 0; i < n; i++) {
            const c = cls.get(d[i]!);
            if (c) {
              classIds[i] = c.classId;
              source[i] = c.source;
            }
          }
        }
      }
    }
    const scrib = scribbleClassIds(store, imageId);
    for (let i = 0; i < n; i++) {
      if (scrib[i]) {
        classIds[i] = scrib[i]!;
        source[i] = SOURCE_CODE.scribble;
      }
    }
    return { imageId, classIds, source };
  }

  /** Images that have any label: scribbles, or segments whose class is a training label or a cluster's. */
  private labelledImages(store: ProjectStore, segments: boolean): number[] {
    const ids = new Set(imagesWithStrokes(store));
    if (segments) {
      const rows = store.db
        .prepare("SELECT DISTINCT image_id AS id FROM segments WHERE class_id IS NOT NULL AND (class_source IN ('person','import','cluster') OR verified = 1)")
        .all() as { id: number }[];
      for (const r of rows) ids.add(r.id);
    }
    return [...ids].filter((id) => store.hasImage(id)).sort((a, b) => a - b);
  }

  async labels(segments = true): Promise<LabelSummary> {
    const store = this.ctx.project();
    const classes = new Map(store.listClasses().map((c) => [c.id, c.name]));
    const counts = new Map<number, { scribble: number; segment: number; cluster: number }>();
    const images = this.labelledImages(store, segments);
    for (const id of images) {
      const l = await this.imageLabels(store, id, segments);
      for (let i = 0; i < l.classIds.length; i++) {
        const c = l.classIds[i]!;
        if (!c) continue;
        let e = counts.get(c);
        if (!e) counts.set(c, (e = { scribble: 0, segment: 0, cluster: 0 }));
        if (l.source[i] === 1) e.scribble++;
        else if (l.source[i] === 2) e.segment++;
        else e.cluster++;
      }
    }
    const byClass = [...counts].filter(([c]) => classes.has(c)).sort((a, b) => a[0] - b[0]).map(([classId, e]) => ({ classId, name: classes.get(classId)!, ...e }));
    return { byClass, images: images.length, total: byClass.reduce((a, b) => a + b.scribble + b.segment + b.cluster, 0) };
  }

  async trainJob(a: ParsedArgs<'learn.train'>): Promise<string> {
    const store = this.ctx.project();
    // The features given, else the project's chosen set (learn.setFeatures), else the default set.
    const spec: FeatureSpec = a.features ?? projectFeatures(store);
    const t0 = performance.now();
    // Checked before the job starts, so a project without labels is told at once.
    const summary = await this.labels(a.segments);
    const classes = summary.byClass.filter((c) => c.scribble + c.segment + c.cluster > 0);
    if (classes.length < 2) {
      throw new ServiceError('invalid-argument', `Training needs labels of at least two classes; this project has ${classes.length === 1 ? `only '${classes[0]!.name}'` : 'none'}. Paint scribbles of two or more classes (or give segments classes) first.`);
    }
    if (a.sam) requireSamModel(this.sam, a.samModel, 'train');
    return this.ctx.jobs.start('Training the pixel classifier', 100, async (job) => {
      await Promise.resolve();
      const index = new Map(classes.map((c, k) => [c.classId, k + 1]));
      const images: TrainImage[] = [];
      const ids = this.labelledImages(store, a.segments);
      // With channels: the elements every labelled image has maps of, in name order.
      const elements = a.channels ? ids.map((id) => imageElements(store, id)).reduce((x, y) => x.filter((e) => y.includes(e))) : null;
      if (elements && elements.length === 0) throw new ServiceError('invalid-argument', 'Training with channels needs elemental maps of the same element on every labelled image; add maps (grainlab channels add) or train without channels.');
      // With SAM embeddings: a PCA of the training images' embeddings, applied to every image (after the channels' maps).
      if (a.sam) job.progress(1, 'SAM image embeddings');
      const sam = a.sam ? await fitSamRecipe(this.sam, store, ids, a.samModel, job.signal) : null;
      for (const id of ids) {
        if (job.signal.aborted) throw new ServiceError('cancelled', 'Cancelled.');
        const l = await this.imageLabels(store, id, a.segments);
        const g = await this.grey(store, id);
        const labels = Uint8Array.from(l.classIds, (c) => index.get(c) ?? 0);
        images.push({ grey: g.grey, width: g.w, height: g.h, labels, ...(g.colour ? { colour: g.colour } : {}), ...withExtra(concatExtra(elements ? await channelExtra(store, id, elements) : undefined, sam ? await samExtra(this.sam, store, id, sam, job.signal) : undefined)) });
      }
      // Colour images (colour-etched, polarised): grains that differ by hue get colour features too.
      const colourSigmas = images.some((im) => im.colour) ? { colourSigmas: [...DEFAULT_COLOUR_SIGMAS] } : {};
      job.progress(5, trainingLine(images.length, summary.total));
      // Unlabelled images get the same extra maps as the training images (elemental maps, SAM embeddings).
      const extraOf =
        elements || sam ? async (id: number) => concatExtra(elements ? await channelExtra(store, id, elements) : undefined, sam ? await samExtra(this.sam, store, id, sam, job.signal) : undefined)! : null;
      const unlabelled = (a.selfTrain ?? SELF_TRAIN_DEFAULT) ? await unlabelledImages(store, ids, job.signal, (id) => this.grey(store, id), extraOf) : null;
      const r = await this.worker.run<{ classifier: Classifier; selfTrain?: LearnClassifierInfo['selfTrain'] }>(
        { op: 'train', images, options: { features: spec, nClasses: classes.length, autoContext: a.autoContext, ...colourSigmas }, ...this.cacheFor(store, ids), ...(unlabelled ? { unlabelled } : {}) },
        job.signal,
        [],
        (p) => job.progress(5 + Math.round((90 * p.done) / p.total), p.what),
      );
      const info: Omit<LearnClassifierInfo, 'id' | 'version'> = {
        trainedAt: new Date().toISOString(),
        classes: classes.map((c) => ({ id: c.classId, name: c.name })),
        features: { sigmas: r.classifier.features.sigmas, kinds: r.classifier.features.kinds },
        autoContext: r.classifier.stage2 !== null,
        labels: summary,
        trainingSeconds: (performance.now() - t0) / 1000,
        ...(elements ? { channels: elements } : {}),
        ...(sam ? { sam } : {}),
        ...(r.selfTrain ? { selfTrain: r.selfTrain } : {}),
      };
      const saved = saveClassifier(store, { classifier: r.classifier, info });
      job.progress(100, `Classifier v${saved.info.version}: ${trainingLine(images.length, summary.total)}, ${info.trainingSeconds.toFixed(1)} s`);
    });
  }

  status(): LearnClassifierInfo | null {
    return loadClassifier(this.ctx.project())?.info ?? null;
  }

  async predictJob(a: ParsedArgs<'learn.predict'>): Promise<string> {
    const store = this.ctx.project();
    for (const id of a.imageIds) store.getImage(id);
    const { classifier, info } = a.classifier ? await readClassifierFile(a.classifier) : requireClassifier(store);
    const known = new Set(store.listClasses().map((c) => c.id));
    const missing = info.classes.filter((c) => !known.has(c.id));
    if (missing.length) {
      throw new ServiceError('invalid-argument', `The classifier's classes ${missing.map((c) => `'${c.name}' (id ${c.id})`).join(', ')} are not in this project. Add them (grainlab classes add) or train a classifier in this project.`);
    }
    const classIds = info.classes.map((c) => c.id);
    const boundary = a.output === 'grains' ? classIds.indexOf(a.boundaryClassId ?? -1) : -1;
    if (a.output === 'grains' && boundary < 0) {
      throw new ServiceError('invalid-argument', `Grain output needs boundaryClassId, one of the classifier's classes (${info.classes.map((c) => `${c.id} ${c.name}`).join(', ')}).`);
    }
    const targets = classIds.map((id) => a.fractions?.[String(id)] ?? null);
    const skip = a.skipClassIds.map((id) => classIds.indexOf(id)).filter((k) => k >= 0);
    return this.ctx.jobs.start('Predicting with the pixel classifier', a.imageIds.length, async (job) => {
      let done = 0;
      for (const imageId of a.imageIds) {
        if (job.signal.aborted) throw new ServiceError('cancelled', 'Cancelled.');
        if (!store.hasImage(imageId)) continue;
        const g = await this.grey(store, imageId);
        const copy = g.grey.slice();
        const extra = await this.extraFor(store, imageId, info);
        const r = await this.predictInWorker({ op: 'predict', classifier, grey: copy, width: g.w, height: g.h, ...extra, ...colourOf(classifier, g), ...this.cacheFor(store, [imageId], true) }, job.signal, [copy.buffer]);
        const n = g.w * g.h;
        const C = classifier.nClasses;
        let labels;
        let rowOf: (id: number) => { classId: number; classSource: 'classifier'; classConfidence: number } | undefined;
        if (a.output === 'grains') {
          labels = grainSegments(r.probs.subarray(boundary * n, (boundary + 1) * n), g.w, g.h, { minArea: a.minArea });
          rowOf = () => undefined;
        } else {
          const weights = fractionWeights(r.probs, C, n, targets);
          const cls = argmaxClasses(r.probs, C, n, weights);
          const all = phaseSegments(cls, g.w, g.h, { minArea: a.minArea, skip });
          const allConf = segmentConfidence(all.labels.data, all.classOf, r.probs, n);
          // minConfidence: unsure segments are left for a person to draw.
          const ph = a.minConfidence ? confidentSegments(all, allConf, a.minConfidence) : { ...all, oldId: null };
          const conf = (id: number) => allConf[ph.oldId ? ph.oldId[id]! : id]!;
          labels = ph.labels;
          rowOf = (id) => (id < ph.classOf.length ? { classId: classIds[ph.classOf[id]!]!, classSource: 'classifier', classConfidence: conf(id) } : undefined);
        }
        await saveAutomaticResult(this.ctx.edits(), imageId, { labels, source: 'auto', rowOf }, { engine: `pixel-classifier v${info.version}`, settings: { output: a.output, fractions: a.fractions ?? null, minArea: a.minArea, classifier: info.version, ...(a.minConfidence ? { minConfidence: a.minConfidence } : {}) }, keep: a.keep });
        this.ctx.emit('onDidChangeImage', { imageId, reason: 'segmented' });
        job.progress(++done);
      }
    });
  }

  /**
   * The stored classifier's phase map of one image, saved nowhere: what `grainlab eval --project`
   * scores as the engine 'pixel-classifier' (main/eval/engines.ts).
   */
  async predictLabels(store: ProjectStore, imageId: number, signal: AbortSignal): Promise<LabelMap> {
    const { classifier, info } = this.classifier(store);
    const g = await this.grey(store, imageId);
    const copy = g.grey.slice();
    const r = await this.predictInWorker({ op: 'predict', classifier, grey: copy, width: g.w, height: g.h, ...(await this.extraFor(store, imageId, info)), ...colourOf(classifier, g) }, signal, [copy.buffer]);
    const n = g.w * g.h;
    const cls = argmaxClasses(r.probs, classifier.nClasses, n);
    return phaseSegments(cls, g.w, g.h, { minArea: 16, skip: [] }).labels;
  }

  /** The extra feature maps a classifier trained with channels needs for an image (a copy for the worker). */
  private async extraFor(store: ProjectStore, imageId: number, info: LearnClassifierInfo): Promise<{ extra?: Float32Array }> {
    const channels = info.channels?.length ? await channelExtra(store, imageId, info.channels) : undefined;
    const sam = info.sam ? await samExtra(this.sam, store, imageId, info.sam) : undefined;
    const extra = concatExtra(channels, sam);
    return extra ? { extra: extra === channels || extra === sam ? extra.slice() : extra } : {};
  }

  /** The feature cache for the worker: the project's folder, the bound and the images' keys. */
  private cacheFor(store: ProjectStore, ids: number[], readOnly = false): { cache?: { dir: string; limitBytes: number; images: (string | null)[]; readOnly: boolean } } {
    const limitBytes = featureCacheLimit();
    if (!limitBytes || store.readOnly) return {};
    return { cache: { dir: featureCacheDir(store.dir), limitBytes, images: ids.map((id) => (store.hasImage(id) ? imageKey(store.getImage(id)) : null)), readOnly } };
  }

  /** The last image's cached filter-bank maps for live prediction (a retrain of it wrote them). */
  private mapsCache: { key: string; maps: Float32Array | null } | null = null;

  private async cachedMaps(store: ProjectStore, imageId: number, clf: Classifier, w: number, h: number): Promise<Float32Array | null> {
    const limitBytes = featureCacheLimit();
    if (!limitBytes) return null;
    const image = imageKey(store.getImage(imageId));
    const recipe = recipeKey({ features: clf.features, greyQuantiles: clf.greyQuantiles, width: w, height: h });
    const key = `${store.dir}|${image}|${recipe}`;
    // A miss is asked again after each training (it may have written the file).
    if (this.mapsCache?.key === key && this.mapsCache.maps) return this.mapsCache.maps;
    const maps = await new FeatureCache(featureCacheDir(store.dir), limitBytes).read(image, recipe, featureCount(clf.features) * w * h);
    this.mapsCache = { key, maps };
    return maps;
  }

  private classifier(store: ProjectStore): StoredClassifier {
    const latest = (store.db.prepare('SELECT max(id) AS id FROM learn_classifiers').get() as { id: number | null }).id;
    if (this.clfCache && latest === this.clfCache.info.id) return this.clfCache;
    this.clfCache = requireClassifier(store);
    return this.clfCache;
  }

  /** First-stage prediction of a rectangle (features on the rectangle plus a halo). */
  async predictRegion(a: ParsedArgs<'learn.predictRegion'>): Promise<RegionPrediction> {
    const t0 = performance.now();
    const store = this.ctx.project();
    const { classifier, info } = this.classifier(store);
    const g = await this.grey(store, a.imageId);
    const x = Math.min(a.x, g.w - 1);
    const y = Math.min(a.y, g.h - 1);
    const t = { x, y, w: Math.min(a.width, g.w - x), h: Math.min(a.height, g.h - y) };
    const maps = await this.cachedMaps(store, a.imageId, classifier, g.w, g.h);
    const r = regionProbs(classifier, g.grey, g.w, g.h, t, (await this.extraFor(store, a.imageId, info)).extra, colourOf(classifier, g).colour, maps);
    const n = t.w * t.h;
    const cls = argmaxClasses(r, classifier.nClasses, n);
    const m = margins(r, classifier.nClasses, n);
    const margin = new Uint8Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      margin[i] = Math.round(m[i]! * 255);
      sum += m[i]!;
    }
    return { imageId: a.imageId, x: t.x, y: t.y, width: t.w, height: t.h, classIds: info.classes.map((c) => c.id), classes: cls, margin, meanMargin: sum / n, milliseconds: performance.now() - t0 };
  }

  /** The square (of `size` px) with the lowest mean margin, over the image or all images with labels. */
  async nextUncertain(a: ParsedArgs<'learn.nextUncertain'>): Promise<UncertainRegion | null> {
    const store = this.ctx.project();
    const { classifier, info } = this.classifier(store);
    const ids = a.imageId ? [store.getImage(a.imageId).id] : store.listImages().map((i) => i.id).slice(0, 50);
    let best: UncertainRegion | null = null;
    for (const imageId of ids) {
      const g = await this.grey(store, imageId);
      const copy = g.grey.slice();
      const r = await this.predictInWorker({ op: 'predict', classifier, grey: copy, width: g.w, height: g.h, firstStageOnly: true, ...(await this.extraFor(store, imageId, info)), ...colourOf(classifier, g) }, undefined, [copy.buffer]);
      const m = margins(r.probs, classifier.nClasses, g.w * g.h);
      const s = Math.min(a.size, g.w, g.h);
      for (let y = 0; y + s <= g.h; y += Math.max(1, s >> 1)) {
        for (let x = 0; x + s <= g.w; x += Math.max(1, s >> 1)) {
          let sum = 0;
          for (let yy = y; yy < y + s; yy += 2) for (let xx = x; xx < x + s; xx += 2) sum += m[yy * g.w + xx]!;
          const mean = sum / (Math.ceil(s / 2) * Math.ceil(s / 2));
          if (!best || mean < best.meanMargin) best = { imageId, x, y, width: s, height: s, meanMargin: mean };
        }
      }
    }
    return best;
  }

  async exportTo(path: string): Promise<{ path: string; bytes: number }> {
    const store = this.ctx.project();
    const c = requireClassifier(store);
    const file = resolveChosenPath(path, 'classifier file');
    const bytes = encodeClassifierFile(c, formatOf(file));
    // A folder is no file name: refused before anything is written (the temporary file would
    // otherwise land beside the folder, outside it, and stay there).
    if ((await stat(file).catch(() => null))?.isDirectory()) {
      throw new ServiceError('invalid-argument', `${file} is a folder; give the classifier a file name in it, e.g. ${join(file, 'classifier.onnx')}.`, file);
    }
    const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ServiceError('io', `Cannot write the classifier file ${file} (${code}). Choose a folder that exists and that you may write to.`, file);
    }
    return { path: file, bytes: bytes.length };
  }
}

/** The jobs panel's line under the training bar ("1 image, 5,769 labelled pixels"). */
export function trainingLine(images: number, pixels: number): string {
  return `${images.toLocaleString('en')} image${images === 1 ? '' : 's'}, ${pixels.toLocaleString('en')} labelled pixel${pixels === 1 ? '' : 's'}`;
}

/** A classifier exported with learn.export; a missing or damaged file is a clear error. */
async function readClassifierFile(path: string): Promise<StoredClassifier> {
  const file = resolveChosenPath(path, 'classifier file');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ServiceError('not-found', `Cannot read the classifier file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Export one with 'grainlab train --out <file>'.`, file);
  }
  return decodeClassifierFile(bytes, formatOf(file), file);
}

/** `{ extra }` when there are extra maps. */
function withExtra(extra: Float32Array | undefined): { extra?: Float32Array } {
  return extra ? { extra } : {};
}

/** The image's colour planes for a classifier with colour features (a grey image: none, grey planes are used). */
function colourOf(clf: Classifier, g: { colour?: Float32Array }): { colour?: Float32Array } {
  return clf.colourSigmas?.length && g.colour ? { colour: g.colour } : {};
}

/** Stage-1 probabilities of a rectangle, class-major (the grey stretched as in training). */
function regionProbs(clf: Classifier, grey: Float32Array, w: number, h: number, t: { x: number; y: number; w: number; h: number }, extra?: Float32Array, colour?: Float32Array, maps?: Float32Array | null): Float32Array {
  const feats = regionFeatures(clf, stretchGrey(grey, clf.greyQuantiles), w, h, t, { ...(extra ? { extra } : {}), ...(colour ? { colour } : {}), ...(maps ? { maps } : {}) });
  return predictForest(clf.stage1, feats, t.w * t.h);
}
