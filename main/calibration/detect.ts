// Finds an image's pixel size in the metadata its microscope wrote: vendor TIFF tags first, then an
// ImageJ description, then a sidecar file beside the image (JEOL, Hitachi, TESCAN), and last the
// TIFF/PNG resolution tags (often only a print DPI, so values that look like one are ignored).
import { readRegularFile } from '../fs/read';
import { basename, dirname, extname, join } from 'node:path';
import { latin1, parseFei, parseHitachi, parseImageJ, parseJeol, parseTescan, parseZeiss, tescanText, type DetectedCalibration } from '../../app/calibration/vendors';
import { readTiffTags, tagNumber } from './tiff-tags';

const TAG = { imageDescription: 270, xResolution: 282, resolutionUnit: 296, czSem: 34118, feiSfeg: 34680, feiHelios: 34682, tescan: 50431 } as const;
const WANTED = new Set<number>(Object.values(TAG));
const MAX_SIDECAR_BYTES = 1024 * 1024;

/** Vendor metadata inside the file (TIFF tags of the page, ImageJ description); null when none. */
function calibrationFromTiff(bytes: Uint8Array, page: number): DetectedCalibration | null {
  const t = readTiffTags(bytes, page, WANTED);
  if (!t) return null;
  const text = (tag: number) => {
    const v = t.tags.get(tag);
    return v ? latin1(v.bytes) : null;
  };
  for (const tag of [TAG.feiHelios, TAG.feiSfeg]) {
    const s = text(tag);
    const r = s ? parseFei(s, tag) : null;
    if (r) return r;
  }
  const zeiss = text(TAG.czSem);
  const z = zeiss ? parseZeiss(zeiss) : null;
  if (z) return z;
  const tescan = t.tags.get(TAG.tescan);
  const ts = tescan ? parseTescan(tescanText(tescan.bytes, t.littleEndian), `TIFF tag ${TAG.tescan} (TESCAN)`) : null;
  if (ts) return ts;
  const desc = text(TAG.imageDescription);
  if (desc) {
    const ij = parseImageJ(desc, tagNumber(t.tags.get(TAG.xResolution), t.littleEndian));
    if (ij) return ij;
    // Some FEI/Thermo Fisher exports carry their INI text in ImageDescription.
    const fei = /\[Scan\]|\[EScan\]/.test(desc) ? parseFei(desc, 0) : null;
    if (fei) return fei;
  }
  return null;
}

async function readSmall(path: string): Promise<string | null> {
  try {
    return latin1(await readRegularFile(path, { what: 'calibration sidecar', maxBytes: MAX_SIDECAR_BYTES }));
  } catch {
    return null;
  }
}

/** A sidecar beside the image file: <stem>.txt (JEOL, Hitachi), <stem>-tif.hdr / <stem>.hdr (TESCAN). */
async function calibrationFromSidecar(imagePath: string, imageWidth: number): Promise<DetectedCalibration | null> {
  const dir = dirname(imagePath);
  const stem = basename(imagePath, extname(imagePath));
  const ext = extname(imagePath).slice(1).toLowerCase();
  for (const name of [`${stem}.txt`, `${stem}.TXT`]) {
    const text = await readSmall(join(dir, name));
    if (text === null) continue;
    const r = parseJeol(text, name, imageWidth) ?? parseHitachi(text, name);
    if (r) return r;
  }
  for (const name of [`${stem}-${ext}.hdr`, `${stem}.hdr`, `${stem}-${ext.toUpperCase()}.HDR`]) {
    const text = await readSmall(join(dir, name));
    const r = text === null ? null : parseTescan(text, name);
    if (r) return r;
  }
  return null;
}

/**
 * The pixel size of page `page` of an image file, with where it came from. `path` (when the file
 * is on disk) lets sidecars be found; `resolutionUm` is the resolution tags' value as the image
 * reader gives it (already filtered for print DPIs), used last.
 */
export async function detectCalibration(
  bytes: Uint8Array,
  page: number,
  opts: { path: string | null; width: number; format: string; resolutionUm: number | null },
): Promise<DetectedCalibration | null> {
  const inFile = opts.format === 'tiff' ? calibrationFromTiff(bytes, page) : null;
  if (inFile) return inFile;
  if (opts.path) {
    const side = await calibrationFromSidecar(opts.path, opts.width);
    if (side) return side;
  }
  if (opts.resolutionUm !== null) {
    return {
      umPerPx: opts.resolutionUm,
      vendor: opts.format === 'png' ? 'PNG resolution' : 'TIFF resolution',
      where: opts.format === 'png' ? 'pHYs chunk' : 'XResolution + ResolutionUnit',
      raw: `${(1 / opts.resolutionUm).toPrecision(6)} px/µm`,
    };
  }
  return null;
}
