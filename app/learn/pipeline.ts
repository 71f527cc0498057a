// The trainable pixel classifier end to end: filter-bank features, a class-balanced random forest,
// an auto-context second stage (the first stage's probabilities, smoothed at several scales, added
// as features), phase-fraction targets that shift the decision, and large images done tile by
// tile so memory stays bounded. Pure: callers (workers, benchmarks, tests) bring the pixels.
import { computeFeatures, checkSpec, featureCount, smooth, smoothHalo, tileFeatures, tilesOf, type FeatureSpec } from './features';
import { predictForest, trainForest, type Forest, type ForestOptions } from './forest';
import { appendExtra, extraCount } from './channel-features';
import { colourFeatureCount, tileColourFeatures } from './colour-features';

export const CLASSIFIER_FORMAT = 'grainlab-pixel-classifier';
export const CLASSIFIER_VERSION = 1;

export interface Classifier {
  format: typeof CLASSIFIER_FORMAT;
  version: number;
  features: FeatureSpec;
  /** Number of classes; class k is the k-th entry of the caller's class list. */
  nClasses: number;
  stage1: Forest;
  /** Auto-context stage (null when turned off). */
  stage2: Forest | null;
  contextSigmas: number[];
  /** Extra maps per image after the filter bank and colour features (elemental maps, channel-features.ts); absent = 0. */
  extraFeatures?: number;
  /** Scales of the colour features (colour-features.ts); absent or empty = grey only. */
  colourSigmas?: number[];
  /**
   * Grey re-stretched per image before features: these quantiles map to 0 and 1 (absent =
   * classifiers saved before it: grey used as given).
   */
  greyQuantiles?: [number, number];
}

export interface TrainImage {
  grey: Float32Array;
  width: number;
  height: number;
  /** Per pixel: 0 = unlabelled, k+1 = class k. */
  labels: Uint8Array;
  /** Extra feature maps (feature-major, w x h each), e.g. channelFeatureMaps of elemental maps. */
  extra?: Float32Array;
  /** Colour planes (colourPlanes), for classifiers with colour features; grey is used when absent. */
  colour?: Float32Array;
}

export interface TrainOptions {
  features: FeatureSpec;
  nClasses: number;
  autoContext?: boolean;
  contextSigmas?: number[];
  forest?: ForestOptions;
  /** Labelled pixels used at most (a class-stratified sample beyond that). */
  maxSamples?: number;
  /**
   * Per-image grey stretch: these quantiles of each image's grey go to 0 and 1 (default
   * DEFAULT_GREY_QUANTILES; null = none). Robust to the specks, dust and dark pits that put
   * the extreme percentiles far from the material's own grey levels.
   */
  greyQuantiles?: [number, number] | null;
  /** Add colour features (opponent channels, colour gradient) at these scales; default none. */
  colourSigmas?: number[];
  onProgress?: (done: number, total: number, what: string) => void;
  signal?: AbortSignal;
  /** Cached filter-bank maps of training image k (feature-cache); see BankHook. */
  bank?: (k: number, q: [number, number] | undefined, compute: () => Float32Array) => Float32Array;
  /** Predict the first stage at every pixel, not only within the context maps' reach of the labels (the same classifier, slower: tests and benchmarks). */
  contextEverywhere?: boolean;
}

/**
 * Where whole-image filter-bank maps (computeFeatures of the stretched grey, feature-major) come
 * from: a cache returns them or calls compute() and keeps its result. Only asked for images that
 * are featured whole; `q` is the grey stretch they were made with. The maps are not changed.
 */
type BankHook = (q: [number, number] | undefined, compute: () => Float32Array) => Float32Array;

const DEFAULT_GREY_QUANTILES: [number, number] = [0.02, 0.98];

/** Grey linearly stretched so its quantiles q[0] and q[1] become 0 and 1 (a sample of pixels). */
export function stretchGrey(grey: Float32Array, q: [number, number] | undefined): Float32Array {
  if (!q) return grey;
  const stride = Math.max(1, Math.floor(grey.length / 100_000));
  const sample: number[] = [];
  for (let i = 0; i < grey.length; i += stride) sample.push(grey[i]!);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(q[0] * (sample.length - 1))]!;
  const hi = sample[Math.ceil(q[1] * (sample.length - 1))]!;
  if (!(hi > lo)) return grey;
  const s = 1 / (hi - lo);
  return Float32Array.from(grey, (v) => (v - lo) * s);
}

