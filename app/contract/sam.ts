// Contract group: SAM models, interactive prompts and SAM auto-segmentation.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id, path } from './define';
import type { Box } from '../types';

/**
 * Segment Anything model families GrainLab runs: 'sam' (Meta's decoder signature; also MobileSAM),
 * 'sam2' (SAM 2 / 2.1 image models), 'efficientsam', 'edgesam'. Recognised from the ONNX files.
 */
export const SamFamilySchema = z.enum(['sam', 'sam2', 'efficientsam', 'edgesam']);
export type SamFamily = z.infer<typeof SamFamilySchema>;

/** How each family is named to people. */
export const SAM_FAMILY_NAMES: Readonly<Record<SamFamily, string>> = {
  sam: 'SAM (Meta decoder)',
  sam2: 'SAM 2 / 2.1',
  efficientsam: 'EfficientSAM',
  edgesam: 'EdgeSAM',
};

const PromptPointSchema = z.object({
  x: z.number().finite(),
  y: z.number().finite(),
  /** 1 = positive (include), 0 = negative (exclude). */
  label: z.union([z.literal(0), z.literal(1)]),
});
const BoxSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/**
 * Options of SAM "segment everything" (segment.auto with engine 'sam'). Filters and NMS follow SAM's
 * automatic mask generator; the defaults are its defaults.
 */
export const SamAutoOptionsSchema = z.object({
  /** Model id; default the active model (sam.status). */
  model: z.string().min(1).max(100).optional(),
  /** 'matsam': structure-aware prompts (pre-segmentation centroids + adaptive grid + border band); 'grid': SAM's regular grid. */
  prompts: z.enum(['matsam', 'grid']).default('matsam'),
  /** Grid mode: points per side of the whole-image layer (SAM's points_per_side). */
  pointsPerSide: z.number().int().min(1).max(128).default(32),
  /** MatSAM: which pre-segmentation places the region prompts ('auto' decides from the image). */
  matsamMode: z.enum(['auto', 'phase', 'grain', 'both']).default('auto'),
  /** MatSAM: at most this many prompts on the whole-image layer (default a quarter of the 32x32 grid). */
  matsamMaxPoints: z.number().int().min(1).max(16_384).default(256),
  /** MatSAM: regions smaller than this (pixels) get no prompt; default max(16, 1e-4 of the image). */
  matsamMinRegionArea: z.number().int().min(1).optional(),
  /** Keep masks whose predicted IoU is above this (pred_iou_thresh); 0 disables. */
  predIouThresh: z.number().min(0).max(1).default(0.88),
  /** Keep masks whose stability score is at least this (stability_score_thresh); 0 disables. */
  stabilityScoreThresh: z.number().min(0).max(1).default(0.95),
  /** Logit offset of the stability score (stability_score_offset). */
  stabilityScoreOffset: z.number().min(0).max(100).default(1),
  /** Logit above which a pixel is inside a mask. */
  maskThreshold: z.number().min(-100).max(100).default(0),
  /** Box NMS threshold within a crop (box_nms_thresh). */
  boxNmsThresh: z.number().min(0).max(1).default(0.7),
  /** Box NMS threshold across crops (crop_nms_thresh). */
  cropNmsThresh: z.number().min(0).max(1).default(0.7),
  /**
   * Crop layers (SAM's crop_n_layers); 'auto': none up to 2048 px, one more per doubling (4096 px: 5 crops, 8192 px: 21).
   * 'tiles': images over 1536 px a side are encoded as 1024 x 1024 crops at full resolution (no whole-image pass),
   * overlapping by cropOverlapRatio x 1024 px, with MatSAM's (or the grid's) full prompts per crop, as MatSAM does.
   */
  cropLayers: z.union([z.literal('auto'), z.literal('tiles'), z.number().int().min(0).max(4)]).default('auto'),
  /** Overlap of neighbouring crops as a fraction of the short side (crop_overlap_ratio). */
  cropOverlapRatio: z.number().min(0).max(0.9).default(512 / 1500),
  /** Prompts per side shrink by this factor per crop layer (crop_n_points_downscale_factor). */
  cropPointsDownscale: z.number().int().min(1).max(8).default(2),
  /** Most crops (each one an encoder run) a single image may need; larger images are refused with a hint. */
  maxCrops: z.number().int().min(1).max(1000).default(21),
  /** Pixels within which a mask box counts as touching a crop edge. */
  cropEdgeTolerance: z.number().int().min(0).max(1000).default(20),
  /** Use all candidate masks per prompt (SAM's multimask output) or only the best one. */
  multimask: z.boolean().default(true),
  /** Prompts per round trip to the SAM worker; progress and cancellation act between batches. */
  batchSize: z.number().int().min(1).max(1024).default(32),
  /** Segments with fewer free pixels after assembly are dropped. */
  minArea: z.number().int().min(0).max(1_000_000).default(16),
  /** Painting order: 'score' (higher predicted IoU wins a contested pixel) or 'area' (smaller masks first). */
  assembleOrder: z.enum(['score', 'area']).default('score'),
  /** Grain maps: give uncovered pixels to neighbouring segments (watershed on the gradient), so there are no gaps. */
  fillGaps: z.boolean().default(false),
});
export type SamAutoOptions = z.output<typeof SamAutoOptionsSchema>;

