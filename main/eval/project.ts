// "Which engine fits this material": runs every available engine (main/eval/engines.ts) on the
// images whose segmentation a person verified and scores it against what they verified: ARI,
// recall/precision at IoU >= 0.5, IoU per class, and the simulated correction effort (the oracle
// operator of app/eval/simulator.ts). Nothing is written to the project.
//
// Truth: an image marked verified counts as a whole (every pixel scored, its unsegmented pixels
// included); otherwise only its verified segments count and pixels outside them are not scored.
import type { EvalClassScore, EvalEngineScore, EvalImageScore, EvalProjectArgs, ProjectEvalReport } from '../../app/contract/eval';
import { ServiceError } from '../../app/errors';
import { adjustedRandIndex, matchObjects } from '../../app/metrics';
import { simulateCorrection } from '../../app/eval/simulator';
import type { ImageRecord, LabelMap } from '../../app/types';
import type { ProjectStore } from '../store/project-store';
import type { EditStore } from '../store/edits';
import { segmentationInfo } from '../store/export-queries';
import { decodeImage } from '../images/io';
import { readProjectImage } from '../images/stored';
import { currentLabels } from '../export/labels';
import { verifiedSegmentIds } from '../export/finetune';
import { availableEngines, type EngineContext, type EvalEngine } from './engines';
import { getDefaultEngine } from './default-engine';

export interface Truth {
  /** Verified segments with their project ids; 0 = no verified segment. */
  labels: LabelMap;
  /** The whole image was reviewed (status verified): every pixel is scored. */
  whole: boolean;
  /** Class of each verified segment (null = unclassified). */
  classOf: Map<number, number | null>;
  segments: number;
}

/** The truth of an image: its current map restricted to the segments a person verified. */
async function loadTruth(store: ProjectStore, edits: EditStore, im: ImageRecord): Promise<Truth | null> {
  const segs = store.listSegments(im.id);
  const keep = verifiedSegmentIds(im, segs);
  if (keep.size === 0) return null;
  const map = await currentLabels(edits, im.id);
  if (!map) return null;
  const data = new Uint32Array(map.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = map.data[i]!;
    if (v !== 0 && keep.has(v)) data[i] = v;
  }
  const classOf = new Map(segs.filter((s) => keep.has(s.id)).map((s) => [s.id, s.classId]));
  return { labels: { width: map.width, height: map.height, data }, whole: im.status === 'verified', classOf, segments: keep.size };
}

export interface ImageResult {
  ari: number;
  tp: number;
  truthCount: number;
  /** Predicted segments with most of their area in the scored region. */
  predCount: number;
  /** Per class id: truth pixels, predicted pixels, both. */
  classes: Map<number, { truth: number; pred: number; inter: number }>;
}

/** Scores one prediction against one truth (pure; the effort simulation is separate). */
export function scoreImage(truth: Truth, pred: LabelMap): ImageResult {
  const t = truth.labels;
  if (pred.width !== t.width || pred.height !== t.height) throw new ServiceError('internal', `An engine returned a ${pred.width} x ${pred.height} map for a ${t.width} x ${t.height} image.`);
  const scored = (i: number) => truth.whole || t.data[i] !== 0;
  const ari = adjustedRandIndex(t, pred, truth.whole ? {} : { ignoreTruth: 0 });
  const objects = matchObjects(t, pred, { iouThreshold: 0.5 });
  // Each predicted segment: pixels inside the scored region, all its pixels, and class votes there.
  const inside = new Map<number, number>();
  const area = new Map<number, number>();
  const votes = new Map<number, Map<number, number>>();
  const NONE = -1;
  const classAt = (i: number) => {
    const v = t.data[i]!;
    return v === 0 ? NONE : (truth.classOf.get(v) ?? NONE);
  };
  for (let i = 0; i < pred.data.length; i++) {
    const p = pred.data[i]!;
    area.set(p, (area.get(p) ?? 0) + 1);
    if (!scored(i)) continue;
    inside.set(p, (inside.get(p) ?? 0) + 1);
    let m = votes.get(p);
    if (!m) votes.set(p, (m = new Map()));
    const c = classAt(i);
    m.set(c, (m.get(c) ?? 0) + 1);
  }
  let predCount = 0;
  for (const [p, n] of inside) if (p !== 0 && 2 * n > area.get(p)!) predCount++;
  // The best any naming of the engine's unnamed segments can do: each takes its majority class.
  const predClass = new Map<number, number>();
  for (const [p, m] of votes) {
    let best = NONE;
    let bestN = -1;
    for (const [c, n] of m) if (n > bestN || (n === bestN && c < best)) [best, bestN] = [c, n];
    predClass.set(p, p === 0 ? NONE : best);
  }
  const classes = new Map<number, { truth: number; pred: number; inter: number }>();
  const cell = (c: number) => {
    let e = classes.get(c);
    if (!e) classes.set(c, (e = { truth: 0, pred: 0, inter: 0 }));
    return e;
  };
  for (const c of truth.classOf.values()) if (c !== null) cell(c);
  for (let i = 0; i < pred.data.length; i++) {
    if (!scored(i)) continue;
    const tc = classAt(i);
    const pc = predClass.get(pred.data[i]!)!;
    if (tc !== NONE) cell(tc).truth++;
    if (pc !== NONE) cell(pc).pred++;
    if (tc !== NONE && tc === pc) cell(tc).inter++;
  }
  return { ari, tp: objects.tp, truthCount: objects.truthCount, predCount, classes };
}

