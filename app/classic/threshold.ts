// Intensity thresholds: Otsu, multi-Otsu (global, on the histogram) and local-mean (adaptive).
// Histograms and tie-breaking follow scikit-image so results can be checked against it exactly.
import type { GreyImage } from '../types';
import type { BinaryMask } from './components';
import { boxMean } from './filters';

type Pixels = Uint8Array | Uint16Array | Float32Array;

interface Histogram {
  counts: Float64Array;
  /** Intensity at the centre of each bin. */
  centers: Float64Array;
}

function minMax(data: Pixels): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Histogram as scikit-image's `exposure.histogram(source_range='image')` builds it: integer
 * images get one bin per value from min to max (when that is at most `maxIntegerBins` values,
 * otherwise `nbins` equal bins); float images get `nbins` equal-width bins between min and max
 * (numpy's binning, the last bin closed).
 */
export function histogram(data: Pixels, nbins = 256, maxIntegerBins = 65536): Histogram {
  const [min, max] = minMax(data);
  if (!(max >= min)) return { counts: new Float64Array(0), centers: new Float64Array(0) };
  if (!(data instanceof Float32Array) && max - min + 1 <= maxIntegerBins) {
    const n = max - min + 1;
    const counts = new Float64Array(n);
    for (let i = 0; i < data.length; i++) counts[data[i]! - min]!++;
    const centers = new Float64Array(n);
    for (let b = 0; b < n; b++) centers[b] = min + b;
    return { counts, centers };
  }
  const counts = new Float64Array(nbins);
  const centers = new Float64Array(nbins);
  if (max === min) {
    counts[0] = data.length;
    centers.fill(min);
    return { counts, centers };
  }
  const edges = new Float64Array(nbins + 1);
  for (let b = 0; b <= nbins; b++) edges[b] = b === nbins ? max : min + ((max - min) * b) / nbins;
  const norm = nbins / (max - min);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    let b = Math.floor((v - min) * norm);
    if (b >= nbins) b = nbins - 1;
    // numpy corrects the computed bin against the exact edges.
    if (v < edges[b]!) b--;
    else if (b < nbins - 1 && v >= edges[b + 1]!) b++;
    counts[b]!++;
  }
  for (let b = 0; b < nbins; b++) centers[b] = (edges[b]! + edges[b + 1]!) / 2;
  return { counts, centers };
}

/** Otsu's threshold of a histogram: the bin centre maximising the between-class variance. */
export function otsuFromHistogram(h: Histogram): number {
  const { counts, centers } = h;
  const n = counts.length;
  if (n === 0) return NaN;
  if (n === 1) return centers[0]!;
  // Same arithmetic as scikit-image (forward and reversed cumulative sums) so near-ties resolve
  // the same way.
  const mean2 = new Float64Array(n);
  const weight2 = new Float64Array(n);
  let w = 0;
  let s = 0;
  for (let b = n - 1; b >= 0; b--) {
    w += counts[b]!;
    s += counts[b]! * centers[b]!;
    weight2[b] = w;
    mean2[b] = s / w;
  }
  let w1 = 0;
  let s1 = 0;
  let best = -Infinity;
  let bestB = 0;
  for (let b = 0; b < n - 1; b++) {
    w1 += counts[b]!;
    s1 += counts[b]! * centers[b]!;
    const d = s1 / w1 - mean2[b + 1]!;
    const v = w1 * weight2[b + 1]! * (d * d);
    // NaN (empty class) never wins, like numpy's argmax on a finite maximum.
    if (v > best) {
      best = v;
      bestB = b;
    }
  }
  return centers[bestB]!;
}

/**
 * Otsu's threshold: foreground is `value > threshold`. Matches scikit-image's `threshold_otsu`
 * exactly for 8- and 16-bit images (one bin per value) and to within a bin for float images.
 */
export function otsuThreshold(data: Pixels): number {
  if (data.length === 0) return NaN;
  const first = data[0]!;
  let uniform = true;
  for (let i = 1; i < data.length && uniform; i++) if (data[i] !== first) uniform = false;
  if (uniform) return first;
  return otsuFromHistogram(histogram(data));
}

/**
 * Multi-Otsu thresholds for `classes` classes (2..5): the `classes - 1` bin centres maximising
 * the between-class variance, by exhaustive search over a lookup table (Liao et al. 2001) in
 * 32-bit floats as scikit-image's `threshold_multiotsu` does, so thresholds match it exactly for
 * 8-bit images. Integer images spanning more than 256 values are binned into 256 bins (scikit-
 * image would search all 65536 values, which is too slow to be useful). Class k holds the values
 * in (t[k-1], t[k]].
 */
