// Writes a curated dataset (COCO, PNG masks, YOLO, or LabelMe / QuPath GeoJSON / CVAT XML, see interchange.ts) from a project: chooses images, splits them
// train/val/test, optionally tiles them, writes masks, images and a dataset card into a staging
// folder and renames it into place at the end (see staging.ts).
//
// Layout (all formats): images/<split>/<stem>.<ext> and dataset-card.{json,md}; then
//   coco: annotations/instances_<split>.json
//   png:  instances/<split>/<stem>.png (16-bit), semantic/<split>/<stem>.png (8-bit indexed),
//         boundaries/<split>/<stem>.png, previews/<split>/<stem>.png, classes.json, segments.csv
//   yolo: labels/<split>/<stem>.txt, data.yaml
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { ExportOptions, ExportSummary, SplitName } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { Box, ClassRecord, ImageRecord, LabelMap, RasterImage, SegmentRecord } from '../../app/types';
import {
  boundaryMap,
  buildDatasetCard,
  createCocoBuilder,
  cropLabelMap,
  cropRaster,
  instanceMap16,
  instancePreviewRgb,
  segmentBoxes,
  semanticMap8,
  splitDataset,
  tileBoxes,
  yoloClasses,
  yoloDataYaml,
  yoloSegmentationLabels,
  type CocoBuilder,
  type SplitCounts,
} from '../../app/export';
import { toCsv, type CsvValue } from '../../app/stats/csv';
import type { ProjectStore } from '../store/project-store';
import type { EditStore } from '../store/edits';
import { classConfidences, hasEditLog, segmentationInfo } from '../store/export-queries';
import { decodeImage, extensionFor } from '../images/io';
import { readProjectImage, sniffImageFormat } from '../images/stored';
import { encodePng } from './png';
import { StagedFolder } from './staging';
import { uniqueStems } from './names';
import { currentLabels } from './labels';
import { interchangeWriter, isInterchangeFormat } from './interchange';

export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** Masks are long runs: Up filter + run-length deflate is several times faster than the defaults at about the same size. */
const MASK_PNG = { strategy: 'rle', filter: 'up' } as const;

export interface ExportRun {
  store: ProjectStore;
  /** The project's edit store (current maps of edited images). */
  edits: EditStore;
  signal: AbortSignal;
  /** Progress in hundredths of an image (total: 100 x the images chooseImages picks). */
  progress(done: number, message?: string): void;
  appVersion: string;
  /** ISO time written into the card (tests pass a fixed one). */
  createdAt?: string;
}

/** A segment as written into one item (an image or a tile). */
interface ItemSegment {
  /** Id in the item's label map. */
  id: number;
  record: SegmentRecord;
  confidence: number | null;
  edge: boolean;
  area: number;
}

interface ExportItem {
  split: SplitName;
  image: ImageRecord;
  /** File stem of the item (tile suffix included). */
  stem: string;
  /** Image file name inside images/<split>/ (written or not). */
  imageFile: string;
  tile: Box | null;
  labels: LabelMap;
  segments: ItemSegment[];
}

interface FormatWriter {
  add(item: ExportItem): Promise<void>;
  finish(): Promise<void>;
  /** Segments the format could not hold exactly, for the card (after finish). */
  masks?(): { withHoles: number; holes: 'rle' | 'skip' | 'fill' | 'exact'; partsDropped?: number };
}

/** Writes files under the staging root, creating folders once, and counts bytes. */
class Files {
  bytes = 0;
  private readonly dirs = new Set<string>();
  constructor(readonly root: string) {}
  private async dir(rel: string): Promise<string> {
    const abs = join(this.root, rel);
    const d = dirname(abs);
    if (!this.dirs.has(d)) {
      await mkdir(d, { recursive: true });
      this.dirs.add(d);
    }
    return abs;
  }
  async write(rel: string, data: Uint8Array | string): Promise<void> {
    const abs = await this.dir(rel);
    await writeFile(abs, data);
    this.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }
}

function cancelled(dest: string): ServiceError {
  return new ServiceError('cancelled', `Export cancelled; nothing was written to ${dest}.`);
}

/**
 * The images an export will write: the given ones (or all) that have a segmentation and, with
 * `verifiedImages`, are marked verified. Throws a user-facing error when none is left.
 */