/** Images up to this many feature values are featured whole; larger ones tile by tile. */
const WHOLE_IMAGE_VALUES = 48 * 1024 * 1024;
const TILE = 512;

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('Cancelled'), { name: 'AbortError' });
}

/**
 * Features of an image, either all at once (kept for the second stage) or recomputed per tile;
 * `each` visits tiles with their feature-major maps.
 */
class FeatureSource {
  private whole: Float32Array | null = null;
  readonly F: number;
  private readonly planes: Float32Array | null;
  /** Maps before the extra ones: the filter bank and the colour features. */
  private readonly own: number;
  constructor(readonly grey: Float32Array, readonly w: number, readonly h: number, readonly spec: FeatureSpec, readonly colourSigmas: number[] = [], colour?: Float32Array, readonly extra?: Float32Array, readonly bank?: (compute: () => Float32Array) => Float32Array) {
    this.own = featureCount(spec) + colourFeatureCount(colourSigmas);
    this.F = this.own + extraCount(extra, w * h);
    this.planes = colourSigmas.length ? (colour ?? greyPlanes(grey)) : null;
  }
  get tiled(): boolean {
    return this.F * this.w * this.h > WHOLE_IMAGE_VALUES;
  }
  private featuresOf(t: { x: number; y: number; w: number; h: number }, whole: boolean): Float32Array {
    const compute = () => computeFeatures(this.grey, this.w, this.h, this.spec);
    const grey = whole ? (this.bank ? this.bank(compute) : compute()) : tileFeatures(this.grey, this.w, this.h, this.spec, t);
    if (!this.planes) return grey;
    const colour = tileColourFeatures(this.planes, this.w, this.h, this.colourSigmas, t);
    const out = new Float32Array(grey.length + colour.length);
    out.set(grey);
    out.set(colour, grey.length);
    return out;
  }
  *tiles(): Generator<{ x: number; y: number; w: number; h: number; feats: Float32Array }> {
    if (!this.tiled) {
      const t = { x: 0, y: 0, w: this.w, h: this.h };
      this.whole ??= appendExtra(this.featuresOf(t, true), this.own, this.extra, this.w, this.w * this.h, t);
      yield { ...t, feats: this.whole };
      return;
    }
    for (const t of tilesOf(this.w, this.h, TILE)) yield { ...t, feats: appendExtra(this.featuresOf(t, false), this.own, this.extra, this.w, this.w * this.h, t) };
  }
}

/** Three equal colour planes from a grey image (a colour classifier applied to a grey image). */
export function greyPlanes(grey: Float32Array): Float32Array {
  const out = new Float32Array(3 * grey.length);
  for (let c = 0; c < 3; c++) out.set(grey, c * grey.length);
  return out;
}

/**
 * Features of one region as the classifier's first stage reads them (live prediction of the view):
 * the filter bank, the colour features, the extra maps. `grey` is already stretched (stretchGrey
 * with the classifier's quantiles, over the whole image).
 */
export function regionFeatures(clf: Classifier, grey: Float32Array, w: number, h: number, t: { x: number; y: number; w: number; h: number }, o: { colour?: Float32Array; extra?: Float32Array; maps?: Float32Array } = {}): Float32Array {
  // Whole-image filter-bank maps (the feature cache's) are cut to the region; else computed on it.
  const bank = o.maps ? appendExtra(new Float32Array(0), 0, o.maps, w, w * h, t) : tileFeatures(grey, w, h, clf.features, t);
  const cs = clf.colourSigmas ?? [];
  let own = bank;
  if (cs.length) {
    const colour = tileColourFeatures(o.colour ?? greyPlanes(grey), w, h, cs, t);
    own = new Float32Array(bank.length + colour.length);
    own.set(bank);
    own.set(colour, bank.length);
  }
  return appendExtra(own, own.length / (t.w * t.h), o.extra, w, w * h, t);
}

/** Context maps per classifier: the first C - 1 classes (the last is 1 minus their sum) x scales. */
function contextCount(C: number, sigmas: number[]): number {
  return (C - 1) * sigmas.length;
}

/** The first stage's probabilities smoothed at each context scale: ((C-1) x S) maps, class-major. */
function contextMaps(probs: Float32Array, C: number, w: number, h: number, sigmas: number[]): Float32Array {
  const n = w * h;
  const out = new Float32Array(contextCount(C, sigmas) * n);
  let k = 0;
  for (let c = 0; c < C - 1; c++) {
    const p = probs.subarray(c * n, (c + 1) * n);
    for (const s of sigmas) {
      smooth(p, w, h, s, out.subarray(k * n, (k + 1) * n));
      k++;
    }
  }
  return out;
}

