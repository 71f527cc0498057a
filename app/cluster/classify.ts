// Label propagation: a classifier trained on the segments a person labelled predicts the class of
// the others, with a confidence. Nearest centroid or multinomial logistic regression, chosen by
// cross-validated accuracy on the labelled set.
import { ServiceError } from '../errors';
import type { FeatureMatrix } from './features';
import type { Points } from './kmeans';

export type ClassifierModel = 'nearest-centroid' | 'logreg';

export interface Classifier {
  model: ClassifierModel;
  /** Class ids in score-column order (ascending). */
  classIds: number[];
  cols: number;
  /** Hash of the model kind, its settings and the training set: equal versions, equal predictions. */
  version: number;
  /** rows x classIds.length log-probabilities up to a per-row constant (softmax gives probabilities). */
  logits(p: Points): Float64Array;
}

interface SegmentPrediction {
  segmentId: number;
  classId: number;
  /** Probability of the predicted class, in (0, 1]. */
  confidence: number;
  model: ClassifierModel;
  version: number;
}

export interface LogRegOptions {
  /** L2 penalty on the weights (not the biases). Default 0.01. */
  l2?: number;
  /** Gradient steps (accelerated, fixed step 1/L). Default 500. */
  iterations?: number;
  /** 'balanced': each class weighs the same in the loss however many examples it has (scikit-learn's class_weight='balanced'). Default: each example weighs 1. */
  classWeights?: 'balanced';
}

function rowCount(p: Points): number {
  return p.cols > 0 ? p.data.length / p.cols : 0;
}

/** 32-bit FNV-1a over bytes; used for model versions. */
function fnv1a(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619) >>> 0;
  return h;
}

function modelVersion(model: ClassifierModel, settings: number[], p: Points, y: ArrayLike<number>): number {
  let h = 2166136261;
  h = fnv1a(h, Uint8Array.from(model, (ch) => ch.charCodeAt(0) & 255));
  const nums = Float64Array.from([p.cols, ...settings, ...Array.from(y)]);
  h = fnv1a(h, new Uint8Array(nums.buffer));
  h = fnv1a(h, new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
  return h;
}

function classIndex(y: ArrayLike<number>): { classIds: number[]; index: Int32Array } {
  const classIds = [...new Set(Array.from(y))].sort((a, b) => a - b);
  const pos = new Map(classIds.map((c, i) => [c, i]));
  return { classIds, index: Int32Array.from(Array.from(y), (c) => pos.get(c)!) };
}

function checkTraining(p: Points, y: ArrayLike<number>): void {
  if (rowCount(p) !== y.length) throw new ServiceError('invalid-argument', 'Each labelled segment needs exactly one class.');
  if (y.length === 0) throw new ServiceError('invalid-argument', 'Label at least one segment before propagating classes.');
}

/**
 * Nearest class centroid with Gaussian scores: logit_c = -|x - mu_c|^2 / (2 s^2), s^2 being the
 * pooled within-class variance per feature (1, the z-score unit, when every class has one sample).
 */
export function trainNearestCentroid(p: Points, y: ArrayLike<number>): Classifier {
  checkTraining(p, y);
  const { classIds, index } = classIndex(y);
  const C = classIds.length;
  const { data, cols } = p;
  const n = y.length;
  const centroids = new Float64Array(C * cols);
  const counts = new Float64Array(C);
  for (let r = 0; r < n; r++) {
    const c = index[r]!;
    counts[c]++;
    for (let j = 0; j < cols; j++) centroids[c * cols + j] += data[r * cols + j]!;
  }
  for (let c = 0; c < C; c++) for (let j = 0; j < cols; j++) centroids[c * cols + j] /= counts[c]!;
  let scatter = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < cols; j++) {
      const d = data[r * cols + j]! - centroids[index[r]! * cols + j]!;
      scatter += d * d;
    }
  }
  const dof = (n - C) * Math.max(1, cols);
  const variance = dof > 0 && scatter > 0 ? Math.max(scatter / dof, 1e-9) : 1;
  return {
    model: 'nearest-centroid',
    classIds,
    cols,
    version: modelVersion('nearest-centroid', [], p, y),
    logits(q: Points): Float64Array {
      const m = rowCount(q);
      const out = new Float64Array(m * C);
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let j = 0; j < cols; j++) {
            const d = q.data[r * q.cols + j]! - centroids[c * cols + j]!;
            s += d * d;
          }
          out[r * C + c] = -s / (2 * variance);
        }
      }
      return out;
    },
  };
}

