// Classic segmentation engine entry point (the default when no SAM model is installed): phase maps
// from (multi-)Otsu or adaptive thresholds, grain maps from boundaries + distance-transform watershed.
import type { ClassicOptions } from '../contract';
import type { GreyImage, LabelMap, RasterImage } from '../types';
import { canny } from './canny';
import { labelRegions, mergeSmallRegions, regionAreas, relabelSequential } from './components';
import { distanceTransform } from './distance';
import type { FloatImage } from './filters';
import { gaussianBlur, sobel } from './filters';
import { blackTopHat, hMaxima } from './morphology';
import { mergeSimilarRegions } from './regions';
import { adaptiveThreshold, classify, histogram, multiOtsuThresholds, otsuFromHistogram, otsuThreshold } from './threshold';
import { quantize, watershed } from './watershed';

export { otsuThreshold, multiOtsuThresholds, localMeanThreshold, adaptiveThreshold } from './threshold';
export { connectedComponents, labelRegions, mergeSmallRegions } from './components';
export { gaussianBlur, sobel, sobelGradients, toFloat32 } from './filters';
export type { BorderMode } from './filters';
export { canny } from './canny';
export { squaredDistanceTransform } from './distance';
export { watershed, quantize } from './watershed';
export { fillHoles, removeSmallObjects, removeSmallHoles, erode, dilate, blackTopHat, reconstructByDilation, hMaxima } from './morphology';

export interface ClassicProgress {
  (done: number, total: number, stage: string): void;
}

/** A grey image, or decoded pixels with channels (colour helps grain mode on colour-etched images). */
export type ClassicImage = GreyImage | RasterImage;

/** Optional tuning beyond the contract's ClassicOptions. */
interface ClassicExtra {
  /** Phase mode: intensity classes, 2 = Otsu, 3..5 = multi-Otsu. */
  classes: number;
  /**
   * Gaussian smoothing (px) before thresholding or boundary detection; 0 = none. Default 0 for
   * phases (small particles survive; specks are merged away by minArea), 1 for grains.
   */
  sigma: number | undefined;
  /** Phase mode: global (multi-)Otsu, or local-mean adaptive (2 classes, for uneven illumination). */
  threshold: 'otsu' | 'adaptive';
  /** Adaptive threshold window (odd, px). */
  blockSize: number;
  /** Adaptive threshold offset as a fraction of the image's intensity range. */
  offset: number;
  /** Phase mode: give background (matrix) regions ids too, so every pixel is labelled. */
  labelBackground: boolean;
  /**
   * Grain mode: 'lines' = boundaries are thin dark lines (bright with `invert`), 'edges' = grains
   * differ by shade or colour, 'auto' = decide from the image.
   */
  boundaryStyle: 'auto' | 'lines' | 'edges';
  /** Grain mode: what seeds grains: strong boundary evidence ('threshold') or Canny edges. */
  boundaries: 'threshold' | 'canny';
  /** Grain mode: typical boundary line width (px); sets the dark-line detector's window. */
  lineWidth: number;
  /**
   * Grain mode: minimum depth (px of distance to a boundary) of a seed; larger = fewer, bigger
   * grains. Default 2 for line boundaries, 1 for shade edges (which are then merged by contrast).
   */
  seedDepth: number | undefined;
  /**
   * Grain mode: neighbouring regions whose mean intensity (colour) differs by less than this, on a
   * 0..255 scale, are merged. Default 12 (grey) / 30 (colour) for shade edges, 0 (off) for lines.
   */
  mergeContrast: number | undefined;
}

export const CLASSIC_DEFAULTS: ClassicExtra = {
  classes: 2,
  sigma: undefined,
  threshold: 'otsu',
  blockSize: 51,
  offset: 0,
  labelBackground: false,
  boundaryStyle: 'auto',
  boundaries: 'threshold',
  lineWidth: 3,
  seedDepth: undefined,
  mergeContrast: undefined,
};

export type ClassicSettings = ClassicOptions & Partial<ClassicExtra>;
export type Settings = ClassicExtra & ClassicOptions;

