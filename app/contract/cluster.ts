// Contract group: Segment features, clustering, classification and propagation.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import type { EditAck } from './edit';
import { KeepSchema } from './versions';

export const FeatureGroupSchema = z.enum(['intensity', 'texture', 'shape', 'boundary', 'embedding', 'channels']);
export type FeatureGroupName = z.infer<typeof FeatureGroupSchema>;
const DEFAULT_GROUPS: FeatureGroupName[] = ['intensity', 'texture', 'shape', 'boundary'];

export interface ClusterInfo {
  /** 0-based cluster index, stable until the next cluster.run / merge / split. */
  id: number;
  /** Display colour (#rrggbb). */
  color: string;
  /** Number of member segments. */
  size: number;
  /** Sum of member areas in pixels and as a fraction of the labelled area. */
  areaPx: number;
  areaFraction: number;
  /** A few member segment ids, most typical first (closest to the centroid); for thumbnails. */
  exampleIds: number[];
  /** Class held by most members, when at least half of them have one; else null. */
  classId: number | null;
}

export interface ClusterState {
  imageId: number;
  /** Edit revision (EditHistoryState.revision) of the label map the clustering was computed on. */
  revision: string;
  k: number;
  /** True when k was chosen by silhouette. */
  autoK: boolean;
  groups: FeatureGroupName[];
  /** Silhouette score per tried k (empty when k was set by the user). */
  silhouette: { k: number; score: number }[];
  clusters: ClusterInfo[];
  /** Member table: clusterIds[i] is the cluster of segment segmentIds[i]; segments created later are absent. */
  segmentIds: Uint32Array;
  clusterIds: Int32Array;
  /** True when the label map changed since (segments were created, removed or reshaped). */
  stale: boolean;
  createdAt: string;
}

export interface ClassifierInfo {
  /** Increases by one per training; recorded on every segment the classifier labels (segments.class_model). */
  version: number;
  model: 'nearest-centroid' | 'logreg';
  groups: FeatureGroupName[];
  /** Training rows: segments with a class given by a person, imported, or verified, over all images. */
  trainedOn: { segments: number; images: number; perClass: { classId: number; count: number }[] };
  /** Stratified cross-validated accuracy on the training rows (null with fewer than two rows per class). */
  cvAccuracy: number | null;
  /** The same cross-validation: number of folds, balanced accuracy (mean per-class recall) and the recall of each class. */
  cv?: { folds: number; balancedAccuracy: number; recall: { classId: number; recall: number }[] } | null;
  /** Too few examples of a class, strong imbalance: said before anyone trusts the predictions. */
  warnings?: string[];
  trainedAt: string;
  /** A retrain is under way or pending (corrections arrived since this version). */
  training: boolean;
  stale: boolean;
}

export interface PredictionSet {
  imageId: number;
  classifierVersion: number;
  /** Parallel arrays over the image's segments that the classifier may label (not person-labelled, not verified). */
  segmentIds: Uint32Array;
  classIds: Int32Array;
  confidence: Float32Array;
}

export interface FractionReport {
  imageId: number;
  /** Target and achieved area fraction per class (fractions of the labelled area). */
  classes: { classId: number; target: number; achieved: number }[];
  /** Present when `apply` was true and classes changed (one undoable history entry). */
  ack: EditAck | null;
}

const revision = z.string().min(1).max(200);
const groups = z.array(FeatureGroupSchema).min(1).max(5);

const ClusterRunSchema = z.object({
  imageId: id,
  groups: groups.default(DEFAULT_GROUPS),
  /** 'auto': best silhouette over kMin..kMax. */
  k: z.union([z.literal('auto'), z.number().int().min(1).max(32)]).default('auto'),
  kMin: z.number().int().min(2).max(32).default(2),
  kMax: z.number().int().min(2).max(32).default(8),
  /** k-means++ seed: same input and seed, same clusters. */
  seed: z.number().int().min(0).max(0x7fffffff).default(1),
});

