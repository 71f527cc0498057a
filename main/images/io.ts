// Image I/O with sharp: probing files, decoding pages to raw pixels (8/16-bit kept), thumbnails.
// Every failure becomes a ServiceError that names the file and says what to do. One pixel policy
// (app/limits: MAX_SIDE a side, MAX_PIXELS a page) is checked from the header before any pixel is
// decoded, and sharp's own `limitInputPixels` is set to the same number wherever sharp decodes.
import sharp from 'sharp';
import type { Metadata, OutputInfo, Sharp, SharpOptions } from 'sharp';
import { createHash } from 'node:crypto';
import { ServiceError } from '../../app/errors';
import type { BitDepth, RasterImage } from '../../app/types';
import { percentileWindow, toDisplayRGBA } from '../../app/image/display';
import { MAX_MIXED_PAGES, MAX_PAGES, MAX_PIXELS, MAX_SIDE, formatBytes } from '../../app/limits';
import { MAX_TILED_PIXELS, MAX_TILED_SIDE } from '../../app/view/large-image';

const FORMATS = new Set(['png', 'jpeg', 'tiff']);
/** Pages of a uniform stack decoded per sharp call: each call walks the file's page list once. */
const CHUNK_PIXELS = 16 * 2 ** 20;

interface ProbedPage {
  page: number;
  width: number;
  height: number;
  channels: number;
  bitDepth: BitDepth;
  pixelSizeUm: number | null;
}

interface ProbedFile {
  format: string;
  pages: ProbedPage[];
  /** Every page has the same size and sample format (decoded several pages per pass). */
  uniform: boolean;
}

function bad(name: string, what: string): ServiceError {
  return new ServiceError('bad-image', `${name}: ${what}`, name);
}

/** The file extension GrainLab stores and exports an image of this format under. */
export function extensionFor(format: string): string {
  return format === 'jpeg' ? '.jpg' : format === 'tiff' ? '.tif' : `.${format}`;
}

/**
 * The pixel policy: refuses an image (page) over MAX_SIDE a side or MAX_PIXELS in all, naming the
 * file, its size and the limit. Called with header values, before anything is decoded.
 */
/** Whether a page has more pixels than the policy decodes whole (such a mosaic is imported for tiled viewing). */
export function overPixelLimit(width: number, height: number): boolean {
  return width * height > MAX_PIXELS;
}

/**
 * A 160 px PNG thumbnail of an image over the pixel limit, made by libvips from the file without
 * decoding it whole into JS (contrast stretched like the canvas's starting window).
 */
export async function tiledThumbnail(bytes: Uint8Array, name: string, size = 160): Promise<Uint8Array> {
  try {
    const png = await sharp(bytes, { limitInputPixels: false, sequentialRead: true })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .normalise()
      .png({ compressionLevel: 6 })
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  } catch (e) {
    throw bad(name, `the pixel data is damaged or truncated (${(e as Error).message}). Copy the file again from its source.`);
  }
}

export function checkPixelLimit(name: string, fileBytes: number, width: number, height: number, page?: number): void {
  if (width <= MAX_SIDE && height <= MAX_SIDE && width * height <= MAX_PIXELS) return;
  const where = page === undefined ? name : `${name} page ${page + 1}`;
  throw new ServiceError(
    'too-large',
    `${where} (${formatBytes(fileBytes)}) is ${width} x ${height} px (${(width * height / 1e6).toFixed(1)} MP), over GrainLab's limit of ${MAX_SIDE} px a side (${(MAX_PIXELS / 1e6).toFixed(0)} MP). Crop or tile the image (e.g. into ${MAX_SIDE} px pieces) and import the pieces.`,
    name,
  );
}

function sampleDepth(name: string, m: Metadata): BitDepth {
  if (m.depth && !['uchar', 'char', 'ushort', 'short'].includes(m.depth)) {
    throw bad(name, `sample format '${m.depth}' is not supported (8- or 16-bit integers only). Convert it to 16-bit TIFF.`);
  }
  return m.depth === 'ushort' || m.depth === 'short' ? 16 : 8;
}

