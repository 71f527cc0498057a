// ImageJ / Fiji ROI files (.roi, binary, big-endian; what RoiEncoder writes) and ROI sets (a .zip
// of .roi files, what the ROI Manager saves). A segment without holes in one part is a "traced"
// ROI (integer vertices on pixel corners, as the wand tool makes); one with holes or several parts
// is a composite ROI (a path of move/line/close segments, filled even-odd, coordinates in image
// pixels). The class, segment id and verified flag travel in the ROI name: "<class>_<id>[_verified]".
import { unzipSync, zipSync } from 'fflate';
import type { InterchangeImage, InterchangeShape } from './shapes';
import type { Ring } from './geometry';

const HEADER = 64;
const HEADER2 = 64;
const VERSION = 228;
const TYPE = { polygon: 0, rect: 1, oval: 2, line: 3, freeline: 4, polyline: 5, noRoi: 6, freehand: 7, traced: 8, angle: 9, point: 10 } as const;
const SUB_PIXEL = 128;

function nameOf(s: InterchangeShape): string {
  return `${(s.label ?? 'unclassified').replace(/[\\/:*?"<>|]/g, '_')}_${s.segmentId ?? 0}${s.verified ? '_verified' : ''}`;
}

/** One shape as a .roi file. */
export function encodeRoi(s: InterchangeShape): Uint8Array {
  const rings = s.polygons.flatMap((p) => [p.outer, ...p.holes]);
  if (rings.length === 0) throw new Error('an ImageJ ROI needs a polygon');
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const r of rings)
    for (let k = 0; k < r.length; k += 2) {
      x0 = Math.min(x0, r[k]!);
      x1 = Math.max(x1, r[k]!);
      y0 = Math.min(y0, r[k + 1]!);
      y1 = Math.max(y1, r[k + 1]!);
    }
  const left = Math.floor(x0), top = Math.floor(y0), right = Math.ceil(x1), bottom = Math.ceil(y1);
  const simple = rings.length === 1 && rings[0]!.length / 2 <= 65535 && rings[0]!.every(Number.isInteger);
  const path: number[] = [];
  if (!simple) for (const r of rings) {
    for (let k = 0; k < r.length; k += 2) path.push(k === 0 ? 0 : 1, r[k]!, r[k + 1]!);
    path.push(4);
  }
  const n = simple ? rings[0]!.length / 2 : 0;
  const body = simple ? 4 * n : 4 * path.length;
  const name = nameOf(s);
  const size = HEADER + body + HEADER2 + 2 * name.length;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b.set([0x49, 0x6f, 0x75, 0x74]); // "Iout"
  dv.setUint16(4, VERSION);
  b[6] = simple ? TYPE.traced : TYPE.rect;
  dv.setInt16(8, top);
  dv.setInt16(10, left);
  dv.setInt16(12, bottom);
  dv.setInt16(14, right);
  dv.setUint16(16, n);
  if (!simple) dv.setInt32(36, path.length);
  if (simple) {
    const r = rings[0]!;
    for (let i = 0; i < n; i++) {
      dv.setInt16(HEADER + 2 * i, r[2 * i]! - left);
      dv.setInt16(HEADER + 2 * n + 2 * i, r[2 * i + 1]! - top);
    }
  } else path.forEach((v, i) => dv.setFloat32(HEADER + 4 * i, v));
  const h2 = HEADER + body;
  dv.setInt32(60, h2);
  dv.setInt32(h2 + 16, h2 + HEADER2); // name offset
  dv.setInt32(h2 + 20, name.length);
  for (let i = 0; i < name.length; i++) dv.setUint16(h2 + HEADER2 + 2 * i, name.charCodeAt(i));
  return b;
}

/** A ROI set (.zip) for the shapes of one image; entries "<class>_<segment id>.roi". */
export function encodeRoiSet(image: InterchangeImage): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const s of image.shapes) {
    if (!s.polygons.length) continue;
    let name = nameOf(s);
    for (let k = 2; files[`${name}.roi`]; k++) name = `${nameOf(s)}-${k}`;
    files[`${name}.roi`] = encodeRoi(s);
  }
  return zipSync(files, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}

interface DecodedRoi {
  shape: InterchangeShape | null;
  /** The ROI kind when it has no area (line, point, angle...). */
  skippedKind?: string;
}

function labelFromName(name: string): { label: string | null; segmentId?: number; verified: boolean } {
  const m = /^(.*)_(\d+)(_verified)?$/.exec(name);
  if (!m) return { label: name.trim() || null, verified: false };
  return { label: m[1] === 'unclassified' || m[1] === '' ? null : m[1]!, segmentId: Number(m[2]) || undefined, verified: !!m[3] };
}