const PixelKMeansSchema = z.object({
  imageIds: z.array(id).min(1).max(100_000),
  /** Number of phases; 'auto' chooses 2..5 by silhouette on a pixel sample. */
  k: z.union([z.literal('auto'), z.number().int().min(2).max(8)]).default('auto'),
  /** Add local standard deviation (texture) to the intensity. */
  texture: z.boolean().default(false),
  /** Smooth the phase map (median filter radius in px, 0 = off) before connected components. */
  smooth: z.number().int().min(0).max(10).default(1),
  /** Connected components smaller than this (px) join their largest neighbour. */
  minArea: z.number().int().min(0).max(1_000_000).default(16),
  seed: z.number().int().min(0).max(0x7fffffff).default(1),
  /** Images with a segmentation: keep the segments a person made (default) or replace everything. */
  keep: KeepSchema,
});

export const clusterMethods = {
  /** Computes features (in a worker for large images) and clusters the segments of an image; result via cluster.get. */
  'cluster.run': method<{ jobId: string }>()(ClusterRunSchema),
  /** The image's latest clustering, or null. */
  'cluster.get': method<ClusterState | null>()(z.object({ imageId: id })),
  /** Joins cluster b into cluster a. */
  'cluster.merge': method<ClusterState>()(z.object({ imageId: id, a: z.number().int().min(0), b: z.number().int().min(0) })),
  /** Re-clusters the members of one cluster into k parts. */
  'cluster.split': method<ClusterState>()(z.object({ imageId: id, clusterId: z.number().int().min(0), k: z.number().int().min(2).max(8).default(2) })),
  /**
   * Gives every member of a cluster the class: a person's class (a training label), as ONE undoable
   * edit. Members whose class is already a training label (a person's, an imported one, verified)
   * keep it unless `overwrite` is true.
   */
  'cluster.assignClass': method<EditAck>()(
    z.object({ imageId: id, clusterId: z.number().int().min(0), classId: id.nullable(), overwrite: z.boolean().default(false), expectRevision: revision.optional() }),
  ),
  /**
   * Phase-fraction guidance: expected area fractions per class. Segments without a person's class
   * are assigned so the achieved fractions come as close to the targets as the features allow;
   * `apply: false` only reports what would be achieved.
   */
  'cluster.fractions': method<FractionReport>()(
    z.object({
      imageId: id,
      targets: z.array(z.object({ classId: id, fraction: z.number().min(0).max(1) })).min(2).max(64),
      apply: z.boolean().default(true),
      expectRevision: revision.optional(),
    }),
  ),
  /** Trains the propagation classifier now on every person-labelled or verified segment of the project. */
  'classify.train': method<ClassifierInfo>()(
    z.object({ model: z.enum(['auto', 'nearest-centroid', 'logreg']).default('auto'), groups: groups.default(DEFAULT_GROUPS) }),
  ),
  /** The current classifier (retrained in the background after corrections), or null before the first training. */
  'classify.status': method<ClassifierInfo | null>()(none),
  /**
   * Predicts the class of every segment of an image that is neither verified nor labelled by a
   * person; with `apply` the predictions become the segments' classes (source 'classifier', with
   * confidence and model version) as one undoable edit.
   */
  'classify.predict': method<{ predictions: PredictionSet; ack: EditAck | null }>()(
    z.object({ imageId: id, apply: z.boolean().default(true), expectRevision: revision.optional() }),
  ),
  /** Predict and apply on the chosen images, as a job with progress (never changing a training label). Default: every segmented image. */
  'classify.applyToImages': method<{ jobId: string }>()(z.object({ imageIds: z.array(id).min(1).max(100_000).optional() })),
  /**
   * Pixel-level pseudo-labels for phase images: k-means on pixel intensities (and optional local
   * texture) gives a phase map; its connected components become segments whose class is the phase
   * ("Phase 1" darkest, class source 'cluster'). Saved like any automatic result: a new version,
   * one undoable step, the segments a person made kept (see `keep`); as a job.
   */
  'segment.pixelKMeans': method<{ jobId: string }>()(PixelKMeansSchema),
};