export interface ClassicResult {
  labels: LabelMap;
  /**
   * Intensity class (0 = darkest) of each segment id (index = id, entry 0 unused); phase mode
   * only, all zero in grain mode.
   */
  segmentClass: Uint8Array;
  /** Phase mode with Otsu: the thresholds used (ascending, in image units). */
  thresholds: number[];
  /** Grain mode: the boundary style used ('auto' resolved). */
  boundaryStyle?: 'lines' | 'edges';
}

/** Thrown when `isCancelled` reports true between stages. */
export class CancelledError extends Error {
  constructor(message = 'Segmentation cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Reports progress at stage boundaries and honours cancellation between them. */
class Stages {
  private done = 0;
  constructor(
    private readonly total: number,
    private readonly progress?: ClassicProgress,
    private readonly isCancelled?: () => boolean,
  ) {}
  enter(stage: string) {
    if (this.isCancelled?.()) throw new CancelledError();
    this.progress?.(this.done, this.total, stage);
    this.done++;
  }
  finish() {
    if (this.isCancelled?.()) throw new CancelledError();
    this.progress?.(this.total, this.total, 'done');
  }
}

function isRaster(image: ClassicImage): image is RasterImage {
  return 'channels' in image;
}

/**
 * Segments one image. Phase mode: classes by (multi-)Otsu or adaptive threshold, small regions
 * absorbed by their neighbours, then connected regions of each non-background class (the darkest
 * class is background, the brightest with `invert`). Grain mode: a gap-free grain map by watershed
 * from distance-transform seeds. Ids are consecutive from 1. Throws CancelledError when
 * `isCancelled` returns true at a stage boundary.
 */
export function segmentClassic(
  image: ClassicImage,
  options: ClassicSettings,
  progress?: ClassicProgress,
  isCancelled?: () => boolean,
): LabelMap {
  return segmentClassicDetailed(image, options, progress, isCancelled).labels;
}

/** segmentClassic plus the class of each segment and the thresholds used. */
export function segmentClassicDetailed(
  image: ClassicImage,
  options: ClassicSettings,
  progress?: ClassicProgress,
  isCancelled?: () => boolean,
): ClassicResult {
  const o = resolveSettings(options);
  const { width, height } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 0 && height >= 0)) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  const channels = isRaster(image) ? image.channels : 1;
  if (image.data.length !== width * height * channels) {
    throw new RangeError(`image data holds ${image.data.length} values, expected ${width * height * channels}`);
  }
  if (width * height === 0) {
    return { labels: { width, height, data: new Uint32Array(0) }, segmentClass: new Uint8Array(1), thresholds: [] };
  }
  return o.mode === 'grain' ? segmentGrains(image, o, progress, isCancelled) : segmentPhases(toGrey(image), o, progress, isCancelled);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * One grey channel for thresholding: grey stays as it is; colour becomes Rec. 601 luminance
 * rounded to the input's integer type (a colour image whose channels are equal keeps its values).
 */
export function toGrey(image: ClassicImage): GreyImage {
  if (!isRaster(image)) return image;
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = image.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    out[i] = channels >= 3 ? Math.round(0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!) : data[p]!;
  }
  return { width, height, data: out };
}

/** How phase mode turns intensities into classes, decided once for the whole image. */
export type PhaseRule =
  | { kind: 'otsu'; thresholds: number[]; classes: number }
  | { kind: 'adaptive'; block: number; offset: number; classes: 2 };

