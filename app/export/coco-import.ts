// COCO import: read a COCO instance-segmentation dataset back into label maps, with schema
// validation and clear errors (the export side is coco.ts).
import { z } from 'zod';
import type { LabelMap } from '../types';
import { DEFAULT_MAX_PIXELS, fromCocoRle, rleArea, type CocoRle, type Rle } from './rle';
import { polygonsToRle, type Polygon } from './polygon';


interface CocoImportLimits {
  /** Largest width*height of one image; default 16384*16384. */
  maxPixelsPerImage?: number;
  /** parseCoco only: largest sum of width*height over all images (label maps held at once); default 16384*16384. */
  maxTotalPixels?: number;
  maxImages?: number;
  maxAnnotations?: number;
  /** Per polygon, after pycocotools' 5x upsampling; default 50 M. */
  maxUpsampledPoints?: number;
}

interface CocoImportOptions {
  /**
   * Overlapping annotations: 'later-wins' (default) paints in file order so a later annotation
   * takes the shared pixels; 'smaller-wins' paints larger first so small objects stay whole.
   */
  overlap?: 'later-wins' | 'smaller-wins';
  /** Crowd annotations (iscrowd 1) describe many objects at once: 'skip' (default) or 'include'. */
  crowd?: 'skip' | 'include';
}

const int = z.number().int();
const positiveInt = int.min(1);
const GrainLabInfoSchema = z.looseObject({
  segmentId: int.optional(),
  source: z.enum(['auto', 'prompt', 'brush', 'import']).optional(),
  verified: z.boolean().optional(),
  cluster: int.nullable().optional(),
  confidence: z.number().nullable().optional(),
  edge: z.boolean().optional(),
});
const ImageSchema = z.looseObject({
  id: int,
  file_name: z.string().max(4096),
  width: positiveInt,
  height: positiveInt,
});
const CategorySchema = z.looseObject({
  id: int,
  name: z.string().max(1000),
  supercategory: z.string().optional(),
  grainlab: z.looseObject({ color: z.string().nullable().optional() }).optional(),
});
const AnnotationSchema = z.looseObject({
  id: int,
  image_id: int,
  category_id: int,
  segmentation: z.unknown().optional(),
  area: z.number().optional(),
  bbox: z.array(z.number()).optional(),
  iscrowd: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
  grainlab: GrainLabInfoSchema.optional(),
});
const DatasetSchema = z.looseObject({
  images: z.array(ImageSchema),
  categories: z.array(CategorySchema),
  annotations: z.array(AnnotationSchema),
});
const PolygonSchema = z
  .array(z.number().refine(Number.isFinite, 'coordinates must be finite numbers'))
  .min(6, 'a polygon needs at least 3 points (6 numbers)')
  .refine((a) => a.length % 2 === 0, 'a polygon needs an even count of numbers (x, y pairs)');
const PolygonsSchema = z.array(PolygonSchema);
const RleSchema = z.object({
  size: z.tuple([int.min(0), int.min(0)]),
  counts: z.union([z.string(), z.array(z.number())]),
});

type ParsedAnnotation = z.infer<typeof AnnotationSchema>;

