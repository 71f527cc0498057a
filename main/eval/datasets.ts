// Labelled micrograph folders (images/ + labels/ with matching stems) and how each is scored.
// Presets describe the public sets in ../shared/data; any folder laid out the same way works with
// an explicit kind and label encoding.
import { readdirSync, existsSync } from 'node:fs';
import { readRegularFile } from '../fs/read';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { join, extname, basename } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { RasterImage, LabelMap } from '../../app/types';
import type { ClassicSettings } from '../../app/classic';
import { grainsFromBoundaryMap } from '../../app/export';
import { decodeImage } from '../images/io';

export interface EvalPreset {
  name: string;
  kind: 'grains' | 'phases';
  /** index: PNG whose values are class indices; boundary: grey boundary map (> 127 = boundary). */
  labels: 'index' | 'boundary';
  /** Classic settings a user would pick for these images (mode, polarity). */
  classic: ClassicSettings;
  /** Phases: truth classes that form the target phase scored by IoU (as in the MatSAM paper). */
  targetClasses?: number[];
  targetName?: string;
  /** Phases: 'target' (default) scores the target phase's IoU; 'classes' scores every truth class and their mean IoU. */
  score?: 'target' | 'classes';
  /** Published zero-shot figures for comparison (MatSAM paper; see ../shared/data/README.md). */
  reference?: string;
}

export const PRESETS: Record<string, EvalPreset> = {
  uhcs: {
    name: 'uhcs',
    kind: 'phases',
    labels: 'index',
    classic: { mode: 'phase', minArea: 16, invert: false },
    targetClasses: [2],
    targetName: 'spheroidite particles',
    reference: 'MatSAM IoU 0.7584, Otsu 0.5370, specialist 0.71',
  },
  super_ni: {
    name: 'super_ni',
    kind: 'phases',
    labels: 'index',
    classic: { mode: 'phase', minArea: 16, invert: true },
    targetClasses: [1, 2],
    targetName: "gamma-prime (secondary + tertiary)",
    reference: 'MatSAM IoU NBS-2 0.9116 (Otsu 0.7516), NBS-3 0.8167 (Otsu 0.6678)',
  },
  tbm_train: {
    name: 'tbm_train',
    kind: 'grains',
    labels: 'boundary',
    classic: { mode: 'grain', minArea: 16, invert: false },
  },
};

interface LabelledPair {
  stem: string;
  imagePath: string;
  labelPath: string;
}

const IMAGE_EXT = new Set(['.png', '.tif', '.tiff', '.jpg', '.jpeg']);

/** Pairs images/<stem>.* with labels/<stem>.png or labels/<stem>_mask.png, sorted by stem. */
export function listPairs(dir: string): LabelledPair[] {
  const imagesDir = join(dir, 'images');
  const labelsDir = join(dir, 'labels');
  if (!existsSync(imagesDir) || !existsSync(labelsDir)) {
    throw new ServiceError('not-found', `${dir} is not a labelled set: it needs images/ and labels/ folders with matching file names.`, dir);
  }
  const labels = new Map(readdirSync(labelsDir).map((f) => [basename(f, extname(f)).replace(/_mask$/, ''), join(labelsDir, f)]));
  return readdirSync(imagesDir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
    .sort()
    .flatMap((f) => {
      const stem = basename(f, extname(f));
      const labelPath = labels.get(stem);
      return labelPath ? [{ stem, imagePath: join(imagesDir, f), labelPath }] : [];
    });
}

interface LoadedPair {
  stem: string;
  image: RasterImage;
  /** Grains: instance map. Phases: class index per pixel. */
  truth: LabelMap;
}

export async function loadPair(pair: LabelledPair, preset: EvalPreset): Promise<LoadedPair> {
  const read = (p: string) => readRegularFile(p, { what: 'image file', maxBytes: MAX_IMAGE_FILE_BYTES });
  const image = await decodeImage(await read(pair.imagePath), pair.imagePath);
  // Decoded like an image so 16-bit instance maps keep their ids (sharp's raw output would be 8-bit).
  const label = await decodeImage(await read(pair.labelPath), pair.labelPath);
  if (label.width !== image.width || label.height !== image.height) {
    throw new ServiceError('bad-image', `${pair.labelPath}: ${label.width}x${label.height} does not match its image (${image.width}x${image.height}).`, pair.labelPath);
  }
  const n = label.width * label.height;
  const first = new Uint32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += label.channels) first[i] = label.data[j]!;
  const truth: LabelMap =
    preset.labels === 'boundary'
      ? grainsFromBoundaryMap({ width: label.width, height: label.height, data: Uint8Array.from(first, (v) => (label.bitDepth === 16 ? v >> 8 : v)) }, { threshold: 127, assignBoundary: true })
      : { width: label.width, height: label.height, data: first };
  return { stem: pair.stem, image, truth };
}