/** Softmax logits of one row into probs (length C), stable against overflow. */
function softmaxInto(z: Float64Array, zo: number, C: number, probs: Float64Array, po: number): void {
  let max = -Infinity;
  for (let c = 0; c < C; c++) max = Math.max(max, z[zo + c]!);
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(z[zo + c]! - max);
    probs[po + c] = e;
    sum += e;
  }
  for (let c = 0; c < C; c++) probs[po + c] /= sum;
}

/** Row-wise softmax of rows x C logits. */
export function softmaxRows(logits: Float64Array, C: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let o = 0; o < logits.length; o += C) softmaxInto(logits, o, C, out, o);
  return out;
}

/**
 * Multinomial logistic regression, mean cross-entropy + (l2/2)|W|^2, minimised by Nesterov-accelerated
 * gradient descent from zero with step 1/L (L a bound on the Hessian): no randomness, so the same
 * training set always gives the same model.
 */
export function trainLogisticRegression(p: Points, y: ArrayLike<number>, options: LogRegOptions = {}): Classifier {
  checkTraining(p, y);
  const l2 = options.l2 ?? 0.01;
  const iterations = options.iterations ?? 500;
  const { classIds, index } = classIndex(y);
  const C = classIds.length;
  const { data, cols } = p;
  const n = y.length;
  // Per-example weight (1, or balanced: n / (classes * examples of its class)).
  const weight = new Float64Array(n).fill(1);
  if (options.classWeights === 'balanced') {
    const count = new Float64Array(C);
    for (let r = 0; r < n; r++) count[index[r]!]++;
    for (let r = 0; r < n; r++) weight[r] = n / (C * count[index[r]!]!);
  }
  const stride = cols + 1; // weights then bias, per class
  let w = new Float64Array(C * stride);
  if (C > 1) {
    // The softmax Hessian is at most (1/2) * mean(x~ x~^T) (x~ = x with a 1 appended) plus l2.
    // Weighted: (1/n) sum_r w_r (|x_r|^2 + 1), with w_r = 1 unweighted.
    let weightedSq = 0;
    for (let r = 0; r < n; r++) {
      let sq = 1;
      for (let j = 0; j < cols; j++) sq += data[r * cols + j]! * data[r * cols + j]!;
      weightedSq += weight[r]! * sq;
    }
    const L = 0.5 * (weightedSq / n) + l2;
    const step = 1 / L;
    let prev = new Float64Array(w.length);
    const look = new Float64Array(w.length);
    const grad = new Float64Array(w.length);
    const z = new Float64Array(C);
    const pr = new Float64Array(C);
    for (let t = 1; t <= iterations; t++) {
      const momentum = (t - 1) / (t + 2);
      for (let i = 0; i < w.length; i++) look[i] = w[i]! + momentum * (w[i]! - prev[i]!);
      grad.fill(0);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < C; c++) {
          let s = look[c * stride + cols]!;
          for (let j = 0; j < cols; j++) s += look[c * stride + j]! * data[r * cols + j]!;
          z[c] = s;
        }
        softmaxInto(z, 0, C, pr, 0);
        for (let c = 0; c < C; c++) {
          const e = (weight[r]! * (pr[c]! - (index[r] === c ? 1 : 0))) / n;
          for (let j = 0; j < cols; j++) grad[c * stride + j] += e * data[r * cols + j]!;
          grad[c * stride + cols] += e;
        }
      }
      let gmax = 0;
      for (let c = 0; c < C; c++) {
        for (let j = 0; j < cols; j++) grad[c * stride + j] += l2 * look[c * stride + j]!;
      }
      for (let i = 0; i < grad.length; i++) gmax = Math.max(gmax, Math.abs(grad[i]!));
      const next = prev;
      for (let i = 0; i < w.length; i++) next[i] = look[i]! - step * grad[i]!;
      prev = w;
      w = next;
      if (gmax < 1e-8) break;
    }
  }
  const weights = w;
  return {
    model: 'logreg',
    classIds,
    cols,
    version: modelVersion('logreg', [l2, iterations, options.classWeights === 'balanced' ? 1 : 0], p, y),
    logits(q: Points): Float64Array {
      const m = rowCount(q);
      const out = new Float64Array(m * C);
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < C; c++) {
          let s = weights[c * stride + cols]!;
          for (let j = 0; j < cols; j++) s += weights[c * stride + j]! * q.data[r * q.cols + j]!;
          out[r * C + c] = s;
        }
      }
      return out;
    },
  };
}

export function trainClassifier(model: ClassifierModel, p: Points, y: ArrayLike<number>, options: LogRegOptions = {}): Classifier {
  return model === 'logreg' ? trainLogisticRegression(p, y, options) : trainNearestCentroid(p, y);
}