/** The smoothing, thresholds (or adaptive window) and background class of phase mode for `image`. */
export function phaseRule(src: GreyImage, o: ClassicSettings): PhaseRule {
  const { width, height } = src;
  let nClasses = Math.max(2, Math.min(5, Math.round(o.classes ?? CLASSIC_DEFAULTS.classes)));
  if ((o.threshold ?? CLASSIC_DEFAULTS.threshold) === 'adaptive') {
    const [lo, hi] = range(src.data);
    const block = Math.max(3, Math.min((o.blockSize ?? CLASSIC_DEFAULTS.blockSize) | 1, 2 * Math.max(width, height) + 1));
    return { kind: 'adaptive', block, offset: (o.offset ?? CLASSIC_DEFAULTS.offset) * (hi - lo), classes: 2 };
  }
  if (nClasses === 2) return { kind: 'otsu', thresholds: [otsuThreshold(src.data)], classes: 2 };
  try {
    return { kind: 'otsu', thresholds: multiOtsuThresholds(src.data, nClasses), classes: nClasses };
  } catch {
    // Fewer distinct values than classes: fall back to two classes.
    nClasses = 2;
    return { kind: 'otsu', thresholds: [otsuThreshold(src.data)], classes: 2 };
  }
}

/** Class (0 = darkest) of each pixel of `src` under `rule`. */
export function applyPhaseRule(src: GreyImage, rule: PhaseRule): Uint8Array {
  return rule.kind === 'adaptive' ? adaptiveThreshold(src, rule.block, rule.offset).data : classify(src.data, rule.thresholds);
}

function segmentPhases(image: GreyImage, o: Settings, progress?: ClassicProgress, isCancelled?: () => boolean): ClassicResult {
  const { width, height } = image;
  const st = new Stages(4, progress, isCancelled);
  st.enter('smooth');
  // Unsmoothed integer data keeps Otsu on the exact per-value histogram.
  const sigma = o.sigma ?? 0;
  const src: GreyImage = sigma > 0 ? gaussianBlur(image, sigma) : image;

  st.enter('threshold');
  const rule = phaseRule(src, o);
  let classMap = applyPhaseRule(src, rule);
  const thresholds = rule.kind === 'otsu' ? rule.thresholds : [];
  const background = o.invert ? rule.classes - 1 : 0;

  st.enter('regions');
  if (o.minArea > 1) classMap = mergeSmallRegions(width, height, classMap, o.minArea);

  st.enter('label');
  const { labels, count } = labelRegions(width, height, classMap, 8, o.labelBackground ? null : background);
  const segmentClass = new Uint8Array(count + 1);
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) segmentClass[labels[i]!] = classMap[i]!;
  st.finish();
  return { labels: { width, height, data: labels }, segmentClass, thresholds };
}

function range(data: GreyImage['data']): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Value below which a fraction q of the data lies, from a 4096-bin histogram (robust range). */
function percentile(data: Float32Array, q: number): number {
  const [lo, hi] = range(data);
  if (!(hi > lo)) return lo;
  const bins = 4096;
  const hist = new Float64Array(bins);
  const s = (bins - 1) / (hi - lo);
  for (let i = 0; i < data.length; i++) hist[Math.floor((data[i]! - lo) * s)]!++;
  const target = q * data.length;
  let cum = 0;
  for (let b = 0; b < bins; b++) {
    cum += hist[b]!;
    if (cum >= target) return lo + (b + 0.5) / s;
  }
  return hi;
}

/** Image channels as float arrays: grey -> 1, RGB(A) -> 3 (alpha ignored), grey+alpha -> 1. */
function channelsOf(image: ClassicImage): Float32Array[] {
  if (!isRaster(image) || image.channels <= 2) {
    if (!isRaster(image)) return [image.data instanceof Float32Array ? image.data.slice() : Float32Array.from(image.data)];
    const n = image.width * image.height;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = image.data[i * image.channels]!;
    return [out];
  }
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0; i < n; i++) {
    out[0]![i] = data[i * channels]!;
    out[1]![i] = data[i * channels + 1]!;
    out[2]![i] = data[i * channels + 2]!;
  }
  return out;
}

/**
 * Decides whether boundaries are thin dark lines: the dark-line (black top-hat) response above
 * its Otsu level forms a connected network in line-etched micrographs, but scattered specks where
 * grains differ by shade (colour-etched or polarised images).
 */