export function chooseImages(store: ProjectStore, opts: Pick<ExportOptions, 'imageIds' | 'verifiedImages'>): { chosen: ImageRecord[]; notSegmented: number; notVerified: number } {
  const segInfo = segmentationInfo(store);
  const candidates = opts.imageIds ? opts.imageIds.map((id) => store.getImage(id)) : store.listImages();
  const chosen: ImageRecord[] = [];
  let notSegmented = 0;
  let notVerified = 0;
  for (const im of candidates) {
    if (!segInfo.has(im.id)) notSegmented++;
    else if (opts.verifiedImages && im.status !== 'verified') notVerified++;
    else chosen.push(im);
  }
  if (chosen.length === 0) {
    const why =
      candidates.length === 0
        ? 'the project has no images'
        : notVerified > 0
          ? `none of the ${candidates.length} image(s) is marked verified; mark images verified or export without "verified images only"`
          : `none of the ${candidates.length} image(s) has a segmentation; segment or import labels first`;
    throw new ServiceError('invalid-argument', `Nothing to export: ${why}.`);
  }
  return { chosen, notSegmented, notVerified };
}

/** Throws a user-facing error for options that contradict each other. */
export function checkExportOptions(opts: Pick<ExportOptions, 'format' | 'holes'>): void {
  if (opts.format === 'yolo' && opts.holes === 'rle') {
    throw new ServiceError('invalid-argument', "YOLO labels are polygons only, so segments with holes cannot be written as RLE. Choose holes 'fill' (outer outline) or 'skip'.");
  }
}

