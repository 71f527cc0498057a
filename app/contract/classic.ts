// The classic (threshold + watershed) engine's options, shared by segment.auto, presets and previews.
import { z } from 'zod';

export const ClassicOptionsSchema = z.object({
  mode: z.enum(['phase', 'grain']).default('phase'),
  /** Segments smaller than this many pixels are dropped. */
  minArea: z.number().int().min(0).max(1_000_000).default(16),
  /** Treat the darker side of the Otsu threshold as foreground. */
  invert: z.boolean().default(false),
  // Tuning of app/classic (ClassicExtra); left out = the engine's defaults.
  /** Phase mode: intensity classes, 2 = Otsu, 3..5 = multi-Otsu. */
  classes: z.number().int().min(2).max(5).optional(),
  /** Gaussian smoothing (px) before thresholding or boundary detection; 0 = none. */
  sigma: z.number().min(0).max(50).optional(),
  /** Phase mode: global (multi-)Otsu or local-mean adaptive threshold (uneven illumination). */
  threshold: z.enum(['otsu', 'adaptive']).optional(),
  /** Adaptive threshold window (odd, px). */
  blockSize: z.number().int().min(3).max(4095).refine((v) => v % 2 === 1, 'must be odd').optional(),
  /** Adaptive threshold offset, as a fraction of the intensity range. */
  offset: z.number().min(-1).max(1).optional(),
  /** Phase mode: background (matrix) regions get ids too, so every pixel is labelled. */
  labelBackground: z.boolean().optional(),
  /** Grain mode: boundaries are thin lines, shade/colour edges, or decided from the image. */
  boundaryStyle: z.enum(['auto', 'lines', 'edges']).optional(),
  /** Grain mode: grain seeds from strong boundary evidence (threshold) or Canny edges. */
  boundaries: z.enum(['threshold', 'canny']).optional(),
  /** Grain mode: typical boundary line width (px). */
  lineWidth: z.number().min(1).max(100).optional(),
  /** Grain mode: minimum seed depth (px from a boundary); larger = fewer, bigger grains. */
  seedDepth: z.number().min(0).max(1000).optional(),
  /** Grain mode: neighbours whose mean intensity differs by less than this (0..255 scale) are merged. */
  mergeContrast: z.number().min(0).max(255).optional(),
});
export type ClassicOptions = z.infer<typeof ClassicOptionsSchema>;