function looksLikeLineNetwork(dark: FloatImage, lineWidth: number): boolean {
  const { width, height, data } = dark;
  const n = width * height;
  const t = otsuFromHistogram(histogram(data));
  const mask = new Uint8Array(n);
  let on = 0;
  for (let i = 0; i < n; i++) {
    if (data[i]! > t) {
      mask[i] = 1;
      on++;
    }
  }
  if (on === 0) return false;
  const { labels, count } = labelRegions(width, height, mask, 8, 0);
  const area = regionAreas(labels, count);
  // "Large" = a stretch of line long enough to outline many grains, capped at 1% of the image.
  const large = Math.min(0.01 * n, 2000 * lineWidth * lineWidth);
  let inLarge = 0;
  for (let id = 1; id <= count; id++) if (area[id]! >= large) inLarge += area[id]!;
  return inLarge >= 0.5 * on;
}

/** Settings with defaults filled in (the form segmentClassicDetailed works with). */
export function resolveSettings(options: ClassicSettings): Settings {
  return {
    ...CLASSIC_DEFAULTS,
    ...stripUndefined(options),
    mode: options.mode ?? 'phase',
    minArea: options.minArea ?? 16,
    invert: options.invert ?? false,
  };
}

/**
 * Grain mode's 0..255 working scale from robust percentiles of the luminance (shared by all
 * channels, so colour ratios survive): parameters become independent of bit depth and exposure.
 */
export function grainScale(image: ClassicImage): { lo: number; scale: number } {
  const chans = channelsOf(image);
  let lum = chans[0]!;
  if (chans.length > 1) {
    lum = new Float32Array(image.width * image.height);
    for (const c of chans) for (let i = 0; i < lum.length; i++) lum[i] = lum[i]! + c[i]! / chans.length;
  }
  const lo = percentile(lum, 0.005);
  const hi = percentile(lum, 0.995);
  return { lo, scale: hi > lo ? 255 / (hi - lo) : 1 };
}

/** The image's channels on the working scale, boundaries dark, smoothed; and their mean. */
export function grainSmoothed(image: ClassicImage, lo: number, scale: number, o: Settings): { smoothed: Float32Array[]; sLum: Float32Array } {
  const { width, height } = image;
  const n = width * height;
  const sigma = o.sigma ?? 1;
  const smoothed = channelsOf(image).map((c) => {
    for (let i = 0; i < n; i++) {
      const v = (c[i]! - lo) * scale;
      // Boundaries are made dark: with `invert` they are bright in the input.
      c[i] = o.invert ? 255 - v : v;
    }
    return sigma > 0 ? gaussianBlur({ width, height, data: c }, sigma).data : c;
  });
  let sLum = smoothed[0]!;
  if (smoothed.length > 1) {
    sLum = new Float32Array(n);
    for (const c of smoothed) for (let i = 0; i < n; i++) sLum[i] = sLum[i]! + c[i]! / smoothed.length;
  }
  return { smoothed, sLum };
}

/**
 * Boundary evidence of smoothed channels: the largest gradient magnitude over the channels, and
 * the dark-line (black top-hat) response of their mean (added to the gradient for 'lines').
 */
export function grainEvidence(width: number, height: number, smoothed: Float32Array[], sLum: Float32Array, o: Settings): { gradient: Float32Array; dark: FloatImage } {
  const n = width * height;
  const lw = Math.max(1, Math.round(o.lineWidth));
  const dark = blackTopHat({ width, height, data: sLum }, 2 * lw + 1);
  const gradient = new Float32Array(n);
  for (const c of smoothed) {
    const g = sobel({ width, height, data: c }).data;
    for (let i = 0; i < n; i++) if (g[i]! > gradient[i]!) gradient[i] = g[i]!;
  }
  return { gradient, dark };
}

/** 'lines' or 'edges' for grain mode: the setting, or decided from the dark-line response. */
export function grainStyle(dark: FloatImage, o: Settings): 'lines' | 'edges' {
  return o.boundaryStyle === 'auto' ? (looksLikeLineNetwork(dark, Math.max(1, Math.round(o.lineWidth))) ? 'lines' : 'edges') : o.boundaryStyle;
}

