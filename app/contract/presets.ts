// Contract group: named presets of classic-engine settings (saved in the project, exportable as
// JSON), the settings a segmentation was made with, and the live preview of settings on a region.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import { ClassicOptionsSchema } from './classic';

const classic = z.lazy(() => ClassicOptionsSchema);

const PresetNameSchema = z
  .string()
  .trim()
  .min(1, 'a preset needs a name')
  .max(100, 'a preset name has at most 100 characters')
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 32), 'a preset name cannot hold control characters');

export const SegmentationPresetSchema = z.object({
  name: PresetNameSchema,
  /** What the preset is for (material, magnification, detector). */
  description: z.string().max(2000).default(''),
  engine: z.literal('classic').default('classic'),
  settings: classic,
  updatedAt: z.string().max(40).optional(),
});
export type SegmentationPreset = z.output<typeof SegmentationPresetSchema>;

export interface SegmentationSettingsRecord {
  imageId: number;
  /** The engine string stored with the segmentation ('classic', 'sam:<model>:<prompts>', ...). */
  engine: string;
  /** The options the engine ran with, as the job received them (defaults filled in). */
  settings: Record<string, unknown>;
  /** The preset the settings came from, when one was named. */
  preset: string | null;
  /** When the segmentation was made (segmentations.updated_at). */
  at: string;
}

const PreviewRegionSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
});

interface SegmentPreview {
  imageId: number;
  /** The region segmented, in image pixels (the request clamped to the image). */
  region: { x: number; y: number; width: number; height: number };
  /** Image pixels per preview pixel along each side (1 = full resolution). */
  scale: number;
  /** Size of `labels` (region size divided by `scale`, rounded up). */
  width: number;
  height: number;
  labels: Uint32Array;
  segments: number;
  /** Grain mode: the boundary style used ('auto' resolved). */
  boundaryStyle?: 'lines' | 'edges';
  /** Phase mode with Otsu: thresholds of the region's histogram (the whole-image run uses the whole image's). */
  thresholds: number[];
  /** Time the preview worker took, ms (segmenting plus the hand-over; not reading the image). */
  ms: number;
}

export const presetMethods = {
  'presets.list': method<SegmentationPreset[]>()(none),
  /** Saves (or replaces) a preset by name. */
  'presets.save': method<SegmentationPreset>()(
    z.object({ name: PresetNameSchema, description: z.string().max(2000).default(''), settings: classic }),
  ),
  'presets.delete': method<boolean>()(z.object({ name: PresetNameSchema })),
  /** The presets (all, or the named ones) as a JSON document for another project or lab. */
  'presets.export': method<{ json: string }>()(z.object({ names: z.array(PresetNameSchema).max(1000).optional() })),
  /** Reads a presets JSON document (`presets.export`'s, one preset, or bare settings with `name`). */
  'presets.import': method<{ imported: string[]; skipped: string[] }>()(
    z.object({
      json: z.string().min(2).max(5_000_000),
      /** A preset whose name exists: replace it, keep the existing one, or import under a new name. */
      ifExists: z.enum(['replace', 'skip', 'rename']).default('rename'),
      /** Name for bare settings (a file that holds only engine options). */
      name: PresetNameSchema.optional(),
    }),
  ),
  /** The settings the image's current segmentation was made with; null when unknown (imported, hand-made, older). */
  'segmentation.settings': method<SegmentationSettingsRecord | null>()(z.object({ imageId: id })),
  /**
   * Runs the classic engine on a region (the visible viewport) for a live preview; the label map
   * comes back at most `maxSide` px a side. Nothing is saved. Previews run one at a time in a warm
   * worker; a request still waiting when a newer one arrives fails with code 'cancelled'.
   */
  'segment.preview': method<SegmentPreview>()(
    z.object({
      imageId: id,
      region: PreviewRegionSchema,
      classic,
      maxSide: z.number().int().min(32).max(4096).default(512),
    }),
  ),
};