/** Reads one .roi file; throws an Error naming `file` when it is not one. */
export function decodeRoi(b: Uint8Array, file: string): DecodedRoi {
  if (b.length < HEADER || b[0] !== 0x49 || b[1] !== 0x6f || b[2] !== 0x75 || b[3] !== 0x74) throw new Error(`${file} is not an ImageJ ROI (it does not start with "Iout")`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = dv.getUint16(4);
  const type = b[6]!;
  const top = dv.getInt16(8), left = dv.getInt16(10), bottom = dv.getInt16(12), right = dv.getInt16(14);
  const n = dv.getUint16(16);
  const shapeSize = dv.getInt32(36);
  const options = dv.getUint16(50);
  const h2 = dv.getInt32(60);
  let name = '';
  if (h2 > 0 && h2 + HEADER2 <= b.length) {
    const off = dv.getInt32(h2 + 16);
    const len = dv.getInt32(h2 + 20);
    if (off > 0 && len > 0 && len < 10_000 && off + 2 * len <= b.length) for (let i = 0; i < len; i++) name += String.fromCharCode(dv.getUint16(off + 2 * i));
  }
  const meta = labelFromName(name || file.replace(/\.roi$/i, ''));
  const need = (bytes: number) => {
    if (HEADER + bytes > b.length) throw new Error(`${file} is truncated: its header promises ${bytes} bytes of coordinates`);
  };
  let rings: Ring[];
  if (shapeSize > 0) {
    need(4 * shapeSize);
    rings = [];
    let cur: number[] | null = null;
    for (let i = 0; i < shapeSize; ) {
      const seg = dv.getFloat32(HEADER + 4 * i);
      const coords = seg === 0 || seg === 1 ? 2 : seg === 2 ? 4 : seg === 3 ? 6 : seg === 4 ? 0 : -1;
      if (coords < 0 || i + 1 + coords > shapeSize) throw new Error(`${file}: composite ROI path is damaged at element ${i}`);
      if (seg === 0) {
        if (cur && cur.length >= 6) rings.push(cur);
        cur = [];
      }
      if (coords > 0) {
        if (!cur) throw new Error(`${file}: composite ROI path does not start with a move`);
        // Curves (never written by ImageJ for ROIs) are approximated by their end points.
        cur.push(dv.getFloat32(HEADER + 4 * (i + coords - 1)), dv.getFloat32(HEADER + 4 * (i + coords)));
      }
      if (seg === 4 && cur) {
        if (cur.length >= 6) rings.push(cur);
        cur = null;
      }
      i += 1 + coords;
    }
    if (cur && cur.length >= 6) rings.push(cur);
  } else if (type === TYPE.rect) {
    rings = [[left, top, right, top, right, bottom, left, bottom]];
  } else if (type === TYPE.oval) {
    const cx = (left + right) / 2, cy = (top + bottom) / 2, rx = (right - left) / 2, ry = (bottom - top) / 2;
    const k = Math.max(16, Math.min(720, Math.ceil(Math.PI * (rx + ry))));
    const r: number[] = [];
    for (let t = 0; t < k; t++) r.push(cx + rx * Math.cos((2 * Math.PI * t) / k), cy + ry * Math.sin((2 * Math.PI * t) / k));
    rings = [r];
  } else if (type === TYPE.polygon || type === TYPE.freehand || type === TYPE.traced) {
    const sub = (options & SUB_PIXEL) !== 0 && version >= 222;
    need(4 * n + (sub ? 8 * n : 0));
    const r: number[] = [];
    for (let i = 0; i < n; i++) {
      if (sub) r.push(dv.getFloat32(HEADER + 4 * n + 4 * i), dv.getFloat32(HEADER + 8 * n + 4 * i));
      else r.push(left + dv.getInt16(HEADER + 2 * i), top + dv.getInt16(HEADER + 2 * n + 2 * i));
    }
    rings = [r];
  } else {
    const kind = Object.entries(TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
    return { shape: null, skippedKind: kind };
  }
  if (rings.length === 0 || rings[0]!.length < 6) return { shape: null, skippedKind: 'empty' };
  // Even-odd over all rings, as ImageJ fills composite ROIs: one polygon holding every ring.
  return { shape: { label: meta.label, polygons: [{ outer: rings[0]!, holes: rings.slice(1) }], verified: meta.verified, ...(meta.segmentId ? { segmentId: meta.segmentId } : {}) } };
}

interface RoiSetLimits {
  maxEntries?: number;
  maxEntryBytes?: number;
  maxTotalBytes?: number;
}

/** Reads a ROI set (.zip) or a single .roi into the shapes of one image. */
export function decodeRoiSet(bytes: Uint8Array, file: string, limits: RoiSetLimits = {}): { image: InterchangeImage; skipped: Record<string, number> } {
  const skipped: Record<string, number> = {};
  const shapes: InterchangeShape[] = [];
  const add = (b: Uint8Array, name: string) => {
    const r = decodeRoi(b, name);
    if (r.shape) shapes.push(r.shape);
    else skipped[r.skippedKind!] = (skipped[r.skippedKind!] ?? 0) + 1;
  };
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    const maxEntries = limits.maxEntries ?? 200_000;
    const maxEntry = limits.maxEntryBytes ?? 64 * 1024 * 1024;
    const maxTotal = limits.maxTotalBytes ?? 1024 * 1024 * 1024;
    let count = 0;
    let total = 0;
    let tooBig: string | null = null;
    let entries: Record<string, Uint8Array>;
    try {
      // Sizes are checked from the zip directory before anything is inflated.
      entries = unzipSync(bytes, {
        filter: (f) => {
          if (!/\.roi$/i.test(f.name)) return false;
          count++;
          total += f.originalSize;
          if (f.originalSize > maxEntry || total > maxTotal || count > maxEntries) tooBig ??= f.name;
          return tooBig === null;
        },
      });
    } catch (e) {
      throw new Error(`${file} is not a readable zip of ImageJ ROIs (${(e as Error).message})`);
    }
    if (tooBig !== null) throw new Error(`${file}: the ROI set is larger than GrainLab reads at once (${count} entries, ${(total / 1e6).toFixed(0)} MB unpacked, stopped at ${tooBig})`);
    const names = Object.keys(entries).sort();
    if (names.length === 0) throw new Error(`${file} holds no .roi files`);
    for (const n of names) add(entries[n]!, `${file}: ${n}`);
  } else add(bytes, file);
  return { image: { fileName: null, width: null, height: null, shapes }, skipped };
}