function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string {
  const shown = issues.slice(0, 5).map((i) => {
    let path = prefix;
    for (const p of i.path) path += typeof p === 'number' ? `[${p}]` : path ? `.${String(p)}` : String(p);
    return `${path || '(top level)'}: ${i.message}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return shown.join('; ') + more;
}

/** An annotation after validation, with its mask as an RLE (polygons are rasterised lazily). */
interface ValidatedAnnotation {
  id: number;
  imageId: number;
  categoryId: number;
  iscrowd: boolean;
  /** null when the annotation has no segmentation (boxes only). */
  segmentation: { kind: 'rle'; rle: Rle } | { kind: 'polygons'; polygons: Polygon[] } | null;
  grainlab: z.infer<typeof GrainLabInfoSchema> | null;
}

export interface ValidatedCoco {
  images: { id: number; fileName: string; width: number; height: number }[];
  imagesById: Map<number, { id: number; fileName: string; width: number; height: number }>;
  categories: { id: number; name: string; color: string | null }[];
  /** Annotations per image id, in file order. */
  annotationsByImage: Map<number, ValidatedAnnotation[]>;
  annotationCount: number;
}

/**
 * Checks a parsed COCO JSON value: shape (zod), unique ids, references between annotations,
 * images and categories, RLE sizes against their image, and the limits. Throws an Error whose
 * message names the offending entries. Masks are not rasterised here.
 */
export function validateCoco(json: unknown, limits: CocoImportLimits = {}): ValidatedCoco {
  const parsed = DatasetSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Not a valid COCO file: ${formatIssues(parsed.error.issues)}`);
  const d = parsed.data;
  const maxImages = limits.maxImages ?? 100_000;
  const maxAnns = limits.maxAnnotations ?? 5_000_000;
  const maxPx = limits.maxPixelsPerImage ?? DEFAULT_MAX_PIXELS;
  if (d.images.length > maxImages) throw new Error(`COCO file lists ${d.images.length} images; the limit is ${maxImages}`);
  if (d.annotations.length > maxAnns) throw new Error(`COCO file lists ${d.annotations.length} annotations; the limit is ${maxAnns}`);

  const images = new Map<number, { id: number; fileName: string; width: number; height: number }>();
  d.images.forEach((im, i) => {
    if (images.has(im.id)) throw new Error(`Not a valid COCO file: images[${i}] repeats image id ${im.id}`);
    if (im.width * im.height > maxPx) {
      throw new Error(`COCO image ${im.id} (${im.file_name}) is ${im.width}x${im.height}, more than the limit of ${maxPx} pixels`);
    }
    images.set(im.id, { id: im.id, fileName: im.file_name, width: im.width, height: im.height });
  });
  const categories = new Map<number, { id: number; name: string; color: string | null }>();
  d.categories.forEach((c, i) => {
    if (categories.has(c.id)) throw new Error(`Not a valid COCO file: categories[${i}] repeats category id ${c.id}`);
    categories.set(c.id, { id: c.id, name: c.name, color: c.grainlab?.color ?? null });
  });
  const byImage = new Map<number, ValidatedAnnotation[]>();
  for (const id of images.keys()) byImage.set(id, []);
  const annIds = new Set<number>();
  d.annotations.forEach((a, i) => {
    const where = `annotations[${i}] (id ${a.id})`;
    if (annIds.has(a.id)) throw new Error(`Not a valid COCO file: ${where} repeats annotation id ${a.id}`);
    annIds.add(a.id);
    const img = images.get(a.image_id);
    if (!img) throw new Error(`Not a valid COCO file: ${where} refers to image ${a.image_id}, which is not in "images"`);
    if (!categories.has(a.category_id)) {
      throw new Error(`Not a valid COCO file: ${where} refers to category ${a.category_id}, which is not in "categories"`);
    }
    byImage.get(a.image_id)!.push({
      id: a.id,
      imageId: a.image_id,
      categoryId: a.category_id,
      iscrowd: a.iscrowd === 1 || a.iscrowd === true,
      segmentation: validateSegmentation(a, where, img, maxPx),
      grainlab: a.grainlab ?? null,
    });
  });
  return {
    images: [...images.values()],
    imagesById: images,
    categories: [...categories.values()],
    annotationsByImage: byImage,
    annotationCount: d.annotations.length,
  };
}

function validateSegmentation(
  a: ParsedAnnotation,
  where: string,
  img: { width: number; height: number; fileName: string },
  maxPx: number,
): ValidatedAnnotation['segmentation'] {
  const seg = a.segmentation;
  if (seg === undefined || seg === null || (Array.isArray(seg) && seg.length === 0)) return null;
  if (Array.isArray(seg)) {
    const r = PolygonsSchema.safeParse(seg);
    if (!r.success) throw new Error(`Not a valid COCO file: ${formatIssues(r.error.issues, `${where}.segmentation`)}`);
    return { kind: 'polygons', polygons: r.data };
  }
  const r = RleSchema.safeParse(seg);
  if (!r.success) {
    throw new Error(
      `Not a valid COCO file: ${where}.segmentation is neither a polygon list nor an RLE {size, counts}: ${formatIssues(r.error.issues, `${where}.segmentation`)}`,
    );
  }
  const [h, w] = r.data.size;
  if (h !== img.height || w !== img.width) {
    throw new Error(`Not a valid COCO file: ${where}.segmentation has size [${h}, ${w}] but image ${img.fileName} is ${img.height}x${img.width} (size is [height, width])`);
  }
  try {
    return { kind: 'rle', rle: fromCocoRle(r.data as CocoRle, { maxPixels: maxPx }) };
  } catch (e) {
    throw new Error(`Not a valid COCO file: ${where}.segmentation: ${(e as Error).message}`);
  }
}

interface ImportedSegment {
  /** Id in the imported label map (1..n in annotation order; ids of fully covered annotations are absent). */
  id: number;
  annotationId: number;
  categoryId: number;
  iscrowd: boolean;
  /** Pixels this segment kept after overlaps were resolved. */
  area: number;
  grainlab: ValidatedAnnotation['grainlab'];
}

interface ImportedImage {
  id: number;
  fileName: string;
  width: number;
  height: number;
  labels: LabelMap;
  segments: ImportedSegment[];
  /** Pixels claimed by more than one annotation. */
  overlapPixels: number;
  /** Annotations left out: no segmentation, crowd (when skipped), or entirely covered by others. */
  skipped: { annotationId: number; reason: 'no-segmentation' | 'crowd' | 'covered' | 'empty' }[];
}

/** Rasterises the annotations of one validated image into a label map (see CocoImportOptions). */
export function rasterizeCocoImage(
  coco: ValidatedCoco,
  imageId: number,
  options: CocoImportOptions = {},
  limits: CocoImportLimits = {},
): ImportedImage {
  const img = coco.imagesById.get(imageId);
  if (!img) throw new Error(`image ${imageId} is not in this COCO file`);
  const { width: w, height: h } = img;
  const anns = coco.annotationsByImage.get(imageId) ?? [];
  const skipped: ImportedImage['skipped'] = [];
  const items: { ann: ValidatedAnnotation; label: number; rle: Rle; area: number }[] = [];
  let label = 0;
  for (const ann of anns) {
    if (!ann.segmentation) {
      skipped.push({ annotationId: ann.id, reason: 'no-segmentation' });
      continue;
    }
    if (ann.iscrowd && (options.crowd ?? 'skip') === 'skip') {
      skipped.push({ annotationId: ann.id, reason: 'crowd' });
      continue;
    }
    let rle: Rle;
    try {
      rle =
        ann.segmentation.kind === 'rle'
          ? ann.segmentation.rle
          : polygonsToRle(ann.segmentation.polygons, h, w, { maxUpsampledPoints: limits.maxUpsampledPoints });
    } catch (e) {
      throw new Error(`COCO annotation ${ann.id} of image ${img.fileName}: ${(e as Error).message}`);
    }
    const area = rleArea(rle);
    if (area === 0) {
      skipped.push({ annotationId: ann.id, reason: 'empty' });
      continue;
    }
    items.push({ ann, label: ++label, rle, area });
  }
  const order = [...items];
  // Stable sort: among equal areas the file order still decides.
  if (options.overlap === 'smaller-wins') order.sort((a, b) => b.area - a.area);
  const data = new Uint32Array(w * h);
  let overlapPixels = 0;
  for (const it of order) {
    const c = it.rle.counts;
    let p = 0;
    for (let j = 0; j < c.length; j++) {
      const n = c[j]!;
      if (j & 1) {
        let x = Math.floor(p / h);
        let y = p - x * h;
        for (let k = 0; k < n; k++) {
          const i = y * w + x;
          if (data[i] !== 0) overlapPixels++;
          data[i] = it.label;
          if (++y === h) {
            y = 0;
            x++;
          }
        }
      }
      p += n;
    }
  }
  const kept = new Uint32Array(label + 1);
  for (let i = 0; i < data.length; i++) kept[data[i]!]!++;
  const segments: ImportedSegment[] = [];
  for (const it of items) {
    const area = kept[it.label]!;
    if (area === 0) {
      skipped.push({ annotationId: it.ann.id, reason: 'covered' });
      continue;
    }
    segments.push({
      id: it.label,
      annotationId: it.ann.id,
      categoryId: it.ann.categoryId,
      iscrowd: it.ann.iscrowd,
      area,
      grainlab: it.ann.grainlab,
    });
  }
  return { id: img.id, fileName: img.fileName, width: w, height: h, labels: { width: w, height: h, data }, segments, overlapPixels, skipped };
}

/**
 * Validates a COCO dataset and rasterises every image. Holds all label maps at once, so the
 * total pixel count is capped (`maxTotalPixels`); for large datasets call validateCoco and then
 * rasterizeCocoImage per image.
 */
export function parseCoco(
  json: unknown,
  limits: CocoImportLimits = {},
  options: CocoImportOptions = {},
): { classes: { id: number; name: string; color: string | null }[]; images: ImportedImage[] } {
  const coco = validateCoco(json, limits);
  const maxTotal = limits.maxTotalPixels ?? DEFAULT_MAX_PIXELS;
  const total = coco.images.reduce((s, i) => s + i.width * i.height, 0);
  if (total > maxTotal) {
    throw new Error(
      `COCO file covers ${total} pixels in ${coco.images.length} images, more than ${maxTotal} at once; import it image by image (validateCoco + rasterizeCocoImage)`,
    );
  }
  return { classes: coco.categories, images: coco.images.map((i) => rasterizeCocoImage(coco, i.id, options, limits)) };
}
