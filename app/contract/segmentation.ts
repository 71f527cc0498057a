// Automatic segmentation (classic or SAM) and reading an image's current segmentation.
import { z } from 'zod';
import { method, id } from './define';
import { ClassicOptionsSchema } from './classic';
import { SamAutoOptionsSchema } from './sam';
import { KeepSchema } from './versions';
import type { JobStarted } from './jobs';
import type { SegmentRecord } from '../types';

export interface SegmentationData {
  imageId: number;
  width: number;
  height: number;
  /** Instance id per pixel, row-major. */
  labels: Uint32Array;
  segments: SegmentRecord[];
  engine: string;
  updatedAt: string;
}

export const segmentationMethods = {
  'segment.auto': method<JobStarted>()(
    z.object({
      imageIds: z.array(id).min(1).max(100_000),
      /** 'classic' (always available) or 'sam' (needs an installed model, see sam.status); left out: the project's default engine (eval.setDefault), else classic. */
      engine: z.enum(['classic', 'sam']).optional(),
      classic: ClassicOptionsSchema.optional(),
      /** engine 'classic': a saved preset's settings (presets.list) when `classic` is not given; recorded with the result. */
      preset: z.string().trim().min(1).max(100).optional(),
      /** engine 'sam': prompts, filters, crops and assembly. */
      sam: SamAutoOptionsSchema.optional(),
      /** Images with a segmentation: keep the segments a person made (default) or replace everything. Either way the old one stays as a version. */
      keep: KeepSchema,
    }),
  ),
  'segmentation.get': method<SegmentationData | null>()(z.object({ imageId: id })),
};
