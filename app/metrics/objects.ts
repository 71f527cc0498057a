// Object-level agreement of two instance maps: segments matched one-to-one at IoU >= a threshold,
// counted as true positives, false positives (unmatched predictions) and false negatives.
import { contingency, marginal, type IndexMap } from './contingency';

interface ObjectMatch {
  truth: number;
  pred: number;
  iou: number;
}

export interface ObjectScores {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean IoU of the matched pairs (0/0 gives `zeroDivision`). */
  meanMatchedIoU: number;
  truthCount: number;
  predCount: number;
  /** The matched pairs, best IoU first. */
  matches: ObjectMatch[];
}

export interface ObjectMatchOptions {
  /** Minimum IoU for a match. Default 0.5; above 0.5 a match is unique, at 0.5 ties go greedily. */
  iouThreshold?: number;
  zeroDivision?: number;
}

/**
 * Matches segments (non-zero ids) of `pred` to those of `truth`. Pairs at or above the threshold
 * are taken greedily by descending IoU (ties: smaller truth id, then smaller pred id), each
 * segment used at most once; for thresholds above 0.5 this is the only possible matching.
 */
export function matchObjects(truth: IndexMap, pred: IndexMap, options: ObjectMatchOptions = {}): ObjectScores {
  const threshold = options.iouThreshold ?? 0.5;
  const zero = options.zeroDivision ?? 0;
  const table = contingency(truth, pred);
  const { a, b, count } = table.entries();
  const truthArea = areaLookup(a, count);
  const predArea = areaLookup(b, count);
  const candidates: ObjectMatch[] = [];
  for (let i = 0; i < count.length; i++) {
    const t = a[i]!;
    const p = b[i]!;
    if (t === 0 || p === 0) continue;
    const inter = count[i]!;
    const iou = inter / (truthArea.get(t)! + predArea.get(p)! - inter);
    if (iou >= threshold) candidates.push({ truth: t, pred: p, iou });
  }
  candidates.sort((x, y) => y.iou - x.iou || x.truth - y.truth || x.pred - y.pred);
  const usedT = new Set<number>();
  const usedP = new Set<number>();
  const matches: ObjectMatch[] = [];
  for (const c of candidates) {
    if (usedT.has(c.truth) || usedP.has(c.pred)) continue;
    usedT.add(c.truth);
    usedP.add(c.pred);
    matches.push(c);
  }
  const truthCount = truthArea.size - (truthArea.has(0) ? 1 : 0);
  const predCount = predArea.size - (predArea.has(0) ? 1 : 0);
  const tp = matches.length;
  const fp = predCount - tp;
  const fn = truthCount - tp;
  const precision = predCount === 0 ? zero : tp / predCount;
  const recall = truthCount === 0 ? zero : tp / truthCount;
  const f1 = tp + fp + fn === 0 ? zero : (2 * tp) / (2 * tp + fp + fn);
  const meanMatchedIoU = tp === 0 ? zero : matches.reduce((s, m) => s + m.iou, 0) / tp;
  return { tp, fp, fn, precision, recall, f1, meanMatchedIoU, truthCount, predCount, matches };
}

function areaLookup(keys: Uint32Array, count: Float64Array): Map<number, number> {
  const m = marginal(keys, count);
  const out = new Map<number, number>();
  for (let i = 0; i < m.key.length; i++) out.set(m.key[i]!, m.count[i]!);
  return out;
}
