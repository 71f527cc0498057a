// Contract group: learning from corrections (issue 12) — scribbles, the trainable pixel
// classifier, prediction of images and of a visible region, uncertainty, export.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id, path } from './define';
import { KeepSchema } from './versions';
import type { JobStarted } from '../contract';
import { FEATURE_KINDS, DEFAULT_KINDS, DEFAULT_SIGMAS } from '../learn/features';
import type { SamFeatureRecipe } from '../learn/sam-features';

const LearnFeaturesSchema = z.object({
  sigmas: z.array(z.number().min(0.3).max(64)).min(1).max(12).default([...DEFAULT_SIGMAS]),
  kinds: z.array(z.enum(FEATURE_KINDS)).min(1).max(FEATURE_KINDS.length).default([...DEFAULT_KINDS]),
});

/** Where a labelled pixel came from, strongest first: a scribble wins over a segment's class. */
export type LabelSource = 'scribble' | 'segment' | 'cluster';

export interface ScribbleStrokeInfo {
  id: number;
  kind: 'paint' | 'erase';
  classId: number | null;
  radius: number;
  points: number[];
  createdAt: string;
}

export interface ScribbleState {
  imageId: number;
  strokes: ScribbleStrokeInfo[];
  /** Pixels labelled by the image's scribbles, per class id. */
  pixels: Record<string, number>;
  /** Strokes that undo can take back. */
  canUndo: boolean;
}

export interface LabelSummary {
  /** Labelled pixels per class id and source (scribbles override segments on the same pixel). */
  byClass: { classId: number; name: string; scribble: number; segment: number; cluster: number }[];
  images: number;
  total: number;
}

export interface LearnClassifierInfo {
  id: number;
  version: number;
  trainedAt: string;
  classes: { id: number; name: string }[];
  features: { sigmas: number[]; kinds: string[] };
  autoContext: boolean;
  labels: LabelSummary;
  trainingSeconds: number;
  /** Elements whose maps are features (learn.train with channels); absent: the image alone. */
  channels?: string[];
  /** SAM-embedding features (learn.train with sam): the model and the PCA that maps its embedding to feature maps; absent: none. */
  sam?: SamFeatureRecipe;
  /** Self-training (learn.train with selfTrain): pseudo-labelled pixels of unlabelled images it trained with. */
  selfTrain?: { pseudoLabelled: number; dropped: number; images: number };
}

export interface RegionPrediction {
  imageId: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Class id per pixel of the rectangle (row-major). */
  classIds: number[];
  /** Index into classIds per pixel. */
  classes: Uint8Array;
  /** Margin between the two most probable classes per pixel, 0 (undecided) .. 255 (certain). */
  margin: Uint8Array;
  meanMargin: number;
  milliseconds: number;
}

export interface UncertainRegion {
  imageId: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Mean margin of the region (lower = less certain). */
  meanMargin: number;
}

const Points = z.array(z.number().finite().min(-1e6).max(1e6)).min(2).max(40_000).refine((p) => p.length % 2 === 0, 'needs x,y pairs');
const Rect = { x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1).max(4096), height: z.number().int().min(1).max(4096) };

export const learnMethods = {
  /** Paints a stroke of one class on an image (a label for training, not a segment). */
  'learn.scribbles.add': method<ScribbleState>()(z.object({ imageId: id, classId: id, radius: z.number().min(0.5).max(500), points: Points })),
  /** Erases scribbles under a stroke (any class). */
  'learn.scribbles.erase': method<ScribbleState>()(z.object({ imageId: id, radius: z.number().min(0.5).max(500), points: Points })),
  /** Takes back the image's last stroke (paint or erase). */
  'learn.scribbles.undo': method<ScribbleState>()(z.object({ imageId: id })),
  'learn.scribbles.list': method<ScribbleState>()(z.object({ imageId: id })),
  /** The training labels of the project: scribbles, corrected or verified segments with classes, classes given to clusters. */
  'learn.labels': method<LabelSummary>()(none),
  /** Trains the pixel classifier from every label of the project (a job; the result is stored with a new version). */
  'learn.train': method<JobStarted>()(
    z.object({
      features: LearnFeaturesSchema.optional(),
      autoContext: z.boolean().default(true),
      /** Use classes of corrected or verified segments and of clusters, besides scribbles. */
      segments: z.boolean().default(true),
      /** Use the images' elemental maps as features too (every labelled image needs maps of the same elements). */
      channels: z.boolean().default(false),
      /** Add feature maps from a SAM model's image embedding (PCA-reduced, upsampled); needs a SAM model installed. */
      sam: z.boolean().default(false),
      /** The SAM model for those features (default: the active one). */
      samModel: z.string().min(1).max(200).optional(),
      /** Self-train on confident pixels of unlabelled images (app/learn/self-train.ts); absent: SELF_TRAIN_DEFAULT. */
      selfTrain: z.boolean().optional(),
    }),
  ),
  /** The stored classifier, or null before the first training. */
  'learn.status': method<LearnClassifierInfo | null>()(none),
  /**
   * Predicts images and saves each as a new segmentation that keeps what a person made (a job).
   * `output` phases: connected regions of one class are segments with that class; grains: the
   * boundary class's probability feeds the watershed. `fractions` (class id -> 0..1) shifts the
   * decision so the predicted fractions match.
   */
  'learn.predict': method<JobStarted>()(
    z.object({
      imageIds: z.array(id).min(1).max(100_000),
      keep: KeepSchema,
      output: z.enum(['phases', 'grains']).default('phases'),
      /** Grains: the class that marks boundaries. Phases: classes listed in skipClasses get no segments. */
      boundaryClassId: id.optional(),
      skipClassIds: z.array(id).max(100).default([]),
      fractions: z.record(z.string().regex(/^\d+$/), z.number().min(0).max(1)).optional(),
      minArea: z.number().int().min(0).max(1_000_000).default(16),
      /**
       * Phases: only segments whose confidence (mean probability of their class) is at least this
       * are kept; the rest stay unlabelled for a person to draw. Default: keep all.
       */
      minConfidence: z.number().min(0).max(1).optional(),
      /** A classifier file (learn.export) to use instead of the project's own. */
      classifier: path.optional(),
    }),
  ),
  /** Live feedback: class and margin for a rectangle of an image (first stage only, fast). */
  'learn.predictRegion': method<RegionPrediction>()(z.object({ imageId: id, ...Rect })),
  /** The least certain square of the image (or of the project's images), to correct next. */
  'learn.nextUncertain': method<UncertainRegion | null>()(z.object({ imageId: id.optional(), size: z.number().int().min(16).max(2048).default(128) })),
  /** Writes the classifier to a file for batch use (grainlab predict --classifier). */
  'learn.export': method<{ path: string; bytes: number }>()(z.object({ path })),
  /** The project's feature set (settings table, `learn.features`; the default set until one is chosen). */
  'learn.features': method<LearnFeatureSet>()(none),
  /** Chooses the feature set training uses from now on (learn.train without `features`). */
  'learn.setFeatures': method<LearnFeatureSet>()(z.object({ sigmas: LearnFeaturesSchema.shape.sigmas, kinds: LearnFeaturesSchema.shape.kinds })),
};

export interface LearnFeatureSet {
  sigmas: number[];
  kinds: string[];
  /** 'Default', 'Fast' or 'All' when the set equals a preset; null for a hand-made one. */
  preset: string | null;
  /** One line, e.g. "Default: 6 kinds × 6 scales (0.7, 1, 1.6, 3.5, 5, 10 px), 48 maps". */
  summary: string;
}
