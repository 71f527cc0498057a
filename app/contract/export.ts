// Contract group: Dataset export, segmentation import and measurements.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, id, path, fileBytes } from './define';
import type { ClassRecord } from '../types';
import { KeepSchema } from './versions';
import type { DatasetCardJson } from '../export/card';
import type { GrainSummary, PhaseFraction } from '../stats/summary';
import type { InterceptResult, PlanimetricResult } from '../stats/astm';

const jobId = z.string().min(1).max(100);
const ratio = z.number().min(0).max(1000);

/** coco, png masks, yolo: training data; labelme, geojson (QuPath), cvat, imagej (ROI sets): files other annotation tools open. */
const ExportFormatSchema = z.enum(['coco', 'png', 'yolo', 'labelme', 'geojson', 'cvat', 'imagej']);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

const ExportOptionsSchema = z
  .object({
    /** Folder to create for the dataset; written beside it first and renamed into place at the end. */
    dest: path,
    format: ExportFormatSchema,
    /** Images to consider (default: every image with a segmentation). */
    imageIds: z.array(id).min(1).max(100_000).optional(),
    /** train:val:test sizes; default 6:2:2. */
    ratios: z.tuple([ratio, ratio, ratio]).refine((r) => r[0] + r[1] + r[2] > 0, 'split ratios need a positive sum').default([6, 2, 2]),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
    /** Only images whose status is 'verified'. */
    verifiedImages: z.boolean().default(false),
    /** Only segments a person marked verified. */
    verifiedSegments: z.boolean().default(false),
    /** Cut images into tiles of size x size pixels with the given overlap; null = whole images. */
    tile: z
      .object({ size: z.number().int().min(16).max(16384), overlap: z.number().int().min(0).max(16383).default(0) })
      .refine((t) => t.overlap < t.size, 'tile overlap must be smaller than the tile size')
      .nullable()
      .default(null),
    /** Grains touching the image (or tile) border: flag them, leave them out, or keep them unmarked. */
    edge: z.enum(['flag', 'exclude', 'include']).default('flag'),
    /** COCO masks: compressed RLE (lossless), uncompressed RLE, or polygons (see `holes`). */
    rle: z.enum(['compressed', 'uncompressed', 'polygon']).default('compressed'),
    /**
     * Segments with holes, which polygons cannot hold (COCO polygons, YOLO, LabelMe polygons):
     * 'rle' writes them as RLE (COCO; the default there), 'skip' leaves them out, 'fill' writes the
     * outer outline with the holes filled (YOLO's default: it has no other way). Counted on the card.
     */
    holes: z.enum(['rle', 'skip', 'fill']).optional(),
    /** Copy (or, for tiles and TIFF pages, re-encode) the micrographs into the dataset. */
    copyImages: z.boolean().default(true),
    /** Replace an existing folder at `dest` (only once the new dataset is complete). */
    overwrite: z.boolean().default(false),
  });
export type ExportOptions = z.output<typeof ExportOptionsSchema>;

export type SplitName = 'train' | 'val' | 'test';

export interface ExportSummary {
  dest: string;
  format: ExportFormat;
  /** Source images exported. */
  images: number;
  /** Image files written (tiles count one each). */
  items: number;
  segments: number;
  perSplit: Record<SplitName, { images: number; items: number; segments: number }>;
  excluded: { edge: number; unverified: number; unclassified: number; imagesNotSegmented: number; imagesNotVerified: number };
  /** Bytes written, all files together. */
  bytes: number;
  seconds: number;
  warnings: string[];
  card: DatasetCardJson;
}

const LabelKindSchema = z.enum(['coco', 'instance', 'semantic', 'boundary', 'labelme', 'geojson', 'cvat', 'imagej']);
export type LabelKind = z.infer<typeof LabelKindSchema>;

/** How a semantic map's values become classes (the classes.json an export writes has this shape). */
const SemanticValueSchema = z.object({
  value: z.number().int().min(0).max(65535),
  name: z.string().min(1).max(200),
  color: z.string().max(20).nullable().optional(),
  /** null: segments of this value get no class (e.g. 255 = unclassified). */
  classId: z.number().int().nullable().optional(),
});
export type SemanticValue = z.infer<typeof SemanticValueSchema>;

