// The "learn" starting point of the effort simulator: a person paints N brush strokes per class
// on K training images (half first, half where the first training still errs), trains the pixel
// classifier, and predicts the image to correct; its phase map (segments with their class, the
// matrix left as background) is the start the simulator corrects. Each stroke is one operation,
// paid once for all the images the classifier is applied to.
import { argmaxClasses, predict, train, type Classifier } from '../learn/pipeline';
import { DEFAULT_FEATURES } from '../learn/features';
import { confidentSegments, phaseSegments, segmentConfidence } from '../learn/segments';
import { correctiveRound, firstRound, paint, type SimStroke, type StrokeImage } from '../learn/stroke-sim';
import type { LabelMap } from '../types';

export interface LearnTrainImage {
  /** Grey in about 0..1 (normalizedGrey). */
  grey: Float32Array;
  /** True class per pixel (0 = matrix). */
  classes: Uint8Array;
  width: number;
  height: number;
}

export interface LearnStartOptions {
  /** Strokes per class (default 10). */
  strokes?: number;
  radius?: number;
  length?: number;
  seed?: number;
}

/** Paints the simulated strokes on the training images and trains the classifier on them. */
export function learnClassifier(images: LearnTrainImage[], nClasses: number, o: LearnStartOptions = {}): { classifier: Classifier; strokes: SimStroke[] } {
  const N = o.strokes ?? 10;
  const sim = { radius: o.radius ?? 3, length: o.length ?? 150, seed: o.seed ?? 1 };
  const si: StrokeImage[] = images.map((im) => ({ classes: im.classes, width: im.width, height: im.height }));
  const n1 = N === 1 ? 1 : Math.max(1, Math.round(N / 2));
  let strokes = firstRound(si, nClasses, n1, sim);
  let labels = paint(si, strokes);
  const fit = () => train(images.map((im, k) => ({ grey: im.grey, width: im.width, height: im.height, labels: labels[k]! })), { features: DEFAULT_FEATURES, nClasses });
  let classifier = fit();
  if (N > n1) {
    const predicted = images.map((im) => argmaxClasses(predict(classifier, im.grey, im.width, im.height), nClasses, im.width * im.height));
    const more = correctiveRound(si, predicted, labels, nClasses, N - n1, { ...sim, seed: sim.seed + 1 });
    strokes = [...strokes, ...more];
    labels = paint(si, more, labels);
    classifier = fit();
  }
  return { classifier, strokes };
}

/**
 * The classifier's phase map of an image: segments of the non-matrix classes, each with its class.
 * `minConfidence` keeps only the segments the classifier is sure of, as learn.predict's option does.
 */
export function learnPhaseStart(classifier: Classifier, grey: Float32Array, width: number, height: number, o: { minConfidence?: number } = {}): { labels: LabelMap; startClasses: (id: number) => number | null } {
  const n = width * height;
  const probs = predict(classifier, grey, width, height);
  const classes = argmaxClasses(probs, classifier.nClasses, n);
  let seg = phaseSegments(classes, width, height, { minArea: 16, skip: [0] });
  if (o.minConfidence) seg = confidentSegments(seg, segmentConfidence(seg.labels.data, seg.classOf, probs, n), o.minConfidence);
  return { labels: seg.labels, startClasses: (id) => (id > 0 && id < seg.classOf.length ? seg.classOf[id]! : null) };
}
