// Pixel size from the metadata SEM vendors write, as text already taken out of the file (TIFF tag
// or sidecar). Each parser returns null when its text does not hold a plausible pixel size.
//
// FEI / Thermo Fisher: INI text in TIFF tag 34682 (FEI_HELIOS) or 34680 (FEI_SFEG), pixel size in
//   metres: [Scan] PixelWidth (ion columns: [IScan], electron: [EScan]).
// Zeiss SmartSEM: TIFF tag 34118 (CZ_SEM), lines in pairs of a code ("AP_IMAGE_PIXEL_SIZE") and
//   "Image Pixel Size = 2.345 nm" (SmartSEM V05: "Pixel Size = ..."); Latin-1 text (µ is 0xB5).
// TESCAN: TIFF tag 50431, blocks of (uint32 size, uint16 type, data); the MAIN block is INI-like
//   text with PixelSizeX in metres. The .hdr sidecar of PNG exports holds the same text.
// JEOL: a <stem>.txt sidecar with "$$SM_MICRON_BAR <px>" and "$$SM_MICRON_MARKER <length>" (the
//   scale bar the instrument drew) and "$CM_FULL_SIZE <w> <h>" (the image size it refers to).
// Hitachi: a <stem>.txt sidecar, INI section [SemImageFile], PixelSize in nm.
// ImageJ/Fiji: ImageDescription "ImageJ=...\nunit=micron" with XResolution in pixels per unit.
import { lengthToUm, plausiblePixelSize, unitToUm } from './units';

type CalibrationVendor = 'FEI/Thermo Fisher' | 'Zeiss' | 'TESCAN' | 'JEOL' | 'Hitachi' | 'ImageJ' | 'TIFF resolution' | 'PNG resolution';

export interface DetectedCalibration {
  umPerPx: number;
  vendor: CalibrationVendor;
  /** Where it was read: tag and field, or sidecar file and keys. */
  where: string;
  /** The value as written, with its unit. */
  raw: string;
  /** Different pixel height, when the metadata gives one (GrainLab measures with square pixels). */
  umPerPxY?: number;
}

/** Splits INI-like text into sections of key -> value (keys as written; first value wins). */
function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section = '';
  out.set(section, new Map());
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/\0/g, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]*)\]/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      if (!out.has(section)) out.set(section, new Map());
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const m = out.get(section)!;
    const k = line.slice(0, eq).trim();
    if (!m.has(k)) m.set(k, line.slice(eq + 1).trim());
  }
  return out;
}

function iniGet(ini: Map<string, Map<string, string>>, sections: readonly string[] | null, key: string): { section: string; value: string } | null {
  const k = key.toLowerCase();
  const order = sections ?? [...ini.keys()];
  for (const want of order) {
    for (const [name, map] of ini) {
      if (name.toLowerCase() !== want.toLowerCase()) continue;
      for (const [kk, v] of map) if (kk.toLowerCase() === k && v !== '') return { section: name, value: v };
    }
  }
  return null;
}

export function parseFei(text: string, tag: number): DetectedCalibration | null {
  const ini = parseIni(text);
  const w = iniGet(ini, ['Scan', 'EScan', 'IScan'], 'PixelWidth');
  if (!w) return null;
  const um = lengthToUm(w.value, 'm');
  if (!plausiblePixelSize(um)) return null;
  const h = iniGet(ini, [w.section], 'PixelHeight');
  const umY = h ? lengthToUm(h.value, 'm') : null;
  const name = tag === 34680 ? 'FEI_SFEG' : tag === 34682 ? 'FEI_HELIOS' : 'ImageDescription';
  return {
    umPerPx: um,
    vendor: 'FEI/Thermo Fisher',
    where: `${tag ? `TIFF tag ${tag} (${name})` : 'ImageDescription'} [${w.section}] PixelWidth`,
    raw: `${w.value} m`,
    ...(plausiblePixelSize(umY) && Math.abs(umY - um) > 1e-9 * um ? { umPerPxY: umY } : {}),
  };
}

export function parseZeiss(text: string): DetectedCalibration | null {
  let found: { label: string; value: string } | null = null;
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/\0/g, '').trim();
    const m = /^(Image Pixel Size|Pixel Size)\s*[=:]\s*(.+)$/i.exec(line);
    if (!m) continue;
    // "Image Pixel Size" (V06) wins over "Pixel Size" (V05) when both are present.
    if (!found || /^image/i.test(m[1]!)) found = { label: m[1]!, value: m[2]!.trim() };
  }
  if (!found) return null;
  const um = lengthToUm(found.value, 'nm');
  if (!plausiblePixelSize(um)) return null;
  return { umPerPx: um, vendor: 'Zeiss', where: `TIFF tag 34118 (CZ_SEM) "${found.label}"`, raw: found.value };
}

