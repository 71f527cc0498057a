// COCO instance-segmentation datasets: build one from label maps and segment tables (export; the
// import side is coco-import.ts).
//
// Export writes what pycocotools reads: RLE `size` [h, w] with column-major counts, `area` as the
// RLE area, `bbox` [x, y, w, h] from pycocotools' toBbox, `iscrowd` 0. GrainLab's provenance
// travels per annotation under the namespaced key "grainlab" (other tools ignore unknown keys).
// JSON has no float type: a bbox of whole pixels serialises as integers (pycocotools accepts both).
import type { Box, ClassRecord, LabelMap, SegmentSource } from '../types';
import { encodeLabelMap, rleArea, rleToBbox, toCocoRle, type CocoRle } from './rle';
import { polygonsToRle, segmentOutline, type Polygon } from './polygon';

interface CocoInfo {
  description: string;
  version: string;
  year: number;
  contributor: string;
  url: string;
  date_created: string;
}

interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  grainlab?: { pixelSizeUm?: number | null; sourceImageId?: number; sourceImage?: string; tile?: Box | null };
}

interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
  grainlab?: { color: string | null };
}

/** Provenance GrainLab writes beside each annotation. */
interface GrainLabAnnotationInfo {
  /** Segment id in the image's label map when exported. */
  segmentId: number;
  source: SegmentSource;
  verified: boolean;
  cluster: number | null;
  confidence: number | null;
  /** Present when edge grains are flagged: the segment touches the image border. */
  edge?: boolean;
}

interface CocoAnnotation {
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

interface CocoExportImage {
  id: number;
  fileName: string;
  labels: LabelMap;
  /** Only these segments are exported; ids in the map without an entry here are left out. */
  segments: readonly CocoExportSegment[];
  pixelSizeUm?: number | null;
  /** The project image this one comes from, and the tile of it (null = the whole image). */
  source?: { imageId: number; imageName: string; tile: Box | null };
}

interface CocoExportOptions {
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

interface CocoExportReport {
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
