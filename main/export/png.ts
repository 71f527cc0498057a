// A small PNG encoder and decoder on node:zlib, for mask files whose exact sample values matter:
// indexed (palette) semantic maps, 16-bit instance maps, 8/16-bit tiles.
//
// Hand-written on purpose: sharp (libvips) cannot write an indexed PNG with a given palette and
// given indices (its palette mode re-quantises colours), and it decodes indexed PNGs to RGB, which
// loses the class indices. PNG itself is simple (RFC 2083): signature, IHDR, PLTE, IDAT (zlib
// stream of filtered scanlines), IEND, each chunk with a CRC-32.
import { constants, deflate, inflate, crc32 } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

const SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

interface PngImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; palette images have 1 (the index). */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** Interleaved samples, row-major. */
  data: Uint8Array | Uint16Array;
  /** 256 (or fewer) RGB triples: the samples are indices into it (colour type 3). */
  palette?: Uint8Array;
}

interface PngEncodeOptions {
  /** zlib level 0..9; default 6. */
  level?: number;
  /**
   * 'rle' (zlib Z_RLE: matches only of the previous byte) for masks and label maps: 5-10x faster
   * than the default strategy on their long runs, files within a few percent of its size.
   */
  strategy?: 'default' | 'rle';
  /**
   * Row filter: 'adaptive' (default) picks None, Sub or Up per row; 'up' always uses Up, which
   * for label maps (rows mostly equal to the row above) is as good and several times faster.
   */
  filter?: 'adaptive' | 'up';
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

function colourType(img: PngImage): number {
  if (img.palette) return 3;
  return img.channels === 1 ? 0 : img.channels === 2 ? 4 : img.channels === 3 ? 2 : 6;
}

/** Up-filtered scanlines (row 0 unfiltered): each byte minus the byte above it. */
function filterUp(bytes: Uint8Array, rowBytes: number, height: number): Uint8Array {
  const out = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1);
    const r = y * rowBytes;
    if (y === 0) {
      out.set(bytes.subarray(0, rowBytes), 1);
      continue;
    }
    out[o] = 2;
    const p = r - rowBytes;
    for (let i = 0; i < rowBytes; i++) out[o + 1 + i] = bytes[r + i]! - bytes[p + i]!;
  }
  return out;
}

/**
 * Filtered scanlines. Per row the filter (None, Sub or Up) with the smallest sum of absolute byte
 * values is chosen (the libpng heuristic, without Average/Paeth: label maps are flat runs, for
 * which Sub and Up already give long zero runs and the extra filters only cost time).
 */
function filterRows(bytes: Uint8Array, rowBytes: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array((rowBytes + 1) * height);
  const sub = new Uint8Array(rowBytes);
  const up = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const row = bytes.subarray(y * rowBytes, (y + 1) * rowBytes);
    const prev = y > 0 ? bytes.subarray((y - 1) * rowBytes, y * rowBytes) : null;
    let sNone = 0;
    let sSub = 0;
    let sUp = 0;
    for (let i = 0; i < rowBytes; i++) {
      const v = row[i]!;
      const s = (v - (i >= bpp ? row[i - bpp]! : 0)) & 0xff;
      const u = (v - (prev ? prev[i]! : 0)) & 0xff;
      sub[i] = s;
      up[i] = u;
      sNone += v < 128 ? v : 256 - v;
      sSub += s < 128 ? s : 256 - s;
      sUp += u < 128 ? u : 256 - u;
    }
    const o = y * (rowBytes + 1);
    if (sSub <= sUp && sSub <= sNone) {
      out[o] = 1;
      out.set(sub, o + 1);
    } else if (sUp <= sNone) {
      out[o] = 2;
      out.set(up, o + 1);
    } else {
      out[o] = 0;
      out.set(row, o + 1);
    }
  }
  return out;
}

/** Samples as PNG bytes (16-bit samples are big-endian in PNG). */
function sampleBytes(img: PngImage): Uint8Array {
  if (img.bitDepth === 8) {
    const d = img.data;
    return d instanceof Uint8Array ? d : Uint8Array.from(d);
  }
  const d = img.data;
  const out = new Uint8Array(d.length * 2);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  }
  return out;
}

export async function encodePng(img: PngImage, options: PngEncodeOptions = {}): Promise<Uint8Array> {
  const { width, height, channels, bitDepth } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`PNG size must be positive, got ${width}x${height}`);
  if (img.data.length !== width * height * channels) throw new Error(`PNG data has ${img.data.length} samples, expected ${width}x${height}x${channels}`);
  if (img.palette && (channels !== 1 || bitDepth !== 8)) throw new Error('an indexed PNG needs one 8-bit channel');
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType(img);
  const bpp = channels * (bitDepth / 8);
  const samples = sampleBytes(img);
  const filtered = options.filter === 'up' ? filterUp(samples, width * bpp, height) : filterRows(samples, width * bpp, height, bpp);
  const z = await deflateAsync(filtered, { level: options.level ?? 6, strategy: options.strategy === 'rle' ? constants.Z_RLE : constants.Z_DEFAULT_STRATEGY });
  const parts: Uint8Array[] = [SIGNATURE, chunk('IHDR', ihdr)];
  if (img.palette) parts.push(chunk('PLTE', img.palette.subarray(0, Math.min(768, img.palette.length - (img.palette.length % 3)))));
  parts.push(chunk('IDAT', new Uint8Array(z.buffer, z.byteOffset, z.byteLength)), chunk('IEND', new Uint8Array(0)));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlaced: boolean;
}

