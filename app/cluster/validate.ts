// An honest report of a propagation classifier: stratified k-fold cross-validation (every fold
// holds each class in proportion), per-class recall and the balanced accuracy (their mean, which a
// majority class cannot inflate), and warnings when a class has too few examples to judge.
import type { ClassifierModel, LogRegOptions } from './classify';
import { predictRows, trainClassifier } from './classify';
import type { Points } from './kmeans';

/** Fewer training examples than this in a class gets a warning. */
const MIN_EXAMPLES = 5;
/** A largest/smallest class ratio above this gets a warning. */
const MAX_IMBALANCE = 10;

interface ClassRecall {
  classId: number;
  /** Training examples of the class. */
  count: number;
  /** Held-out examples of the class predicted as the class (null without cross-validation). */
  recall: number | null;
}

export interface CrossValidation {
  folds: number;
  accuracy: number;
  /** Mean of the per-class recalls. */
  balancedAccuracy: number;
  perClass: ClassRecall[];
}

/**
 * Fold of each row: the rows of each class, in row order, are dealt round-robin over the folds,
 * the next class starting where the previous one stopped, so fold sizes differ by at most one.
 */
export function stratifiedFolds(y: ArrayLike<number>, folds: number): Int32Array {
  const byClass = new Map<number, number[]>();
  for (let r = 0; r < y.length; r++) {
    const l = byClass.get(y[r]!);
    if (l) l.push(r);
    else byClass.set(y[r]!, [r]);
  }
  const out = new Int32Array(y.length);
  let k = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) for (const r of byClass.get(c)!) out[r] = k++ % folds;
  return out;
}

/** Training examples per class, ascending class id. */
export function classCounts(y: ArrayLike<number>): { classId: number; count: number }[] {
  const m = new Map<number, number>();
  for (let r = 0; r < y.length; r++) m.set(y[r]!, (m.get(y[r]!) ?? 0) + 1);
  return [...m].sort((a, b) => a[0] - b[0]).map(([classId, count]) => ({ classId, count }));
}

/**
 * Stratified cross-validation with min(5, smallest class size) folds; null when a class has a
 * single example (it cannot be both trained on and tested) or there are fewer than two classes.
 */
export function crossValidate(model: ClassifierModel, p: Points, y: ArrayLike<number>, options: LogRegOptions = {}): CrossValidation | null {
  const counts = classCounts(y);
  if (counts.length < 2) return null;
  const folds = Math.min(5, ...counts.map((c) => c.count));
  if (folds < 2) return null;
  const fold = stratifiedFolds(y, folds);
  const hit = new Map<number, number>();
  let correct = 0;
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let r = 0; r < y.length; r++) (fold[r] === f ? test : train).push(r);
    const take = (rows: number[]): Points => {
      const d = new Float64Array(rows.length * p.cols);
      rows.forEach((r, i) => d.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), i * p.cols));
      return { data: d, cols: p.cols };
    };
    const clf = trainClassifier(model, take(train), train.map((r) => y[r]!), options);
    const pred = predictRows(clf, take(test));
    test.forEach((r, i) => {
      if (pred.classIds[i] !== y[r]) return;
      correct++;
      hit.set(y[r]!, (hit.get(y[r]!) ?? 0) + 1);
    });
  }
  const perClass = counts.map((c) => ({ ...c, recall: (hit.get(c.classId) ?? 0) / c.count }));
  return { folds, accuracy: correct / y.length, balancedAccuracy: perClass.reduce((t, c) => t + c.recall, 0) / perClass.length, perClass };
}

/** What a person should know before trusting the classifier: too few examples, strong imbalance. */
export function trainingWarnings(counts: readonly { classId: number; count: number }[], nameOf: (classId: number) => string = (c) => `class ${c}`): string[] {
  const out: string[] = [];
  for (const c of counts) {
    if (c.count < MIN_EXAMPLES) out.push(`${nameOf(c.classId)} has only ${c.count} example${c.count === 1 ? '' : 's'}: give it at least ${MIN_EXAMPLES} before trusting its predictions.`);
  }
  if (counts.length >= 2) {
    const max = Math.max(...counts.map((c) => c.count));
    const min = Math.min(...counts.map((c) => c.count));
    if (min > 0 && max / min > MAX_IMBALANCE) {
      const big = counts.find((c) => c.count === max)!;
      const small = counts.find((c) => c.count === min)!;
      out.push(`${nameOf(big.classId)} has ${max} examples and ${nameOf(small.classId)} ${min}: plain accuracy mostly measures the larger class; read the balanced accuracy and the per-class recall.`);
    }
  }
  return out;
}
