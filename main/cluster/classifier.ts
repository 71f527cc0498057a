// The propagation classifier: trained on the classes a person gave (or verified) over every
// segmented image, cross-validated, retrained in the background after corrections, and applied
// to one image or many as undoable class edits.
import type { EditAck } from '../../app/contract/edit';
import type { ClassifierInfo, FeatureGroupName, PredictionSet } from '../../app/contract/cluster';
import { ServiceError } from '../../app/errors';
import { fitZScore, predictRows, trainClassifier, type Classifier, type FeatureMatrix, type Points, type ZScoreStats } from '../../app/cluster';
import type { EditStore } from '../store/edits';
import { listClasses } from '../store/classes';
import { isTrainingLabel, mayAutoClass } from '../../app/provenance';
import { classCounts, crossValidate, trainingWarnings, type CrossValidation } from '../../app/cluster/validate';
import type { ServiceContext } from '../handlers/context';
import { ALL_GROUPS, normalised, type SegmentFeatures } from './features';
import { applyClasses } from './assign';
import { RetrainTimer } from './retrain';

interface TrainedClassifier {
  info: ClassifierInfo;
  classifier: Classifier;
  zscore: ZScoreStats;
}

export class Propagation {
  private classifier: TrainedClassifier | null = null;
  private readonly retrain = new RetrainTimer();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly features: SegmentFeatures,
  ) {}

  /** Forgets the model and any pending retrain (the project closed). */
  clear(): void {
    this.classifier = null;
    this.retrain.cancel();
  }

  /** Version of the trained model in memory (null when none). */
  version(): number | null {
    return this.classifier?.info.version ?? null;
  }

  status(): ClassifierInfo | null {
    if (this.classifier) return { ...this.classifier.info, training: this.retrain.busy };
    const store = this.ctx.currentProject();
    const saved = store?.getSetting('classifier.info');
    if (!saved) return null;
    try {
      return { ...(JSON.parse(saved) as ClassifierInfo), training: this.retrain.scheduled, stale: true };
    } catch {
      return null;
    }
  }

  /** Person-given classes (or verified segments with a class), over every segmented image. */
  private async trainingSet(edits: EditStore, groups: readonly FeatureGroupName[]): Promise<{ rows: FeatureMatrix[]; all: FeatureMatrix[]; y: number[][]; images: number }> {
    const imageIds = (
      edits.store.db.prepare("SELECT DISTINCT image_id AS id FROM segments WHERE class_id IS NOT NULL AND (class_source IN ('person', 'import') OR verified = 1) ORDER BY image_id").all() as { id: number }[]
    ).map((r) => r.id);
    const rows: FeatureMatrix[] = [];
    const all: FeatureMatrix[] = [];
    const y: number[][] = [];
    for (const imageId of imageIds) {
      const f = await this.features.featuresOf(edits, imageId, groups);
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
    const edits = this.ctx.edits();
    const store = edits.store;
    const set = await this.trainingSet(edits, groups);
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
    this.retrain.schedule(() => {
      if (!this.classifier || !this.ctx.currentProject()) return null;
      const { model, groups } = this.classifier.info;
      return this.train(model, groups);
    });
  }

  private async ensureClassifier(): Promise<TrainedClassifier> {
    if (this.classifier && !this.classifier.info.stale) return this.classifier;
    const prev = this.status();
    await this.train(prev?.model ?? 'auto', prev?.groups ?? ALL_GROUPS);
    return this.classifier!;
  }

  async predict(imageId: number, apply: boolean, expectRevision?: string): Promise<{ predictions: PredictionSet; ack: EditAck | null }> {
    const edits = this.ctx.edits();
    const trained = await this.ensureClassifier();
    const f = await this.features.featuresOf(edits, imageId, trained.info.groups);
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
    const ack = await applyClasses(this.ctx, edits, imageId, classOf, { source: 'classifier', confidence, model: trained.info.version }, expectRevision);
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
