// The per-image work of a dataset export, as one pure step that runs in a worker of the export pool
// (export.worker.ts) or on the calling thread: tile the current label map, pick the segments each
// item keeps, and encode what the format writes for it (COCO annotations with their RLE or
// polygons, the four PNG masks, YOLO label text, the LabelMe / GeoJSON / ImageJ file or CVAT shapes). What depends on the order of images (annotation
// and image ids, rows of segments.csv, files written) stays with the exporter (dataset.ts), which
// takes prepared images in image order, so the dataset is the same for any number of workers.
import type { ExportOptions, SplitName } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { Box, ClassRecord, ImageRecord, LabelMap, SegmentRecord } from '../../app/types';
import {
  boundaryMap,
  createCocoBuilder,
  cropLabelMap,
  instanceMap16,
  instancePreviewRgb,
  segmentBoxes,
  semanticMap8,
  tileBoxes,
  yoloClasses,
  yoloSegmentationLabels,
  type CocoDataset,
} from '../../app/export';
import { encodeInterchangeItem, isInterchangeFormat, type EncodedInterchange } from './interchange';
import { encodePng } from './png';

/** Masks are long runs: Up filter + run-length deflate is several times faster than the defaults at about the same size. */
const MASK_PNG = { strategy: 'rle', filter: 'up' } as const;

type PrepareOptions = Pick<ExportOptions, 'format' | 'tile' | 'verifiedSegments' | 'edge' | 'holes' | 'rle'>;

export interface PrepareRequest {
  opts: PrepareOptions;
  classes: ClassRecord[];
  image: ImageRecord;
  split: SplitName;
  /** The image's file stem in the dataset (tiles add _x.._y..). */
  stem: string;
  /** File extension of the image file beside the item (tiles are always .png). */
  ext: string;
  labels: LabelMap;
  /** The image's segment rows, read right after its map. */
  records: SegmentRecord[];
  /** Classifier confidence by segment id. */
  confidences: [number, number][];
}

/** A segment as written into one item (an image or a tile). */
export interface PreparedSegment {
  /** Id in the item's label map. */
  id: number;
  /** The project segment's id. */
  recordId: number;
  confidence: number | null;
  edge: boolean;
  area: number;
}

interface CocoPart {
  kind: 'coco';
  dataset: CocoDataset;
  report: { rleForHoles: number; polygonsWithHolesFilled: number; skippedForHoles: number };
}
interface PngPart {
  kind: 'png';
  /** instances, semantic, boundaries, previews (in that order). */
  files: Uint8Array[];
  /** The instance map's value of each kept segment, in segment order. */
  values: number[];
  classValues: ReturnType<typeof semanticMap8>['values'];
  palette: Uint8Array;
}
interface YoloPart {
  kind: 'yolo';
  text: string;
  holes: number;
  parts: number;
}
/** LabelMe, GeoJSON, ImageJ: the item's file; CVAT: its shapes (the exporter writes one XML per split). */
interface InterchangePart {
  kind: 'interchange';
  encoded: EncodedInterchange;
}

export interface PreparedItem {
  stem: string;
  imageFile: string;
  tile: Box | null;
  width: number;
  height: number;
  segments: PreparedSegment[];
  part: CocoPart | PngPart | YoloPart | InterchangePart;
}

export interface PreparedImage {
  items: PreparedItem[];
  orphanPixels: number;
  excluded: { edge: number; unverified: number; unclassified: number };
}

/** The COCO builder options of an export (the same for every image and for the whole split). */
export function cocoOptions(opts: Pick<ExportOptions, 'holes' | 'rle' | 'edge'>) {
  return {
    segmentation: opts.rle === 'polygon' ? ('polygon' as const) : ('rle' as const),
    holes: opts.holes ?? 'rle',
    rleFormat: opts.rle === 'uncompressed' ? ('uncompressed' as const) : ('compressed' as const),
    edgeGrains: opts.edge === 'flag' ? ('flag' as const) : ('include' as const),
    unclassified: 'category' as const,
  };
}

export async function prepareImage(req: PrepareRequest): Promise<PreparedImage> {
  const { opts } = req;
  const records = new Map(req.records.map((s) => [s.id, s]));
  const conf = new Map(req.confidences);
  const boxes = opts.tile ? tileBoxes(req.labels.width, req.labels.height, opts.tile.size, opts.tile.overlap) : [null];
  const out: PreparedImage = { items: [], orphanPixels: 0, excluded: { edge: 0, unverified: 0, unclassified: 0 } };
  for (const box of boxes) {
    const crop = box ? cropLabelMap(req.labels, box) : null;
    const labels = crop ? crop.labels : req.labels;
    const stem = box ? `${req.stem}_x${box.x}_y${box.y}` : req.stem;
    const segments: PreparedSegment[] = [];
    for (const [lid, b] of segmentBoxes(labels)) {
      const sourceId = crop ? crop.ids[lid - 1]! : lid;
      const record = records.get(sourceId);
      if (!record) {
        out.orphanPixels += b.area;
        continue;
      }
      const edge = b.x === 0 || b.y === 0 || b.x + b.width === labels.width || b.y + b.height === labels.height;
      if (opts.verifiedSegments && !record.verified) {
        out.excluded.unverified++;
        continue;
      }
      if (edge && opts.edge === 'exclude') {
        out.excluded.edge++;
        continue;
      }
      if (opts.format === 'yolo' && record.classId === null) {
        out.excluded.unclassified++;
        continue;
      }
      segments.push({ id: lid, recordId: sourceId, confidence: conf.get(sourceId) ?? null, edge, area: b.area });
    }
    const imageFile = `${stem}${box ? '.png' : req.ext}`;
    const part = await encodeItem(req, { stem, imageFile, tile: box, labels, segments }, records);
    out.items.push({ stem, imageFile, tile: box, width: labels.width, height: labels.height, segments, part });
  }
  return out;
}

