// Contract group: export for fine-tuning SAM (micro-sam's image/label TIFF layout).
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method, id, path } from './define';
import type { DatasetCardJson } from '../export/card';

const ratio = z.number().min(0).max(1000);

const FinetuneOptionsSchema = z.object({
  /** Folder to create; written beside it first and renamed into place at the end. */
  dest: path,
  /** Images to consider (default: every image with a segmentation). */
  imageIds: z.array(id).min(1).max(100_000).optional(),
  /** train:val:test sizes; default 6:2:2 (the same split logic and seed as the COCO/PNG export). */
  ratios: z.tuple([ratio, ratio, ratio]).refine((r) => r[0] + r[1] + r[2] > 0, 'split ratios need a positive sum').default([6, 2, 2]),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
  /**
   * 'verified' (default): segments a person verified, and every segment of an image whose status is
   * 'verified' (the person reviewed the whole image); images with neither are left out.
   * 'all': every segment of every segmented image.
   */
  segments: z.enum(['verified', 'all']).default('verified'),
  /** Cut images into tiles of size x size pixels with the given overlap; null = whole images. */
  tile: z
    .object({ size: z.number().int().min(16).max(16384), overlap: z.number().int().min(0).max(16383).default(0) })
    .refine((t) => t.overlap < t.size, 'tile overlap must be smaller than the tile size')
    .nullable()
    .default(null),
  /** Replace an existing folder at `dest` (only once the new dataset is complete). */
  overwrite: z.boolean().default(false),
});
export type FinetuneOptions = z.output<typeof FinetuneOptionsSchema>;

export interface FinetuneSummary {
  dest: string;
  format: 'finetune';
  /** Source images exported. */
  images: number;
  /** Image/label TIFF pairs written (tiles count one each). */
  items: number;
  /** Instances written, all label maps together. */
  segments: number;
  perSplit: Record<'train' | 'val' | 'test', { images: number; items: number; segments: number }>;
  excluded: { imagesNotSegmented: number; imagesNotVerified: number; unverifiedSegments: number; emptyTiles: number };
  bytes: number;
  seconds: number;
  warnings: string[];
  card: DatasetCardJson;
}

export const finetuneMethods = {
  /** Starts the export as a job (progress, cancel); the summary comes from export.finetuneResult. */
  'export.finetune': method<{ jobId: string; dest: string }>()(FinetuneOptionsSchema),
  'export.finetuneResult': method<FinetuneSummary | null>()(z.object({ jobId: z.string().min(1).max(100) })),
};