/**
 * Grains of one image (or a tile of one) from its boundary mask (1 = boundary) and relief on
 * integer levels: seeds are h-maxima of the distance to a boundary (`farAway` where the image holds
 * no boundary), the watershed floods the relief from them, then similar and small regions merge.
 * Ids are not consecutive.
 */
export function grainsFromBoundary(
  width: number,
  height: number,
  boundary: Uint8Array,
  levels: Uint8Array | Uint16Array,
  smoothed: Float32Array[] | null,
  o: Settings,
  style: 'lines' | 'edges',
  farAway: number,
  st?: Stages,
): Uint32Array {
  const n = width * height;
  st?.enter('distance');
  const inside = new Uint8Array(n);
  for (let i = 0; i < n; i++) inside[i] = boundary[i] ? 0 : 1;
  const dist = distanceTransform({ width, height, data: inside });
  for (let i = 0; i < n; i++) if (!Number.isFinite(dist[i]!)) dist[i] = farAway;

  st?.enter('markers');
  const depth = o.seedDepth ?? (style === 'lines' ? 2 : 1);
  const peaks = hMaxima({ width, height, data: dist }, Math.max(0.5, depth), 8);
  const markers = labelRegions(width, height, peaks.data, 8, 0);

  st?.enter('watershed');
  let labels = watershed({ width, height, data: levels }, { width, height, data: markers.labels }, { connectivity: 4 }).data;

  st?.enter('merge');
  const contrast = grainMergeContrast(o, style, smoothed?.length ?? 1);
  if (contrast > 0 && smoothed) labels = mergeSimilarRegions(width, height, labels, smoothed, contrast);
  if (o.minArea > 1) labels = mergeSmallRegions(width, height, labels, o.minArea);
  return labels;
}

/** Mean-colour difference (0..255) under which neighbouring grains merge; 0 = off. */
export function grainMergeContrast(o: Settings, style: 'lines' | 'edges', channels: number): number {
  return o.mergeContrast ?? (style === 'edges' ? (channels > 1 ? 30 : 12) : 0);
}

/**
 * Grain map. Boundary evidence is the gradient magnitude (steps between differently shaded or
 * coloured grains; the largest over colour channels) plus, when boundaries are dark lines, a
 * dark-line (black top-hat) response. Seeds are the deep parts of the region away from strong
 * boundary evidence (h-maxima of its distance transform), so one grain gets one seed even where
 * boundaries have gaps. The watershed labels every pixel. Where grains differ by shade, adjacent
 * regions with similar mean intensity/colour are then merged; grains under minArea merge into the
 * neighbour they share most border with.
 */
function segmentGrains(image: ClassicImage, o: Settings, progress?: ClassicProgress, isCancelled?: () => boolean): ClassicResult {
  const { width, height } = image;
  const n = width * height;
  const st = new Stages(7, progress, isCancelled);

  st.enter('smooth');
  const { lo, scale } = grainScale(image);
  const { smoothed, sLum } = grainSmoothed(image, lo, scale, o);

  st.enter('boundaries');
  const { gradient: relief, dark } = grainEvidence(width, height, smoothed, sLum, o);
  const style = grainStyle(dark, o);
  if (style === 'lines') for (let i = 0; i < n; i++) relief[i] = relief[i]! + dark.data[i]!;
  let boundary: Uint8Array;
  if (o.boundaries === 'canny') {
    boundary = canny({ width, height, data: sLum }, { sigma: 0, low: 0.7, high: 0.85, useQuantiles: true }).data;
  } else {
    const t = otsuFromHistogram(histogram(relief));
    boundary = new Uint8Array(n);
    for (let i = 0; i < n; i++) boundary[i] = relief[i]! > t ? 1 : 0;
  }

  const labels = grainsFromBoundary(width, height, boundary, quantize(relief, 256), smoothed, o, style, Math.max(width, height), st);
  const count = relabelSequential(labels);
  st.finish();
  return { labels: { width, height, data: labels }, segmentClass: new Uint8Array(count + 1), thresholds: [], boundaryStyle: style };
}