export interface ProjectEvalRun {
  store: ProjectStore;
  edits: EditStore;
  engines: EngineContext;
  signal: AbortSignal;
  progress(done: number, message?: string): void;
}

function cancelled(): ServiceError {
  return new ServiceError('cancelled', 'The evaluation was cancelled; nothing was changed.');
}

/** The images with a verified truth among the given ones (or all); throws a user-facing error when none. */
export function chooseVerifiedImages(store: ProjectStore, imageIds?: number[]): ImageRecord[] {
  const seg = segmentationInfo(store);
  const candidates = imageIds ? imageIds.map((id) => store.getImage(id)) : store.listImages();
  const chosen = candidates.filter((im) => seg.has(im.id) && verifiedSegmentIds(im, store.listSegments(im.id)).size > 0);
  if (chosen.length === 0) {
    throw new ServiceError(
      'invalid-argument',
      `Nothing to evaluate: none of the ${candidates.length} image(s) has a segmentation a person verified. Correct a few images and mark them verified (or verify their segments) first; the engines are scored against what you verified.`,
    );
  }
  return chosen;
}

/** The engines an evaluation with these arguments runs (refuses unknown names, listing the known ones). */
export async function selectEngines(ctx: EngineContext, wanted?: string[]): Promise<EvalEngine[]> {
  const all = await availableEngines(ctx);
  if (!wanted) return all;
  const byId = new Map(all.map((e) => [e.id, e]));
  const missing = wanted.filter((w) => !byId.has(w));
  if (missing.length) throw new ServiceError('invalid-argument', `Unknown or unavailable engine(s): ${missing.join(', ')}. Available: ${all.map((e) => e.id).join(', ')}.`);
  return wanted.map((w) => byId.get(w)!);
}

/** Best first: higher mean ARI; near-equal ARI (0.001) goes to less simulated effort, then the name. */
export function rankEngines(scores: EvalEngineScore[]): EvalEngineScore[] {
  const ok = scores.filter((s) => !s.failed);
  const effort = (s: EvalEngineScore) => s.effort?.per100 ?? Infinity;
  ok.sort((a, b) => (Math.abs(a.ari - b.ari) > 1e-3 ? b.ari - a.ari : effort(a) - effort(b) || a.engine.localeCompare(b.engine)));
  ok.forEach((s, k) => (s.rank = k + 1));
  return [...ok, ...scores.filter((s) => s.failed).map((s) => ({ ...s, rank: null }))];
}

