// Prediction of large images tile by tile with a pluggable forest evaluator (the JS forest, or the
// same forest compiled to ONNX and run by onnxruntime in main/learn/onnx-forest.ts). Memory stays
// bounded by the tile, not the image: filter-bank features exist for one tile (plus its halo) at a
// time, and the auto-context maps are smoothed per tile from the first stage's probabilities.
// Results equal app/learn/pipeline.predict (tested), which keeps whole-image context maps.
import { computeFeatures, featureCount, featureHalo, smooth, smoothHalo, tilesOf, type Tile } from './features';
import { predictForest, type Forest } from './forest';
import { greyPlanes, stretchGrey, type Classifier } from './pipeline';
import { extraCount } from './channel-features';
import { colourFeatureCount, tileColourFeatures } from './colour-features';

/** Evaluates one forest: class-major probabilities for npx pixels of feature-major maps. */
export type ForestEval = (forest: Forest, x: Float32Array, npx: number) => Float32Array | Promise<Float32Array>;

export const jsForest: ForestEval = (forest, x, npx) => predictForest(forest, x, npx);

export interface TiledPredictOptions {
  signal?: AbortSignal;
  firstStageOnly?: boolean;
  /** Tile side in pixels (default 1024; a tile's features with the default set take ~270 MB). */
  tile?: number;
  /**
   * Bytes of first-stage tile features kept for the second stage (default 1 GiB): an image whose
   * features fit is featured once; a larger one is featured again tile by tile (memory bounded).
   */
  keepBytes?: number;
  /** Called after each tile of each stage. */
  onTile?: (done: number, total: number) => void;
  /** The extra whole-image maps the classifier was trained with (elemental maps; Classifier.extraFeatures of them). */
  extra?: Float32Array;
  /** Colour planes of the image (colourPlanes) for a classifier with colour features (grey planes when absent). */
  colour?: Float32Array;
  /** The image's whole filter-bank maps (computeFeatures of the stretched grey, e.g. from the feature cache): cut per tile instead of computed. */
  maps?: Float32Array;
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('Cancelled'), { name: 'AbortError' });
}

/** The rectangle around a tile, `halo` wider on each side and clamped to the image. */
function grow(t: Tile, halo: number, w: number, h: number): Tile {
  const x = Math.max(0, t.x - halo);
  const y = Math.max(0, t.y - halo);
  return { x, y, w: Math.min(w, t.x + t.w + halo) - x, h: Math.min(h, t.y + t.h + halo) - y };
}

/** Copies `maps` planes of box b out of full-image planes (planes of w*h). */
function crop(src: Float32Array, maps: number, w: number, h: number, b: Tile, out = new Float32Array(maps * b.w * b.h)): Float32Array {
  const n = w * h;
  const bn = b.w * b.h;
  for (let m = 0; m < maps; m++) for (let y = 0; y < b.h; y++) out.set(src.subarray(m * n + (b.y + y) * w + b.x, m * n + (b.y + y) * w + b.x + b.w), m * bn + y * b.w);
  return out;
}

/** Cuts tile t out of `maps` planes computed on box b, into out at plane offset `at` (planes of t.w*t.h). */
function cut(src: Float32Array, maps: number, b: Tile, t: Tile, out: Float32Array, at: number): void {
  const bn = b.w * b.h;
  const n = t.w * t.h;
  const ox = t.x - b.x;
  const oy = t.y - b.y;
  for (let m = 0; m < maps; m++) {
    for (let y = 0; y < t.h; y++) {
      const s = m * bn + (oy + y) * b.w + ox;
      out.set(src.subarray(s, s + t.w), (at + m) * n + y * t.w);
    }
  }
}

function paste(full: Float32Array, part: Float32Array, C: number, w: number, h: number, t: Tile): void {
  const n = t.w * t.h;
  for (let c = 0; c < C; c++) for (let y = 0; y < t.h; y++) full.set(part.subarray(c * n + y * t.w, c * n + (y + 1) * t.w), c * w * h + (t.y + y) * w + t.x);
}

/**
 * Class probabilities of every pixel, class-major (out[c*n + i]), as pipeline.predict gives them,
 * computed tile by tile with `evalForest` doing the trees.
 */
export async function predictTiled(clf: Classifier, rawGrey: Float32Array, w: number, h: number, evalForest: ForestEval = jsForest, o: TiledPredictOptions = {}): Promise<Float32Array> {
  // As pipeline.predict: the grey stretched as in training, then filter bank, colour features, extra maps.
  const s = tileStages(clf, stretchGrey(rawGrey, clf.greyQuantiles), w, h, evalForest, o);
  const total = s.tiles.length * (s.two ? 2 : 1);
  let done = 0;
  const probs = new Float32Array(clf.nClasses * w * h);
  for (const i of s.tiles.keys()) {
    checkAborted(o.signal);
    await s.stage1(i, probs);
    o.onTile?.(++done, total);
  }
  if (!s.two) return probs;
  const out = new Float32Array(clf.nClasses * w * h);
  for (const i of s.tiles.keys()) {
    checkAborted(o.signal);
    await s.stage2(i, probs, out);
    o.onTile?.(++done, total);
  }
  return out;
}