async function header(bytes: Uint8Array, name: string, options: SharpOptions): Promise<Metadata> {
  try {
    // limitInputPixels off for the header only: the policy above gives the message, not sharp.
    return await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (e) {
    throw bad(name, `not a readable PNG, JPEG or TIFF image (${(e as Error).message}). Re-export it from the microscope software as PNG or TIFF.`);
  }
}

/**
 * Reads the headers only: format, pages, size, depth, calibration. Refuses oversize images and
 * overlong stacks before any pixel is decoded. A stack whose pages are alike is checked in one
 * pass over the file; pages of different sizes cost a pass each, so only a few are accepted.
 */
export async function probeImage(bytes: Uint8Array, name: string, opts: { tiled?: boolean } = {}): Promise<ProbedFile> {
  if (bytes.byteLength === 0) throw bad(name, 'the file is empty (0 bytes). Check the copy and import it again.');
  const meta = await header(bytes, name, {});
  if (!meta.format || !FORMATS.has(meta.format)) {
    throw bad(name, `format '${meta.format ?? 'unknown'}' is not supported. Convert it to PNG or TIFF.`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw bad(name, 'the image has no pixels.');
  const nPages = meta.format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1;
  // A single-page mosaic beyond the limit may come in for tiled viewing (it is never decoded whole).
  if (!(opts.tiled && nPages === 1 && width * height > MAX_PIXELS && width <= MAX_TILED_SIDE && height <= MAX_TILED_SIDE && width * height <= MAX_TILED_PIXELS)) checkPixelLimit(name, bytes.byteLength, width, height);
  const first: ProbedPage = { page: 0, width, height, channels: Math.min(4, meta.channels ?? 1), bitDepth: sampleDepth(name, meta), pixelSizeUm: pixelSizeFrom(meta) };
  if (nPages === 1) return { format: meta.format, pages: [first], uniform: true };
  if (nPages > MAX_PAGES) {
    throw new ServiceError('too-large', `${name} (${formatBytes(bytes.byteLength)}) has ${nPages} pages; GrainLab imports up to ${MAX_PAGES} pages from one file. Split the stack into smaller files and import those.`, name);
  }
  // libvips loads several pages at once only when all match page 0, and says so from the headers.
  let uniform = true;
  try {
    await sharp(bytes, { pages: -1, limitInputPixels: false }).metadata();
  } catch (e) {
    if (!/differs from page/.test((e as Error).message)) throw bad(name, `a page cannot be read (${(e as Error).message}).`);
    uniform = false;
  }
  if (uniform) return { format: meta.format, pages: Array.from({ length: nPages }, (_, page) => ({ ...first, page })), uniform };
  if (nPages > MAX_MIXED_PAGES) {
    throw new ServiceError('too-large', `${name} has ${nPages} pages of different sizes; GrainLab reads up to ${MAX_MIXED_PAGES} such pages from one file. Save the pages as separate files (or as a stack of equal pages) and import those.`, name);
  }
  const pages: ProbedPage[] = [first];
  for (let page = 1; page < nPages; page++) {
    const m = await header(bytes, name, { page });
    const w = m.width ?? 0;
    const h = m.height ?? 0;
    if (w < 1 || h < 1) throw bad(name, `page ${page + 1} has no pixels.`);
    checkPixelLimit(name, bytes.byteLength, w, h, page);
    pages.push({ page, width: w, height: h, channels: Math.min(4, m.channels ?? 1), bitDepth: sampleDepth(name, m), pixelSizeUm: pixelSizeFrom(m) });
  }
  return { format: meta.format, pages, uniform: false };
}

/** Micrometres per pixel from TIFF/PNG resolution tags, when they look like a real calibration. */
function pixelSizeFrom(m: Metadata): number | null {
  if (!m.density || m.density === 72 || m.density === 96 || m.density === 300) return null;
  if (m.resolutionUnit !== 'cm' && m.resolutionUnit !== 'inch') return null;
  // sharp reports density in pixels per inch whatever the stored unit.
  return 25400 / m.density;
}

/** The decoding pipeline: alpha dropped, grey kept grey, 16-bit kept 16-bit. */
function pipeline(bytes: Uint8Array, options: SharpOptions, meta: Metadata): { p: Sharp; sixteen: boolean } {
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  let p = sharp(bytes, { ...options, limitInputPixels: MAX_PIXELS, failOn: 'error' }).removeAlpha();
  if ((meta.channels ?? 1) <= 2) p = p.toColourspace(sixteen ? 'grey16' : 'b-w');
  return { p: p.raw({ depth: sixteen ? 'ushort' : 'uchar' }), sixteen };
}

async function run(name: string, p: Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await p.toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw bad(name, `the pixel data is damaged or truncated (${(e as Error).message}). Copy the file again from its source.`);
  }
}

/**
 * A raster of sharp's output. Output that fills its own buffer is used as it is (a 16k image is
 * not copied); a page cut from a multi-page buffer is copied, so it does not hold the others.
 */
function toRaster(buf: Buffer, width: number, height: number, channels: number, sixteen: boolean): RasterImage {
  const whole = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength;
  const own = whole ? buf : Uint8Array.prototype.slice.call(buf);
  const data = sixteen ? new Uint16Array(own.buffer, own.byteOffset, own.byteLength / 2) : new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
  const img: RasterImage = { width, height, channels: channels as 1 | 3, bitDepth: sixteen ? 16 : 8, data };
  return channels === 3 && channelsEqual(img) ? collapseToGrey(img) : img;
}

/**
 * Decodes one page to raw interleaved pixels. 16-bit stays 16-bit; RGB whose three channels are
 * equal everywhere (common for SEM TIFFs) is reduced to one grey channel; alpha is dropped.
 */
export async function decodeImage(bytes: Uint8Array, name: string, page = 0): Promise<RasterImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { page, limitInputPixels: false }).metadata();
  } catch (e) {
    throw bad(name, `cannot read the image header (${(e as Error).message}). It is not an image GrainLab reads (PNG, TIFF, JPEG, WebP) or the file is damaged: copy it again from its source, and re-import it if it is an image of a project.`);
  }
  checkPixelLimit(name, bytes.byteLength, meta.width ?? 0, meta.height ?? 0, page > 0 ? page : undefined);
  const { p, sixteen } = pipeline(bytes, { page }, meta);
  const out = await run(name, p);
  return toRaster(out.data, out.info.width, out.info.height, out.info.channels, sixteen);
}

