// Export for fine-tuning SAM: the layout micro-sam's training reads (default_sam_loader /
// default_sam_dataset with raw_key = label_key = "*.tif"): per split, images/<stem>.tif (the
// micrograph at its own bit depth, grey or RGB) and labels/<stem>.tif (instance ids, 0 = none,
// uint16 or uint32) with the same name, so the sorted globs pair up. By default only what a person
// verified goes in; splits are the COCO/PNG export's (same seed, same images per split).
//
// Layout: {train,val,test}/{images,labels}/<stem>.tif, segments.csv (label value -> project
// segment), dataset-card.{json,md}.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FinetuneOptions, FinetuneSummary } from '../../app/contract/finetune';
import type { SplitName } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { ImageRecord, LabelMap, RasterImage, SegmentRecord } from '../../app/types';
import { buildDatasetCard, cropLabelMap, cropRaster, splitDataset, tileBoxes, type SplitCounts } from '../../app/export';
import { toCsv, type CsvValue } from '../../app/stats/csv';
import type { ProjectStore } from '../store/project-store';
import { segmentationInfo } from '../store/export-queries';
import { decodeImage } from '../images/io';
import { readProjectImage } from '../images/stored';
import { chooseImages, SPLITS, type ExportRun } from './dataset';
import { StagedFolder } from './staging';
import { uniqueStems } from './names';
import { currentLabels } from './labels';
import { encodeTiff, type TiffRaster } from './tiff';

/** The segments of an image that count as ground truth: all of a reviewed image, else those verified one by one. */
export function verifiedSegmentIds(image: ImageRecord, segments: readonly SegmentRecord[]): Set<number> {
  if (image.status === 'verified') return new Set(segments.map((s) => s.id));
  return new Set(segments.filter((s) => s.verified).map((s) => s.id));
}

/**
 * Keeps the pixels of `keep` and renumbers them 1..n in ascending order of segment id; returns the
 * new map and, for each new value v, the segment id at ids[v - 1].
 */
function instanceLabels(map: LabelMap, keep: ReadonlySet<number>): { labels: LabelMap; ids: number[] } {
  const present = new Set<number>();
  const src = map.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v !== 0 && keep.has(v)) present.add(v);
  }
  const ids = [...present].sort((a, b) => a - b);
  const value = new Map(ids.map((id, k) => [id, k + 1]));
  const out = new Uint32Array(src.length);
  let last = 0;
  let lastValue = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v === 0) continue;
    if (v !== last) {
      last = v;
      lastValue = value.get(v) ?? 0;
    }
    out[i] = lastValue;
  }
  return { labels: { width: map.width, height: map.height, data: out }, ids };
}

/** A label map as the smallest unsigned TIFF that holds its values. */
function labelTiff(labels: LabelMap, maxValue: number): Uint8Array {
  const data = maxValue <= 0xffff ? Uint16Array.from(labels.data) : labels.data;
  return encodeTiff({ width: labels.width, height: labels.height, channels: 1, bitDepth: maxValue <= 0xffff ? 16 : 32, data });
}

/** A micrograph as TIFF: grey stays grey, alpha is dropped (micro-sam reads grey or RGB). */
function imageTiff(img: RasterImage): Uint8Array {
  const { width, height, channels } = img;
  const n = width * height;
  const outChannels: 1 | 3 = channels >= 3 ? 3 : 1;
  let data: Uint8Array | Uint16Array = img.data;
  if (channels !== outChannels) {
    data = img.bitDepth === 16 ? new Uint16Array(n * outChannels) : new Uint8Array(n * outChannels);
    for (let i = 0; i < n; i++) for (let c = 0; c < outChannels; c++) data[i * outChannels + c] = img.data[i * channels + c]!;
  }
  const raster: TiffRaster = { width, height, channels: outChannels, bitDepth: img.bitDepth, data };
  return encodeTiff(raster);
}

function cancelled(dest: string): ServiceError {
  return new ServiceError('cancelled', `Export cancelled; nothing was written to ${dest}.`);
}

/** The images the export will write (throws a user-facing error when none is left). */
export function chooseFinetuneImages(store: ProjectStore, opts: Pick<FinetuneOptions, 'imageIds' | 'segments'>): { chosen: ImageRecord[]; notSegmented: number; notVerified: number } {
  const { chosen, notSegmented } = chooseImages(store, { imageIds: opts.imageIds, verifiedImages: false });
  if (opts.segments === 'all') return { chosen, notSegmented, notVerified: 0 };
  const kept = chosen.filter((im) => verifiedSegmentIds(im, store.listSegments(im.id)).size > 0);
  if (kept.length === 0) {
    throw new ServiceError(
      'invalid-argument',
      `Nothing to export: none of the ${chosen.length} segmented image(s) has a segment a person verified or is marked verified. Verify segments (or mark images verified) first, or export all segments (--all-segments).`,
    );
  }
  return { chosen: kept, notSegmented, notVerified: chosen.length - kept.length };
}

