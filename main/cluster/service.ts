// Clusters, classes and propagation for one service: segment features (cached per image revision),
// k-means clusterings saved per image, the propagation classifier with background retraining, phase
// fractions and pixel k-means phase maps. The algorithms are app/cluster; this file is the glue to
// the project store, the edit history (every class change is one undoable edit) and jobs.
import type { EditAck } from '../../app/contract/edit';
import type { ClassifierInfo, ClusterInfo, ClusterState, FeatureGroupName, FractionReport, PredictionSet } from '../../app/contract/cluster';
import type { ParsedArgs } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import { toGrey } from '../../app/image/display';
import type { ClassRecord, LabelMap, SegmentRecord } from '../../app/types';
import {
  autoKMeans,
  fitZScore,
  applyZScore,
  guideFractions,
  kmeansCluster,
  mergeClusters,
  phaseMap,
  predictRows,
  segmentFeatures,
  selectGroups,
  softmaxRows,
  splitCluster,
  trainClassifier,
  type Classifier,
  type ClusterResult,
  type FeatureMatrix,
  type Points,
  type ZScoreStats,
} from '../../app/cluster';
import { editStoreFor, type ClassProvenance } from '../store/edits';
import type { ProjectStore } from '../store/project-store';
import { ensureClassNamed, listClasses } from '../store/classes';
import { saveAutomaticResult } from '../store/automatic';
import { isTrainingLabel, mayAutoClass } from '../../app/provenance';
import { classCounts, crossValidate, trainingWarnings, type CrossValidation } from '../../app/cluster/validate';
import { loadPixels } from '../handlers/images';
import { samSession } from '../handlers/sam';
import type { ServiceContext } from '../handlers/context';
import { featuresInWorker, kmeansInWorker, phaseMapInWorker } from '../jobs/classic-runner';

/** Okabe-Ito first (colour-blind safe), then more distinct hues. */
export const CLUSTER_COLOURS = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#9467bd'];
const clusterColour = (i: number) => CLUSTER_COLOURS[i % CLUSTER_COLOURS.length]!;
const ALL_GROUPS: FeatureGroupName[] = ['intensity', 'texture', 'shape', 'boundary'];
const RETRAIN_DELAY_MS = 1000;
const EXAMPLES = 4;

interface Features {
  revision: string;
  /** geometryKey of the segments: features change only when it does (a class edit keeps it). */
  geometry: string;
  /** Raw (not normalised) features of the groups computed, one row per segment (ascending id). */
  matrix: FeatureMatrix;
  segments: SegmentRecord[];
  labels: LabelMap;
}

/** What is saved per image in the clusterings table. */
interface SavedClustering {
  k: number;
  autoK: boolean;
  groups: FeatureGroupName[];
  seed: number;
  silhouette: { k: number; score: number }[];
  segmentIds: number[];
  clusterIds: number[];
  exampleIds: number[][];
  createdAt: string;
  geometry: string;
}

/**
 * Up to this many pixels (1024²: features about 0.2 s) the pixel work of clustering (segment
 * features, phase maps) runs on the service thread; larger images go to the cluster worker.
 */
export const INLINE_PIXELS = 1 << 20;
/** Up to this many segments k-means (with the silhouette search) runs on the service thread. */
export const KMEANS_INLINE_ROWS = 2000;

/**
 * A fingerprint of the segments' geometry (ids, areas, boxes): equal before and after edits that
 * only change classes or review state, different after merge, split, brush or delete.
 */