/** Feature-major maps of a tile: its filter features, then the context maps cut to the tile. */
function withContext(feats: Float32Array, F: number, ctx: Float32Array, K: number, w: number, t: { x: number; y: number; w: number; h: number }, imageN: number): Float32Array {
  const n = t.w * t.h;
  const out = new Float32Array((F + K) * n);
  out.set(feats.subarray(0, F * n));
  for (let k = 0; k < K; k++) {
    for (let y = 0; y < t.h; y++) {
      const s = k * imageN + (t.y + y) * w + t.x;
      out.set(ctx.subarray(s, s + t.w), (F + k) * n + y * t.w);
    }
  }
  return out;
}

function pasteProbs(full: Float32Array, part: Float32Array, C: number, w: number, imageN: number, t: { x: number; y: number; w: number; h: number }): void {
  const n = t.w * t.h;
  for (let c = 0; c < C; c++) for (let y = 0; y < t.h; y++) full.set(part.subarray(c * n + y * t.w, c * n + (y + 1) * t.w), c * imageN + (t.y + y) * w + t.x);
}

/** Rows (row-major, F features) at the labelled pixels of a tile. */
function gather(feats: Float32Array, F: number, labels: Uint8Array, w: number, t: { x: number; y: number; w: number; h: number }, rows: number[], ys: number[], keep: (i: number) => boolean): void {
  const n = t.w * t.h;
  for (let y = 0; y < t.h; y++) {
    for (let x = 0; x < t.w; x++) {
      const gi = (t.y + y) * w + t.x + x;
      const l = labels[gi]!;
      if (l === 0 || !keep(gi)) continue;
      const i = y * t.w + x;
      for (let f = 0; f < F; f++) rows.push(feats[f * n + i]!);
      ys.push(l - 1);
    }
  }
}

/** Which labelled pixels to use: all, or a class-stratified random subset of at most max. */
function sampler(images: TrainImage[], C: number, max: number, seed: number): ((img: number, i: number) => boolean) {
  const counts = new Float64Array(C);
  for (const im of images) for (let i = 0; i < im.labels.length; i++) if (im.labels[i]! > 0) counts[im.labels[i]! - 1]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= max) return () => true;
  // Equal share per present class; a hash of (image, pixel) decides, so both stages agree.
  const present = counts.filter((c) => c > 0).length;
  const share = max / present;
  const p = Array.from(counts, (c) => (c > 0 ? Math.min(1, share / c) : 0));
  return (img, i) => {
    const l = images[img]!.labels[i]!;
    let hsh = Math.imul(i ^ (img * 0x9e3779b1) ^ seed, 0x85ebca6b);
    hsh ^= hsh >>> 13;
    hsh = Math.imul(hsh, 0xc2b2ae35);
    hsh ^= hsh >>> 16;
    return (hsh >>> 0) / 4294967296 < p[l - 1]!;
  };
}

/**
 * The pixels whose first-stage probabilities the context maps at the used labelled pixels read:
 * those within smooth()'s reach (smoothHalo of the widest context scale, plus a margin) of one.
 * Training needs the context maps there only, so the first stage predicts just these pixels (a
 * small part of an image with scribbles) and the classifier is the same as with every pixel
 * predicted (tested). Null when that is (nearly) the whole image.
 */
function contextReach(labels: Uint8Array, w: number, h: number, sigmas: number[], use: (i: number) => boolean): Uint8Array | null {
  const r = Math.max(0, ...sigmas.map(smoothHalo)) + 8;
  const seed = new Uint8Array(w * h);
  let count = 0;
  for (let i = 0; i < seed.length; i++) {
    if (labels[i]! > 0 && use(i)) {
      seed[i] = 1;
      count++;
    }
  }
  if (count === 0) return seed;
  // Square dilation by r: along the rows, then along the columns.
  const run = (src: Uint8Array, dst: Uint8Array, len: number, lines: number, at: (line: number, k: number) => number) => {
    for (let line = 0; line < lines; line++) {
      let last = -Infinity;
      for (let k = 0; k < len; k++) {
        if (src[at(line, k)]) last = k;
        if (k - last <= r) dst[at(line, k)] = 1;
      }
      last = Infinity;
      for (let k = len - 1; k >= 0; k--) {
        if (src[at(line, k)]) last = k;
        if (last - k <= r) dst[at(line, k)] = 1;
      }
    }
  };
  const rows = new Uint8Array(w * h);
  run(seed, rows, w, h, (y, x) => y * w + x);
  const out = new Uint8Array(w * h);
  run(rows, out, h, w, (x, y) => y * w + x);
  let needed = 0;
  for (let i = 0; i < out.length; i++) needed += out[i]!;
  return needed > 0.9 * out.length ? null : out;
}