const ImportLabelsSchema = z
  .object({
    kind: LabelKindSchema,
    /** Files on the machine running GrainLab (CLI, desktop). */
    paths: z.array(path).max(100_000).optional(),
    /** Uploaded files (web mode). */
    files: z.array(fileBytes).max(10_000).optional(),
    /** Semantic maps: value -> class. Default: a classes.json beside the file (or up to 3 folders up), else "class <value>" with that label value. */
    classes: z.array(SemanticValueSchema).max(65536).optional(),
    /** Semantic maps: 'replace' makes segments from connected regions of one value; 'classes' keeps the image's segments and gives each the class under most of its pixels. */
    semanticMode: z.enum(['replace', 'classes']).default('replace'),
    /** Images that already have a segmentation: replace it (default) or leave them alone. */
    ifSegmented: z.enum(['replace', 'skip']).default('replace'),
    /** When replacing: keep the segments and classes a person made (default) or replace everything; the old segmentation stays as a version either way. */
    keep: KeepSchema,
    /** Only match the files to images and report which would be created or replaced (writes nothing), to ask before importing. */
    dryRun: z.boolean().default(false),
    /** Every file goes to this image instead of the one its name matches (e.g. `grainlab label --image 3 --map x.png`). */
    imageId: id.optional(),
  })
  .refine((a) => (a.paths?.length ?? 0) + (a.files?.length ?? 0) > 0, 'give at least one file (paths or files)');
export type ImportLabelsArgs = z.output<typeof ImportLabelsSchema>;

interface ImportedLabels {
  file: string;
  imageId: number;
  imageName: string;
  segments: number;
  /** 'replaced' when the image had a segmentation before, 'classes' when only classes were set, 'unchanged' when the file equals the current segmentation. */
  action: 'created' | 'replaced' | 'unchanged' | 'classes';
  /** Segments a person made that were kept (replaced images). */
  kept?: number;
}

export interface ImportLabelsSummary {
  kind: LabelKind;
  imported: ImportedLabels[];
  skipped: { file: string; message: string }[];
  failed: { file: string; message: string }[];
  classesCreated: string[];
}

const StatsArgsSchema = z.object({
  imageIds: z.array(id).min(1).max(100_000).optional(),
  /** Leave grains cut by the image border out of the size statistics (they are truncated). */
  excludeEdge: z.boolean().default(false),
});

export interface ImageStats {
  imageId: number;
  name: string;
  width: number;
  height: number;
  pixelSizeUm: number | null;
  segmented: boolean;
  summary: GrainSummary;
  /** ASTM E112, null without a pixel size or a segmentation. */
  planimetric: PlanimetricResult | null;
  intercept: InterceptResult | null;
  phases: PhaseFraction[];
}

export interface ProjectStats {
  /** Unit of `ecd` and `area` below and of the project summary: µm when every measured image has a pixel size. */
  unit: 'um' | 'px';
  excludeEdge: boolean;
  images: ImageStats[];
  project: {
    summary: GrainSummary;
    /** ASTM E112 over all calibrated images: grains and areas (and intercepts and line lengths) summed, then G. */
    planimetric: PlanimetricResult | null;
    intercept: InterceptResult | null;
    /** Pixels per class over all segmented images. */
    phases: PhaseFraction[];
  };
  classes: ClassRecord[];
  /** Classes counted as particles (measure.roles): left out of the grain statistics and ASTM G, summarised in `particles`. */
  particleClasses?: number[];
  /** The particle segments' sizes (all images), when any class is a particle. */
  particles?: GrainSummary;
  /** Equivalent circle diameter of every grain in the size statistics, in `unit`. */
  ecd: Float64Array;
  /** Area of the same grains, in `unit`². */
  area: Float64Array;
}

interface StatsCsvFiles {
  files: { name: string; text: string }[];
}

export const exportMethods = {
  'export.dataset': method<{ jobId: string; dest: string }>()(ExportOptionsSchema),
  /** The summary of a finished export job; null while it runs or when unknown. */
  'export.result': method<ExportSummary | null>()(z.object({ jobId })),
  'labels.import': method<{ jobId: string }>()(ImportLabelsSchema),
  'labels.importResult': method<ImportLabelsSummary | null>()(z.object({ jobId })),
  'stats.compute': method<ProjectStats>()(StatsArgsSchema),
  /** grains.csv, images.csv and phases.csv for the same selection as stats.compute. */
  'stats.csv': method<StatsCsvFiles>()(StatsArgsSchema),
};
