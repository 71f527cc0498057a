// Clusterings of one image's segments: k-means (k chosen by silhouette or given), saved per image
// with its most typical members, merged, split, and a class given to a whole cluster.
import type { EditAck } from '../../app/contract/edit';
import type { ClusterInfo, ClusterState, FeatureGroupName } from '../../app/contract/cluster';
import type { ParsedArgs } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import {
  autoKMeans,
  fitZScore,
  applyZScore,
  kmeansCluster,
  mergeClusters,
  selectGroups,
  splitCluster,
  type ClusterResult,
  type FeatureMatrix,
  type Points,
} from '../../app/cluster';
import type { EditStore } from '../store/edits';
import { isTrainingLabel } from '../../app/provenance';
import type { ServiceContext } from '../handlers/context';
import { kmeansInWorker } from '../jobs/cluster-runner';
import { geometryKey, type Features, type SegmentFeatures } from './features';
import { applyClasses } from './assign';

/** Okabe-Ito first (colour-blind safe), then more distinct hues. */
const CLUSTER_COLOURS = ['#e69f00', '#56b4e9', '#009e73', '#f0e442', '#0072b2', '#d55e00', '#cc79a7', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#9467bd'];
const clusterColour = (i: number) => CLUSTER_COLOURS[i % CLUSTER_COLOURS.length]!;
const EXAMPLES = 4;

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

/** Up to this many segments k-means (with the silhouette search) runs on the service thread. */
const KMEANS_INLINE_ROWS = 2000;

export class Clusterings {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly features: SegmentFeatures,
    /** A person's classes changed (the classifier retrains). */
    private readonly correctionsChanged: () => void,
  ) {}

  runJob(a: ParsedArgs<'cluster.run'>): string {
    const edits = this.ctx.edits();
    const store = edits.store;
    const im = store.getImage(a.imageId);
    return this.ctx.jobs.start(`Clustering the segments of ${im.name}`, 3, async (job) => {
      job.progress(0, 'Computing segment features');
      const f = await this.features.featuresOf(edits, a.imageId, a.groups);
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
      await this.save(edits, a.imageId, f, p, result, { k: result.k, autoK: a.k === 'auto', groups: a.groups, seed: a.seed, silhouette });
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
    edits: EditStore,
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
    edits.store.db
      .prepare(`INSERT INTO clusterings (image_id, revision, state) VALUES (?, ?, ?)
        ON CONFLICT(image_id) DO UPDATE SET revision = excluded.revision, state = excluded.state, created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`)
      .run(imageId, f.revision, JSON.stringify(saved));
    await edits.setClusterIds(imageId, new Map(saved.segmentIds.map((id, i) => [id, saved.clusterIds[i]!])));
    return (await this.get(imageId))!;
  }

  private loadSaved(store: EditStore['store'], imageId: number): { saved: SavedClustering; revision: string } | null {
    const row = store.db.prepare('SELECT revision, state FROM clusterings WHERE image_id = ?').get(imageId) as { revision: string; state: string } | undefined;
    if (!row) return null;
    try {
      return { saved: JSON.parse(row.state) as SavedClustering, revision: row.revision };
    } catch {
      return null;
    }
  }

  async get(imageId: number): Promise<ClusterState | null> {
    const edits = this.ctx.edits();
    const store = edits.store;
    store.getImage(imageId);
    const loaded = this.loadSaved(store, imageId);
    if (!loaded) return null;
    const { saved, revision } = loaded;
    const snap = await edits.snapshot(imageId);
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
  private async reopen(imageId: number): Promise<{ edits: EditStore; saved: SavedClustering; f: Features; p: Points; result: ClusterResult }> {
    const edits = this.ctx.edits();
    const store = edits.store;
    const loaded = this.loadSaved(store, imageId);
    if (!loaded) throw new ServiceError('not-found', `Image ${imageId} has not been clustered yet. Run clustering first.`);
    const { saved } = loaded;
    const f = await this.features.featuresOf(edits, imageId, saved.groups);
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
    return { edits, saved, f, p, result: { k: saved.k, assignments, centroids, sizes, inertia: 0 } };
  }

  async merge(imageId: number, a: number, b: number): Promise<ClusterState> {
    const { edits, saved, f, p, result } = await this.reopen(imageId);
    const merged = mergeClusters(p, result, a, b);
    return this.save(edits, imageId, f, p, merged, { ...saved, silhouette: [], autoK: false });
  }

  async split(imageId: number, clusterId: number, k: number): Promise<ClusterState> {
    const { edits, saved, f, p, result } = await this.reopen(imageId);
    let r = splitCluster(p, result, clusterId, { seed: saved.seed });
    // k > 2: keep splitting the larger part of the original cluster.
    for (let n = 2; n < k; n++) {
      const parts = [clusterId, r.k - 1].filter((c) => c < r.k).sort((x, y) => r.sizes[y]! - r.sizes[x]!);
      const next = splitCluster(p, r, parts[0]!, { seed: saved.seed });
      if (next.k === r.k) break;
      r = next;
    }
    return this.save(edits, imageId, f, p, r, { ...saved, silhouette: [], autoK: false });
  }

  async assignClass(a: ParsedArgs<'cluster.assignClass'>): Promise<EditAck> {
    const edits = this.ctx.edits();
    const state = await this.get(a.imageId);
    if (!state) throw new ServiceError('not-found', `Image ${a.imageId} has not been clustered yet. Run clustering first.`);
    if (a.clusterId >= state.k) throw new ServiceError('invalid-argument', `There is no cluster ${a.clusterId} (clusters are 0 to ${state.k - 1}).`);
    const snap = await edits.snapshot(a.imageId);
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
      const h = await edits.history(a.imageId);
      return { ...h!, status: 'unchanged', box: { x: 0, y: 0, width: 0, height: 0 }, pixels: 0, upserted: [], removed: [] };
    }
    // A class a person gives a whole cluster is the person's (it trains the classifier; predictions never overwrite it).
    const ack = await applyClasses(this.ctx, edits, a.imageId, new Map(ids.map((id) => [id, a.classId])), { source: 'person' }, a.expectRevision);
    if (ack.status === 'applied') this.correctionsChanged();
    return ack;
  }
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