/** Stage-1 probabilities of a tile at the `need` pixels (all when null), 0 elsewhere. */
function predictWhere(forest: Forest, feats: Float32Array, F: number, need: Uint8Array | null, w: number, t: { x: number; y: number; w: number; h: number }): Float32Array {
  const tn = t.w * t.h;
  if (!need) return predictForest(forest, feats, tn);
  const idx: number[] = [];
  for (let y = 0; y < t.h; y++) for (let x = 0; x < t.w; x++) if (need[(t.y + y) * w + t.x + x]) idx.push(y * t.w + x);
  if (idx.length === tn) return predictForest(forest, feats, tn);
  const m = idx.length;
  const x = new Float32Array(F * m);
  for (let f = 0; f < F; f++) for (let j = 0; j < m; j++) x[f * m + j] = feats[f * tn + idx[j]!]!;
  const p = predictForest(forest, x, m);
  const C = forest.nClasses;
  const out = new Float32Array(C * tn);
  for (let c = 0; c < C; c++) for (let j = 0; j < m; j++) out[c * tn + idx[j]!] = p[c * m + j]!;
  return out;
}

export function train(images: TrainImage[], o: TrainOptions): Classifier {
  const spec = checkSpec(o.features);
  const C = o.nClasses;
  if (C < 2) throw new RangeError('training needs at least two classes');
  const autoContext = o.autoContext ?? true;
  const contextSigmas = o.contextSigmas ?? [1, 3, 8];
  const keep = sampler(images, C, o.maxSamples ?? 200_000, 7);
  const colourSigmas = o.colourSigmas ?? [];
  const greyQuantiles = o.greyQuantiles === undefined ? DEFAULT_GREY_QUANTILES : (o.greyQuantiles ?? undefined);
  const bank = o.bank;
  const sources = images.map((im, k) => new FeatureSource(stretchGrey(im.grey, greyQuantiles), im.width, im.height, spec, colourSigmas, im.colour, im.extra, bank && ((compute) => bank(k, greyQuantiles, compute))));
  const F = sources[0]?.F ?? featureCount(spec);
  if (sources.some((src) => src.F !== F)) throw new RangeError('every training image needs the same extra feature maps');
  const extraFeatures = F - featureCount(spec) - colourFeatureCount(colourSigmas);
  const fields = { ...(colourSigmas.length ? { colourSigmas } : {}), ...(greyQuantiles ? { greyQuantiles } : {}), ...(extraFeatures ? { extraFeatures } : {}) };
  const steps = images.length * (autoContext ? 3 : 1) + (autoContext ? 2 : 1);
  let step = 0;
  const tick = (what: string) => o.onProgress?.(++step, steps, what);
  const rows: number[] = [];
  const ys: number[] = [];
  images.forEach((im, k) => {
    checkAborted(o.signal);
    for (const t of sources[k]!.tiles()) gather(t.feats, F, im.labels, im.width, t, rows, ys, (i) => keep(k, i));
    tick('features');
  });
  const y = Uint8Array.from(ys);
  if (new Set(y).size < 2) throw new RangeError('the labels name fewer than two classes: paint at least two classes');
  checkAborted(o.signal);
  const stage1 = trainForest(Float32Array.from(rows), y, y.length, F, C, o.forest);
  tick('forest');
  if (!autoContext) return { format: CLASSIFIER_FORMAT, version: CLASSIFIER_VERSION, features: spec, nClasses: C, stage1, stage2: null, contextSigmas: [], ...fields };
  const K = contextCount(C, contextSigmas);
  const rows2: number[] = [];
  const ys2: number[] = [];
  images.forEach((im, k) => {
    checkAborted(o.signal);
    const src = sources[k]!;
    const n = im.width * im.height;
    const probs = new Float32Array(C * n);
    // Stage 1 only where the context maps of the sampled labelled pixels read it (contextReach).
    const need = o.contextEverywhere ? null : contextReach(im.labels, im.width, im.height, contextSigmas, (i) => keep(k, i));
    for (const t of src.tiles()) pasteProbs(probs, predictWhere(stage1, t.feats, F, need, im.width, t), C, im.width, n, t);
    tick('first stage');
    const ctx = contextMaps(probs, C, im.width, im.height, contextSigmas);
    tick('context');
    for (const t of src.tiles()) gather(withContext(t.feats, F, ctx, K, im.width, t, n), F + K, im.labels, im.width, t, rows2, ys2, (i) => keep(k, i));
  });
  checkAborted(o.signal);
  const stage2 = trainForest(Float32Array.from(rows2), Uint8Array.from(ys2), ys2.length, F + K, C, { ...o.forest, seed: (o.forest?.seed ?? 1) + 1 });
  tick('second stage');
  return { format: CLASSIFIER_FORMAT, version: CLASSIFIER_VERSION, features: spec, nClasses: C, stage1, stage2, contextSigmas, ...fields };
}