export async function evaluateProject(run: ProjectEvalRun, args: EvalProjectArgs, engines: EvalEngine[], images: ImageRecord[]): Promise<ProjectEvalReport> {
  const { store, signal } = run;
  const classes = new Map(store.listClasses().map((c) => [c.id, c.name]));
  const perImage: EvalImageScore[] = [];
  const scores: EvalEngineScore[] = [];
  const imageRows: ProjectEvalReport['images'] = [];
  const notes: string[] = [];
  let step = 0;
  for (const [ei, engine] of engines.entries()) {
    let ariSum = 0;
    let tp = 0;
    let truthCount = 0;
    let predCount = 0;
    let ops = 0;
    let grains = 0;
    let reached = 0;
    let ms = 0;
    let n = 0;
    const pooled = new Map<number, { truth: number; pred: number; inter: number }>();
    let failed: string | undefined;
    for (const im of images) {
      if (signal.aborted) throw cancelled();
      const base = step * 100;
      step++;
      run.progress(base, `${engine.label}: ${im.name}`);
      const truth = await loadTruth(store, run.edits, im);
      if (!truth) continue;
      if (ei === 0) imageRows.push({ imageId: im.id, name: im.name, truth: truth.whole ? 'image' : 'segments', segments: truth.segments });
      if (failed) continue;
      const raster = await decodeImage(await readProjectImage(store.dir, im, signal), im.name, im.page);
      let pred: LabelMap;
      const t0 = performance.now();
      try {
        pred = await engine.run({ raster, image: im, signal, progress: (f, stage) => run.progress(base + Math.round(f * 70), `${engine.label}: ${im.name}: ${stage}`) });
      } catch (e) {
        if (signal.aborted) throw cancelled();
        if (e instanceof ServiceError && e.code === 'cancelled') throw e;
        failed = `${im.name}: ${(e as Error).message}`;
        continue;
      }
      ms += performance.now() - t0;
      const s = scoreImage(truth, pred);
      n++;
      ariSum += s.ari;
      tp += s.tp;
      truthCount += s.truthCount;
      predCount += s.predCount;
      for (const [c, v] of s.classes) {
        const p = pooled.get(c) ?? { truth: 0, pred: 0, inter: 0 };
        pooled.set(c, { truth: p.truth + v.truth, pred: p.pred + v.pred, inter: p.inter + v.inter });
      }
      let imageOps: number | null = null;
      let imageReached: boolean | null = null;
      if (args.effort) {
        if (signal.aborted) throw cancelled();
        run.progress(base + 75, `${engine.label}: ${im.name}: simulating corrections`);
        const sim = simulateCorrection(pred, truth.labels, { kind: 'grains', ignoreTruth: truth.whole ? null : 0, ...(args.maxOps ? { maxOps: args.maxOps } : {}) });
        imageOps = sim.operations;
        imageReached = sim.reachedTarget;
        ops += sim.operations;
        grains += sim.grains;
        if (sim.reachedTarget) reached++;
      }
      perImage.push({ engine: engine.id, imageId: im.id, ari: s.ari, recall50: s.truthCount ? s.tp / s.truthCount : 0, operations: imageOps, reached: imageReached, segments: truth.segments });
      run.progress(base + 100);
    }
    const perClass: EvalClassScore[] = [...pooled.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([classId, v]) => ({ classId, name: classes.get(classId) ?? `class ${classId}`, iou: v.truth + v.pred - v.inter > 0 ? v.inter / (v.truth + v.pred - v.inter) : 0, support: v.truth }));
    scores.push({
      engine: engine.id,
      label: engine.label,
      kind: engine.kind,
      rank: null,
      images: n,
      ari: n ? ariSum / n : 0,
      recall50: truthCount ? tp / truthCount : 0,
      precision50: predCount ? Math.min(1, tp / predCount) : 0,
      perClass,
      meanClassIoU: perClass.length ? perClass.reduce((a, c) => a + c.iou, 0) / perClass.length : null,
      effort: args.effort && n ? { operations: ops, per100: grains ? (100 * ops) / grains : 0, reached, images: n } : null,
      msPerImage: n ? ms / n : 0,
      ...(failed ? { failed } : {}),
    });
  }
  if (imageRows.some((r) => r.truth === 'segments')) notes.push('Images not marked verified are scored on their verified segments only; pixels outside them are not scored.');
  if (args.effort) notes.push('Effort: operations the simulated operator needs to bring the result to ARI 0.95 with GrainLab\'s edit tools (merge, split, brush, outline, delete), per 100 verified segments; fewer is better.');
  notes.push('IoU per class: each predicted segment takes the class of the verified segments it overlaps most (the best a class assignment can do).');
  const ranked = rankEngines(scores);
  return { images: imageRows, engines: ranked, best: ranked.find((s) => s.rank === 1)?.engine ?? null, perImage, defaultEngine: getDefaultEngine(store).engine, notes };
}

const f3 = (v: number) => v.toFixed(3);

/** The report as a text table, best first. */
export function formatProjectEval(r: ProjectEvalReport): string {
  const classNames = [...new Map(r.engines.flatMap((e) => e.perClass.map((c) => [c.classId, c.name] as const))).values()];
  const head = ['rank', 'engine', 'ARI', 'recall@0.5', 'precision@0.5', ...classNames.map((n) => `IoU ${n}`), 'effort/100', 's/image'];
  const rows = r.engines.map((e) => [
    e.rank === null ? '–' : String(e.rank),
    `${e.engine}${e.engine === r.defaultEngine ? ' (default)' : ''}`,
    ...(e.failed
      ? [`failed: ${e.failed}`]
      : [
          f3(e.ari),
          f3(e.recall50),
          f3(e.precision50),
          ...classNames.map((n) => {
            const c = e.perClass.find((x) => x.name === n);
            return c ? f3(c.iou) : '–';
          }),
          e.effort ? `${e.effort.per100.toFixed(1)}${e.effort.reached < e.effort.images ? '+' : ''}` : '–',
          (e.msPerImage / 1000).toFixed(2),
        ]),
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => (row[k] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 1 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  const whole = r.images.filter((i) => i.truth === 'image').length;
  const out = [
    `Which engine fits this material: ${r.images.length} verified image(s) (${whole} reviewed as a whole, ${r.images.length - whole} by verified segments), ${r.images.reduce((a, i) => a + i.segments, 0)} verified segments.`,
    '',
    line(head),
    ...rows.map(line),
    '',
    r.best ? `Best fit: ${r.best}${r.best === r.defaultEngine ? ' (already the default)' : ''}.` : 'No engine could be scored.',
    ...r.notes.map((n) => `note: ${n}`),
  ];
  if (r.engines.some((e) => e.effort && e.effort.reached < e.effort.images)) out.push("note: '+' = the operator did not reach the target on every image (it stopped at the cap or found no helping edit).");
  return out.join('\n');
}
