// The interchange formats in datasets and label imports: LabelMe / X-AnyLabeling JSON beside each
// image, QuPath GeoJSON per image, CVAT XML per split. Pure encoders/decoders are in
// app/interchange; this file writes and reads the files (PNG for LabelMe masks, size limits).
import { basename, extname } from 'node:path';
import type { ExportOptions, SplitName } from '../../app/contract/export';
import type { ClassRecord, ImageRecord, LabelMap } from '../../app/types';
import {
  checkSize,
  decodeCvat,
  decodeGeoJson,
  decodeRoiSet,
  encodeRoiSet,
  decodeLabelMe,
  encodeCvat,
  encodeGeoJson,
  encodeLabelMe,
  rasterizeShapes,
  shapesFromLabelMap,
  type InterchangeImage,
  type InterchangeShape,
} from '../../app/interchange';
import { decodePng, encodePng } from './png';

const INTERCHANGE_FORMATS = ['labelme', 'geojson', 'cvat', 'imagej'] as const;
export type InterchangeFormat = (typeof INTERCHANGE_FORMATS)[number];

export function isInterchangeFormat(f: string): f is InterchangeFormat {
  return (INTERCHANGE_FORMATS as readonly string[]).includes(f);
}

/** What the dataset exporter encodes per item (image or tile). */
interface InterchangeItem {
  split: SplitName;
  stem: string;
  imageFile: string;
  labels: LabelMap;
  segments: { id: number; classId: number | null; verified: boolean }[];
}

type CvatImage = InterchangeImage & { width: number; height: number; fileName: string };

/**
 * One item of an interchange format, encoded (in an export worker, main/export/items.ts): its file,
 * or for CVAT (one XML file per split) its shapes; and how many of its segments have holes.
 */
export interface EncodedInterchange {
  split: SplitName;
  withHoles: number;
  file: { rel: string; data: Uint8Array | string } | null;
  cvat: CvatImage | null;
}

interface InterchangeWriter {
  add(item: EncodedInterchange): Promise<void>;
  finish(): Promise<void>;
  masks(): { withHoles: number; holes: 'rle' | 'skip' | 'fill' | 'exact'; partsDropped?: number };
}

type Write = (rel: string, data: Uint8Array | string) => Promise<void>;

/**
 * Holes: GeoJSON and ImageJ hold them; LabelMe and CVAT write a segment with holes as a mask shape
 * (holes 'rle', the default), leave it out ('skip') or fill them ('fill').
 */
function holeMode(format: InterchangeFormat, opts: Pick<ExportOptions, 'holes'>): 'keep' | 'skip' | 'fill' | 'mask' {
  return format === 'geojson' || format === 'imagej' ? 'keep' : opts.holes === 'skip' ? 'skip' : opts.holes === 'fill' ? 'fill' : 'mask';
}

/** Encodes one item of an interchange format: shapes from its label map, then the format's file. */
export async function encodeInterchangeItem(format: InterchangeFormat, opts: Pick<ExportOptions, 'holes'>, classes: readonly ClassRecord[], item: InterchangeItem): Promise<EncodedInterchange> {
  const className = new Map(classes.map((c) => [c.id, c.name]));
  const segs = item.segments.map((s) => ({ id: s.id, label: s.classId === null ? null : (className.get(s.classId) ?? null), verified: s.verified }));
  const { shapes, report } = shapesFromLabelMap(item.labels, segs, holeMode(format, opts));
  const image = { fileName: item.imageFile, width: item.labels.width, height: item.labels.height, shapes };
  const out = (file: EncodedInterchange['file'], cvat: CvatImage | null = null): EncodedInterchange => ({ split: item.split, withHoles: report.withHoles, file, cvat });
  if (format === 'labelme') {
    const pngs = new Map<number, string>();
    for (const [k, s] of shapes.entries()) {
      if (!s.mask) continue;
      const m = s.mask;
      const grey = Uint8Array.from(m.data, (v) => (v ? 255 : 0));
      const png = await encodePng({ width: m.width, height: m.height, channels: 1, bitDepth: 8, data: grey });
      pngs.set(k, Buffer.from(png).toString('base64'));
    }
    // Beside its image, as LabelMe and X-AnyLabeling look for it.
    return out({ rel: `images/${item.split}/${item.stem}.json`, data: JSON.stringify(encodeLabelMe(image, item.imageFile, pngs), null, 1) + '\n' });
  }
  if (format === 'geojson') {
    const colors = new Map<string, string | null>(classes.map((c) => [c.name, c.color]));
    return out({ rel: `geojson/${item.split}/${item.stem}.geojson`, data: JSON.stringify(encodeGeoJson(image, colors)) + '\n' });
  }
  if (format === 'imagej') return out({ rel: `imagej/${item.split}/${item.stem}.zip`, data: encodeRoiSet(image) });
  return out(null, image);
}

