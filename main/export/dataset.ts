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
import type { Box, ClassRecord, ImageRecord, RasterImage, SegmentRecord } from '../../app/types';
import {
  buildDatasetCard,
  createCocoBuilder,
  cropRaster,
  semanticMap8,
  splitDataset,
  yoloClasses,
  yoloDataYaml,
  type CocoDataset,
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
import { currentLabelsOwned } from './labels';
import { cocoOptions, prepareImage, type PrepareRequest, type PreparedItem, type PreparedSegment } from './items';
import { prepareInWorker } from './export-pool';
import { defaultPoolSize } from '../jobs/pool';

/** Exports of fewer images than this run on the service's thread (no worker start-up). */
const POOL_MIN_IMAGES = 50;
import { runOrdered } from '../jobs/ordered';
import { interchangeWriter, isInterchangeFormat } from './interchange';

export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

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
  /** Images prepared at once in export workers (default: the pool size, GRAINLAB_WORKERS or one per core); 1 = on this thread. */
  workers?: number;
}

/** A segment as written into one item (an image or a tile). */
interface ItemSegment extends PreparedSegment {
  record: SegmentRecord;
}

interface ExportItem {
  split: SplitName;
  image: ImageRecord;
  /** File stem of the item (tile suffix included). */
  stem: string;
  /** Image file name inside images/<split>/ (written or not). */
  imageFile: string;
  tile: Box | null;
  /** What the format writes for the item, encoded by an export worker (items.ts). */
  part: PreparedItem['part'];
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
    const order = SPLITS.flatMap((splitName) => split[splitName].map((id) => ({ splitName, im: byId.get(id)! })));
    // A small export is done on this thread: starting workers costs more than they save there.
    const workers = run.workers ?? (order.length < POOL_MIN_IMAGES ? 1 : defaultPoolSize());
    const prepOpts = { format: opts.format, tile: opts.tile, verifiedSegments: opts.verifiedSegments, edge: opts.edge, holes: opts.holes, rle: opts.rle };
    let done = 0;
    run.progress(0, order[0] ? `${order[0].im.name} (${order[0].splitName})` : undefined);
    try {
      // Images are read and encoded several at a time (export workers, items.ts) and written in
      // image order, so the dataset is byte for byte the same for any number of workers.
      await runOrdered(
        order,
        { size: workers, signal: run.signal },
        async ({ splitName, im }, _i, signal) => {
          const current = await currentLabelsOwned(run.edits, im.id);
          if (!current) throw new ServiceError('not-found', `The segmentation of ${im.name} disappeared during the export. Run the export again.`);
          // Rows read now, right after the map, so edits made since the export started match.
          const rows = store.listSegments(im.id);
          const conf = classConfidences(store, im.id);
          const copyable = !opts.tile && im.page === 0 && fileUse.get(im.file) === 1;
          const raster = opts.copyImages && !copyable ? await loadRaster(store, im) : null;
          // Copied as stored, under the extension of what the bytes are (not what the file was called).
          const original = opts.copyImages && copyable ? await readProjectImage(store.dir, im, signal) : null;
          const copyExt = original ? extensionFor(sniffImageFormat(original) ?? 'png') : extname(im.file).toLowerCase() || '.png';
          const req: PrepareRequest = { opts: prepOpts, classes, image: im, split: splitName, stem: stems.get(im.id)!, ext: copyable ? copyExt : '.png', labels: current.labels, records: rows, confidences: [...conf] };
          const prepared = workers > 1 ? await prepareInWorker(req, signal, current.owned) : await prepareImage(req);
          return { prepared, raster, original, records: new Map(rows.map((r) => [r.id, r])) };
        },
        async ({ prepared, raster, original, records }, { splitName, im }) => {
          if (run.signal.aborted) throw cancelled(stage.dest);
          counts[splitName].images++;
          orphanPixels += prepared.orphanPixels;
          excluded.edge += prepared.excluded.edge;
          excluded.unverified += prepared.excluded.unverified;
          excluded.unclassified += prepared.excluded.unclassified;
          for (const p of prepared.items) {
            const segments = p.segments.map((s) => ({ ...s, record: records.get(s.recordId)! }));
            const item: ExportItem = { split: splitName, image: im, stem: p.stem, imageFile: p.imageFile, tile: p.tile, part: p.part, segments };
            if (opts.copyImages) {
              const rel = `images/${splitName}/${item.imageFile}`;
              if (original) await files.write(rel, original);
              else await files.write(rel, await encodePng(p.tile ? cropRaster(raster!, p.tile) : raster!, { level: 3 }));
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
        },
      );
    } catch (e) {
      if (run.signal.aborted || (e instanceof ServiceError && e.code === 'cancelled')) throw cancelled(stage.dest);
      throw e;
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
      add: (item) => w.add(partOf(item, 'interchange').encoded),
      finish: () => w.finish(),
      masks: () => w.masks(),
    };
  }
  if (opts.format === 'coco') return cocoWriter(opts, files, classes, appVersion, createdAt, warnings);
  if (opts.format === 'yolo') return yoloWriter(files, classes, warnings, opts.holes === 'skip' ? 'skip' : 'fill');
  return pngWriter(files, classes);
}

function partOf<K extends PreparedItem['part']['kind']>(item: ExportItem, kind: K): Extract<PreparedItem['part'], { kind: K }> {
  if (item.part.kind !== kind) throw new ServiceError('internal', `The export of ${item.image.name} was prepared as ${item.part.kind}, not ${kind}.`);
  return item.part as Extract<PreparedItem['part'], { kind: K }>;
}

/** COCO: each item's annotations come encoded (items.ts); here they get their image and annotation ids, in order. */
function cocoWriter(opts: ExportOptions, files: Files, classes: readonly ClassRecord[], appVersion: string, createdAt: string, warnings: string[]): FormatWriter {
  const holes = opts.holes ?? 'rle';
  const masks = { withHoles: 0, holes: opts.rle === 'polygon' ? holes : ('exact' as const) };
  const perSplit = new Map<SplitName, { images: CocoDataset['images']; annotations: CocoDataset['annotations']; categories: CocoDataset['categories'] | null }>(
    SPLITS.map((s) => [s, { images: [], annotations: [], categories: null }]),
  );
  let nextImageId = 1;
  let nextAnnId = 1;
  return {
    async add(item) {
      const { dataset, report } = partOf(item, 'coco');
      const into = perSplit.get(item.split)!;
      const imageId = nextImageId++;
      for (const im of dataset.images) im.id = imageId;
      for (const a of dataset.annotations) {
        a.id = nextAnnId++;
        a.image_id = imageId;
      }
      into.images.push(...dataset.images);
      into.annotations.push(...dataset.annotations);
      // The categories (with "unclassified" when an item used it) are the same for every item.
      if (into.categories === null || dataset.categories.length > into.categories.length) into.categories = dataset.categories;
      masks.withHoles += report.rleForHoles + report.polygonsWithHolesFilled + report.skippedForHoles;
    },
    async finish() {
      for (const s of SPLITS) {
        const into = perSplit.get(s)!;
        const empty = createCocoBuilder(classes, { ...cocoOptions(opts), info: { description: `GrainLab export (${s})`, version: appVersion, date_created: createdAt } }).finish().dataset;
        const categories = into.categories && into.categories.length > empty.categories.length ? into.categories : empty.categories;
        const dataset: CocoDataset = { info: empty.info, licenses: empty.licenses, images: into.images, categories, annotations: into.annotations };
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
  const { names } = yoloClasses(classes);
  const nonEmpty = new Set<SplitName>();
  let holes = 0;
  let parts = 0;
  return {
    async add(item) {
      const res = partOf(item, 'yolo');
      holes += res.holes;
      parts += res.parts;
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
      const part = partOf(item, 'png');
      values = part.classValues;
      palette = part.palette;
      const name = `${item.stem}.png`;
      const [inst, sem, bounds, preview] = part.files;
      await files.write(`instances/${item.split}/${name}`, inst!);
      await files.write(`semantic/${item.split}/${name}`, sem!);
      await files.write(`boundaries/${item.split}/${name}`, bounds!);
      await files.write(`previews/${item.split}/${name}`, preview!);
      for (const [k, s] of item.segments.entries()) {
        const c = s.record.classId;
        rows.push([item.split, name, part.values[k]!, s.record.id, item.image.id, item.image.name, c, c === null ? '' : (className.get(c) ?? ''), s.record.source, s.record.verified, s.edge, s.area]);
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