export async function exportDataset(run: ExportRun, opts: ExportOptions): Promise<ExportSummary> {
  const t0 = performance.now();
  checkExportOptions(opts);
  const { store } = run;
  const createdAt = run.createdAt ?? new Date().toISOString();
  const segInfo = segmentationInfo(store);
  const { chosen, notSegmented, notVerified } = chooseImages(store, opts);
  const excluded = { edge: 0, unverified: 0, unclassified: 0, imagesNotSegmented: notSegmented, imagesNotVerified: notVerified };

  const classes = store.listClasses();
  const segmentsOf = new Map(chosen.map((im) => [im.id, store.listSegments(im.id)]));
  const split = splitDataset(
    chosen.map((im) => ({
      id: im.id,
      classIds: segmentsOf.get(im.id)!.filter((s) => s.classId !== null && (!opts.verifiedSegments || s.verified)).map((s) => s.classId!),
    })),
    { ratios: opts.ratios, seed: opts.seed },
  );
  const stems = uniqueStems(chosen);
  const byId = new Map(chosen.map((im) => [im.id, im]));
  // Images that share a stored file (pages of one TIFF) are re-encoded, never copied.
  const fileUse = new Map<string, number>();
  for (const im of store.listImages()) fileUse.set(im.file, (fileUse.get(im.file) ?? 0) + 1);

  const stage = await StagedFolder.begin(opts.dest, opts.overwrite);
  const files = new Files(stage.path);
  const warnings: string[] = [];
  const counts: Record<SplitName, SplitCounts & { perClass: Record<string, number>; items: number }> = {
    train: { images: 0, segments: 0, perClass: {}, items: 0 },
    val: { images: 0, segments: 0, perClass: {}, items: 0 },
    test: { images: 0, segments: 0, perClass: {}, items: 0 },
  };
  const verifiedSeen = new Set<string>();
  const bySource: Record<string, number> = {};
  let orphanPixels = 0;
  try {
    const writer = makeWriter(opts, files, classes, run.appVersion, createdAt, warnings);
    let done = 0;
    for (const splitName of SPLITS) {
      for (const imageId of split[splitName]) {
        if (run.signal.aborted) throw cancelled(stage.dest);
        const im = byId.get(imageId)!;
        run.progress(done * 100, `${im.name} (${splitName})`);
        const current = await currentLabels(run.edits, im.id);
        if (!current) throw new ServiceError('not-found', `The segmentation of ${im.name} disappeared during the export. Run the export again.`);
        const seg = { labels: current };
        // Rows read now, right after the map, so edits made since the export started match.
        const records = new Map(store.listSegments(im.id).map((s) => [s.id, s]));
        const conf = classConfidences(store, im.id);
        const boxes = opts.tile ? tileBoxes(seg.labels.width, seg.labels.height, opts.tile.size, opts.tile.overlap) : [null];
        const copyable = !opts.tile && im.page === 0 && fileUse.get(im.file) === 1;
        let raster: RasterImage | null = null;
        if (opts.copyImages && !copyable) raster = await loadRaster(store, im);
        // Copied as stored, under the extension of what the bytes are (not what the file was called).
        const original = opts.copyImages && copyable ? await readProjectImage(store.dir, im, run.signal) : null;
        const copyExt = original ? extensionFor(sniffImageFormat(original) ?? 'png') : extname(im.file).toLowerCase() || '.png';
        counts[splitName].images++;
        for (const [k, box] of boxes.entries()) {
          if (run.signal.aborted) throw cancelled(stage.dest);
          if (k > 0) run.progress(done * 100 + Math.floor((100 * k) / boxes.length), `${im.name} (${splitName}): tile ${k + 1} of ${boxes.length}`);
          const crop = box ? cropLabelMap(seg.labels, box) : null;
          const labels = crop ? crop.labels : seg.labels;
          const stem = box ? `${stems.get(im.id)!}_x${box.x}_y${box.y}` : stems.get(im.id)!;
          const ext = copyable ? copyExt : '.png';
          const segments: ItemSegment[] = [];
          for (const [lid, b] of segmentBoxes(labels)) {
            const sourceId = crop ? crop.ids[lid - 1]! : lid;
            const record = records.get(sourceId);
            if (!record) {
              orphanPixels += b.area;
              continue;
            }
            const edge = b.x === 0 || b.y === 0 || b.x + b.width === labels.width || b.y + b.height === labels.height;
            if (opts.verifiedSegments && !record.verified) {
              excluded.unverified++;
              continue;
            }
            if (edge && opts.edge === 'exclude') {
              excluded.edge++;
              continue;
            }
            if (opts.format === 'yolo' && record.classId === null) {
              excluded.unclassified++;
              continue;
            }
            segments.push({ id: lid, record, confidence: conf.get(sourceId) ?? null, edge, area: b.area });
          }
          const item: ExportItem = { split: splitName, image: im, stem, imageFile: `${stem}${ext}`, tile: box, labels, segments };
          if (opts.copyImages) {
            const rel = `images/${splitName}/${item.imageFile}`;
            if (original) await files.write(rel, original);
            else await files.write(rel, await encodePng(box ? cropRaster(raster!, box) : raster!, { level: 3 }));
          }
          await writer.add(item);
          const c = counts[splitName];
          c.items++;
          c.segments += segments.length;
          for (const s of segments) {
            const k = String(s.record.classId);
            c.perClass[k] = (c.perClass[k] ?? 0) + 1;
            bySource[s.record.source] = (bySource[s.record.source] ?? 0) + 1;
            if (s.record.verified) verifiedSeen.add(`${im.id}:${s.record.id}`);
          }
        }
        done++;
        run.progress(done * 100, `${im.name} (${splitName})`);
      }
    }
    if (run.signal.aborted) throw cancelled(stage.dest);
    await writer.finish();

    if (orphanPixels > 0) warnings.push(`${orphanPixels} labelled pixels belong to no listed segment and were left out.`);
    if (excluded.unclassified > 0) warnings.push(`${excluded.unclassified} segment(s) without a class were left out (YOLO labels need a class).`);
    if (excluded.imagesNotSegmented > 0) warnings.push(`${excluded.imagesNotSegmented} image(s) without a segmentation were skipped.`);
    const engines = new Map<string, number>();
    for (const im of chosen) {
      const e = segInfo.get(im.id)!.engine;
      engines.set(e, (engines.get(e) ?? 0) + 1);
    }
    // Only SAM engines are models; classic, k-means phase maps, imports and hand drawing are not.
    const models = [...new Set([...engines.keys()].filter((e) => e.startsWith('sam:')).map((e) => e.split(':')[1]!))];
    const imagesEdited = chosen.filter((im) => hasEditLog(store, im.id)).length;
    const px = new Set(chosen.map((im) => im.pixelSizeUm));
    const notes = [
      `Segmentation engines: ${[...engines].map(([e, n]) => `${e} (${n} image${n === 1 ? '' : 's'})`).join(', ')}.`,
      'Splits are made per source image: all tiles of an image stay in one split.',
      ...(opts.format === 'png'
        ? ['Semantic maps: the value of each class is in classes.json (a class imported from a label map keeps its value); "none" = no segment, "unclassified" (255 unless a class holds it) = unclassified or left-out segment (ignore index).']
        : []),
      ...(opts.verifiedSegments ? [`Only segments a person verified; ${excluded.unverified} unverified segment(s) left out.`] : []),
      ...(opts.edge === 'exclude' ? [`${excluded.edge} segment(s) touching the image or tile border left out.`] : []),
      ...warnings,
    ];
    const card = buildDatasetCard({
      name: basename(stage.dest),
      format: opts.format === 'png' ? 'png-masks' : opts.format,
      appVersion: run.appVersion,
      modelId: models.length ? models.join(', ') : null,
      createdAt,
      pixelSizeUm: px.size === 1 ? [...px][0]! : px.size === 0 ? null : 'mixed',
      classes,
      splits: counts,
      verifiedSegments: verifiedSeen.size,
      seed: opts.seed,
      ratios: opts.ratios,
      tiling: opts.tile ? { tileSize: opts.tile.size, overlap: opts.tile.overlap } : null,
      edgeGrains: opts.edge,
      notes,
      engines: [...engines].map(([engine, images]) => ({ engine, images })),
      imagesEdited,
      segmentsBySource: bySource,
      masks: writer.masks?.() ?? null,
    });
    await files.write('dataset-card.json', JSON.stringify(card.json, null, 2) + '\n');
    await files.write('dataset-card.md', card.markdown);
    if (run.signal.aborted) throw cancelled(stage.dest);
    await stage.commit();
    return {
      dest: stage.dest,
      format: opts.format,
      images: chosen.length,
      items: SPLITS.reduce((s, k) => s + counts[k].items, 0),
      segments: SPLITS.reduce((s, k) => s + counts[k].segments, 0),
      perSplit: {
        train: { images: counts.train.images, items: counts.train.items, segments: counts.train.segments },
        val: { images: counts.val.images, items: counts.val.items, segments: counts.val.segments },
        test: { images: counts.test.images, items: counts.test.items, segments: counts.test.segments },
      },
      excluded,
      bytes: files.bytes,
      seconds: (performance.now() - t0) / 1000,
      warnings,
      card: card.json,
    };
  } catch (e) {
    await stage.abort();
    throw e;
  }
}