/** A writer for one interchange format: writes each encoded item's file, CVAT's XML per split at the end. */
export function interchangeWriter(format: InterchangeFormat, opts: Pick<ExportOptions, 'holes'>, classes: readonly ClassRecord[], write: Write, meta: { name: string; createdAt: string }, warnings: string[]): InterchangeWriter {
  const holes = holeMode(format, opts);
  let withHoles = 0;
  const cvat = new Map<SplitName, CvatImage[]>();
  return {
    async add(item) {
      withHoles += item.withHoles;
      if (item.file) await write(item.file.rel, item.file.data);
      if (item.cvat) {
        const l = cvat.get(item.split) ?? [];
        l.push(item.cvat);
        cvat.set(item.split, l);
      }
    },
    async finish() {
      if (format === 'cvat') {
        const labels = [...classes.map((c) => ({ name: c.name, color: c.color })), { name: 'unclassified', color: '#808080' }];
        for (const [split, images] of cvat) await write(`cvat/annotations_${split}.xml`, encodeCvat(images, labels, { name: `${meta.name} (${split})`, createdAt: meta.createdAt }));
      }
      if (withHoles > 0 && holes !== 'keep') {
        const how = holes === 'mask' ? (format === 'labelme' ? 'written as LabelMe mask shapes (labelme 5.3 or later reads them)' : 'written as CVAT masks') : holes === 'skip' ? 'left out' : 'written as their outer outline, holes filled';
        warnings.push(`${withHoles} segment(s) with holes ${how}; polygons cannot hold holes.`);
      }
    },
    masks: () => ({ withHoles, holes: holes === 'keep' ? 'exact' : holes === 'mask' ? 'rle' : holes }),
  };
}

/** Largest label file read (JSON or XML text). */
const MAX_INTERCHANGE_BYTES = 512 * 1024 * 1024;

