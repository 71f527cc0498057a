// Reads chosen tags of one page (IFD) of a TIFF or BigTIFF, little- or big-endian, straight from
// the file's bytes. sharp exposes only standard tags; the vendors' calibration lives in private
// tags (34118, 34680, 34682, 50431). Untrusted input: every offset and count is checked against
// the file before it is read, and sizes are capped, so a damaged file yields "no tags", never a
// crash or a large allocation.

interface TiffTagValue {
  type: number;
  count: number;
  /** The raw value bytes (file byte order). */
  bytes: Uint8Array;
}

interface TiffTags {
  littleEndian: boolean;
  tags: Map<number, TiffTagValue>;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
const MAX_TAG_BYTES = 8 * 1024 * 1024;
const MAX_ENTRIES = 4096;
const MAX_PAGES = 100_000;

/** The wanted tags of page `page` (0-based), or null when the bytes are not a readable TIFF or the page is missing. */
export function readTiffTags(file: Uint8Array, page: number, wanted: ReadonlySet<number>): TiffTags | null {
  if (file.length < 16) return null;
  const le = file[0] === 0x49 && file[1] === 0x49;
  const be = file[0] === 0x4d && file[1] === 0x4d;
  if (!le && !be) return null;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint16(2, le);
  const big = magic === 43;
  if (magic !== 42 && !big) return null;
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  const offsetAt = (o: number) => (big ? u64(o) : dv.getUint32(o, le));
  let ifd = big ? u64(8) : dv.getUint32(4, le);
  const seen = new Set<number>();
  for (let p = 0; p < page; p++) {
    if (p >= MAX_PAGES || ifd <= 0 || ifd >= file.length || seen.has(ifd)) return null;
    seen.add(ifd);
    const n = countAt(ifd);
    if (n === null) return null;
    const next = ifd + (big ? 8 : 2) + n * (big ? 20 : 12);
    if (next + (big ? 8 : 4) > file.length) return null;
    ifd = offsetAt(next);
  }
  if (ifd <= 0 || ifd >= file.length) return null;
  const n = countAt(ifd);
  if (n === null) return null;
  const tags = new Map<number, TiffTagValue>();
  const entrySize = big ? 20 : 12;
  const inline = big ? 8 : 4;
  for (let i = 0; i < n; i++) {
    const e = ifd + (big ? 8 : 2) + i * entrySize;
    if (e + entrySize > file.length) break;
    const tag = dv.getUint16(e, le);
    if (!wanted.has(tag)) continue;
    const type = dv.getUint16(e + 2, le);
    const count = big ? u64(e + 4) : dv.getUint32(e + 4, le);
    const size = TYPE_SIZE[type];
    if (size === undefined || count < 0) continue;
    const nbytes = size * count;
    if (nbytes > MAX_TAG_BYTES) continue;
    let start = e + 4 + inline;
    if (nbytes > inline) {
      start = offsetAt(e + 4 + inline);
      if (start < 0 || start + nbytes > file.length) continue;
    }
    tags.set(tag, { type, count, bytes: file.subarray(start, start + nbytes) });
  }
  return { littleEndian: le, tags };

  function countAt(o: number): number | null {
    if (o + (big ? 8 : 2) > file.length) return null;
    const n = big ? u64(o) : dv.getUint16(o, le);
    return n >= 0 && n <= MAX_ENTRIES ? n : null;
  }
}

/** A RATIONAL (type 5) or numeric tag's first value as a number; null otherwise. */
export function tagNumber(t: TiffTagValue | undefined, littleEndian: boolean): number | null {
  if (!t || t.bytes.length === 0) return null;
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  switch (t.type) {
    case 3:
      return dv.getUint16(0, littleEndian);
    case 4:
      return dv.getUint32(0, littleEndian);
    case 5: {
      const d = dv.getUint32(4, littleEndian);
      return d === 0 ? null : dv.getUint32(0, littleEndian) / d;
    }
    case 11:
      return dv.getFloat32(0, littleEndian);
    case 12:
      return dv.getFloat64(0, littleEndian);
    default:
      return null;
  }
}