/**
 * Decodes every page of a probed file in order, calling `onPage` for each. A stack of alike pages
 * is decoded several pages per sharp call (each call walks the file's page list, so one call per
 * page would make a long stack quadratic); `signal` is checked between calls.
 */
export async function decodePages(bytes: Uint8Array, name: string, probed: ProbedFile, onPage: (page: number, raster: RasterImage) => Promise<void> | void, signal?: AbortSignal): Promise<void> {
  const check = () => {
    if (signal?.aborted) throw new ServiceError('cancelled', `Reading ${name} was cancelled.`, name);
  };
  const n = probed.pages.length;
  if (n === 1 || !probed.uniform) {
    for (const p of probed.pages) {
      check();
      await onPage(p.page, await decodeImage(bytes, name, p.page));
    }
    return;
  }
  const { width, height } = probed.pages[0]!;
  const per = Math.max(1, Math.min(n, Math.floor(CHUNK_PIXELS / (width * height))));
  const meta = await header(bytes, name, {});
  for (let k = 0; k < n; k += per) {
    check();
    const count = Math.min(per, n - k);
    const { p, sixteen } = pipeline(bytes, { page: k, pages: count }, meta);
    const out = await run(name, p);
    const { channels } = out.info;
    if (out.info.width !== width || out.info.height !== height * count) throw bad(name, `pages ${k + 1}-${k + count} do not have the size their headers state.`);
    const pageBytes = width * height * channels * (sixteen ? 2 : 1);
    for (let i = 0; i < count; i++) {
      const slice = out.data.subarray(i * pageBytes, (i + 1) * pageBytes);
      await onPage(k + i, toRaster(slice, width, height, channels, sixteen));
    }
  }
}

function channelsEqual(img: RasterImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

function collapseToGrey(img: RasterImage): RasterImage {
  const n = img.width * img.height;
  const out = img.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = img.data[p * 3]!;
  return { width: img.width, height: img.height, channels: 1, bitDepth: img.bitDepth, data: out };
}

/**
 * Box-averages an image down by an integer factor so its longer side is at most `maxSide` (or
 * returns it as it is). Thumbnails start from this, so a 16k image never becomes a 1 GB RGBA copy.
 */
function shrink(img: RasterImage, maxSide: number): RasterImage {
  const f = Math.floor(Math.max(img.width, img.height) / maxSide);
  if (f <= 1) return img;
  const w = Math.max(1, Math.floor(img.width / f));
  const h = Math.max(1, Math.floor(img.height / f));
  const c = img.channels;
  const sums = new Float64Array(w * h * c);
  const d = img.data;
  for (let y = 0; y < h * f; y++) {
    const row = (y / f | 0) * w;
    for (let x = 0; x < w * f; x++) {
      const o = (row + (x / f | 0)) * c;
      const i = (y * img.width + x) * c;
      for (let k = 0; k < c; k++) sums[o + k]! += d[i + k]!;
    }
  }
  const out = img.bitDepth === 16 ? new Uint16Array(sums.length) : new Uint8Array(sums.length);
  for (let i = 0; i < sums.length; i++) out[i] = Math.round(sums[i]! / (f * f));
  return { width: w, height: h, channels: img.channels, bitDepth: img.bitDepth, data: out };
}

/** A 160 px PNG thumbnail using the same percentile window the canvas starts with. */
export async function makeThumbnail(img: RasterImage, size = 160): Promise<Uint8Array> {
  const small = shrink(img, size * 4);
  const rgba = toDisplayRGBA(small, percentileWindow(img));
  const png = await sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width: small.width, height: small.height, channels: 4 }, limitInputPixels: MAX_PIXELS })
    .resize(size, size, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
