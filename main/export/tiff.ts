// Writes baseline TIFF files (grey or RGB, 8/16/32-bit unsigned, deflate strips; one page, or one
// page per slice of a stack) for datasets that training tools read with tifffile/imageio: micrographs at their own bit depth and
// instance label maps as integers (sharp converts such rasters to 8-bit sRGB when it writes TIFF).
import { deflateSync } from 'node:zlib';

export interface TiffRaster {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16 | 32;
  /** Row-major, channels interleaved. */
  data: Uint8Array | Uint16Array | Uint32Array;
  /** ImageDescription (ASCII), e.g. the ImageJ header that tells Fiji a file is a stack and its spacing. */
  description?: string;
  /** X/YResolution in pixels per unit (no ResolutionUnit: the unit is the description's, as ImageJ reads it). */
  pixelsPerUnit?: number;
}

const ROWS_PER_STRIP = 64;

/** Encodes `img` as a little-endian TIFF with Adobe-deflate compressed strips of 64 rows. */
export function encodeTiff(img: TiffRaster): Uint8Array {
  return encodeTiffPages([img]);
}

/** Encodes rasters as the pages of one TIFF (a stack's slices: ImageJ, tifffile and sharp read them in order). */
export function encodeTiffPages(pages: readonly TiffRaster[]): Uint8Array {
  if (pages.length === 0) throw new Error('A TIFF needs at least one page.');
  // Layout: header, then per page its strip data, the arrays its IFD points to, and the IFD.
  const chunks: Uint8Array[] = [];
  let pos = 8;
  const put = (b: Uint8Array): number => {
    const at = pos;
    chunks.push(b);
    pos += b.byteLength;
    if (pos % 2) {
      chunks.push(new Uint8Array(1));
      pos++;
    }
    return at;
  };
  const ifds = pages.map((img) => writePage(img, put));
  // Each IFD ends with the offset of the next one (0 after the last).
  ifds.forEach((ifd, i) => ifd.view.setUint32(ifd.view.byteLength - 4, i + 1 < ifds.length ? ifds[i + 1]!.at : 0, true));
  const out = new Uint8Array(pos);
  out.set([0x49, 0x49, 42, 0]);
  new DataView(out.buffer).setUint32(4, ifds[0]!.at, true);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function writePage(img: TiffRaster, put: (b: Uint8Array) => number): { at: number; view: DataView } {
  const { width, height, channels, bitDepth } = img;
  const bytesPerSample = bitDepth / 8;
  const rowBytes = width * channels * bytesPerSample;
  if (img.data.length !== width * height * channels) throw new Error(`TIFF raster of ${width}x${height}x${channels} needs ${width * height * channels} samples, got ${img.data.length}`);
  // The host is little-endian (x86, ARM), which the 'II' header declares.
  const pix = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const strips: Uint8Array[] = [];
  for (let y = 0; y < height; y += ROWS_PER_STRIP) {
    const rows = Math.min(ROWS_PER_STRIP, height - y);
    strips.push(deflateSync(pix.subarray(y * rowBytes, (y + rows) * rowBytes), { level: 6 }));
  }
  const nStrips = strips.length;
  const stripOffsets = strips.map(put);
  const u32 = (vals: number[]) => new Uint8Array(new Uint32Array(vals).buffer);
  const u16 = (vals: number[]) => new Uint8Array(new Uint16Array(vals).buffer);
  // Entries whose values do not fit in 4 bytes point to an array written here.
  const offsetsAt = nStrips > 1 ? put(u32(stripOffsets)) : stripOffsets[0]!;
  const countsAt = nStrips > 1 ? put(u32(strips.map((s) => s.byteLength))) : strips[0]!.byteLength;
  const bpsAt = channels === 3 ? put(u16([bitDepth, bitDepth, bitDepth])) : bitDepth;
  const sfAt = channels === 3 ? put(u16([1, 1, 1])) : 1;
  const ASCII = 2;
  const SHORT = 3;
  const LONG = 4;
  // Padded past 4 bytes, so the text always lies outside the entry (which holds its offset).
  const text = img.description === undefined ? null : new TextEncoder().encode(`${img.description.replace(/[^\x20-\x7e\n]/g, '?').padEnd(4, ' ')}\0`);
  const textAt = text ? put(text) : 0;
  const RATIONAL = 5;
  const res = img.pixelsPerUnit !== undefined && img.pixelsPerUnit > 0 ? put(u32([Math.round(img.pixelsPerUnit * 1e6), 1e6])) : 0;
  const entries: [tag: number, type: number, count: number, value: number][] = [
    [256, LONG, 1, width],
    [257, LONG, 1, height],
    [258, SHORT, channels, bpsAt],
    [259, SHORT, 1, 8], // Adobe deflate
    [262, SHORT, 1, channels === 3 ? 2 : 1], // RGB or BlackIsZero
    ...(text ? [[270, ASCII, text.byteLength, textAt] as [number, number, number, number]] : []),
    [273, LONG, nStrips, offsetsAt],
    [277, SHORT, 1, channels],
    [278, LONG, 1, ROWS_PER_STRIP],
    [279, LONG, nStrips, countsAt],
    ...(res ? ([[282, RATIONAL, 1, res], [283, RATIONAL, 1, res]] as [number, number, number, number][]) : []),
    [284, SHORT, 1, 1], // chunky
    ...(res ? [[296, SHORT, 1, 1] as [number, number, number, number]] : []),
    [339, SHORT, channels, sfAt], // unsigned integers
  ];
  const ifd = new DataView(new ArrayBuffer(2 + entries.length * 12 + 4));
  ifd.setUint16(0, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const o = 2 + i * 12;
    ifd.setUint16(o, tag, true);
    ifd.setUint16(o + 2, type, true);
    ifd.setUint32(o + 4, count, true);
    if (type === SHORT && count === 1) ifd.setUint16(o + 8, value, true);
    else ifd.setUint32(o + 8, value, true);
  });
  const ifdAt = put(new Uint8Array(ifd.buffer));
  return { at: ifdAt, view: ifd };
}
