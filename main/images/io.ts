// Image I/O with sharp: probing files, decoding pages to raw pixels (8/16-bit kept), thumbnails.
// Every failure becomes a ServiceError that names the file and says what to do.
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { createHash } from 'node:crypto';
import { ServiceError } from '../../app/errors';
import type { BitDepth, RasterImage } from '../../app/types';
import { percentileWindow, toDisplayRGBA } from '../../app/image/display';

/** Largest side accepted (DESIGN.md: micrographs up to 16k px a side). */
export const MAX_SIDE = 16384;
export const MAX_PIXELS = MAX_SIDE * MAX_SIDE;
const FORMATS = new Set(['png', 'jpeg', 'tiff']);

export interface ProbedPage {
  page: number;
  width: number;
  height: number;
  channels: number;
  bitDepth: BitDepth;
  pixelSizeUm: number | null;
}

export interface ProbedFile {
  format: string;
  pages: ProbedPage[];
}

function bad(name: string, what: string): ServiceError {
  return new ServiceError('bad-image', `${name}: ${what}`, name);
}

/** Reads the header only: format, pages, size, depth, calibration. Refuses oversize images before any pixel is decoded. */
export async function probeImage(bytes: Uint8Array, name: string): Promise<ProbedFile> {
  if (bytes.byteLength === 0) throw bad(name, 'the file is empty (0 bytes). Check the copy and import it again.');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw bad(name, `not a readable PNG, JPEG or TIFF image (${(e as Error).message}). Re-export it from the microscope software as PNG or TIFF.`);
  }
  if (!meta.format || !FORMATS.has(meta.format)) {
    throw bad(name, `format '${meta.format ?? 'unknown'}' is not supported. Convert it to PNG or TIFF.`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw bad(name, 'the image has no pixels.');
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    throw new ServiceError('too-large', `${name}: ${width} x ${height} px is larger than GrainLab's limit of ${MAX_SIDE} px a side. Crop or tile the image (e.g. into ${MAX_SIDE} px pieces) and import the pieces.`, name);
  }
  const nPages = meta.format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1;
  const pages: ProbedPage[] = [];
  for (let page = 0; page < nPages; page++) {
    const m = page === 0 ? meta : await sharp(bytes, { page, limitInputPixels: false }).metadata();
    const w = m.width ?? 0;
    const h = m.height ?? 0;
    if (w > MAX_SIDE || h > MAX_SIDE) {
      throw new ServiceError('too-large', `${name} page ${page + 1}: ${w} x ${h} px is larger than the ${MAX_SIDE} px limit. Crop or tile it first.`, name);
    }
    const depth: BitDepth = m.depth === 'ushort' || m.depth === 'short' ? 16 : 8;
    if (m.depth && !['uchar', 'char', 'ushort', 'short'].includes(m.depth)) {
      throw bad(name, `sample format '${m.depth}' is not supported (8- or 16-bit integers only). Convert it to 16-bit TIFF.`);
    }
    pages.push({ page, width: w, height: h, channels: Math.min(4, m.channels ?? 1), bitDepth: depth, pixelSizeUm: pixelSizeFrom(m) });
  }
  return { format: meta.format, pages };
}

/** Micrometres per pixel from TIFF/PNG resolution tags, when they look like a real calibration. */
function pixelSizeFrom(m: Metadata): number | null {
  if (!m.density || m.density === 72 || m.density === 96 || m.density === 300) return null;
  if (m.resolutionUnit !== 'cm' && m.resolutionUnit !== 'inch') return null;
  // sharp reports density in pixels per inch whatever the stored unit.
  return 25400 / m.density;
}

/**
 * Decodes one page to raw interleaved pixels. 16-bit stays 16-bit; RGB whose three channels are
 * equal everywhere (common for SEM TIFFs) is reduced to one grey channel; alpha is dropped.
 */
export async function decodeImage(bytes: Uint8Array, name: string, page = 0): Promise<RasterImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { page, limitInputPixels: MAX_PIXELS }).metadata();
  } catch (e) {
    throw bad(name, `cannot read the image header (${(e as Error).message}).`);
  }
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short';
  let pipeline = sharp(bytes, { page, limitInputPixels: MAX_PIXELS, failOn: 'error' }).removeAlpha();
  const grey = (meta.channels ?? 1) <= 2;
  if (grey) pipeline = pipeline.toColourspace(sixteen ? 'grey16' : 'b-w');
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw bad(name, `the pixel data is damaged or truncated (${(e as Error).message}). Copy the file again from its source.`);
  }
  const { width, height, channels } = out.info;
  const buf = out.data;
  const data = sixteen
    ? new Uint16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    : new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const img: RasterImage = { width, height, channels: channels as 1 | 3, bitDepth: sixteen ? 16 : 8, data };
  return channels === 3 && channelsEqual(img) ? collapseToGrey(img) : img;
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

/** A 160 px PNG thumbnail using the same percentile window the canvas starts with. */
export async function makeThumbnail(img: RasterImage, size = 160): Promise<Uint8Array> {
  const rgba = toDisplayRGBA(img, percentileWindow(img));
  const png = await sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
    .resize(size, size, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