export function geometryKey(segments: readonly SegmentRecord[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const mix = (v: number) => {
    h1 = Math.imul(h1 ^ v, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ (v + 0x9e3779b9), 2246822519) >>> 0;
  };
  for (const s of segments) {
    mix(s.id);
    mix(s.area);
    mix(s.bbox.x);
    mix(s.bbox.y);
    mix(s.bbox.width);
    mix(s.bbox.height);
  }
  return `${segments.length}:${h1.toString(16)}${h2.toString(16)}`;
}

interface TrainedClassifier {
  info: ClassifierInfo;
  classifier: Classifier;
  zscore: ZScoreStats;
}

export class ClusterService {
  private readonly features = new Map<number, Features>();
  private classifier: TrainedClassifier | null = null;
  private retrainTimer: ReturnType<typeof setTimeout> | null = null;
  private retrainRunning = false;

  constructor(private readonly ctx: ServiceContext) {
    ctx.onProjectClose(() => {
      this.features.clear();
      this.classifier = null;
      if (this.retrainTimer) clearTimeout(this.retrainTimer);
      this.retrainTimer = null;
    });
  }

  private edits(store: ProjectStore) {
    return editStoreFor(store);
  }

  // ------------------------------------------------------------------ features

  /** Raw features of every segment of the image's current map (all groups needed; cached per revision). */
  async featuresOf(store: ProjectStore, imageId: number, groups: readonly FeatureGroupName[]): Promise<Features> {
    const snap = await this.edits(store).snapshot(imageId);
    if (!snap) throw new ServiceError('not-found', `Image ${imageId} has no segmentation yet. Segment it first (S), then cluster its segments.`);
    if (snap.segments.length === 0) throw new ServiceError('invalid-argument', `Image ${imageId} has no segments to cluster.`);
    const wantEmbedding = groups.includes('embedding');
    const geometry = geometryKey(snap.segments);
    const cached = this.features.get(imageId);
    if (cached && cached.geometry === geometry && (!wantEmbedding || cached.matrix.groups.includes('embedding'))) {
      // Same geometry, same features; the rows (classes, review state) are today's.
      cached.segments = snap.segments;
      cached.revision = snap.revision;
      return cached;
    }
    const raster = await loadPixels(store, imageId);
    const grey = toGrey(raster);
    const want: FeatureGroupName[] = wantEmbedding ? [...ALL_GROUPS, 'embedding'] : ALL_GROUPS;
    const embedding = wantEmbedding ? await this.embeddingOf(store, imageId) : undefined;
    const options = { groups: want, unitIntensity: true, ...(embedding ? { embedding } : {}) };
    // Large images (about 1 s at 4096², 4 s at 8192²) are done in a worker so that edits, which the
    // same thread serves, never wait for a background retrain or a clustering.
    const matrix = grey.width * grey.height > INLINE_PIXELS ? await featuresInWorker(grey, snap.labels, options) : segmentFeatures(grey, snap.labels, options);
    const f: Features = { revision: snap.revision, geometry, matrix, segments: snap.segments, labels: snap.labels };
    this.features.set(imageId, f);
    // Keep memory bounded on large projects: a few images' features are enough for interactive work.
    if (this.features.size > 16) this.features.delete(this.features.keys().next().value!);
    return f;
  }

  private async embeddingOf(store: ProjectStore, imageId: number) {
    const sam = samSession(this.ctx);
    if (sam.activeModel() === null) {
      throw new ServiceError('invalid-argument', 'The embedding feature group needs a SAM model. Install one (npx grainlab models import …) or leave "embedding" out.');
    }
    const { engine, modelId } = await sam.engineFor();
    const im = store.getImage(imageId);
    const e = await sam.embedding(engine, modelId, im);
    return { data: e.data, imageWidth: im.width, imageHeight: im.height };
  }

  // ------------------------------------------------------------------ clustering

  runJob(a: ParsedArgs<'cluster.run'>): string {
    const store = this.ctx.project();
    const im = store.getImage(a.imageId);
    return this.ctx.jobs.start(`Clustering the segments of ${im.name}`, 3, async (job) => {
      job.progress(0, 'Computing segment features');
      const f = await this.featuresOf(store, a.imageId, a.groups);
      if (job.signal.aborted) throw new ServiceError('cancelled', 'Clustering was cancelled.');
      job.progress(1, `Clustering ${f.segments.length} segments`);
      const p = this.points(f.matrix, a.groups);
      let result: ClusterResult;
      let silhouette: { k: number; score: number }[] = [];
      const opts = { seed: a.seed };
      const k = a.k === 'auto' ? 'auto' : Math.min(a.k, f.segments.length);
      const auto = { ...opts, kMin: Math.min(a.kMin, a.kMax), kMax: Math.max(a.kMin, a.kMax) };
      // Many segments: in a worker, so edits are served meanwhile (seconds for tens of thousands).
      if (f.segments.length > KMEANS_INLINE_ROWS) {
        const r = await kmeansInWorker(p, k, auto, job.signal);
        result = r.result;
        silhouette = r.scores.map((s) => ({ k: s.k, score: s.silhouette }));
      } else if (k === 'auto') {
        const r = autoKMeans(p, auto);
        result = r.result;
        silhouette = r.scores.map((s) => ({ k: s.k, score: s.silhouette }));
      } else {
        result = kmeansCluster(p, k, opts);
      }
      if (this.ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
      await this.save(store, a.imageId, f, p, result, { k: result.k, autoK: a.k === 'auto', groups: a.groups, seed: a.seed, silhouette });
      job.progress(3, `${result.k} clusters`);
    });
  }

  /** Normalised feature rows of the chosen groups. */
  private points(matrix: FeatureMatrix, groups: readonly FeatureGroupName[]): Points {
    const m = selectGroups(matrix, groups);
    if (m.names.length === 0) throw new ServiceError('invalid-argument', 'Choose at least one feature group.');
    const z = applyZScore(m, fitZScore(m, { balanceGroups: true }));
    return { data: z.data, cols: z.names.length };
  }

  private async save(
    store: ProjectStore,
    imageId: number,
    f: Features,
    p: Points,
    result: ClusterResult,
    meta: Pick<SavedClustering, 'k' | 'autoK' | 'groups' | 'seed' | 'silhouette'>,
  ): Promise<ClusterState> {
    const exampleIds = examples(p, result, f.matrix.segmentIds);
    const saved: SavedClustering = {
      ...meta,
      k: result.k,
      segmentIds: Array.from(f.matrix.segmentIds),
      clusterIds: Array.from(result.assignments),
      exampleIds,
      createdAt: new Date().toISOString(),
      geometry: f.geometry,
    };
    store.db
      .prepare(`INSERT INTO clusterings (image_id, revision, state) VALUES (?, ?, ?)
        ON CONFLICT(image_id) DO UPDATE SET revision = excluded.revision, state = excluded.state, created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`)
      .run(imageId, f.revision, JSON.stringify(saved));
    await this.edits(store).setClusterIds(imageId, new Map(saved.segmentIds.map((id, i) => [id, saved.clusterIds[i]!])));
    return (await this.get(imageId))!;
  }

  private loadSaved(store: ProjectStore, imageId: number): { saved: SavedClustering; revision: string } | null {
    const row = store.db.prepare('SELECT revision, state FROM clusterings WHERE image_id = ?').get(imageId) as { revision: string; state: string } | undefined;
    if (!row) return null;
    try {
      return { saved: JSON.parse(row.state) as SavedClustering, revision: row.revision };
    } catch {
      return null;
    }
  }

  async get(imageId: number): Promise<ClusterState | null> {
    const store = this.ctx.project();
    store.getImage(imageId);
    const loaded = this.loadSaved(store, imageId);
    if (!loaded) return null;
    const { saved, revision } = loaded;
    const snap = await this.edits(store).snapshot(imageId);
    const rows = new Map((snap?.segments ?? []).map((s) => [s.id, s]));
    const total = saved.segmentIds.reduce((t, id) => t + (rows.get(id)?.area ?? 0), 0);
    const clusters: ClusterInfo[] = [];
    for (let c = 0; c < saved.k; c++) {
      let size = 0;
      let areaPx = 0;
      const classArea = new Map<number, number>();
      let classCount = 0;
      const byClass = new Map<number, number>();
      saved.segmentIds.forEach((id, i) => {
        if (saved.clusterIds[i] !== c) return;
        const r = rows.get(id);
        if (!r) return;
        size++;
        areaPx += r.area;
        if (r.classId !== null) {
          classCount++;
          byClass.set(r.classId, (byClass.get(r.classId) ?? 0) + 1);
          classArea.set(r.classId, (classArea.get(r.classId) ?? 0) + r.area);
        }
      });
      let classId: number | null = null;
      let best = 0;
      for (const [k, n] of byClass) if (n > best) [classId, best] = [k, n];
      if (best * 2 < size || classCount === 0) classId = null;
      clusters.push({ id: c, color: clusterColour(c), size, areaPx, areaFraction: total > 0 ? areaPx / total : 0, exampleIds: (saved.exampleIds[c] ?? []).filter((id) => rows.has(id)), classId });
    }
    return {
      imageId,
      revision,
      k: saved.k,
      autoK: saved.autoK,
      groups: saved.groups,
      silhouette: saved.silhouette,
      clusters,
      segmentIds: Uint32Array.from(saved.segmentIds),
      clusterIds: Int32Array.from(saved.clusterIds),
      stale: snap === null || geometryKey(snap.segments) !== saved.geometry,
      createdAt: saved.createdAt,
    };
  }

  /** The saved clustering with the features it was made from (recomputed for the current map when it changed). */
  private async reopen(imageId: number): Promise<{ store: ProjectStore; saved: SavedClustering; f: Features; p: Points; result: ClusterResult }> {
    const store = this.ctx.project();
    const loaded = this.loadSaved(store, imageId);
    if (!loaded) throw new ServiceError('not-found', `Image ${imageId} has not been clustered yet. Run clustering first.`);
    const { saved } = loaded;
    const f = await this.featuresOf(store, imageId, saved.groups);
    if (f.geometry !== saved.geometry) {
      throw new ServiceError('invalid-argument', 'The segmentation changed since it was clustered. Re-run clustering, then merge or split clusters.');
    }
    const p = this.points(f.matrix, saved.groups);
    const assignments = Int32Array.from(saved.clusterIds);
    const cols = p.cols;
    const centroids = new Float64Array(saved.k * cols);
    const sizes = new Int32Array(saved.k);
    assignments.forEach((c, r) => {
      sizes[c]!++;
      for (let j = 0; j < cols; j++) centroids[c * cols + j]! += p.data[r * cols + j]!;
    });
    for (let c = 0; c < saved.k; c++) for (let j = 0; j < cols; j++) if (sizes[c]! > 0) centroids[c * cols + j]! /= sizes[c]!;
    return { store, saved, f, p, result: { k: saved.k, assignments, centroids, sizes, inertia: 0 } };
  }

  async merge(imageId: number, a: number, b: number): Promise<ClusterState> {
    const { store, saved, f, p, result } = await this.reopen(imageId);
    const merged = mergeClusters(p, result, a, b);
    return this.save(store, imageId, f, p, merged, { ...saved, silhouette: [], autoK: false });
  }

  async split(imageId: number, clusterId: number, k: number): Promise<ClusterState> {
    const { store, saved, f, p, result } = await this.reopen(imageId);
    let r = splitCluster(p, result, clusterId, { seed: saved.seed });
    // k > 2: keep splitting the larger part of the original cluster.
    for (let n = 2; n < k; n++) {
      const parts = [clusterId, r.k - 1].filter((c) => c < r.k).sort((x, y) => r.sizes[y]! - r.sizes[x]!);
      const next = splitCluster(p, r, parts[0]!, { seed: saved.seed });
      if (next.k === r.k) break;
      r = next;
    }
    return this.save(store, imageId, f, p, r, { ...saved, silhouette: [], autoK: false });
  }

  async assignClass(a: ParsedArgs<'cluster.assignClass'>): Promise<EditAck> {
    const store = this.ctx.project();
    const state = await this.get(a.imageId);
    if (!state) throw new ServiceError('not-found', `Image ${a.imageId} has not been clustered yet. Run clustering first.`);
    if (a.clusterId >= state.k) throw new ServiceError('invalid-argument', `There is no cluster ${a.clusterId} (clusters are 0 to ${state.k - 1}).`);
    const snap = await this.edits(store).snapshot(a.imageId);
    const rows = new Map((snap?.segments ?? []).map((s) => [s.id, s]));
    const ids: number[] = [];
    state.segmentIds.forEach((id, i) => {
      if (state.clusterIds[i] !== a.clusterId) return;
      const r = rows.get(id);
      if (!r) return;
      // A member whose class is already a training label keeps it unless the person says overwrite;
      // one that already has this class from an automatic source becomes the person's.
      if (r.classId === a.classId && (a.classId === null || r.classSource === 'person')) return;
      if (!a.overwrite && r.classId !== a.classId && isTrainingLabel(r)) return;
      ids.push(id);
    });
    if (ids.length === 0) {
      const h = await this.edits(store).history(a.imageId);
      return { ...h!, status: 'unchanged', box: { x: 0, y: 0, width: 0, height: 0 }, pixels: 0, upserted: [], removed: [] };
    }
    // A class a person gives a whole cluster is the person's (it trains the classifier; predictions never overwrite it).
    const ack = await this.applyClasses(store, a.imageId, new Map(ids.map((id) => [id, a.classId])), { source: 'person' }, a.expectRevision);
    if (ack.status === 'applied') this.correctionsChanged();
    return ack;
  }

  /** One history entry that sets the given classes (one setClass op per class). */
  private async applyClasses(store: ProjectStore, imageId: number, classOf: ReadonlyMap<number, number | null>, provenance: ClassProvenance, expectRevision?: string): Promise<EditAck> {
    const groups = new Map<number | null, number[]>();
    for (const [id, c] of classOf) {
      const g = groups.get(c);
      if (g) g.push(id);
      else groups.set(c, [id]);
    }
    const ops = [...groups].map(([classId, ids]) => ({ kind: 'setClass' as const, ids, classId }));
    if (ops.length > 64) throw new ServiceError('invalid-argument', 'More than 64 classes in one assignment.');
    // The classifier's classes are an automatic result: what they replace is kept as a version.
    const version = provenance.source === 'classifier' ? `classifier v${provenance.model ?? '?'}` : undefined;
    const ack = await this.edits(store).apply({ imageId, ops, provenance, ...(version ? { version } : {}), ...(expectRevision !== undefined ? { expectRevision } : {}) });
    if (ack.status === 'applied') this.ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
    return ack;
  }

  // ------------------------------------------------------------------ classifier

  status(): ClassifierInfo | null {
    if (this.classifier) return { ...this.classifier.info, training: this.retrainRunning || this.retrainTimer !== null };
    const store = this.ctx.currentProject();
    const saved = store?.getSetting('classifier.info');
    if (!saved) return null;
    try {
      return { ...(JSON.parse(saved) as ClassifierInfo), training: this.retrainTimer !== null, stale: true };
    } catch {
      return null;
    }
  }

  /** Person-given classes (or verified segments with a class), over every segmented image. */
  private async trainingSet(store: ProjectStore, groups: readonly FeatureGroupName[]): Promise<{ rows: FeatureMatrix[]; all: FeatureMatrix[]; y: number[][]; images: number }> {
    const imageIds = (
      store.db.prepare("SELECT DISTINCT image_id AS id FROM segments WHERE class_id IS NOT NULL AND (class_source IN ('person', 'import') OR verified = 1) ORDER BY image_id").all() as { id: number }[]
    ).map((r) => r.id);
    const rows: FeatureMatrix[] = [];
    const all: FeatureMatrix[] = [];
    const y: number[][] = [];
    for (const imageId of imageIds) {
      const f = await this.featuresOf(store, imageId, groups);
      const byId = new Map(f.segments.map((s) => [s.id, s]));
      const keep: number[] = [];
      const cls: number[] = [];
      f.matrix.segmentIds.forEach((id, r) => {
        const s = byId.get(id);
        if (s && s.classId !== null && isTrainingLabel(s)) {
          keep.push(r);
          cls.push(s.classId);
        }
      });
      if (keep.length === 0) continue;
      // Each image normalised by its own segments: SEM brightness and contrast differ between
      // images, the order of the phases within one does not (measured in the cluster benchmark).
      const m = normalised(f.matrix, groups);
      all.push(m);
      const cols = m.names.length;
      const data = new Float64Array(keep.length * cols);
      keep.forEach((r, i) => data.set(m.data.subarray(r * cols, (r + 1) * cols), i * cols));
      rows.push({ segmentIds: Uint32Array.from(keep, (r) => f.matrix.segmentIds[r]!), names: m.names, groups: m.groups, data });
      y.push(cls);
    }
    return { rows, all, y, images: rows.length };
  }

  async train(model: 'auto' | 'nearest-centroid' | 'logreg', groups: readonly FeatureGroupName[]): Promise<ClassifierInfo> {
    const store = this.ctx.project();
    const set = await this.trainingSet(store, groups);
    const labels = set.y.flat();
    const classes = new Set(labels);
    if (classes.size < 2) {
      throw new ServiceError(
        'invalid-argument',
        'Give at least two classes to a few segments before training (number keys 1-9, the Class… menu of a cluster, or `grainlab label`); the classifier learns from the classes you set.',
      );
    }
    // Rows are normalised per image over all its segments, not over the few labelled ones: with two
    // labels per class their spread says nothing about the features' scale.
    const z = stack(set.rows);
    const zscore = fitZScore(stack(set.all), { balanceGroups: true });
    const p: Points = { data: z.data, cols: z.names.length };
    // Stratified cross-validation of each candidate; 'auto' keeps the higher balanced accuracy
    // (nearest centroid on a tie), so a large class cannot win by being large. Logistic
    // regression weighs each class equally for the same reason.
    const options = { classWeights: 'balanced' as const };
    const candidates: ('nearest-centroid' | 'logreg')[] = model === 'auto' ? ['nearest-centroid', 'logreg'] : [model];
    const cvs = new Map<string, CrossValidation | null>(candidates.map((m) => [m, crossValidate(m, p, labels, options)]));
    const chosenModel = candidates.reduce((best, m) => ((cvs.get(m)?.balancedAccuracy ?? -1) > (cvs.get(best)?.balancedAccuracy ?? -1) ? m : best));
    const classifier: Classifier = trainClassifier(chosenModel, p, labels, options);
    const cv = cvs.get(chosenModel) ?? null;
    const counts = classCounts(labels);
    const names = new Map(listClasses(store).map((c) => [c.id, c.name]));
    const version = Number(store.getSetting('classifier.version') ?? '0') + 1;
    store.setSetting('classifier.version', String(version));
    const info: ClassifierInfo = {
      version,
      model: classifier.model,
      groups: [...groups],
      trainedOn: { segments: labels.length, images: set.images, perClass: counts },
      cvAccuracy: cv?.accuracy ?? null,
      cv: cv ? { folds: cv.folds, balancedAccuracy: cv.balancedAccuracy, recall: cv.perClass.map((c) => ({ classId: c.classId, recall: c.recall ?? 0 })) } : null,
      warnings: trainingWarnings(counts, (c) => names.get(c) ?? `class ${c}`),
      trainedAt: new Date().toISOString(),
      training: false,
      stale: false,
    };
    store.setSetting('classifier.info', JSON.stringify(info));
    this.classifier = { info, classifier, zscore };
    this.ctx.emit('onDidChangeClassifier', info);
    return info;
  }

  /** Called after a person's class or verified edit: retrain a second after the last one, off the request path. */
  correctionsChanged(): void {
    if (!this.classifier) return;
    this.classifier.info = { ...this.classifier.info, stale: true };
    if (this.retrainTimer) clearTimeout(this.retrainTimer);
    this.retrainTimer = setTimeout(() => {
      this.retrainTimer = null;
      if (this.retrainRunning || !this.classifier || !this.ctx.currentProject()) return;
      this.retrainRunning = true;
      const { model, groups } = this.classifier.info;
      this.train(model, groups)
        .catch(() => {}) // e.g. the person removed the last class of one kind: keep the previous model
        .finally(() => {
          this.retrainRunning = false;
        });
    }, RETRAIN_DELAY_MS);
    this.retrainTimer.unref?.();
  }

  private async ensureClassifier(): Promise<TrainedClassifier> {
    if (this.classifier && !this.classifier.info.stale) return this.classifier;
    const prev = this.status();
    await this.train(prev?.model ?? 'auto', prev?.groups ?? ALL_GROUPS);
    return this.classifier!;
  }

  async predict(imageId: number, apply: boolean, expectRevision?: string): Promise<{ predictions: PredictionSet; ack: EditAck | null }> {
    const store = this.ctx.project();
    const trained = await this.ensureClassifier();
    const f = await this.featuresOf(store, imageId, trained.info.groups);
    const m = normalised(f.matrix, trained.info.groups);
    const byId = new Map(f.segments.map((s) => [s.id, s]));
    const rows: number[] = [];
    m.segmentIds.forEach((id, r) => {
      const s = byId.get(id);
      if (s && mayAutoClass(s)) rows.push(r);
    });
    const cols = m.names.length;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => data.set(m.data.subarray(r * cols, (r + 1) * cols), i * cols));
    const pred = predictRows(trained.classifier, { data, cols });
    const predictions: PredictionSet = {
      imageId,
      classifierVersion: trained.info.version,
      segmentIds: Uint32Array.from(rows, (r) => m.segmentIds[r]!),
      classIds: Int32Array.from(pred.classIds),
      confidence: Float32Array.from(pred.confidence),
    };
    if (!apply) return { predictions, ack: null };
    const classOf = new Map<number, number>();
    const confidence = new Map<number, number>();
    predictions.segmentIds.forEach((id, i) => {
      const c = predictions.classIds[i]!;
      confidence.set(id, predictions.confidence[i]!);
      if (byId.get(id)!.classId !== c) classOf.set(id, c);
    });
    if (classOf.size === 0) return { predictions, ack: null };
    const ack = await this.applyClasses(store, imageId, classOf, { source: 'classifier', confidence, model: trained.info.version }, expectRevision);
    return { predictions, ack };
  }

  applyToImagesJob(imageIds: number[] | undefined): string {
    const store = this.ctx.project();
    const ids = imageIds ?? (store.db.prepare('SELECT image_id AS id FROM segmentations ORDER BY image_id').all() as { id: number }[]).map((r) => r.id);
    for (const id of ids) store.getImage(id);
    return this.ctx.jobs.start(`Applying classes to ${ids.length} image(s)`, ids.length, async (job) => {
      await this.ensureClassifier();
      for (let i = 0; i < ids.length; i++) {
        if (job.signal.aborted) throw new ServiceError('cancelled', 'Applying classes was cancelled; images done so far keep their new classes.');
        if (this.ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
        if (!store.hasImage(ids[i]!)) continue; // removed from the project meanwhile
        const im = store.getImage(ids[i]!);
        job.progress(i, `Classifying ${im.name}`);
        if (!store.db.prepare('SELECT 1 FROM segmentations WHERE image_id = ?').get(im.id)) continue;
        await this.predict(im.id, true);
        // Let edits and other requests through between images.
        await new Promise((r) => setImmediate(r));
      }
      job.progress(ids.length, `Classified ${ids.length} image(s)`);
    });
  }

  // ------------------------------------------------------------------ phase fractions

  async fractions(a: ParsedArgs<'cluster.fractions'>): Promise<FractionReport> {
    const store = this.ctx.project();
    const f = await this.featuresOf(store, a.imageId, ALL_GROUPS);
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
    if (classOf.size > 0) report.ack = await this.applyClasses(store, a.imageId, classOf, { source: 'classifier', confidence, model: this.classifier?.info.version ?? null }, a.expectRevision);
    return report;
  }

  // ------------------------------------------------------------------ pixel k-means

  pixelKMeansJob(a: ParsedArgs<'segment.pixelKMeans'>): string {
    const store = this.ctx.project();
    const images = a.imageIds.map((id) => store.getImage(id));
    return this.ctx.jobs.start(images.length === 1 ? `Phase map of ${images[0]!.name}` : `Phase maps of ${images.length} images`, images.length, async (job) => {
      for (let i = 0; i < images.length; i++) {
        if (job.signal.aborted) throw new ServiceError('cancelled', 'The phase map was cancelled.');
        const im = images[i]!;
        if (!store.hasImage(im.id)) continue; // removed from the project meanwhile
        job.progress(i, `${im.name}: k-means on pixels`);
        const grey = toGrey(await loadPixels(store, im.id));
        const options = { k: a.k, texture: a.texture, seed: a.seed, smooth: a.smooth, minArea: a.minArea };
        // Large images in a worker (seconds at 4096²), so edits are served meanwhile.
        const { k, labels, stats, phaseOf } = grey.width * grey.height > INLINE_PIXELS ? await phaseMapInWorker(grey, options, job.signal) : phaseMap(grey, options);
        if (job.signal.aborted) throw new ServiceError('cancelled', 'The phase map was cancelled.');
        if (this.ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
        if (!store.hasImage(im.id)) continue;
        const phaseClasses = ensurePhaseClasses(store, k);
        const saved = await saveAutomaticResult(
          store,
          im.id,
          { labels, source: 'auto', rowOf: (id) => ({ classId: phaseClasses[phaseOf[id] ?? 0]!.id, classSource: 'cluster' }) },
          { engine: 'pixel-kmeans', settings: options, keep: a.keep },
        );
        this.ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
        job.progress(i + 1, `${im.name}: ${k} phases, ${stats.length} regions${saved.kept ? ` (${saved.kept} of your segments kept)` : ''}`);
      }
    });
  }
}

/** The chosen groups' columns, z-scored over the image's own segments. */
function normalised(matrix: FeatureMatrix, groups: readonly FeatureGroupName[]): FeatureMatrix {
  const m = selectGroups(matrix, groups);
  return applyZScore(m, fitZScore(m, { balanceGroups: true }));
}

/** Most typical members first: the rows nearest each centroid. */
function examples(p: Points, result: ClusterResult, segmentIds: Uint32Array): number[][] {
  const best: { d: number; id: number }[][] = Array.from({ length: result.k }, () => []);
  const cols = p.cols;
  result.assignments.forEach((c, r) => {
    let d = 0;
    for (let j = 0; j < cols; j++) {
      const v = p.data[r * cols + j]! - result.centroids[c * cols + j]!;
      d += v * v;
    }
    const list = best[c]!;
    list.push({ d, id: segmentIds[r]! });
    if (list.length > EXAMPLES * 4) {
      list.sort((a, b) => a.d - b.d);
      list.length = EXAMPLES;
    }
  });
  return best.map((l) => l.sort((a, b) => a.d - b.d).slice(0, EXAMPLES).map((e) => e.id));
}

function stack(ms: FeatureMatrix[]): FeatureMatrix {
  const cols = ms[0]!.names.length;
  const rows = ms.reduce((t, m) => t + m.segmentIds.length, 0);
  const data = new Float64Array(rows * cols);
  const ids = new Uint32Array(rows);
  let r = 0;
  for (const m of ms) {
    data.set(m.data, r * cols);
    ids.set(m.segmentIds, r);
    r += m.segmentIds.length;
  }
  return { segmentIds: ids, names: ms[0]!.names, groups: ms[0]!.groups, data };
}

/** Classes "Phase 1".."Phase k" (created when missing), darkest first. */
function ensurePhaseClasses(store: ProjectStore, k: number): ClassRecord[] {
  return store.db.transaction(() => Array.from({ length: k }, (_, i) => ensureClassNamed(store, `Phase ${i + 1}`).record))();
}
