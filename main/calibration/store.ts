// Calibration records: the value lives in images.pixel_size_um (what measurements read); where it
// came from is kept in the project's key-value settings table (no schema change), one row per
// image, plus the project default.
import type { CalibrationOverview, CalibrationSource, ImageCalibration } from '../../app/contract/calibration';
import type { DetectedCalibration } from '../../app/calibration/vendors';
import type { ImageRecord } from '../../app/types';
import type { ProjectStore } from '../store/project-store';

const IMAGE_KEY = 'calibration.image:';
const DEFAULT_KEY = 'calibration.projectDefault';

interface StoredSource {
  source: CalibrationSource;
  vendor: string | null;
  where: string | null;
  raw: string | null;
  at: string;
  /** The value this record describes; a pixel size changed behind its back makes it stale. */
  umPerPx: number;
}

export function projectDefault(store: ProjectStore): number | null {
  const v = store.getSetting(DEFAULT_KEY);
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function readSource(store: ProjectStore, im: ImageRecord): StoredSource | null {
  const v = store.getSetting(IMAGE_KEY + im.id);
  if (v === null || im.pixelSizeUm === null) return null;
  try {
    const s = JSON.parse(v) as StoredSource;
    return Math.abs(s.umPerPx - im.pixelSizeUm) <= 1e-12 * im.pixelSizeUm ? s : null;
  } catch {
    return null;
  }
}

function imageCalibration(store: ProjectStore, im: ImageRecord): ImageCalibration {
  const s = readSource(store, im);
  return { imageId: im.id, name: im.name, umPerPx: im.pixelSizeUm, source: s?.source ?? null, vendor: s?.vendor ?? null, where: s?.where ?? null, raw: s?.raw ?? null, at: s?.at ?? null };
}

export function calibrationOverview(store: ProjectStore): CalibrationOverview {
  return { projectDefault: projectDefault(store), images: store.listImages().map((im) => imageCalibration(store, im)) };
}

/** Drops the calibration record of an image that left the project. */
export function forgetCalibration(store: ProjectStore, imageId: number): void {
  store.db.prepare('DELETE FROM settings WHERE key = ?').run(IMAGE_KEY + imageId);
}

/** Sets an image's pixel size and records its source in one transaction; null clears both. */
export function setCalibration(
  store: ProjectStore,
  imageId: number,
  umPerPx: number | null,
  source: CalibrationSource,
  detail: { vendor?: string | null; where?: string | null; raw?: string | null } = {},
): ImageCalibration {
  return store.db.transaction(() => {
    const im = store.setPixelSize(imageId, umPerPx);
    if (umPerPx === null) store.db.prepare('DELETE FROM settings WHERE key = ?').run(IMAGE_KEY + imageId);
    else {
      const rec: StoredSource = { source, vendor: detail.vendor ?? null, where: detail.where ?? null, raw: detail.raw ?? null, at: new Date().toISOString(), umPerPx };
      store.setSetting(IMAGE_KEY + imageId, JSON.stringify(rec));
    }
    return imageCalibration(store, im);
  })();
}

function sourceOfDetected(d: DetectedCalibration): CalibrationSource {
  return d.vendor === 'TIFF resolution' || d.vendor === 'PNG resolution' ? 'resolution-tag' : 'metadata';
}

export function applyDetected(store: ProjectStore, imageId: number, d: DetectedCalibration): ImageCalibration {
  const note = d.umPerPxY !== undefined ? ` (pixel height ${d.umPerPxY.toPrecision(5)} µm; measured with square pixels of the width)` : '';
  return setCalibration(store, imageId, d.umPerPx, sourceOfDetected(d), { vendor: d.vendor, where: d.where, raw: d.raw + note });
}

/** Images whose value is the project default or none: what a default may set. */
function takesDefault(store: ProjectStore, im: ImageRecord): boolean {
  if (im.pixelSizeUm === null) return true;
  return readSource(store, im)?.source === 'project-default';
}

/** Sets the default and gives it to images that take it; null takes it back from them. */
export function setProjectDefault(store: ProjectStore, umPerPx: number | null): number {
  return store.db.transaction(() => {
    if (umPerPx === null) store.db.prepare('DELETE FROM settings WHERE key = ?').run(DEFAULT_KEY);
    else store.setSetting(DEFAULT_KEY, String(umPerPx));
    let applied = 0;
    for (const im of store.listImages()) {
      if (!takesDefault(store, im)) continue;
      if (umPerPx === null && im.pixelSizeUm === null) continue;
      setCalibration(store, im.id, umPerPx, 'project-default');
      applied++;
    }
    return applied;
  })();
}

/** Whether an image may be given a detected value under `apply`. */
export function mayApplyDetected(store: ProjectStore, im: ImageRecord, apply: 'none' | 'uncalibrated' | 'all'): boolean {
  if (apply === 'none') return false;
  return apply === 'all' || takesDefault(store, im);
}
