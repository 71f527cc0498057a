// Scores an engine against a labelled set with the metrics the MatSAM paper uses (ARI for grain
// maps, IoU of a phase) plus object recall at IoU >= 0.5, boundary F1, Dice and pixel accuracy.
import { segmentClassicDetailed, type ClassicSettings } from '../../app/classic';
import { adjustedRandIndex, boundaryF1, matchObjects, phaseScores } from '../../app/metrics';
import type { LabelMap } from '../../app/types';
import { listPairs, loadPair, type EvalPreset } from './datasets';

export interface ImageScore {
  stem: string;
  width: number;
  height: number;
  ms: number;
  segments: number;
  /** Grains: ARI; phases: IoU of the target phase. */
  primary: number;
  metrics: Record<string, number>;
}

export interface SetScore {
  set: string;
  kind: EvalPreset['kind'];
  engine: string;
  images: ImageScore[];
  /** Means over images of each metric, and total time. */
  mean: Record<string, number>;
  totalMs: number;
  reference?: string;
  targetName?: string;
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

export interface EvaluateOptions {
  limit?: number;
  classic?: Partial<ClassicSettings>;
  onImage?: (score: ImageScore, index: number, total: number) => void;
}

export async function evaluateClassic(dir: string, preset: EvalPreset, opts: EvaluateOptions = {}): Promise<SetScore> {
  const pairs = listPairs(dir).slice(0, opts.limit ?? Infinity);
  const settings: ClassicSettings = { ...preset.classic, ...opts.classic } as ClassicSettings;
  const images: ImageScore[] = [];
  for (const [i, pair] of pairs.entries()) {
    const { image, truth, stem } = await loadPair(pair, preset);
    const t0 = performance.now();
    const result = segmentClassicDetailed(image, settings);
    const ms = performance.now() - t0;
    const metrics = preset.kind === 'grains' ? scoreGrains(truth, result.labels) : scorePhase(truth, result.labels, preset.targetClasses ?? [1]);
    let segments = 0;
    const seen = new Set<number>();
    for (const v of result.labels.data) if (v !== 0 && !seen.has(v)) seen.add(v);
    segments = seen.size;
    const score: ImageScore = { stem, width: image.width, height: image.height, ms, segments, primary: preset.kind === 'grains' ? metrics.ari! : metrics.iou!, metrics };
    images.push(score);
    opts.onImage?.(score, i, pairs.length);
  }
  const mean: Record<string, number> = {};
  for (const key of Object.keys(images[0]?.metrics ?? {})) mean[key] = images.reduce((s, im) => s + im.metrics[key]!, 0) / images.length;
  mean.ms = images.reduce((s, im) => s + im.ms, 0) / Math.max(1, images.length);
  const engine = `classic ${settings.mode}${settings.invert ? ' (dark objects)' : ''}`;
  return {
    set: preset.name,
    kind: preset.kind,
    engine,
    images,
    mean,
    totalMs: images.reduce((s, im) => s + im.ms, 0),
    ...(preset.reference ? { reference: preset.reference } : {}),
    ...(preset.targetName ? { targetName: preset.targetName } : {}),
  };
}

export function formatSetScore(s: SetScore): string {
  const keys = Object.keys(s.mean).filter((k) => k !== 'ms');
  const lines = [`${s.set} (${s.images.length} images, ${s.engine})${s.targetName ? `, target: ${s.targetName}` : ''}`];
  lines.push(`  mean ${keys.map((k) => `${k} ${fmt(s.mean[k]!)}`).join('  ')}  time/image ${s.mean.ms!.toFixed(0)} ms`);
  if (s.reference) lines.push(`  published: ${s.reference}`);
  return lines.join('\n');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