/** Predicted class id and its probability for each row. */
export function predictRows(clf: Classifier, p: Points): { classIds: Float64Array; confidence: Float64Array; logits: Float64Array } {
  const C = clf.classIds.length;
  const logits = clf.logits(p);
  const probs = softmaxRows(logits, C);
  const m = rowCount(p);
  const classIds = new Float64Array(m);
  const confidence = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[r * C + c]! > probs[r * C + best]!) best = c;
    classIds[r] = clf.classIds[best]!;
    confidence[r] = probs[r * C + best]!;
  }
  return { classIds, confidence, logits };
}

function subset(p: Points, rows: readonly number[]): Points {
  const out = new Float64Array(rows.length * p.cols);
  rows.forEach((r, i) => out.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), i * p.cols));
  return { data: out, cols: p.cols };
}

/**
 * Accuracy of `model` on held-out labelled rows: leave-one-out up to 20 rows, otherwise 5 folds
 * (rows sorted by class, then dealt round-robin, so every fold sees every class).
 */
export function crossValidatedAccuracy(model: ClassifierModel, p: Points, y: ArrayLike<number>, options: LogRegOptions = {}): number {
  const n = y.length;
  if (n < 2) return 0;
  const folds = n <= 20 ? n : 5;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a]! - y[b]! || a - b);
  const fold = new Int32Array(n);
  order.forEach((r, i) => { fold[r] = i % folds; });
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let r = 0; r < n; r++) (fold[r] === f ? test : train).push(r);
    if (test.length === 0 || train.length === 0) continue;
    const clf = trainClassifier(model, subset(p, train), train.map((r) => y[r]!), options);
    const pred = predictRows(clf, subset(p, test));
    test.forEach((r, i) => { if (pred.classIds[i] === y[r]) correct++; });
  }
  return correct / n;
}

interface ChosenClassifier {
  classifier: Classifier;
  accuracy: Record<ClassifierModel, number>;
}

/** Trains both models and keeps the one with the higher cross-validated accuracy (nearest centroid on a tie). */
export function chooseClassifier(p: Points, y: ArrayLike<number>, options: LogRegOptions = {}): ChosenClassifier {
  checkTraining(p, y);
  const accuracy: Record<ClassifierModel, number> = {
    'nearest-centroid': crossValidatedAccuracy('nearest-centroid', p, y, options),
    logreg: crossValidatedAccuracy('logreg', p, y, options),
  };
  const model: ClassifierModel = accuracy.logreg > accuracy['nearest-centroid'] ? 'logreg' : 'nearest-centroid';
  return { classifier: trainClassifier(model, p, y, options), accuracy };
}

interface PropagateOptions extends LogRegOptions {
  /** Default 'auto' (chooseClassifier). */
  model?: ClassifierModel | 'auto';
}

interface Propagation {
  /** One per unlabelled row, in row order. */
  predictions: SegmentPrediction[];
  /** Row index of each prediction in the matrix. */
  rows: Int32Array;
  classifier: Classifier;
  /** Cross-validated accuracies when the model was chosen automatically. */
  accuracy: Record<ClassifierModel, number> | null;
  /** predictions.length x classifier.classIds.length scores (input for phase-fraction guidance). */
  logits: Float64Array;
}

/**
 * Trains on the rows that have a class (`rowClasses[r]`, null = unlabelled; use normalised
 * features) and predicts every unlabelled row.
 */
export function propagateClasses(matrix: FeatureMatrix, rowClasses: ReadonlyArray<number | null>, options: PropagateOptions = {}): Propagation {
  const rows = matrix.segmentIds.length;
  if (rowClasses.length !== rows) throw new ServiceError('invalid-argument', 'Give one class (or null) per segment row.');
  const p: Points = { data: matrix.data, cols: matrix.names.length };
  const labelled: number[] = [];
  const unlabelled: number[] = [];
  rowClasses.forEach((c, r) => (c === null ? unlabelled : labelled).push(r));
  const train = subset(p, labelled);
  const y = labelled.map((r) => rowClasses[r]!);
  const choice = options.model ?? 'auto';
  const chosen = choice === 'auto' ? chooseClassifier(train, y, options) : { classifier: trainClassifier(choice, train, y, options), accuracy: null };
  const clf = chosen.classifier;
  const pred = predictRows(clf, subset(p, unlabelled));
  const predictions = unlabelled.map((r, i): SegmentPrediction => ({
    segmentId: matrix.segmentIds[r]!,
    classId: pred.classIds[i]!,
    confidence: pred.confidence[i]!,
    model: clf.model,
    version: clf.version,
  }));
  return { predictions, rows: Int32Array.from(unlabelled), classifier: clf, accuracy: chosen.accuracy, logits: pred.logits };
}
