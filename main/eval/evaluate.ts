// Scores an engine against a labelled set with the metrics the MatSAM paper uses (ARI for grain
// maps, IoU of a phase) plus object recall at IoU >= 0.5, boundary F1, Dice and pixel accuracy.
import { segmentClassicDetailed, type ClassicResult, type ClassicSettings } from '../../app/classic';
import { adjustedRandIndex, boundaryF1, classScores, matchObjects, phaseScores } from '../../app/metrics';
import type { LabelMap } from '../../app/types';
import { listPairs, loadPair, type EvalPreset } from './datasets';

interface ImageScore {
  stem: string;
  width: number;
  height: number;
  ms: number;
  segments: number;
  /** Grains: ARI; phases: IoU of the target phase. */
  primary: number;
  metrics: Record<string, number>;
  /** Grain mode: the boundary style the engine used ('auto' resolved). */
  boundaryStyle?: 'lines' | 'edges';
}

/** Multi-class scoring: IoU of every truth class over the whole set (pixels pooled). */
interface ClassScoreSummary {
  /** Truth class value, its IoU, and its pixels in the truth. */
  perClass: { cls: number; iou: number; support: number }[];
  meanIoU: number;
  /** How predicted intensity classes were matched to truth classes. */
  mapping: string;
}

interface SetScore {
  set: string;
  kind: EvalPreset['kind'];
  engine: string;
  images: ImageScore[];
  /** Means over images of each metric, and total time. */
  mean: Record<string, number>;
  totalMs: number;
  reference?: string;
  targetName?: string;
  /** The engine settings every image was segmented with. */
  settings: ClassicSettings;
  /** Set when the set is scored per class (`score: 'classes'`). */
  classes?: ClassScoreSummary;
}

function binaryMap(map: LabelMap, keep: (v: number) => boolean): LabelMap {
  const out = new Uint32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = keep(map.data[i]!) ? 1 : 0;
  return { width: map.width, height: map.height, data: out };
}

export function scoreGrains(truth: LabelMap, pred: LabelMap): Record<string, number> {
  const objects = matchObjects(truth, pred, { iouThreshold: 0.5 });
  const bf = boundaryF1(truth, pred, { tolerance: 2 });
  return {
    ari: adjustedRandIndex(truth, pred),
    objectRecall: objects.recall,
    objectPrecision: objects.precision,
    boundaryF1: bf.f1,
    truthGrains: objects.truthCount,
    predictedGrains: objects.predCount,
  };
}

/** Phases: the prediction's foreground (any segment) against the target classes of the truth. */
export function scorePhase(truthClasses: LabelMap, pred: LabelMap, targetClasses: number[]): Record<string, number> {
  const target = new Set(targetClasses);
  const t = binaryMap(truthClasses, (v) => target.has(v));
  const p = binaryMap(pred, (v) => v !== 0);
  const s = phaseScores(t, p, 1);
  return { iou: s.iou, dice: s.dice, f1: s.f1, recall: s.recall, precision: s.precision, pixelAccuracy: s.accuracy };
}

/**
 * The engine's intensity class of every pixel (phase mode): a segment's class, and for pixels
 * without a segment the background class (the darkest, or the brightest with `invert`).
 */
function predictedClassMap(result: ClassicResult, settings: ClassicSettings): LabelMap {
  const { width, height, data } = result.labels;
  const nClasses = settings.threshold === 'adaptive' ? 2 : Math.max(2, result.thresholds.length + 1);
  const background = settings.invert ? nClasses - 1 : 0;
  const out = new Uint32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    out[i] = id === 0 ? background : result.segmentClass[id]!;
  }
  return { width, height, data: out };
}

/**
 * Maps each predicted class to the truth class it overlaps most (the best any assignment of
 * names to the engine's unnamed intensity classes can do), pixel by pixel.
 */
