// Phase fractions: classes for the segments a machine may class so that each class covers the
// area fraction asked for (app/cluster guideFractions), scored by a classifier on the segments
// that already have one of the classes, or by brightness when none do.
import type { FractionReport } from '../../app/contract/cluster';
import type { ParsedArgs } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import { applyZScore, fitZScore, guideFractions, selectGroups, softmaxRows, trainClassifier } from '../../app/cluster';
import { mayAutoClass } from '../../app/provenance';
import type { ServiceContext } from '../handlers/context';
import { ALL_GROUPS, type SegmentFeatures } from './features';
import { applyClasses } from './assign';

export async function fractions(ctx: ServiceContext, features: SegmentFeatures, classifierVersion: () => number | null, a: ParsedArgs<'cluster.fractions'>): Promise<FractionReport> {
  const edits = ctx.edits();
  const store = edits.store;
  const f = await features.featuresOf(edits, a.imageId, ALL_GROUPS);
  const targets = new Map(a.targets.map((t) => [t.classId, t.fraction]));
  const classIds = [...targets.keys()].sort((x, y) => x - y);
  for (const c of classIds) {
    if (!store.db.prepare('SELECT id FROM classes WHERE id = ?').get(c)) throw new ServiceError('invalid-argument', `Class ${c} does not exist in this project; create it first or pick another.`);
  }
  const byId = new Map(f.segments.map((s) => [s.id, s]));
  const fixedAreas = new Map<number, number>();
  const movable: number[] = [];
  const trainRows: number[] = [];
  const trainY: number[] = [];
  f.matrix.segmentIds.forEach((id, r) => {
    const s = byId.get(id)!;
    const fixed = !mayAutoClass(s);
    if (fixed && s.classId !== null && targets.has(s.classId)) fixedAreas.set(s.classId, (fixedAreas.get(s.classId) ?? 0) + s.area);
    if (!fixed) movable.push(r);
    if (s.classId !== null && targets.has(s.classId)) {
      trainRows.push(r);
      trainY.push(s.classId);
    }
  });
  // Scores for the movable segments: a classifier on the segments that already have one of the
  // classes (a person's, a cluster's or the classifier's); without any, the intensity order.
  const m = applyZScore(selectGroups(f.matrix, ALL_GROUPS), fitZScore(selectGroups(f.matrix, ALL_GROUPS), { balanceGroups: true }));
  const cols = m.names.length;
  const take = (rs: number[]) => {
    const d = new Float64Array(rs.length * cols);
    rs.forEach((r, i) => d.set(m.data.subarray(r * cols, (r + 1) * cols), i * cols));
    return { data: d, cols };
  };
  const present = new Set(trainY);
  let logits: Float64Array;
  let scoreClasses: number[];
  if (present.size >= 2) {
    const clf = trainClassifier('nearest-centroid', take(trainRows), trainY);
    logits = clf.logits(take(movable));
    scoreClasses = clf.classIds;
    // Classes nobody has labelled yet get a very low score; the offsets can still give them area.
    if (scoreClasses.length < classIds.length) {
      const wide = new Float64Array(movable.length * classIds.length).fill(-50);
      movable.forEach((_, i) => scoreClasses.forEach((c, j) => (wide[i * classIds.length + classIds.indexOf(c)] = logits[i * scoreClasses.length + j]!)));
      logits = wide;
      scoreClasses = classIds;
    }
  } else {
    // Brightness order: class order of the targets = dark to bright (as pixel k-means names phases).
    const all = selectGroups(f.matrix, ['intensity']);
    const mc = Math.max(0, all.names.indexOf('mean'));
    logits = new Float64Array(movable.length * classIds.length);
    movable.forEach((r, i) => {
      const v = all.data[r * all.names.length + mc]!;
      classIds.forEach((_, j) => (logits[i * classIds.length + j] = -Math.abs(v - (j + 0.5) / classIds.length) * 20));
    });
    scoreClasses = classIds;
  }
  const areas = Float64Array.from(movable, (r) => byId.get(f.matrix.segmentIds[r]!)!.area);
  const result = guideFractions({ classIds: scoreClasses, logits, areas, targets, fixedAreas });
  const report: FractionReport = {
    imageId: a.imageId,
    classes: classIds.map((c) => ({ classId: c, target: targets.get(c)! / Math.max(1e-12, [...targets.values()].reduce((s, v) => s + v, 0)), achieved: result.achieved.get(c) ?? 0 })),
    ack: null,
  };
  if (!a.apply) return report;
  const probs = softmaxRows(logits, scoreClasses.length);
  const classOf = new Map<number, number>();
  const confidence = new Map<number, number>();
  movable.forEach((r, i) => {
    const id = f.matrix.segmentIds[r]!;
    const c = result.assignments[i]!;
    confidence.set(id, probs[i * scoreClasses.length + scoreClasses.indexOf(c)]!);
    if (byId.get(id)!.classId !== c) classOf.set(id, c);
  });
  if (classOf.size > 0) report.ack = await applyClasses(ctx, edits, a.imageId, classOf, { source: 'classifier', confidence, model: classifierVersion() }, a.expectRevision);
  return report;
}