async function loadRaster(store: ProjectStore, im: ImageRecord): Promise<RasterImage> {
  return decodeImage(await readProjectImage(store.dir, im), im.name, im.page);
}

function makeWriter(opts: ExportOptions, files: Files, classes: readonly ClassRecord[], appVersion: string, createdAt: string, warnings: string[]): FormatWriter {
  if (isInterchangeFormat(opts.format)) {
    const w = interchangeWriter(opts.format, opts, classes, (rel, data) => files.write(rel, data), { name: basename(opts.dest), createdAt }, warnings);
    return {
      add: (item) => w.add({ ...item, segments: item.segments.map((s) => ({ id: s.id, classId: s.record.classId, verified: s.record.verified })) }),
      finish: () => w.finish(),
      masks: () => w.masks(),
    };
  }
  if (opts.format === 'coco') return cocoWriter(opts, files, classes, appVersion, createdAt, warnings);
  if (opts.format === 'yolo') return yoloWriter(files, classes, warnings, opts.holes === 'skip' ? 'skip' : 'fill');
  return pngWriter(files, classes);
}

function cocoWriter(opts: ExportOptions, files: Files, classes: readonly ClassRecord[], appVersion: string, createdAt: string, warnings: string[]): FormatWriter {
  const builders = new Map<SplitName, CocoBuilder>();
  const holes = opts.holes ?? 'rle';
  const masks = { withHoles: 0, holes: opts.rle === 'polygon' ? holes : ('exact' as const) };
  const builder = (s: SplitName) => {
    let b = builders.get(s);
    if (!b) {
      b = createCocoBuilder(classes, {
        segmentation: opts.rle === 'polygon' ? 'polygon' : 'rle',
        holes,
        rleFormat: opts.rle === 'uncompressed' ? 'uncompressed' : 'compressed',
        edgeGrains: opts.edge === 'flag' ? 'flag' : 'include',
        unclassified: 'category',
        info: { description: `GrainLab export (${s})`, version: appVersion, date_created: createdAt },
      });
      builders.set(s, b);
    }
    return b;
  };
  let nextImageId = 1;
  return {
    async add(item) {
      builder(item.split).addImage({
        id: nextImageId++,
        fileName: item.imageFile,
        labels: item.labels,
        segments: item.segments.map((s) => ({
          id: s.id,
          classId: s.record.classId,
          source: s.record.source,
          verified: s.record.verified,
          clusterId: s.record.clusterId,
          confidence: s.confidence,
        })),
        pixelSizeUm: item.image.pixelSizeUm,
        source: { imageId: item.image.id, imageName: item.image.name, tile: item.tile },
      });
    },
    async finish() {
      for (const s of SPLITS) {
        const { dataset, report } = builder(s).finish();
        masks.withHoles += report.rleForHoles + report.polygonsWithHolesFilled + report.skippedForHoles;
        await files.write(`annotations/instances_${s}.json`, JSON.stringify(dataset));
      }
      if (opts.rle === 'polygon' && masks.withHoles > 0) {
        const how = holes === 'rle' ? 'written as RLE (COCO polygons cannot hold holes)' : holes === 'skip' ? 'left out' : 'written as their outer outline, holes filled (area is the outline\'s)';
        warnings.push(`${masks.withHoles} segment(s) with holes ${how}.`);
      }
    },
    masks: () => masks,
  };
}