/** IHDR of a PNG, or null when the bytes are not a PNG. */
export function pngHeader(bytes: Uint8Array): PngHeader | null {
  if (!isPng(bytes) || bytes.length < 33) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: bytes[24]!, colourType: bytes[25]!, interlaced: bytes[28] === 1 };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a non-interlaced PNG to its raw samples, keeping palette indices (colour type 3) and
 * 16-bit values. Bit depths below 8 are expanded to one byte per sample (values unscaled).
 * Interlaced files are refused (callers fall back to sharp, which only matters for palettes).
 */
export async function decodePng(bytes: Uint8Array, maxPixels = 16384 * 16384): Promise<PngImage> {
  const h = pngHeader(bytes);
  if (!h) throw new Error('not a PNG file');
  if (h.interlaced) throw new Error('interlaced PNG is not supported here');
  const channelsOf: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
  const channels = channelsOf[h.colourType];
  if (!channels) throw new Error(`PNG colour type ${h.colourType} is not valid`);
  if (![1, 2, 4, 8, 16].includes(h.bitDepth)) throw new Error(`PNG bit depth ${h.bitDepth} is not valid`);
  if (h.width < 1 || h.height < 1 || h.width * h.height > maxPixels) throw new Error(`PNG size ${h.width}x${h.height} is outside the limit of ${maxPixels} pixels`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  for (let p = 8; p + 12 <= bytes.length; ) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (p + 12 + len > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file (truncated?)`);
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (type === 'IDAT') idat.push(body);
    else if (type === 'PLTE') palette = body.slice();
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (idat.length === 0) throw new Error('PNG has no image data (IDAT)');
  if (h.colourType === 3 && !palette) throw new Error('indexed PNG without a palette (PLTE)');
  const bitsPerPixel = channels * h.bitDepth;
  const rowBytes = Math.ceil((h.width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const expected = (rowBytes + 1) * h.height;
  const joined = idat.length === 1 ? idat[0]! : Buffer.concat(idat);
  let raw: Uint8Array;
  try {
    raw = await inflateAsync(joined, { maxOutputLength: expected + 1 });
  } catch (e) {
    throw new Error(`PNG image data is damaged (${(e as Error).message})`);
  }
  if (raw.length < expected) throw new Error(`PNG image data is truncated (${raw.length} of ${expected} bytes)`);
  const rows = new Uint8Array(rowBytes * h.height);
  for (let y = 0; y < h.height; y++) {
    const f = raw[y * (rowBytes + 1)]!;
    const src = y * (rowBytes + 1) + 1;
    const o = y * rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[src + i]!;
      const a = i >= bpp ? rows[o + i - bpp]! : 0;
      const b = y > 0 ? rows[o - rowBytes + i]! : 0;
      const c = y > 0 && i >= bpp ? rows[o - rowBytes + i - bpp]! : 0;
      let v: number;
      switch (f) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: v = x + paeth(a, b, c); break;
        default: throw new Error(`PNG row ${y} has an unknown filter type ${f}`);
      }
      rows[o + i] = v & 0xff;
    }
  }
  const n = h.width * h.height * channels;
  if (h.bitDepth === 16) {
    const data = new Uint16Array(n);
    for (let i = 0; i < n; i++) data[i] = (rows[2 * i]! << 8) | rows[2 * i + 1]!;
    return { width: h.width, height: h.height, channels, bitDepth: 16, data, ...(palette ? { palette } : {}) };
  }
  if (h.bitDepth === 8) return { width: h.width, height: h.height, channels, bitDepth: 8, data: rows, ...(palette ? { palette } : {}) };
  const data = new Uint8Array(n);
  const perByte = 8 / h.bitDepth;
  const mask = (1 << h.bitDepth) - 1;
  const samplesPerRow = h.width * channels;
  for (let y = 0; y < h.height; y++) {
    for (let s = 0; s < samplesPerRow; s++) {
      const byte = rows[y * rowBytes + Math.floor(s / perByte)]!;
      const shift = 8 - h.bitDepth * ((s % perByte) + 1);
      data[y * samplesPerRow + s] = (byte >> shift) & mask;
    }
  }
  return { width: h.width, height: h.height, channels, bitDepth: 8, data, ...(palette ? { palette } : {}) };
}