export interface PredictOptions {
  signal?: AbortSignal;
  /** Stop after the first stage (faster, for live feedback). */
  firstStageOnly?: boolean;
  /** The extra maps the classifier was trained with (Classifier.extraFeatures of them). */
  extra?: Float32Array;
  /** Colour planes of the image (colourPlanes) for a classifier with colour features. */
  colour?: Float32Array;
  /** Cached filter-bank maps of the image (feature-cache). */
  bank?: BankHook;
}

/** Class probabilities of every pixel, class-major (out[c*n + i]). */
export function predict(clf: Classifier, grey: Float32Array, w: number, h: number, o: PredictOptions = {}): Float32Array {
  const C = clf.nClasses;
  const n = w * h;
  if (extraCount(o.extra, n) !== (clf.extraFeatures ?? 0)) throw new RangeError(`the classifier needs ${clf.extraFeatures ?? 0} extra feature maps`);
  const bank = o.bank;
  const src = new FeatureSource(stretchGrey(grey, clf.greyQuantiles), w, h, clf.features, clf.colourSigmas ?? [], o.colour, o.extra, bank && ((compute) => bank(clf.greyQuantiles, compute)));
  const probs = new Float32Array(C * n);
  for (const t of src.tiles()) {
    checkAborted(o.signal);
    pasteProbs(probs, predictForest(clf.stage1, t.feats, t.w * t.h), C, w, n, t);
  }
  if (!clf.stage2 || o.firstStageOnly) return probs;
  const ctx = contextMaps(probs, C, w, h, clf.contextSigmas);
  const K = contextCount(C, clf.contextSigmas);
  const out = new Float32Array(C * n);
  for (const t of src.tiles()) {
    checkAborted(o.signal);
    pasteProbs(out, predictForest(clf.stage2, withContext(t.feats, src.F, ctx, K, w, t, n), t.w * t.h), C, w, n, t);
  }
  return out;
}

/** Most probable class per pixel, after multiplying class k's probability by weights[k]. */
export function argmaxClasses(probs: Float32Array, C: number, n: number, weights?: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -1;
    for (let c = 0; c < C; c++) {
      const v = probs[c * n + i]! * (weights ? weights[c]! : 1);
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Margin between the two most probable classes per pixel (0 = undecided, 1 = certain). */
export function margins(probs: Float32Array, C: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      const v = probs[c * n + i]!;
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) b = v;
    }
    out[i] = a - b;
  }
  return out;
}

/**
 * Class weights so that the argmax's class fractions match `targets` (fractions in 0..1, null =
 * no target for that class): multiplicative updates toward each target, a few dozen passes over
 * a pixel sample. Classes without a target keep weight 1 relative to each other.
 */
export function fractionWeights(probs: Float32Array, C: number, n: number, targets: (number | null)[]): Float64Array {
  const w = new Float64Array(C).fill(1);
  if (!targets.some((t) => t != null)) return w;
  const stride = Math.max(1, Math.floor(n / 50_000));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  const counts = new Float64Array(C);
  for (let iter = 0; iter < 60; iter++) {
    counts.fill(0);
    for (const i of idx) {
      let best = 0;
      let bv = -1;
      for (let c = 0; c < C; c++) {
        const v = probs[c * n + i]! * w[c]!;
        if (v > bv) {
          bv = v;
          best = c;
        }
      }
      counts[best]!++;
    }
    let worst = 0;
    for (let c = 0; c < C; c++) {
      const t = targets[c];
      if (t == null) continue;
      const f = counts[c]! / idx.length;
      worst = Math.max(worst, Math.abs(f - t));
      w[c] = w[c]! * Math.pow((Math.max(t, 1e-4) + 1e-3) / (f + 1e-3), 0.5);
    }
    if (worst < 0.002) break;
  }
  return w;
}