interface Item {
  stem: string;
  imageFile: string;
  tile: Box | null;
  labels: LabelMap;
  segments: PreparedSegment[];
}

async function encodeItem(req: PrepareRequest, item: Item, records: ReadonlyMap<number, SegmentRecord>): Promise<PreparedItem['part']> {
  const { opts, classes } = req;
  const rec = (s: PreparedSegment) => records.get(s.recordId)!;
  if (opts.format === 'coco') {
    // One image through its own builder; the exporter renumbers images and annotations in order.
    const b = createCocoBuilder(classes, cocoOptions(opts));
    b.addImage({
      id: 1,
      fileName: item.imageFile,
      labels: item.labels,
      segments: item.segments.map((s) => {
        const r = rec(s);
        return { id: s.id, classId: r.classId, source: r.source, verified: r.verified, clusterId: r.clusterId, confidence: s.confidence };
      }),
      pixelSizeUm: req.image.pixelSizeUm,
      source: { imageId: req.image.id, imageName: req.image.name, tile: item.tile },
    });
    const { dataset, report } = b.finish();
    return { kind: 'coco', dataset, report: { rleForHoles: report.rleForHoles, polygonsWithHolesFilled: report.polygonsWithHolesFilled, skippedForHoles: report.skippedForHoles } };
  }
  if (opts.format === 'yolo') {
    const res = yoloSegmentationLabels(
      item.labels,
      item.segments.map((s) => ({ id: s.id, classId: rec(s).classId })),
      yoloClasses(classes).index,
      { edgeGrains: 'include', holes: opts.holes === 'skip' ? 'skip' : 'fill' },
    );
    return { kind: 'yolo', text: res.text, holes: res.holesFilled + res.skippedHoles, parts: res.partsDropped };
  }
  if (opts.format === 'png') return pngPart(item, classes, rec);
  if (!isInterchangeFormat(opts.format)) throw new ServiceError('internal', `No encoder for the export format '${opts.format}'.`);
  const segments = item.segments.map((s) => ({ id: s.id, classId: rec(s).classId, verified: rec(s).verified }));
  return { kind: 'interchange', encoded: await encodeInterchangeItem(opts.format, opts, classes, { split: req.split, stem: item.stem, imageFile: item.imageFile, labels: item.labels, segments }) };
}

async function pngPart(item: Item, classes: readonly ClassRecord[], rec: (s: PreparedSegment) => SegmentRecord): Promise<PngPart> {
  const { labels } = item;
  const keep = new Set(item.segments.map((s) => s.id));
  // Left-out segments vanish from the instance map and read "ignore" (255) in the semantic map.
  const filtered = new Uint32Array(labels.data.length);
  const src = labels.data;
  let lastId = 0;
  let lastKeep = false;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v === 0) continue;
    if (v !== lastId) {
      lastId = v;
      lastKeep = keep.has(v);
    }
    if (lastKeep) filtered[i] = v;
  }
  const map: LabelMap = { width: labels.width, height: labels.height, data: filtered };
  const inst = instanceMap16(map, item.stem);
  const classOf = new Map<number, number | null>();
  for (const s of item.segments) classOf.set(s.id, rec(s).classId);
  const sem = semanticMap8(labels, classOf, classes, { unclassifiedValue: 255 });
  const { width, height } = map;
  const files = [
    await encodePng({ width, height, channels: 1, bitDepth: 16, data: inst.data }, MASK_PNG),
    await encodePng({ width, height, channels: 1, bitDepth: 8, data: sem.data, palette: sem.palette }, MASK_PNG),
    await encodePng({ width, height, channels: 1, bitDepth: 8, data: boundaryMap(map).data }, MASK_PNG),
    await encodePng({ width, height, channels: 3, bitDepth: 8, data: instancePreviewRgb(map).data }, MASK_PNG),
  ];
  const ids = inst.ids;
  const values = item.segments.map((s) => (ids ? lowerBound(ids, s.id) + 1 : s.id));
  return { kind: 'png', files, values, classValues: sem.values, palette: sem.palette };
}

function lowerBound(a: Uint32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** The buffers a prepared image can hand over to another thread without a copy. */
export function preparedTransfer(p: PreparedImage): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const it of p.items) {
    const file = it.part.kind === 'interchange' ? it.part.encoded.file?.data : undefined;
    const views: ArrayBufferView[] = it.part.kind === 'png' ? it.part.files : file instanceof Uint8Array ? [file] : [];
    // Only views that are their whole buffer: a shared one (Node's Buffer pool) cannot be handed over.
    for (const v of views) if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  }
  return [...out];
}
