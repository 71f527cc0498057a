// Imports segmentations made elsewhere (or exported earlier): COCO JSON (RLE and polygons),
// instance label maps (PNG/TIFF, grey ids or colours), semantic class maps and binary grain-boundary
// maps. Files are matched to project images by file name stem; each result is saved as the image's
// segmentation (editable like any other) with source 'import', like every automatic result: a new
// version, one undoable step, the segments a person made kept unless told otherwise. Semantic map
// values stay the classes' label values, so a PNG export writes the same values back.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ImportLabelsSummary, LabelKind, SemanticValue } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { ClassRecord, ImageRecord, LabelMap } from '../../app/types';
import { grainsFromBoundaryMap, rasterizeCocoImage, regionsByValue, validateCoco, type ValidatedCoco } from '../../app/export';
import type { ProjectStore } from '../store/project-store';
import { ensureClass, segmentationInfo } from '../store/export-queries';
import { classByValue } from '../store/classes';
import { saveAutomaticResult } from '../store/automatic';
import { mayAutoClass, type KeepPolicy } from '../../app/provenance';
import type { EditStore } from '../store/edits';
import type { EditOp } from '../../app/edit';
import { currentLabels } from '../export/labels';
import { checkPixelLimit, decodeImage } from '../images/io';
import { decodeText, parseJsonText, readTextFile } from '../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../app/limits';
import { decodePng, pngHeader } from '../export/png';
import { ImageMatcher } from '../export/names';
import { importInterchangeFile, isInterchangeFormat, type InterchangeImporter } from '../export/interchange';
import { z } from 'zod';

export interface LabelSource {
  name: string;
  /** Absolute path when the file is on disk (lets a classes.json beside it be found). */
  path: string | null;
  load(): Promise<Uint8Array>;
}

interface ImportRun {
  store: ProjectStore;
  /** The project's edit store (labels land as undoable replacements and class edits). */
  edits: EditStore;
  signal: AbortSignal;
  /** Progress in files done. */
  progress(done: number, message?: string): void;
  /** Called after an image's segmentation changed. */
  changed(imageId: number): void;
  /** Throws when the project was closed meanwhile. */
  checkOpen(): void;
}

interface ImportOptions {
  kind: LabelKind;
  sources: LabelSource[];
  classes?: SemanticValue[];
  semanticMode: 'replace' | 'classes';
  ifSegmented: 'replace' | 'skip';
  /** Images with a segmentation: keep the segments (and classes) a person made, or replace everything. */
  keep: KeepPolicy;
  /** Only match files to images and report what would happen (no class, no segmentation is written). */
  dryRun?: boolean;
  /** Every file goes to this image, whatever its name. */
  imageId?: number;
}

/** A decoded label image: one value per pixel (grey value, palette index, or packed RGB). */
interface LabelImage {
  width: number;
  height: number;
  values: Uint32Array;
  /** Values are packed 0xRRGGBB colours. */
  rgb: boolean;
  bitDepth: number;
  palette: Uint8Array | null;
}

const ClassesFileSchema = z.union([z.array(z.unknown()), z.object({ values: z.array(z.unknown()) })]);

class Importer implements InterchangeImporter {
  readonly summary: ImportLabelsSummary;
  private readonly matcher: ImageMatcher;
  private readonly segmented: Set<number>;
  private readonly classCache = new Map<string, ClassRecord>();
  private readonly valueCache = new Map<string, ClassRecord>();

  constructor(
    private readonly run: ImportRun,
    readonly opts: ImportOptions,
  ) {
    this.summary = { kind: opts.kind, imported: [], skipped: [], failed: [], classesCreated: [] };
    this.matcher = new ImageMatcher(run.store.listImages());
    this.segmented = new Set(segmentationInfo(run.store).keys());
  }

  cancelledCheck(): void {
    if (this.run.signal.aborted) throw new ServiceError('cancelled', 'Import cancelled; files imported before the cancel are kept.');
    this.run.checkOpen();
  }

  classFor(name: string, color: string | null | undefined): ClassRecord {
    let c = this.classCache.get(name);
    if (!c) {
      const r = ensureClass(this.run.store, name, color);
      if (r.created) this.summary.classesCreated.push(name);
      c = r.record;
      this.classCache.set(name, c);
    }
    return c;
  }