export async function exportFinetune(run: ExportRun, opts: FinetuneOptions): Promise<FinetuneSummary> {
  const t0 = performance.now();
  const { store } = run;
  const createdAt = run.createdAt ?? new Date().toISOString();
  const segInfo = segmentationInfo(store);
  const { chosen, notSegmented, notVerified } = chooseFinetuneImages(store, opts);
  const onlyVerified = opts.segments === 'verified';
  const excluded = { imagesNotSegmented: notSegmented, imagesNotVerified: notVerified, unverifiedSegments: 0, emptyTiles: 0 };
  const classes = store.listClasses();
  const className = new Map(classes.map((c) => [c.id, c.name]));
  const segmentsOf = new Map(chosen.map((im) => [im.id, store.listSegments(im.id)]));
  const gtOf = (im: ImageRecord, segs: readonly SegmentRecord[]) => (onlyVerified ? verifiedSegmentIds(im, segs) : new Set(segs.map((s) => s.id)));
  // The same split as the COCO/PNG export of the same images with the same seed.
  const split = splitDataset(
    chosen.map((im) => {
      const segs = segmentsOf.get(im.id)!;
      const keep = gtOf(im, segs);
      return { id: im.id, classIds: segs.filter((s) => s.classId !== null && keep.has(s.id)).map((s) => s.classId!) };
    }),
    { ratios: opts.ratios, seed: opts.seed },
  );
  const stems = uniqueStems(chosen);
  const byId = new Map(chosen.map((im) => [im.id, im]));
  const stage = await StagedFolder.begin(opts.dest, opts.overwrite);
  let bytes = 0;
  const dirs = new Set<string>();
  const write = async (rel: string, data: Uint8Array | string) => {
    const abs = join(stage.path, rel);
    if (!dirs.has(dirname(abs))) {
      await mkdir(dirname(abs), { recursive: true });
      dirs.add(dirname(abs));
    }
    await writeFile(abs, data);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  };
  const counts: Record<SplitName, SplitCounts & { perClass: Record<string, number>; items: number }> = {
    train: { images: 0, segments: 0, perClass: {}, items: 0 },
    val: { images: 0, segments: 0, perClass: {}, items: 0 },
    test: { images: 0, segments: 0, perClass: {}, items: 0 },
  };
  const rows: CsvValue[][] = [];
  const warnings: string[] = [];
  let verifiedWritten = 0;
  const bySource: Record<string, number> = {};
  try {
    let done = 0;
    for (const splitName of SPLITS) {
      for (const imageId of split[splitName]) {
        if (run.signal.aborted) throw cancelled(stage.dest);
        const im = byId.get(imageId)!;
        run.progress(done * 100, `${im.name} (${splitName})`);
        const map = await currentLabels(run.edits, im.id);
        if (!map) throw new ServiceError('not-found', `The segmentation of ${im.name} disappeared during the export. Run the export again.`);
        // Rows read right after the map, so edits made since the export started match.
        const segs = store.listSegments(im.id);
        const records = new Map(segs.map((s) => [s.id, s]));
        const keep = gtOf(im, segs);
        excluded.unverifiedSegments += segs.length - keep.size;
        const raster = await decodeImage(await readProjectImage(store.dir, im, run.signal), im.name, im.page);
        const boxes = opts.tile ? tileBoxes(map.width, map.height, opts.tile.size, opts.tile.overlap) : [null];
        counts[splitName].images++;
        for (const [k, box] of boxes.entries()) {
          if (run.signal.aborted) throw cancelled(stage.dest);
          if (k > 0) run.progress(done * 100 + Math.floor((100 * k) / boxes.length), `${im.name} (${splitName}): tile ${k + 1} of ${boxes.length}`);
          const part = box ? cropLabelMap(map, box, { renumber: false }).labels : map;
          const inst = instanceLabels(part, keep);
          // An image without instances teaches nothing and micro-sam's samplers reject it.
          if (inst.ids.length === 0) {
            excluded.emptyTiles++;
            continue;
          }
          const stem = box ? `${stems.get(im.id)!}_x${box.x}_y${box.y}` : stems.get(im.id)!;
          await write(`${splitName}/images/${stem}.tif`, imageTiff(box ? cropRaster(raster, box) : raster));
          await write(`${splitName}/labels/${stem}.tif`, labelTiff(inst.labels, inst.ids.length));
          const c = counts[splitName];
          c.items++;
          c.segments += inst.ids.length;
          inst.ids.forEach((sid, v) => {
            const r = records.get(sid);
            const cls = r?.classId ?? null;
            c.perClass[String(cls)] = (c.perClass[String(cls)] ?? 0) + 1;
            if (r?.verified || im.status === 'verified') verifiedWritten++;
            if (r) bySource[r.source] = (bySource[r.source] ?? 0) + 1;
            rows.push([splitName, `${stem}.tif`, v + 1, sid, im.id, im.name, cls, cls === null ? '' : (className.get(cls) ?? ''), r?.source ?? '', !!r?.verified, im.status === 'verified']);
          });
        }
        done++;
        run.progress(done * 100, `${im.name} (${splitName})`);
      }
    }
    if (run.signal.aborted) throw cancelled(stage.dest);
    await write('segments.csv', toCsv(['split', 'file', 'label_value', 'segment_id', 'image_id', 'image', 'class_id', 'class', 'source', 'segment_verified', 'image_verified'], rows));
    if (excluded.imagesNotSegmented > 0) warnings.push(`${excluded.imagesNotSegmented} image(s) without a segmentation were skipped.`);
    if (excluded.imagesNotVerified > 0) warnings.push(`${excluded.imagesNotVerified} image(s) without a verified segment were left out (export all segments to include them).`);
    if (excluded.emptyTiles > 0) warnings.push(`${excluded.emptyTiles} image(s) or tile(s) without an instance to learn from were left out.`);
    for (const s of SPLITS) if (opts.ratios[SPLITS.indexOf(s)]! > 0 && counts[s].items === 0) warnings.push(`The ${s} split is empty; micro-sam needs at least one image in train and val.`);
    const engines = new Map<string, number>();
    for (const im of chosen) {
      const e = segInfo.get(im.id)!.engine;
      engines.set(e, (engines.get(e) ?? 0) + 1);
    }
    const px = new Set(chosen.map((im) => im.pixelSizeUm));
    const models = [...new Set([...engines.keys()].filter((e) => e.startsWith('sam:')).map((e) => e.split(':')[1]!))];
    const notes = [
      'Layout for micro-sam training: <split>/images/<stem>.tif (micrograph, grey or RGB at its own bit depth) and <split>/labels/<stem>.tif (instance ids, 0 = background, uint16 or uint32) with matching names; read with default_sam_loader(raw_paths="<split>/images", raw_key="*.tif", label_paths="<split>/labels", label_key="*.tif", ...).',
      onlyVerified
        ? `Ground truth: segments a person verified, and every segment of images marked verified; ${excluded.unverifiedSegments} unverified segment(s) left out (as background), ${excluded.imagesNotVerified} image(s) without any left out.`
        : 'Ground truth: every segment of every segmented image, verified or not.',
      'Label values are renumbered 1..n per file in ascending order of segment id; segments.csv maps each value back to the project segment and its class.',
      'Splits are made per source image with the same logic and seed as the COCO/PNG export: all tiles of an image stay in one split.',
      `Segmentation engines: ${[...engines].map(([e, n]) => `${e} (${n} image${n === 1 ? '' : 's'})`).join(', ')}.`,
      ...warnings,
    ];
    const card = buildDatasetCard({
      name: basename(stage.dest),
      format: 'finetune (micro-sam TIFF)',
      appVersion: run.appVersion,
      modelId: models.length ? models.join(', ') : null,
      createdAt,
      pixelSizeUm: px.size === 1 ? [...px][0]! : px.size === 0 ? null : 'mixed',
      classes,
      splits: counts,
      verifiedSegments: verifiedWritten,
      seed: opts.seed,
      ratios: opts.ratios,
      tiling: opts.tile ? { tileSize: opts.tile.size, overlap: opts.tile.overlap } : null,
      notes,
      engines: [...engines].map(([engine, images]) => ({ engine, images })),
      segmentsBySource: bySource,
    });
    await write('dataset-card.json', JSON.stringify(card.json, null, 2) + '\n');
    await write('dataset-card.md', card.markdown);
    if (run.signal.aborted) throw cancelled(stage.dest);
    await stage.commit();
    const per = (s: SplitName) => ({ images: counts[s].images, items: counts[s].items, segments: counts[s].segments });
    return {
      dest: stage.dest,
      format: 'finetune',
      images: chosen.length,
      items: SPLITS.reduce((s, k) => s + counts[k].items, 0),
      segments: SPLITS.reduce((s, k) => s + counts[k].segments, 0),
      perSplit: { train: per('train'), val: per('val'), test: per('test') },
      excluded,
      bytes,
      seconds: (performance.now() - t0) / 1000,
      warnings,
      card: card.json,
    };
  } catch (e) {
    await stage.abort();
    throw e;
  }
}
