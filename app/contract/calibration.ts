// Contract group: image calibration (µm per pixel) with where each value came from: the
// microscope's metadata, the resolution tags, typed, a scale bar measured on the image, or the
// project's default. Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import type { DetectedCalibration } from '../calibration/vendors';

export type CalibrationSource = 'metadata' | 'resolution-tag' | 'typed' | 'scale-bar' | 'project-default';

export interface ImageCalibration {
  imageId: number;
  name: string;
  /** µm per pixel; null = not calibrated (lengths in px, no ASTM G). */
  umPerPx: number | null;
  /** null for a value set before sources were recorded. */
  source: CalibrationSource | null;
  /** 'metadata' / 'resolution-tag': which vendor or tag; 'scale-bar': the bar measured. */
  vendor: string | null;
  where: string | null;
  raw: string | null;
  at: string | null;
}

export interface CalibrationOverview {
  /** µm per pixel given to images that bring no calibration of their own; null = none. */
  projectDefault: number | null;
  images: ImageCalibration[];
}

const umPerPx = z.number().positive().max(1000);
const ScaleBarSchema = z.object({
  x0: z.number().finite(),
  y0: z.number().finite(),
  x1: z.number().finite(),
  y1: z.number().finite(),
  /** The bar's real length in µm (as printed on it, converted). */
  lengthUm: z.number().positive().max(1e7),
});

export const calibrationMethods = {
  'calibration.list': method<CalibrationOverview>()(none),
  /**
   * Sets the pixel size of images: a typed value, or from a scale bar drawn along the bar printed
   * in the image (its two ends in image pixels and its length). `umPerPx: null` clears it (the
   * project default, if any, then applies).
   */
  'calibration.set': method<ImageCalibration[]>()(
    z
      .object({
        imageIds: z.array(id).min(1).max(100_000),
        umPerPx: umPerPx.nullable().optional(),
        scaleBar: ScaleBarSchema.optional(),
      })
      .refine((a) => (a.umPerPx !== undefined) !== (a.scaleBar !== undefined), 'give either umPerPx or scaleBar'),
  ),
  /**
   * Reads the calibration again from the images' stored files (vendor tags, ImageJ, resolution
   * tags; sidecar files are read at import only). `apply`: 'none' only reports, 'uncalibrated'
   * sets it where an image has none or only the project default, 'all' replaces every value.
   */
  'calibration.detect': method<{ imageId: number; detected: DetectedCalibration | null; applied: boolean }[]>()(
    z.object({ imageIds: z.array(id).min(1).max(100_000).optional(), apply: z.enum(['none', 'uncalibrated', 'all']).default('none') }),
  ),
  /** Sets the project default and gives it to images without a calibration of their own (and takes it back when cleared). */
  'calibration.setDefault': method<{ projectDefault: number | null; applied: number }>()(z.object({ umPerPx: umPerPx.nullable() })),
};
