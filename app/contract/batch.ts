// Batch and cluster runs: folding the per-shard results of `grainlab batch` into one project.
import { z } from 'zod';
import { method, path } from './define';
import { KeepSchema } from './versions';

/** Something a merge could not simply do, said per image. */
export interface MergeNote {
  /** The shard folder it came from. */
  shard: string;
  /** The image's name. */
  name: string;
  message: string;
}

export interface MergeReport {
  shards: number;
  /** Images new to the project (their files copied in from a shard). */
  added: number;
  /** Segmentations saved: first ones, replacements (the old one kept as a version), and results equal to what was there. */
  created: number;
  replaced: number;
  unchanged: number;
  /** Images where a person's segments were kept, or that came from more than one shard. */
  conflicts: MergeNote[];
  /** Images that could not be merged (the rest were). */
  failed: MergeNote[];
}

export const batchMethods = {
  /**
   * Folds shard results (GrainLab projects written by `grainlab batch`) into the open project:
   * images are matched by content (added when missing) and each shard segmentation is saved as an
   * automatic result, keeping what a person made unless keep is 'none'. Running it twice changes nothing.
   */
  'batch.merge': method<MergeReport>()(z.object({ shards: z.array(path).min(1).max(10_000), keep: KeepSchema })),
};