  /** The project image for a file, or null after recording why not (sizes null: the file does not say). */
  target(file: string, matchName: string, width: number | null, height: number | null): ImageRecord | null {
    const m = this.opts.imageId !== undefined ? { image: this.run.store.getImage(this.opts.imageId) } : this.matcher.match(matchName);
    if ('error' in m) {
      this.summary.failed.push({ file, message: m.error });
      return null;
    }
    const im = m.image;
    if (width !== null && height !== null && (im.width !== width || im.height !== height)) {
      this.summary.failed.push({ file, message: `${basename(matchName)} is ${width}x${height} px but the project image ${im.name} is ${im.width}x${im.height}; a label map must have the image's size` });
      return null;
    }
    if (this.opts.ifSegmented === 'skip' && this.segmented.has(im.id) && !(this.opts.kind === 'semantic' && this.opts.semanticMode === 'classes')) {
      this.summary.skipped.push({ file, message: `${im.name} already has a segmentation (left as it is)` });
      return null;
    }
    return im;
  }

  /** The class of a semantic map value: the class holding that label value, or the named one (which takes the value). */
  classForValue(value: number, name: string | null, color: string | null | undefined): ClassRecord {
    const key = `${value}\u0000${name ?? ''}`;
    let c = this.valueCache.get(key);
    if (!c) {
      const held = name === null ? classByValue(this.run.store, value) : null;
      if (held) c = held;
      else {
        const r = ensureClass(this.run.store, name ?? `class ${value}`, color, value);
        if (r.created) this.summary.classesCreated.push(r.record.name);
        c = r.record;
      }
      this.valueCache.set(key, c);
    }
    return c;
  }

  /** In a dry run: records what would happen to the image, and true (the caller stops there). */
  private dry(file: string, im: ImageRecord, action: 'created' | 'replaced' | 'classes'): boolean {
    if (!this.opts.dryRun) return false;
    this.summary.imported.push({ file, imageId: im.id, imageName: im.name, segments: 0, action: action === 'classes' ? 'classes' : this.segmented.has(im.id) ? 'replaced' : 'created' });
    return true;
  }

  async save(file: string, im: ImageRecord, labels: LabelMap, classOf: ReadonlyMap<number, number | null>, verified: ReadonlyMap<number, boolean>, engine: string): Promise<void> {
    this.cancelledCheck();
    // Formats that reach save without asking dry() first (the interchange formats) are dry-run here.
    if (this.dry(file, im, 'created')) return;
    const saved = await saveAutomaticResult(
      this.run.edits,
      im.id,
      { labels, source: 'import', rowOf: (id) => ({ classId: classOf.get(id) ?? null, classSource: 'import', verified: verified.get(id) ?? false }) },
      { engine, keep: this.opts.keep, status: 'in-review' },
    );
    this.segmented.add(im.id);
    this.summary.imported.push({ file, imageId: im.id, imageName: im.name, segments: saved.segments, action: saved.action, kept: saved.kept });
    this.run.changed(im.id);
  }

  async importAll(): Promise<void> {
    const { sources } = this.opts;
    for (let i = 0; i < sources.length; i++) {
      this.cancelledCheck();
      const src = sources[i]!;
      this.run.progress(i, basename(src.name));
      try {
        const bytes = await src.load();
        if (this.opts.kind === 'coco') await this.coco(src, bytes);
        else if (isInterchangeFormat(this.opts.kind)) await importInterchangeFile(this, this.opts.kind, src, bytes);
        else await this.labelImage(src, bytes);
      } catch (e) {
        if (e instanceof ServiceError && e.code === 'cancelled') throw e;
        this.summary.failed.push({ file: src.name, message: e instanceof Error ? e.message : String(e) });
      }
      this.run.progress(i + 1, basename(src.name));
    }
  }

