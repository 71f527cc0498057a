// Slice stacks: serial sections or tomogram planes kept as one ordered stack of images (z order,
// slice spacing), propagation of a corrected slice to the next ones, 3D objects and statistics,
// and 3D export.
import { z } from 'zod';
import { method, id, path } from './define';
import type { StackStats } from '../stack/stats';
import type { ImportResult } from './images';

export interface StackInfo {
  id: number;
  name: string;
  /** Distance between slices in µm (null: not known). */
  spacingUm: number | null;
  /** Image ids in z order (slice 0 first). */
  imageIds: number[];
}

export interface StackExportResult {
  /** The 3D label TIFF (one page per slice, object ids) and the per-slice COCO file written. */
  tiff: string;
  coco: string;
  objects: number;
  slices: number;
}

const spacingUm = z.number().positive().max(1e6).nullable();

export const stackMethods = {
  'stacks.list': method<StackInfo[]>()(z.object({})),
  /** The stack an image is a slice of (null: none). */
  'stacks.ofImage': method<StackInfo | null>()(z.object({ imageId: id })),
  /** Makes images (already in the project, given in z order) one stack; an image is in one stack at most. */
  'stacks.create': method<StackInfo>()(z.object({ name: z.string().trim().min(1).max(200), imageIds: z.array(id).min(1).max(100_000), spacingUm: spacingUm.optional() })),
  /**
   * Imports a multi-page TIFF (pages in order) or slice files / a folder of slices (natural file-name
   * order) as one stack. Slices already in the project join the stack as they are.
   */
  'stacks.importPaths': method<{ stack: StackInfo; import: ImportResult }>()(z.object({ paths: z.array(path).min(1).max(10_000), name: z.string().trim().min(1).max(200).optional(), spacingUm: spacingUm.optional() })),
  'stacks.setSpacing': method<StackInfo>()(z.object({ stackId: id, spacingUm })),
  /** Dissolves a stack; its images stay in the project. */
  'stacks.remove': method<null>()(z.object({ stackId: id })),
  /**
   * Propagates the segmentation of one slice to the next `count` slices (a job): SAM (each segment's
   * box and interior point on the next slice) when a model is installed and chosen, else the classic
   * engine (each segment's mask seeds a watershed on the next slice); 'classifier': the trained pixel
   * classifier predicts the next slices (learn.predict, phases). Each result is saved as an automatic
   * result, which keeps what a person made on that slice.
   */
  'stacks.propagate': method<{ jobId: string }>()(
    z.object({ imageId: id, count: z.number().int().min(1).max(10_000).default(1), direction: z.enum(['up', 'down']).default('up'), engine: z.enum(['auto', 'classic', 'sam', 'classifier']).default('auto') }),
  ),
  /**
   * Links the slices' segments into 3D objects (segments of adjacent slices overlapping by at least
   * `minOverlap` of the smaller one, default 0.5), stores the ids and returns the 3D statistics.
   */
  'stacks.stats': method<StackStats & { stackId: number; pixelSizeUm: number | null; spacingUm: number | null }>()(z.object({ stackId: id, minOverlap: z.number().min(0.01).max(1).optional() })),
  /** Writes a 3D label TIFF (object ids, one page per slice) and a COCO file of every slice (object id per annotation) into a folder. */
  'stacks.export': method<StackExportResult>()(z.object({ stackId: id, dir: path })),
};