export function mapClassesByOverlap(truth: LabelMap, pred: LabelMap): { mapped: LabelMap; mapping: Map<number, number> } {
  const votes = new Map<number, Map<number, number>>();
  for (let i = 0; i < pred.data.length; i++) {
    const p = pred.data[i]!;
    const t = truth.data[i]!;
    let m = votes.get(p);
    if (!m) votes.set(p, (m = new Map()));
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  const mapping = new Map<number, number>();
  for (const [p, m] of votes) {
    let best = -1;
    let bestN = -1;
    for (const [t, n] of m) if (n > bestN || (n === bestN && t < best)) [best, bestN] = [t, n];
    mapping.set(p, best);
  }
  const out = new Uint32Array(pred.data.length);
  for (let i = 0; i < out.length; i++) out[i] = mapping.get(pred.data[i]!)!;
  return { mapped: { width: pred.width, height: pred.height, data: out }, mapping };
}

interface EvaluateOptions {
  limit?: number;
  classic?: Partial<ClassicSettings>;
  onImage?: (score: ImageScore, index: number, total: number) => void;
}

export async function evaluateClassic(dir: string, preset: EvalPreset, opts: EvaluateOptions = {}): Promise<SetScore> {
  const pairs = listPairs(dir).slice(0, opts.limit ?? Infinity);
  const settings: ClassicSettings = { ...preset.classic, ...opts.classic } as ClassicSettings;
  const byClass = preset.score === 'classes';
  if (byClass && preset.kind === 'grains') throw new Error('per-class scoring needs a phase set (class index labels), not grains');
  // Pooled over the set: truth class -> [intersection, union] after mapping.
  const pooled = new Map<number, { tp: number; fp: number; fn: number; support: number }>();
  const cell = (c: number) => {
    let e = pooled.get(c);
    if (!e) pooled.set(c, (e = { tp: 0, fp: 0, fn: 0, support: 0 }));
    return e;
  };
  const images: ImageScore[] = [];
  for (const [i, pair] of pairs.entries()) {
    const { image, truth, stem } = await loadPair(pair, preset);
    const t0 = performance.now();
    const result = segmentClassicDetailed(image, settings);
    const ms = performance.now() - t0;
    let metrics: Record<string, number>;
    if (preset.kind === 'grains') metrics = scoreGrains(truth, result.labels);
    else if (!byClass) metrics = scorePhase(truth, result.labels, preset.targetClasses ?? [1]);
    else {
      const { mapped } = mapClassesByOverlap(truth, predictedClassMap(result, settings));
      const truthClasses = [...new Set(truth.data)].sort((a, b) => a - b);
      const cs = classScores(truth, mapped, { labels: truthClasses });
      metrics = { meanIoU: cs.meanIoU, pixelAccuracy: cs.pixelAccuracy };
      const k = cs.labels.length;
      cs.labels.forEach((c, ci) => {
        let predTotal = 0;
        for (let r = 0; r < k; r++) predTotal += cs.confusion[r * k + ci]!;
        const tp = cs.confusion[ci * k + ci]!;
        const e = cell(c);
        e.tp += tp;
        e.fn += cs.perClass[ci]!.support - tp;
        e.fp += predTotal - tp;
        e.support += cs.perClass[ci]!.support;
      });
    }
    let segments = 0;
    const seen = new Set<number>();
    for (const v of result.labels.data) if (v !== 0 && !seen.has(v)) seen.add(v);
    segments = seen.size;
    const primary = preset.kind === 'grains' ? metrics.ari! : byClass ? metrics.meanIoU! : metrics.iou!;
    const score: ImageScore = { stem, width: image.width, height: image.height, ms, segments, primary, metrics, ...(result.boundaryStyle ? { boundaryStyle: result.boundaryStyle } : {}) };
    images.push(score);
    opts.onImage?.(score, i, pairs.length);
  }
  const mean: Record<string, number> = {};
  for (const key of Object.keys(images[0]?.metrics ?? {})) mean[key] = images.reduce((s, im) => s + im.metrics[key]!, 0) / images.length;
  mean.ms = images.reduce((s, im) => s + im.ms, 0) / Math.max(1, images.length);
  const engine = `classic ${settings.mode}${settings.invert ? (settings.mode === 'grain' ? ' (bright boundaries)' : ' (dark objects)') : ''}`;
  let classes: ClassScoreSummary | undefined;
  if (byClass) {
    const perClass = [...pooled.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([cls, e]) => ({ cls, iou: e.tp + e.fp + e.fn > 0 ? e.tp / (e.tp + e.fp + e.fn) : 0, support: e.support }));
    classes = {
      perClass,
      meanIoU: perClass.length ? perClass.reduce((a, c) => a + c.iou, 0) / perClass.length : 0,
      mapping: 'each intensity class of the engine is named after the truth class it overlaps most, per image',
    };
  }
  return {
    set: preset.name,
    kind: preset.kind,
    engine,
    images,
    mean,
    totalMs: images.reduce((s, im) => s + im.ms, 0),
    ...(preset.reference ? { reference: preset.reference } : {}),
    ...(preset.targetName && !byClass ? { targetName: preset.targetName } : {}),
    settings,
    ...(classes ? { classes } : {}),
  };
}

export function formatSetScore(s: SetScore): string {
  const keys = Object.keys(s.mean).filter((k) => k !== 'ms');
  const lines = [`${s.set} (${s.images.length} images, ${s.engine})${s.targetName ? `, target: ${s.targetName}` : ''}`];
  lines.push(`  mean ${keys.map((k) => `${k} ${fmt(s.mean[k]!)}`).join('  ')}  time/image ${s.mean.ms!.toFixed(0)} ms`);
  if (s.classes) {
    lines.push(`  per class (pixels pooled over the set): ${s.classes.perClass.map((c) => `class ${c.cls} IoU ${fmt(c.iou)}`).join('  ')}  mean IoU ${fmt(s.classes.meanIoU)}`);
    lines.push(`  (${s.classes.mapping})`);
  }
  if (s.reference) lines.push(`  published: ${s.reference}`);
  return lines.join('\n');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
