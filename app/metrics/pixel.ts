// Pixel-wise scores: IoU (Jaccard), Dice/F1, precision and recall of one phase, and the confusion
// matrix with per-class and mean IoU over all classes. Conventions follow scikit-learn's.
import { contingency, type IndexMap } from './contingency';

export interface BinaryScores {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp + fn): sklearn `jaccard_score`. */
  iou: number;
  /** 2tp / (2tp + fp + fn); identical to `f1` for a single phase, named for readers of Dice papers. */
  dice: number;
  f1: number;
  precision: number;
  recall: number;
  /** (tp + tn) / all counted pixels. */
  accuracy: number;
}

export interface ScoreOptions {
  /** Value returned when a ratio is 0/0 (sklearn's `zero_division`; its default acts as 0). */
  zeroDivision?: number;
  /** Leave out pixels whose truth value is this label (e.g. 255 = void). */
  ignoreTruth?: number;
}

const ratio = (num: number, den: number, zero: number): number => (den === 0 ? zero : num / den);

function scoresFromCounts(tp: number, fp: number, fn: number, tn: number, zero: number): BinaryScores {
  const f1 = ratio(2 * tp, 2 * tp + fp + fn, zero);
  return {
    tp,
    fp,
    fn,
    tn,
    iou: ratio(tp, tp + fp + fn, zero),
    dice: f1,
    f1,
    precision: ratio(tp, tp + fp, zero),
    recall: ratio(tp, tp + fn, zero),
    accuracy: ratio(tp + tn, tp + fp + fn + tn, zero),
  };
}

/**
 * Scores of one phase: a pixel is positive where its value equals `positive` (class id, or any
 * label for instance maps via `foregroundScores`). Same numbers as sklearn's binary
 * `jaccard_score`, `f1_score`, `precision_score`, `recall_score` on `truth == positive`.
 */
export function phaseScores(truth: IndexMap, pred: IndexMap, positive: number, options: ScoreOptions = {}): BinaryScores {
  const table = contingency(truth, pred, options.ignoreTruth === undefined ? {} : { ignoreTruth: options.ignoreTruth });
  const { a, b, count } = table.entries();
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < count.length; i++) {
    const t = a[i] === positive;
    const p = b[i] === positive;
    const c = count[i]!;
    if (t && p) tp += c;
    else if (p) fp += c;
    else if (t) fn += c;
    else tn += c;
  }
  return scoresFromCounts(tp, fp, fn, tn, options.zeroDivision ?? 0);
}

/** IoU of one phase (MatSAM's phase-map metric). */
export function phaseIoU(truth: IndexMap, pred: IndexMap, positive: number, options: ScoreOptions = {}): number {
  return phaseScores(truth, pred, positive, options).iou;
}

/** Scores of "any segment" against "no segment" (non-zero vs 0), e.g. a grain mask vs boundaries. */
export function foregroundScores(truth: IndexMap, pred: IndexMap, options: ScoreOptions = {}): BinaryScores {
  const t = binarise(truth);
  const p = binarise(pred);
  return phaseScores(t, p, 1, options);
}

function binarise(m: IndexMap): IndexMap {
  const out = new Uint8Array(m.data.length);
  const d = m.data;
  for (let i = 0; i < d.length; i++) out[i] = d[i] === 0 ? 0 : 1;
  return { width: m.width, height: m.height, data: out };
}

interface ClassScore {
  label: number;
  iou: number;
  dice: number;
  precision: number;
  recall: number;
  /** Truth pixels of this class. */
  support: number;
}

export interface ClassScores {
  /** Class values, ascending: the ones given, or every value seen in truth or prediction. */
  labels: number[];
  /** Row-major k x k pixel counts, row = truth class, column = predicted class (sklearn layout). */
  confusion: Float64Array;
  perClass: ClassScore[];
  /** Unweighted means over `labels` (sklearn `average='macro'`). */
  meanIoU: number;
  meanDice: number;
  macroPrecision: number;
  macroRecall: number;
  /** Fraction of counted pixels whose predicted class equals the truth class. */
  pixelAccuracy: number;
}

export interface ClassScoreOptions extends ScoreOptions {
  /** Classes to report; pixels of other classes still count as errors against these. */
  labels?: number[];
}

/**
 * Confusion matrix and per-class scores of two class maps; `meanIoU` equals sklearn's
 * `jaccard_score(t, p, average='macro')`, `meanDice` its `f1_score(..., average='macro')`.
 */
export function classScores(truth: IndexMap, pred: IndexMap, options: ClassScoreOptions = {}): ClassScores {
  const zero = options.zeroDivision ?? 0;
  const table = contingency(truth, pred, options.ignoreTruth === undefined ? {} : { ignoreTruth: options.ignoreTruth });
  const { a, b, count } = table.entries();
  let labels: number[];
  if (options.labels) {
    labels = [...new Set(options.labels)].sort((x, y) => x - y);
  } else {
    const seen = new Set<number>();
    for (let i = 0; i < a.length; i++) {
      seen.add(a[i]!);
      seen.add(b[i]!);
    }
    labels = [...seen].sort((x, y) => x - y);
  }
  const k = labels.length;
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l, i));
  const confusion = new Float64Array(k * k);
  const truthTotal = new Float64Array(k);
  const predTotal = new Float64Array(k);
  let total = 0;
  let correct = 0;
  for (let i = 0; i < count.length; i++) {
    const c = count[i]!;
    total += c;
    if (a[i] === b[i]) correct += c;
    const ti = index.get(a[i]!);
    const pi = index.get(b[i]!);
    if (ti !== undefined) truthTotal[ti] += c;
    if (pi !== undefined) predTotal[pi] += c;
    if (ti !== undefined && pi !== undefined) confusion[ti * k + pi] += c;
  }
  const perClass: ClassScore[] = labels.map((label, i) => {
    const tp = confusion[i * k + i]!;
    const fn = truthTotal[i]! - tp;
    const fp = predTotal[i]! - tp;
    const s = scoresFromCounts(tp, fp, fn, total - tp - fp - fn, zero);
    return { label, iou: s.iou, dice: s.dice, precision: s.precision, recall: s.recall, support: truthTotal[i]! };
  });
  const mean = (f: (c: ClassScore) => number): number =>
    k === 0 ? zero : perClass.reduce((s, c) => s + f(c), 0) / k;
  return {
    labels,
    confusion,
    perClass,
    meanIoU: mean((c) => c.iou),
    meanDice: mean((c) => c.dice),
    macroPrecision: mean((c) => c.precision),
    macroRecall: mean((c) => c.recall),
    pixelAccuracy: ratio(correct, total, zero),
  };
}