/** One image's shapes from a label file, and what to match it to. */
interface InterchangeEntry {
  /** Shown in messages: the file, and the image inside it for multi-image files. */
  file: string;
  /** Name matched to a project image by stem. */
  matchName: string;
  width: number | null;
  height: number | null;
  shapes: InterchangeShape[];
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function parseJson(bytes: Uint8Array, file: string, what: string): unknown {
  try {
    return JSON.parse(text(bytes));
  } catch (e) {
    throw new Error(`${file} is not JSON (${(e as Error).message}); a ${what} file is JSON`);
  }
}

function skippedNote(skipped: Record<string, number>): string | null {
  const e = Object.entries(skipped);
  return e.length ? `shapes without an area were left out: ${e.map(([k, n]) => `${n} ${k}`).join(', ')}` : null;
}

/** Reads a label file of an interchange kind into per-image entries (LabelMe masks decoded). */
async function readInterchangeFile(kind: InterchangeFormat, name: string, bytes: Uint8Array, notes: string[]): Promise<InterchangeEntry[]> {
  const file = basename(name);
  checkSize(bytes.byteLength, MAX_INTERCHANGE_BYTES, file, kind);
  if (kind === 'labelme') {
    const d = decodeLabelMe(parseJson(bytes, file, 'LabelMe'), file);
    for (const m of d.masks) {
      let png;
      try {
        png = await decodePng(Buffer.from(m.pngBase64, 'base64'), 16384 * 16384);
      } catch (e) {
        throw new Error(`${file}: the mask of shape ${m.shape + 1} is not a PNG (${(e as Error).message})`);
      }
      const data = new Uint8Array(png.width * png.height);
      for (let i = 0; i < data.length; i++) data[i] = png.data[i * png.channels]! ? 1 : 0;
      d.image.shapes[m.shape]!.mask = { x: m.x, y: m.y, width: png.width, height: png.height, data };
    }
    const note = skippedNote(d.skipped);
    if (note) notes.push(`${file}: ${note}`);
    // imagePath names the image; the JSON's own name is the fallback (it sits beside its image).
    return [{ file, matchName: d.image.fileName ? basename(d.image.fileName.replace(/\\/g, '/')) : file, width: d.image.width, height: d.image.height, shapes: d.image.shapes }];
  }
  if (kind === 'imagej') {
    const d = decodeRoiSet(bytes, file);
    const note = skippedNote(d.skipped);
    if (note) notes.push(`${file}: ${note}`);
    return [{ file, matchName: file, width: null, height: null, shapes: d.image.shapes }];
  }
  if (kind === 'geojson') {
    const d = decodeGeoJson(parseJson(bytes, file, 'GeoJSON'), file);
    const note = skippedNote(d.skipped);
    if (note) notes.push(`${file}: ${note}`);
    // QuPath names exports after the image, often with its extension: "sample.tif.geojson".
    const stem = file.slice(0, file.length - extname(file).length);
    return [{ file, matchName: stem, width: null, height: null, shapes: d.image.shapes }];
  }
  const d = decodeCvat(text(bytes), file);
  const note = skippedNote(d.skipped);
  if (note) notes.push(`${file}: ${note}`);
  return d.images.map((im) => ({ file: `${file}: ${im.fileName}`, matchName: im.fileName!, width: im.width, height: im.height, shapes: im.shapes }));
}

/** The label map of an entry on an image of width x height, and per segment id its shape. */
function entryLabels(e: InterchangeEntry, width: number, height: number): { labels: LabelMap; segments: { id: number; shape: InterchangeShape }[] } {
  const r = rasterizeShapes(e.shapes, width, height);
  // GrainLab's own files carry segment ids: keep them when they are unique, so ids survive a round trip.
  const wanted = e.shapes.map((s, k) => (r.ids[k] ? s.segmentId : undefined)).filter((v) => v !== undefined);
  const keep = wanted.length > 0 && wanted.length === r.ids.filter((v) => v > 0).length && wanted.every((v) => Number.isInteger(v) && v! > 0) && new Set(wanted).size === wanted.length;
  const newId = new Map<number, number>();
  let next = 0;
  e.shapes.forEach((s, k) => {
    if (r.ids[k]) newId.set(r.ids[k]!, keep ? s.segmentId! : ++next);
  });
  const data = r.labels.data;
  for (let i = 0; i < data.length; i++) if (data[i]) data[i] = newId.get(data[i]!)!;
  const segments = e.shapes.flatMap((s, k) => (r.ids[k] ? [{ id: newId.get(r.ids[k]!)!, shape: s }] : []));
  return { labels: r.labels, segments };
}

/** What importInterchangeFile needs of the label importer (main/export/import.ts). */
export interface InterchangeImporter {
  readonly summary: { skipped: { file: string; message: string }[]; failed: { file: string; message: string }[] };
  readonly opts: { kind: string };
  target(file: string, matchName: string, width: number | null, height: number | null): ImageRecord | null;
  classFor(name: string, color: string | null | undefined): ClassRecord;
  cancelledCheck(): void;
  save(file: string, im: ImageRecord, labels: LabelMap, classOf: ReadonlyMap<number, number | null>, verified: ReadonlyMap<number, boolean>, engine: string): Promise<void>;
}

/** Imports every image of one interchange file: matched by name, rasterised at the image's size, saved. */
export async function importInterchangeFile(imp: InterchangeImporter, kind: InterchangeFormat, src: { name: string }, bytes: Uint8Array): Promise<void> {
  const notes: string[] = [];
  const entries = await readInterchangeFile(kind, src.name, bytes, notes);
  for (const n of notes) imp.summary.skipped.push({ file: basename(src.name), message: n });
  if (entries.length === 0) imp.summary.skipped.push({ file: basename(src.name), message: 'no images in the file' });
  for (const e of entries) {
    imp.cancelledCheck();
    const im = imp.target(e.file, e.matchName, e.width, e.height);
    if (!im) continue;
    try {
      const { labels, segments } = entryLabels(e, im.width, im.height);
      const classOf = new Map<number, number | null>();
      const verified = new Map<number, boolean>();
      for (const s of segments) {
        const label = s.shape.label?.trim();
        // 'unclassified' is what GrainLab writes for segments without a class.
        classOf.set(s.id, label && label !== 'unclassified' ? imp.classFor(label, null).id : null);
        verified.set(s.id, s.shape.verified ?? false);
      }
      await imp.save(e.file, im, labels, classOf, verified, `import:${kind}`);
    } catch (err) {
      if ((err as { code?: string }).code === 'cancelled') throw err;
      imp.summary.failed.push({ file: e.file, message: err instanceof Error ? err.message : String(err) });
    }
  }
}