  private async coco(src: LabelSource, bytes: Uint8Array): Promise<void> {
    // A byte-order mark (as Windows editors write) is dropped; a parse error never quotes the file.
    const json = parseJsonText(decodeText(bytes), basename(src.name), 'a COCO file is a JSON object with images, categories and annotations.');
    let coco: ValidatedCoco;
    try {
      coco = validateCoco(json);
    } catch (e) {
      throw new Error(`${basename(src.name)}: ${(e as Error).message}`);
    }
    // Every category becomes a class (so an export's class list comes back whole), except the
    // "unclassified" category GrainLab writes for segments without a class. Made when the first
    // image of the file matches, so a file that matches nothing adds no classes.
    const classOfCategory = new Map<number, number | null>();
    const categoriesToClasses = () => {
      if (classOfCategory.size || coco.categories.length === 0) return;
      for (const c of coco.categories) classOfCategory.set(c.id, c.name === 'unclassified' && c.color === null ? null : this.classFor(c.name, c.color).id);
    };
    for (const img of coco.images) {
      this.cancelledCheck();
      const file = `${basename(src.name)}: ${img.fileName}`;
      const im = this.target(file, img.fileName, img.width, img.height);
      if (!im || this.dry(file, im, 'replaced')) continue;
      categoriesToClasses();
      try {
        await this.cocoImage(coco, img.id, file, im, classOfCategory);
      } catch (e) {
        if (e instanceof ServiceError && e.code === 'cancelled') throw e;
        this.summary.failed.push({ file, message: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** One COCO image: rasterise, keep GrainLab's segment ids when the file has them, save. */
  private async cocoImage(coco: ValidatedCoco, cocoImageId: number, file: string, im: ImageRecord, classOfCategory: ReadonlyMap<number, number | null>): Promise<void> {
    const r = rasterizeCocoImage(coco, cocoImageId);
    // GrainLab's own exports carry each segment's id: use them so ids survive a round trip.
    const wanted = r.segments.map((s) => s.grainlab?.segmentId);
    const keepIds = wanted.every((v): v is number => Number.isInteger(v) && v! > 0) && new Set(wanted).size === wanted.length;
    const newId = new Map<number, number>();
    r.segments.forEach((s, k) => newId.set(s.id, keepIds ? wanted[k]! : k + 1));
    const data = r.labels.data;
    let last = 0;
    let lastOut = 0;
    for (let p = 0; p < data.length; p++) {
      const v = data[p]!;
      if (v === 0) continue;
      if (v !== last) {
        last = v;
        lastOut = newId.get(v) ?? 0;
      }
      data[p] = lastOut;
    }
    const classOf = new Map<number, number | null>();
    const verified = new Map<number, boolean>();
    for (const s of r.segments) {
      const id = newId.get(s.id)!;
      classOf.set(id, classOfCategory.get(s.categoryId) ?? null);
      verified.set(id, s.grainlab?.verified ?? false);
    }
    await this.save(file, im, r.labels, classOf, verified, 'import:coco');
  }

  private async labelImage(src: LabelSource, bytes: Uint8Array): Promise<void> {
    const img = await decodeLabelImage(bytes, src.name);
    const im = this.target(src.name, src.name, img.width, img.height);
    if (!im || this.dry(src.name, im, this.opts.kind === 'semantic' && this.opts.semanticMode === 'classes' ? 'classes' : 'replaced')) return;
    const { width, height } = img;
    if (this.opts.kind === 'instance') {
      let data: Uint32Array;
      if (img.rgb) {
        // Colour-coded instances: each colour one segment, black none; ids in raster order.
        const idOf = new Map<number, number>();
        data = new Uint32Array(img.values.length);
        for (let p = 0; p < data.length; p++) {
          const c = img.values[p]!;
          if (c === 0) continue;
          let id = idOf.get(c);
          if (id === undefined) idOf.set(c, (id = idOf.size + 1));
          data[p] = id;
        }
      } else data = img.values;
      await this.save(src.name, im, { width, height, data }, new Map(), new Map(), 'import:instance');
      return;
    }
    if (this.opts.kind === 'boundary') {
      const grey = new Uint16Array(img.values.length);
      // RGB boundary drawings: any bright channel marks a boundary.
      for (let p = 0; p < grey.length; p++) {
        const v = img.values[p]!;
        grey[p] = img.rgb ? Math.max(v >>> 16, (v >>> 8) & 0xff, v & 0xff) : v;
      }
      const threshold = !img.rgb && img.bitDepth === 16 ? 32767 : img.palette ? 0 : 127;
      const labels = grainsFromBoundaryMap({ width, height, data: grey }, { threshold });
      await this.save(src.name, im, labels, new Map(), new Map(), 'import:boundary');
      return;
    }
    await this.semantic(src, img, im);
  }

  private async semantic(src: LabelSource, img: LabelImage, im: ImageRecord): Promise<void> {
    const { table, background } = await this.valueTable(src, img);
    const classOfValue = (v: number): number | null => {
      const e = table.get(v);
      if (e === null) return null;
      if (e) return img.rgb ? this.classFor(e.name, e.color).id : this.classForValue(v, e.name, e.color).id;
      const color = img.rgb ? `#${v.toString(16).padStart(6, '0')}` : img.palette ? paletteHex(img.palette, v) : null;
      // A value without a name keeps its value as the class's label value, so an export writes it back.
      return img.rgb ? this.classFor(`class ${color}`, color).id : this.classForValue(v, null, color).id;
    };
    const { width, height } = img;
    if (this.opts.semanticMode === 'classes') {
      const current = await currentLabels(this.run.edits, im.id);
      const seg = current ? { labels: current } : null;
      if (!seg) throw new Error(`${im.name} has no segmentation to give classes to; import ${basename(src.name)} with mode 'replace' to make segments from it`);
      // Majority value per segment, counted over runs where both the id and the value stay put.
      const votes = new Map<number, Map<number, number>>();
      const ids = seg.labels.data;
      const vals = img.values;
      let p = 0;
      while (p < ids.length) {
        const id = ids[p]!;
        const v = vals[p]!;
        let e = p + 1;
        while (e < ids.length && ids[e] === id && vals[e] === v) e++;
        if (id !== 0) {
          let m = votes.get(id);
          if (!m) votes.set(id, (m = new Map()));
          m.set(v, (m.get(v) ?? 0) + e - p);
        }
        p = e;
      }
      const classes = new Map<number, number | null>();
      for (const [id, m] of votes) {
        let best = 0;
        let bestN = -1;
        for (const [v, n] of m) if (n > bestN || (n === bestN && v < best)) [best, bestN] = [v, n];
        classes.set(id, background.has(best) ? null : classOfValue(best));
      }
      this.cancelledCheck();
      await this.setClasses(im.id, classes);
      this.summary.imported.push({ file: src.name, imageId: im.id, imageName: im.name, segments: classes.size, action: 'classes' });
      this.run.changed(im.id);
      return;
    }
    const regions = regionsByValue(img.values, width, height, background);
    const classOf = new Map<number, number | null>();
    regions.values.forEach((v, k) => classOf.set(k + 1, classOfValue(v)));
    await this.save(src.name, im, regions.labels, classOf, new Map(), 'import:semantic');
  }

  /**
   * Sets segment classes through the edit store, as one undoable history entry per 64 classes
   * (the edit store keeps the open image's segments in memory; writing the table behind its back
   * would leave it stale).
   */
  private async setClasses(imageId: number, classes: ReadonlyMap<number, number | null>): Promise<void> {
    // A class a person gave (or confirmed by verifying) stays, unless told to replace everything.
    const rows = new Map(this.run.store.listSegments(imageId).map((r) => [r.id, r]));
    const byClass = new Map<number | null, number[]>();
    for (const [id, c] of classes) {
      const r = rows.get(id);
      if (!r || r.classId === c || (this.opts.keep === 'person' && !mayAutoClass(r))) continue;
      const l = byClass.get(c) ?? [];
      l.push(id);
      byClass.set(c, l);
    }
    const ops: EditOp[] = [...byClass].map(([classId, ids]) => ({ kind: 'setClass', ids, classId }));
    const edits = this.run.edits;
    for (let k = 0; k < ops.length; k += 64) await edits.apply({ imageId, ops: ops.slice(k, k + 64), provenance: { source: 'import' } });
  }

  /**
   * Value -> class entry (null: a value whose segments get no class), and the values that mean
   * "no segment": those a table names 'none' without a class (a GrainLab export's classes.json),
   * and 0 when a table is given and does not list 0. Without a table every value is a class.
   */
  private async valueTable(src: LabelSource, img: LabelImage): Promise<{ table: Map<number, { name: string; color: string | null } | null>; background: Set<number> }> {
    let entries = this.opts.classes ?? null;
    if (!entries && src.path) entries = await findClassesFile(src.path);
    const table = new Map<number, { name: string; color: string | null } | null>();
    const background = new Set<number>();
    for (const e of entries ?? []) {
      if (e.classId === null && (e.name === 'none' || e.name === 'none or unclassified')) {
        background.add(e.value);
        continue;
      }
      table.set(e.value, e.classId === null ? null : { name: e.name, color: e.color ?? (img.palette ? paletteHex(img.palette, e.value) : null) });
    }
    if (entries && !table.has(0)) background.add(0);
    return { table, background };
  }
}

function paletteHex(palette: Uint8Array, v: number): string | null {
  if (v * 3 + 2 >= palette.length) return null;
  return `#${[0, 1, 2].map((k) => palette[v * 3 + k]!.toString(16).padStart(2, '0')).join('')}`;
}

/** classes.json beside the file or up to three folders up (an export's layout: semantic/<split>/x.png). */
async function findClassesFile(path: string): Promise<SemanticValue[] | null> {
  let d = dirname(path);
  for (let k = 0; k < 4; k++) {
    const f = join(d, 'classes.json');
    if (existsSync(f)) return parseClassesFile(await readTextFile(f, { what: 'class table', maxBytes: MAX_SMALL_FILE_BYTES }), f);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return null;
}

/** Reads a classes.json (an export's, or a bare list of {value, name, color?, classId?}). */
export function parseClassesFile(text: string, file: string): SemanticValue[] {
  const json = parseJsonText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file, 'a class table is a list of {value, name} or {"values": [...]}.');
  const outer = ClassesFileSchema.safeParse(json);
  if (!outer.success) throw new ServiceError('invalid-argument', `${file} is not a class table: expected a list of {value, name} or {"values": [...]}.`, file);
  const list = Array.isArray(outer.data) ? outer.data : outer.data.values;
  const Entry = z.object({
    value: z.number().int().min(0).max(65535),
    name: z.string().min(1).max(200),
    color: z.string().max(20).nullable().optional(),
    classId: z.number().int().nullable().optional(),
  });
  return list.map((e, i) => {
    const r = Entry.safeParse(e);
    if (!r.success) throw new ServiceError('invalid-argument', `${file}: entry ${i} is not {value, name, color?, classId?} (${r.error.issues[0]?.message}).`, file);
    return r.data;
  });
}

/** Decodes a label image exactly: PNG by our decoder (palette indices and 16-bit kept), others by sharp. */
async function decodeLabelImage(bytes: Uint8Array, name: string): Promise<LabelImage> {
  const h = pngHeader(bytes);
  // The one pixel policy, from the header, before the PNG decoder allocates anything.
  if (h) checkPixelLimit(basename(name), bytes.byteLength, h.width, h.height);
  if (h && !h.interlaced) {
    const png = await decodePng(bytes);
    return fromSamples(png.width, png.height, png.channels, png.bitDepth, png.data, png.palette ?? null);
  }
  const raster = await decodeImage(bytes, basename(name));
  return fromSamples(raster.width, raster.height, raster.channels, raster.bitDepth, raster.data, null);
}

function fromSamples(width: number, height: number, channels: number, bitDepth: number, data: Uint8Array | Uint16Array, palette: Uint8Array | null): LabelImage {
  const n = width * height;
  const values = new Uint32Array(n);
  if (channels <= 2) {
    for (let p = 0; p < n; p++) values[p] = data[p * channels]!;
    return { width, height, values, rgb: false, bitDepth, palette };
  }
  // Colour: channels equal everywhere is a grey map saved as RGB; otherwise pack the colours.
  let grey = true;
  for (let p = 0; p < n && grey; p++) {
    const o = p * channels;
    if (data[o] !== data[o + 1] || data[o] !== data[o + 2]) grey = false;
  }
  const shift = bitDepth === 16 ? 8 : 0;
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    values[p] = grey ? data[o]! : ((data[o]! >> shift) << 16) | ((data[o + 1]! >> shift) << 8) | (data[o + 2]! >> shift);
  }
  return { width, height, values, rgb: !grey, bitDepth, palette: null };
}

export async function importLabels(run: ImportRun, opts: ImportOptions): Promise<ImportLabelsSummary> {
  const importer = new Importer(run, opts);
  await importer.importAll();
  return importer.summary;
}