export interface SamModelInfo {
  id: string;
  name: string;
  description: string | null;
  family: SamFamily;
  installed: boolean;
  /** Where its files were found, when installed. */
  location: string | null;
  /** Bytes of its files when installed. */
  bytes: number | null;
  /**
   * Whether its files passed the last check (sam.verify, or the install that put them there) since the
   * service started and are unchanged since; null when not checked yet.
   */
  verified: boolean | null;
  /** Set for a model a person imported from their own files. */
  custom: { derivedFrom: string | null; importedAt: string } | null;
  /** Whether sam.remove can take it out (a custom model, or a listed one with files in the user or project folder). */
  removable: boolean;
  /** Can be downloaded (sam.fetch): every file has an address. */
  downloadable: boolean;
}

/** Where sam.importCustom and sam.fetch put files: the user's models folder, or the open project's models/. */
const ModelDestinationSchema = z.enum(['user', 'project']).default('user');

interface SamFileCheck {
  role: 'encoder' | 'decoder';
  file: string;
  path: string | null;
  ok: boolean;
  /** How it was checked: sha256, git-blob-sha1, recorded-sha256, size, approx-size, unpublished. */
  method: string;
  /** What is wrong, for the user; empty when ok. */
  problem: string;
}

export interface SamModelCheck {
  modelId: string;
  ok: boolean;
  files: SamFileCheck[];
}

export interface SamStatus {
  models: SamModelInfo[];
  /** The model used for prompts and SAM auto-segmentation; null = none installed (classic only). */
  active: string | null;
  /** Execution provider in use once a model is loaded (cpu, cuda, dml, coreml), and why. */
  provider: { name: string; reason: string } | null;
  /** How to add a model, for the UI hint when none is installed. */
  hint: string;
  /** Folders searched for model files, in order (project, app, user). */
  searchDirs: string[];
}

/** A SAM candidate mask, cropped to its bounding box. */
export interface SamCandidate {
  imageId: number;
  /** The mask's bounding box; width and height are 0 when the mask is empty. */
  box: Box;
  /** box.width * box.height bytes, 1 = inside. */
  mask: Uint8Array;
  /** Predicted IoU of the chosen mask. */
  score: number;
  /** Model time and total time in ms, for the status bar; embedMs is the encoder time on this call (0 when cached). */
  timing: { modelMs: number; totalMs: number; embedMs: number };
  /** Where the image embedding came from on this call: memory, the project database, or a fresh encoder run. */
  embedding: 'memory' | 'store' | 'encoder';
  /** The model that produced it. */
  model: string;
}

/** What one image's SAM auto-segmentation did; the counts compare prompt strategies. */
export interface SamAutoStats {
  imageId: number;
  model: string;
  prompts: 'matsam' | 'grid';
  /** Crops (layer 0 = whole image) and the encoder runs they needed (cached embeddings excluded). */
  crops: number;
  encoderRuns: number;
  /** Point prompts over all crops; each is one decoder call. */
  decoderCalls: number;
  /**
   * Candidate masks returned by the decoder, kept by the IoU/stability/edge filters, kept by NMS
   * (with cropLayers 'tiles' the crop-edge test comes after: cut masks count as kept by the filters).
   */
  masks: number;
  filtered: number;
  afterNms: number;
  /** cropLayers 'tiles' only: objects no crop holds whole, stitched from the pieces cut by crop edges. */
  stitched?: number;
  /** Segments in the saved label map. */
  segments: number;
  /** Milliseconds per stage. */
  ms: { prompts: number; embed: number; decode: number; assemble: number; total: number };
  /** MatSAM only: the pre-segmentation mode used and its prompt make-up (whole-image layer). */
  matsam?: { mode: string; regionPoints: number; gridPoints: number; borderPoints: number };
}

const modelId = z.string().min(1).max(100);

export const samMethods = {
  'sam.status': method<SamStatus>()(none),
  /**
   * Imports a person's own encoder/decoder pair under a name they give (any family GrainLab recognises),
   * recorded with sha256, size, family and what it was derived from; refused naming the missing or
   * mismatched inputs otherwise. Files are paths on the machine the service runs on.
   */
  'sam.importCustom': method<{ modelId: string; status: SamStatus }>()(
    z.object({
      name: z.string().trim().min(1).max(100),
      encoderPath: path,
      decoderPath: path,
      derivedFrom: z.string().max(200).optional(),
      destination: ModelDestinationSchema,
    }),
  ),
  /** Checks installed model files (one model, or every model with files present); hashing large files takes seconds. */
  'sam.verify': method<SamModelCheck[]>()(z.object({ modelId: modelId.optional() })),
  /** Removes a model (custom: entry and files; listed: its files in the destination folder). */
  'sam.remove': method<SamStatus>()(z.object({ modelId, destination: ModelDestinationSchema })),
  /** Downloads a listed model as a job (progress events); the files are checked before they are installed. */
  'sam.fetch': method<{ jobId: string }>()(z.object({ modelId, destination: ModelDestinationSchema })),
  /** Makes a model the active one (loads it to check it; remembered in the project). */
  'sam.select': method<SamStatus>()(z.object({ modelId: z.string().min(1).max(100) })),
  /** Decode one prompt on an image (the embedding is computed once and cached). */
  'sam.prompt': method<SamCandidate>()(
    z.object({
      imageId: id,
      points: z.array(PromptPointSchema).max(64).default([]),
      box: BoxSchema.optional(),
      /** Refine with the previous candidate's low-res mask for this image. */
      refine: z.boolean().default(false),
    }),
  ),
  /**
   * Starts computing an image's embedding in the background (a job with progress) so the first
   * click is fast; jobId is null when it is already cached.
   */
  'sam.prepare': method<{ cached: boolean; jobId: string | null }>()(z.object({ imageId: id })),
  /** Per-image statistics of a finished SAM auto-segmentation job (kept for the last jobs); null if unknown. */
  'sam.runStats': method<SamAutoStats[] | null>()(z.object({ jobId: z.string().min(1).max(100) })),
};
