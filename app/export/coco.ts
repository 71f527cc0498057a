// COCO instance-segmentation datasets: build one from label maps and segment tables (export), and
// read one back into label maps with schema validation and clear errors (import).
//
// Export writes what pycocotools reads: RLE `size` [h, w] with column-major counts, `area` as the
// RLE area, `bbox` [x, y, w, h] from pycocotools' toBbox, `iscrowd` 0. GrainLab's provenance
// travels per annotation under the namespaced key "grainlab" (other tools ignore unknown keys).
// JSON has no float type: a bbox of whole pixels serialises as integers (pycocotools accepts both).
import { z } from 'zod';
import type { Box, ClassRecord, LabelMap, SegmentSource } from '../types';
import {
  DEFAULT_MAX_PIXELS,
  encodeLabelMap,
  fromCocoRle,
  rleArea,
  rleToBbox,
  toCocoRle,
  type CocoRle,
  type Rle,
} from './rle';
import { polygonsToRle, segmentOutline, type Polygon } from './polygon';

export interface CocoInfo {
  description: string;
  version: string;
  year: number;
  contributor: string;
  url: string;
  date_created: string;
}

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  grainlab?: { pixelSizeUm?: number | null; sourceImageId?: number; sourceImage?: string; tile?: Box | null };
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
  grainlab?: { color: string | null };
}

/** Provenance GrainLab writes beside each annotation. */
export interface GrainLabAnnotationInfo {
  /** Segment id in the image's label map when exported. */
  segmentId: number;
  source: SegmentSource;
  verified: boolean;
  cluster: number | null;
  confidence: number | null;
  /** Present when edge grains are flagged: the segment touches the image border. */
  edge?: boolean;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  segmentation: CocoRle | Polygon[];
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  grainlab?: GrainLabAnnotationInfo;
}

export interface CocoDataset {
  info: CocoInfo;
  licenses: { id: number; name: string; url: string }[];
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoAnnotation[];
}

/** Segment metadata for export; ids refer to the image's label map. */
export interface CocoExportSegment {
  id: number;
  classId: number | null;
  source: SegmentSource;
  verified: boolean;
  clusterId: number | null;
  /** Model score (e.g. SAM predicted IoU) when known. */
  confidence?: number | null;
}

export interface CocoExportImage {
  id: number;
  fileName: string;
  labels: LabelMap;
  /** Only these segments are exported; ids in the map without an entry here are left out. */
  segments: readonly CocoExportSegment[];
  pixelSizeUm?: number | null;
  /** The project image this one comes from, and the tile of it (null = the whole image). */
  source?: { imageId: number; imageName: string; tile: Box | null };
}

export interface CocoExportOptions {
  /**
   * 'rle' (default): compressed RLE, lossless. 'polygon': outer contours (holes are lost).
   * 'auto': polygons unless the segment has holes, then RLE.
   */
  segmentation?: 'rle' | 'polygon' | 'auto';
  /**
   * 'polygon' mode, segments with holes (COCO polygons cannot hold holes): 'rle' writes them as
   * RLE (lossless; what 'auto' does), 'skip' leaves them out (counted), 'fill' (default) writes
   * the outer outline, holes filled; its `area` is then the outline's area, so area and mask agree.
   */
  holes?: 'rle' | 'skip' | 'fill';
  rleFormat?: 'compressed' | 'uncompressed';
  /** Douglas-Peucker tolerance for polygons, pixels; 0 (default) = lossless outline. */
  polygonTolerance?: number;
  /** Segments touching the image border: keep, keep and mark `grainlab.edge` (default), or leave out. */
  edgeGrains?: 'include' | 'flag' | 'exclude';
  /** Segments without a class: give them an extra category (default) or leave them out. */
  unclassified?: 'category' | 'exclude';
  unclassifiedName?: string;
  verifiedOnly?: boolean;
  supercategory?: string;
  info?: Partial<CocoInfo>;
  /** First annotation id (default 1). */
  firstAnnotationId?: number;
}