function yoloWriter(files: Files, classes: readonly ClassRecord[], warnings: string[], holeMode: 'fill' | 'skip'): FormatWriter {
  const { index, names } = yoloClasses(classes);
  const nonEmpty = new Set<SplitName>();
  let holes = 0;
  let parts = 0;
  return {
    async add(item) {
      const res = yoloSegmentationLabels(
        item.labels,
        item.segments.map((s) => ({ id: s.id, classId: s.record.classId })),
        index,
        { edgeGrains: 'include', holes: holeMode },
      );
      holes += res.holesFilled + res.skippedHoles;
      parts += res.partsDropped;
      nonEmpty.add(item.split);
      await files.write(`labels/${item.split}/${item.stem}.txt`, res.text);
    },
    async finish() {
      if (holes > 0) warnings.push(`${holes} segment(s) with holes were ${holeMode === 'skip' ? 'left out' : 'written as their outer outline'} (YOLO polygons cannot hold holes).`);
      if (parts > 0) warnings.push(`${parts} segment(s) in several parts were written as their largest part (one YOLO line is one object).`);
      if (names.length === 0) warnings.push('The project has no classes, so the YOLO labels are empty. Assign classes first.');
      await files.write(
        'data.yaml',
        yoloDataYaml({ train: 'images/train', val: 'images/val', test: nonEmpty.has('test') ? 'images/test' : null, names }),
      );
    },
    masks: () => ({ withHoles: holes, holes: holeMode, partsDropped: parts }),
  };
}

function pngWriter(files: Files, classes: readonly ClassRecord[]): FormatWriter {
  const rows: CsvValue[][] = [];
  const className = new Map(classes.map((c) => [c.id, c.name]));
  let values: ReturnType<typeof semanticMap8>['values'] = [];
  let palette: Uint8Array | null = null;
  return {
    async add(item) {
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
      for (const s of item.segments) classOf.set(s.id, s.record.classId);
      const sem = semanticMap8(labels, classOf, classes, { unclassifiedValue: 255 });
      values = sem.values;
      palette = sem.palette;
      const name = `${item.stem}.png`;
      await files.write(`instances/${item.split}/${name}`, await encodePng({ width: map.width, height: map.height, channels: 1, bitDepth: 16, data: inst.data }, MASK_PNG));
      await files.write(`semantic/${item.split}/${name}`, await encodePng({ width: map.width, height: map.height, channels: 1, bitDepth: 8, data: sem.data, palette: sem.palette }, MASK_PNG));
      await files.write(`boundaries/${item.split}/${name}`, await encodePng({ width: map.width, height: map.height, channels: 1, bitDepth: 8, data: boundaryMap(map).data }, MASK_PNG));
      const preview = instancePreviewRgb(map);
      await files.write(`previews/${item.split}/${name}`, await encodePng({ width: map.width, height: map.height, channels: 3, bitDepth: 8, data: preview.data }, MASK_PNG));
      const valueOf = (id: number) => (inst.ids ? lowerBound(inst.ids, id) + 1 : id);
      for (const s of item.segments) {
        const c = s.record.classId;
        rows.push([item.split, name, valueOf(s.id), s.record.id, item.image.id, item.image.name, c, c === null ? '' : (className.get(c) ?? ''), s.record.source, s.record.verified, s.edge, s.area]);
      }
    },
    async finish() {
      if (!palette) palette = semanticMap8({ width: 1, height: 1, data: new Uint32Array(1) }, new Map(), classes, { unclassifiedValue: 255 }).palette;
      if (values.length === 0) values = semanticMap8({ width: 1, height: 1, data: new Uint32Array(1) }, new Map(), classes, { unclassifiedValue: 255 }).values;
      const pal = palette;
      const hex = (v: number) => `#${[0, 1, 2].map((k) => pal[v * 3 + k]!.toString(16).padStart(2, '0')).join('')}`;
      await files.write(
        'classes.json',
        JSON.stringify(
          {
            description: 'Values of the semantic maps (semantic/<split>/*.png, 8-bit indexed). Instance maps (instances/) are 16-bit, 0 = no segment; segments.csv lists each value.',
            values: values.map((v) => ({ value: v.value, name: v.name, classId: v.classId, color: hex(v.value) })),
          },
          null,
          2,
        ) + '\n',
      );
      await files.write(
        'segments.csv',
        toCsv(['split', 'file', 'instance_value', 'segment_id', 'image_id', 'image', 'class_id', 'class', 'source', 'verified', 'touches_edge', 'area_px'], rows),
      );
    },
  };
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