/**
 * The two stages of a tiled prediction, one tile at a time, so several threads can share the
 * tiles of one image (main/learn/parallel-predict.ts): stage1(i) writes tile i's first-stage
 * probabilities into `probs` (the whole image's, class-major); stage2(i) reads the first stage's
 * probabilities around tile i (every tile's stage 1 must be done) and writes its final ones into
 * `out`. A tile's result depends on nothing but its inputs, so any split of the tiles gives the
 * same values as predictTiled. `grey` is already stretched (stretchGrey). With features kept
 * between the stages, stage2(i) must run where stage1(i) ran.
 */
export interface TileStages {
  tiles: Tile[];
  /** Whether there is a second stage to run. */
  two: boolean;
  /** Whether stage 1 keeps a tile's features for its stage 2. */
  keep: boolean;
  stage1(i: number, probs: Float32Array): Promise<void>;
  stage2(i: number, probs: Float32Array, out: Float32Array): Promise<void>;
}

export function tileStages(clf: Classifier, grey: Float32Array, w: number, h: number, evalForest: ForestEval, o: Omit<TiledPredictOptions, 'signal' | 'onTile'> = {}): TileStages {
  const C = clf.nClasses;
  const n = w * h;
  const E = extraCount(o.extra, n);
  if (E !== (clf.extraFeatures ?? 0)) throw new RangeError(`the classifier needs ${clf.extraFeatures ?? 0} extra feature maps`);
  const colourSigmas = clf.colourSigmas ?? [];
  const planes = colourSigmas.length ? (o.colour ?? greyPlanes(grey)) : null;
  const FB = featureCount(clf.features);
  const FC = colourFeatureCount(colourSigmas);
  const F = FB + FC + E;
  const size = o.tile ?? 1024;
  const tiles = tilesOf(w, h, size);
  const two = !!clf.stage2 && !o.firstStageOnly;
  const halo = featureHalo(clf.features);
  if (o.maps && o.maps.length !== FB * n) throw new RangeError(`the cached feature maps hold ${o.maps.length} values, not ${FB * n}`);
  // Features of one tile: the filter bank computed on the tile and its halo, cut to the tile, then
  // the extra maps cut to the tile (as pipeline's appendExtra), with `free` planes after them (for
  // the context maps).
  const features = (t: Tile, free: number): Float32Array => {
    if (o.maps) {
      const out = new Float32Array((F + free) * t.w * t.h);
      cut(o.maps, FB, { x: 0, y: 0, w, h }, t, out, 0);
      if (planes) out.set(tileColourFeatures(planes, w, h, colourSigmas, t), FB * t.w * t.h);
      if (E > 0) cut(o.extra!, E, { x: 0, y: 0, w, h }, t, out, FB + FC);
      return out;
    }
    const b = grow(t, halo, w, h);
    const full = computeFeatures(crop(grey, 1, w, h, b), b.w, b.h, clf.features);
    if (free === 0 && FC === 0 && E === 0 && b.w === t.w && b.h === t.h) return full;
    const out = new Float32Array((F + free) * t.w * t.h);
    cut(full, FB, b, t, out, 0);
    if (planes) out.set(tileColourFeatures(planes, w, h, colourSigmas, t), FB * t.w * t.h);
    if (E > 0) cut(o.extra!, E, { x: 0, y: 0, w, h }, t, out, FB + FC);
    return out;
  };
  // Features are kept from the first stage to the second when they fit the budget.
  const K0 = two ? (C - 1) * clf.contextSigmas.length : 0;
  const keep = two && (F + K0) * n * 4 <= (o.keepBytes ?? 2 ** 30);
  const kept = new Map<number, Float32Array>();
  const sigmas = clf.contextSigmas;
  const K = (C - 1) * sigmas.length;
  const ctxHalo = two ? Math.max(...sigmas.map(smoothHalo)) : 0;
  return {
    tiles,
    two,
    keep,
    async stage1(i, probs) {
      const t = tiles[i]!;
      const x = features(t, keep ? K0 : 0);
      if (keep) kept.set(i, x);
      paste(probs, await evalForest(clf.stage1, x, t.w * t.h), C, w, h, t);
    },
    async stage2(i, probs, out) {
      const t = tiles[i]!;
      const x = keep ? kept.get(i) : features(t, K);
      if (!x) throw new Error(`tile ${i}'s first-stage features are not here (run stage 2 where stage 1 ran)`);
      kept.delete(i);
      // Context maps: the first C-1 classes' probabilities smoothed at each scale, in the order of
      // pipeline's contextMaps (class-major, then scale).
      const b = grow(t, ctxHalo, w, h);
      const p = crop(probs, C - 1, w, h, b);
      const bn = b.w * b.h;
      const sm = new Float32Array(bn);
      let k = 0;
      for (let c = 0; c < C - 1; c++) {
        for (const s of sigmas) {
          smooth(p.subarray(c * bn, (c + 1) * bn), b.w, b.h, s, sm);
          cut(sm, 1, b, t, x, F + k);
          k++;
        }
      }
      paste(out, await evalForest(clf.stage2!, x, t.w * t.h), C, w, h, t);
    },
  };
}