export interface CocoExportReport {
  images: number;
  annotations: number;
  excludedEdge: number;
  excludedUnclassified: number;
  excludedUnverified: number;
  /** Listed segments with no pixels in the label map. */
  emptySegments: number;
  /** Segments written as RLE in 'auto' mode because they have holes. */
  rleForHoles: number;
  /** Segments written as polygons in 'polygon' mode although they have holes (holes filled). */
  polygonsWithHolesFilled: number;
  /** Segments with holes left out ('polygon' mode with holes 'skip'). */
  skippedForHoles: number;
}

export interface CocoBuilder {
  addImage(image: CocoExportImage): void;
  finish(): { dataset: CocoDataset; report: CocoExportReport };
}

/**
 * Incremental builder so a caller can add one image at a time and drop its label map before the
 * next (an 8192x8192 map is 268 MB). Annotation ids run in the order images and segments are added
 * (segments by ascending id).
 */
export function createCocoBuilder(classes: readonly ClassRecord[], options: CocoExportOptions = {}): CocoBuilder {
  const mode = options.segmentation ?? 'rle';
  const rleFormat = options.rleFormat ?? 'compressed';
  const tolerance = options.polygonTolerance ?? 0;
  const edgeMode = options.edgeGrains ?? 'flag';
  const unclassifiedMode = options.unclassified ?? 'category';
  const classIds = new Set(classes.map((c) => c.id));
  const unclassifiedId = classes.reduce((m, c) => Math.max(m, c.id), 0) + 1;
  let usedUnclassified = false;
  let nextAnnId = options.firstAnnotationId ?? 1;
  const images: CocoImage[] = [];
  const annotations: CocoAnnotation[] = [];
  const seenImages = new Set<number>();
  const report: CocoExportReport = {
    images: 0,
    annotations: 0,
    excludedEdge: 0,
    excludedUnclassified: 0,
    excludedUnverified: 0,
    emptySegments: 0,
    rleForHoles: 0,
    polygonsWithHolesFilled: 0,
    skippedForHoles: 0,
  };
  const holes = mode === 'auto' ? 'rle' : (options.holes ?? 'fill');

  function addImage(img: CocoExportImage): void {
    const { labels } = img;
    const W = labels.width;
    const H = labels.height;
    if (seenImages.has(img.id)) throw new Error(`image id ${img.id} (${img.fileName}) was added twice to the COCO export`);
    seenImages.add(img.id);
    const coco: CocoImage = { id: img.id, file_name: img.fileName, width: W, height: H };
    if (img.pixelSizeUm !== undefined) coco.grainlab = { pixelSizeUm: img.pixelSizeUm };
    if (img.source) coco.grainlab = { ...coco.grainlab, sourceImageId: img.source.imageId, sourceImage: img.source.imageName, tile: img.source.tile };
    images.push(coco);
    report.images++;

    const segs = [...img.segments].sort((a, b) => a.id - b.id);
    const wanted: number[] = [];
    for (const s of segs) {
      if (s.classId !== null && !classIds.has(s.classId)) {
        throw new Error(`segment ${s.id} of image ${img.fileName} has class ${s.classId}, which is not in the class list; fix the class or re-run the export`);
      }
      if (options.verifiedOnly && !s.verified) {
        report.excludedUnverified++;
        continue;
      }
      if (s.classId === null && unclassifiedMode === 'exclude') {
        report.excludedUnclassified++;
        continue;
      }
      wanted.push(s.id);
    }
    const rles = encodeLabelMap(labels, { ids: wanted });
    const byId = new Map(segs.map((s) => [s.id, s]));
    for (const id of wanted) {
      const s = byId.get(id)!;
      const rle = rles.get(id);
      if (!rle) {
        report.emptySegments++;
        continue;
      }
      const bbox = rleToBbox(rle);
      const edge = bbox[0] === 0 || bbox[1] === 0 || bbox[0] + bbox[2] === W || bbox[1] + bbox[3] === H;
      if (edge && edgeMode === 'exclude') {
        report.excludedEdge++;
        continue;
      }
      let categoryId: number;
      if (s.classId === null) {
        usedUnclassified = true;
        categoryId = unclassifiedId;
      } else categoryId = s.classId;
      const box = { x: bbox[0], y: bbox[1], width: bbox[2], height: bbox[3] };
      let segmentation: CocoRle | Polygon[];
      let area = rleArea(rle);
      if (mode === 'rle') segmentation = toCocoRle(rle, rleFormat);
      else {
        const outline = segmentOutline(labels, id, box, { tolerance });
        if (outline.hasHoles && holes === 'skip') {
          report.skippedForHoles++;
          continue;
        }
        if (outline.hasHoles && holes === 'rle') {
          segmentation = toCocoRle(rle, rleFormat);
          report.rleForHoles++;
        } else {
          if (outline.hasHoles) {
            report.polygonsWithHolesFilled++;
            // The polygon covers the holes: its area is what a reader of the polygon gets.
            area = rleArea(polygonsToRle(outline.polygons, H, W));
          }
          segmentation = outline.polygons;
        }
      }
      const info: GrainLabAnnotationInfo = {
        segmentId: id,
        source: s.source,
        verified: s.verified,
        cluster: s.clusterId,
        confidence: s.confidence ?? null,
      };
      if (edgeMode === 'flag') info.edge = edge;
      annotations.push({
        id: nextAnnId++,
        image_id: img.id,
        category_id: categoryId,
        segmentation,
        area,
        bbox,
        iscrowd: 0,
        grainlab: info,
      });
      report.annotations++;
    }
  }

  function finish(): { dataset: CocoDataset; report: CocoExportReport } {
    const supercategory = options.supercategory ?? 'material';
    const categories: CocoCategory[] = [...classes]
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ id: c.id, name: c.name, supercategory, grainlab: { color: c.color } }));
    if (usedUnclassified) {
      categories.push({ id: unclassifiedId, name: options.unclassifiedName ?? 'unclassified', supercategory, grainlab: { color: null } });
    }
    const date = options.info?.date_created ?? '';
    const info: CocoInfo = {
      description: options.info?.description ?? 'GrainLab export',
      version: options.info?.version ?? '1.0',
      year: options.info?.year ?? (Number.parseInt(date.slice(0, 4), 10) || 0),
      contributor: options.info?.contributor ?? '',
      url: options.info?.url ?? '',
      date_created: date,
    };
    return { dataset: { info, licenses: [], images, categories, annotations }, report: { ...report } };
  }

  return { addImage, finish };
}