/** The text of a TESCAN tag: the MAIN block of its block list, or the whole text when it is not one. */
export function tescanText(bytes: Uint8Array, littleEndian: boolean): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const texts: string[] = [];
  let p = 0;
  while (p + 6 <= bytes.length) {
    const size = dv.getUint32(p, littleEndian);
    const type = dv.getUint16(p + 4, littleEndian);
    if (size < 2 || p + 4 + size > bytes.length) break;
    if (type === 2 || type === 3) texts.push(latin1(bytes.subarray(p + 6, p + 4 + size)));
    p += 4 + size;
    if (type === 0) break;
  }
  return texts.length ? texts.join('\n') : latin1(bytes);
}

export function parseTescan(text: string, where: string): DetectedCalibration | null {
  const ini = parseIni(text);
  const x = iniGet(ini, null, 'PixelSizeX');
  if (!x) return null;
  const um = lengthToUm(x.value, 'm');
  if (!plausiblePixelSize(um)) return null;
  const y = iniGet(ini, null, 'PixelSizeY');
  const umY = y ? lengthToUm(y.value, 'm') : null;
  return {
    umPerPx: um,
    vendor: 'TESCAN',
    where: `${where} PixelSizeX`,
    raw: `${x.value} m`,
    ...(plausiblePixelSize(umY) && Math.abs(umY - um) > 1e-9 * um ? { umPerPxY: umY } : {}),
  };
}

/**
 * JEOL sidecar: the instrument's scale bar, `marker` long and `bar` px wide in an image of
 * $CM_FULL_SIZE; a saved image of another width (a reduced copy) scales the pixel size.
 */
export function parseJeol(text: string, file: string, imageWidth: number): DetectedCalibration | null {
  const bar = /^\s*\$\$SM_MICRON_BAR\s+(\d+(?:\.\d+)?)\s*$/m.exec(text);
  const marker = /^\s*\$\$SM_MICRON_MARKER\s+(\S+(?:\s+\S+)?)\s*$/m.exec(text);
  if (!bar || !marker) return null;
  const px = Number(bar[1]);
  const um = lengthToUm(marker[1]!.replace(/\s+/g, ''), 'um');
  if (!(px > 0) || um === null) return null;
  let perPx = um / px;
  const full = /^\s*\$CM_FULL_SIZE\s+(\d+)\s+(\d+)\s*$/m.exec(text);
  let note = '';
  if (full && imageWidth > 0 && Number(full[1]) > 0 && Number(full[1]) !== imageWidth) {
    perPx *= Number(full[1]) / imageWidth;
    note = ` (bar for ${full[1]} px wide, image ${imageWidth} px)`;
  }
  if (!plausiblePixelSize(perPx)) return null;
  return { umPerPx: perPx, vendor: 'JEOL', where: `${file} $$SM_MICRON_MARKER / $$SM_MICRON_BAR`, raw: `${marker[1]} over ${bar[1]} px${note}` };
}

export function parseHitachi(text: string, file: string): DetectedCalibration | null {
  const ini = parseIni(text);
  const v = iniGet(ini, ['SemImageFile'], 'PixelSize');
  if (!v) return null;
  const um = lengthToUm(v.value, 'nm');
  if (!plausiblePixelSize(um)) return null;
  return { umPerPx: um, vendor: 'Hitachi', where: `${file} [SemImageFile] PixelSize`, raw: `${v.value} nm` };
}

/** ImageJ/Fiji TIFFs: `unit=` in the ImageJ description, XResolution = pixels per unit. */
export function parseImageJ(description: string, xResolution: number | null): DetectedCalibration | null {
  if (!/^ImageJ=/m.test(description) || !xResolution || !(xResolution > 0)) return null;
  const unitLine = /^unit=(.+)$/m.exec(description);
  if (!unitLine) return null;
  const unit = unitLine[1]!.trim().replace(/\\u00B5/gi, 'µ');
  const f = unitToUm(unit);
  if (f === null) return null;
  const um = f / xResolution;
  if (!plausiblePixelSize(um)) return null;
  return { umPerPx: um, vendor: 'ImageJ', where: 'ImageJ description unit + XResolution', raw: `${xResolution.toPrecision(6)} px per ${unit}` };
}

/** Bytes as Latin-1 text (vendor tags are 8-bit text; µ is 0xB5), without trailing NULs. */
export function latin1(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  let s = '';
  for (let i = 0; i < end; i += 8192) s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  return s;
}