export function multiOtsuThresholds(data: Pixels, classes = 3): number[] {
  if (!Number.isInteger(classes) || classes < 2 || classes > 5) {
    throw new RangeError(`multi-Otsu supports 2 to 5 classes, got ${classes}`);
  }
  const h = histogram(data, 256, 256);
  const nbins = h.counts.length;
  let total = 0;
  for (let b = 0; b < nbins; b++) total += h.counts[b]!;
  const f = Math.fround;
  const prob = new Float32Array(nbins);
  let nvalues = 0;
  for (let b = 0; b < nbins; b++) {
    prob[b] = f(h.counts[b]! / total);
    if (prob[b]! > 0) nvalues++;
  }
  const nth = classes - 1;
  if (nvalues < classes) {
    throw new RangeError(`the image has only ${nvalues} distinct values; it cannot be split into ${classes} classes`);
  }
  let idx: number[];
  if (nvalues === classes) {
    idx = [];
    for (let b = 0; b < nbins && idx.length < nth; b++) if (prob[b]! > 0) idx.push(b);
  } else {
    idx = multiOtsuIndices(prob, nth);
  }
  return idx.map((b) => h.centers[b]!);
}

/** Exhaustive multi-Otsu search over a float32 lookup table of per-interval variances. */
function multiOtsuIndices(prob: Float32Array, nth: number): number[] {
  const f = Math.fround;
  const nbins = prob.length;
  const zeroth = new Float32Array(nbins);
  const first = new Float32Array(nbins);
  // Upper-triangular table H[i][j] of the (unnormalised) variance of interval [i, j].
  const lut = new Float32Array((nbins * (nbins + 1)) / 2);
  zeroth[0] = prob[0]!;
  // scikit-image seeds the first moment with prob[0] (not 0 * prob[0]); kept for exact agreement.
  first[0] = prob[0]!;
  for (let i = 1; i < nbins; i++) {
    zeroth[i] = f(zeroth[i - 1]! + prob[i]!);
    first[i] = f(first[i - 1]! + f(i * prob[i]!));
    if (zeroth[i]! > 0) lut[i] = f(f(first[i]! * first[i]!) / zeroth[i]!);
  }
  let k = nbins;
  for (let i = 1; i < nbins; i++) {
    for (let j = i; j < nbins; j++) {
      const z = f(zeroth[j]! - zeroth[i - 1]!);
      if (z > 0) {
        const m = f(first[j]! - first[i - 1]!);
        lut[k] = f(f(m * m) / z);
      }
      k++;
    }
  }
  const at = (i: number, j: number) => lut[(i * (2 * nbins - i + 1)) / 2 + j - i]!;
  const cur = new Int32Array(nth);
  let best: number[] = new Array<number>(nth).fill(0);
  let sigmaMax = 0;
  const search = (histIdx: number, t: number) => {
    if (t < nth - 1) {
      for (let i = histIdx; i < nbins - nth + t; i++) {
        cur[t] = i;
        search(i + 1, t + 1);
      }
      return;
    }
    // Innermost threshold as a plain loop; the float32 sum keeps scikit-image's term order.
    for (let last = histIdx; last < nbins - 1; last++) {
      cur[nth - 1] = last;
      let sigma = f(at(0, cur[0]!) + at(last + 1, nbins - 1));
      for (let i = 0; i < nth - 1; i++) sigma = f(sigma + at(cur[i]! + 1, cur[i + 1]!));
      if (sigma > sigmaMax) {
        sigmaMax = sigma;
        best = Array.from(cur);
      }
    }
  };
  search(0, 0);
  return best;
}

/** Class index (0 = darkest) of each pixel for ascending thresholds: class k is (t[k-1], t[k]]. */
export function classify(data: Pixels, thresholds: readonly number[]): Uint8Array {
  const out = new Uint8Array(data.length);
  const t = thresholds;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    let c = 0;
    while (c < t.length && v > t[c]!) c++;
    out[i] = c;
  }
  return out;
}

/**
 * Local-mean threshold surface (scikit-image `threshold_local(method='mean', mode='reflect')`):
 * the mean over a blockSize x blockSize window minus `offset`. blockSize must be odd.
 */
export function localMeanThreshold(image: GreyImage, blockSize: number, offset = 0): Float32Array {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize % 2 === 0) {
    throw new RangeError(`blockSize must be an odd positive integer, got ${blockSize}`);
  }
  const t = boxMean(image, blockSize);
  if (offset !== 0) for (let i = 0; i < t.length; i++) t[i] = t[i]! - offset;
  return t;
}

/** Adaptive threshold: foreground where a pixel is brighter than its local mean minus offset. */
export function adaptiveThreshold(image: GreyImage, blockSize: number, offset = 0): BinaryMask {
  const t = localMeanThreshold(image, blockSize, offset);
  const out = new Uint8Array(t.length);
  const d = image.data;
  for (let i = 0; i < out.length; i++) out[i] = d[i]! > t[i]! ? 1 : 0;
  return { width: image.width, height: image.height, data: out };
}