/** Builds a whole COCO dataset at once (see createCocoBuilder for one image at a time). */
export function buildCocoDataset(
  images: readonly CocoExportImage[],
  classes: readonly ClassRecord[],
  options: CocoExportOptions = {},
): { dataset: CocoDataset; report: CocoExportReport } {
  const b = createCocoBuilder(classes, options);
  for (const img of images) b.addImage(img);
  return b.finish();
}

// ---------------------------------------------------------------------------------------------
// Import

export interface CocoImportLimits {
  /** Largest width*height of one image; default 16384*16384. */
  maxPixelsPerImage?: number;
  /** parseCoco only: largest sum of width*height over all images (label maps held at once); default 16384*16384. */
  maxTotalPixels?: number;
  maxImages?: number;
  maxAnnotations?: number;
  /** Per polygon, after pycocotools' 5x upsampling; default 50 M. */
  maxUpsampledPoints?: number;
}

export interface CocoImportOptions {
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
export interface ValidatedAnnotation {
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

export interface ImportedSegment {
  /** Id in the imported label map (1..n in annotation order; ids of fully covered annotations are absent). */
  id: number;
  annotationId: number;
  categoryId: number;
  iscrowd: boolean;
  /** Pixels this segment kept after overlaps were resolved. */
  area: number;
  grainlab: ValidatedAnnotation['grainlab'];
}

export interface ImportedImage {
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
