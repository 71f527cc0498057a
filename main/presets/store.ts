// Segmentation presets and the settings each segmentation was made with, kept in the project's
// key-value `settings` table (no schema change): one row per preset, one per segmented image.
import { ServiceError } from '../../app/errors';
import type { SegmentationPreset, SegmentationSettingsRecord } from '../../app/contract/presets';
import type { ProjectStore } from '../store/project-store';

const PRESET_PREFIX = 'segmentation.preset:';
const SETTINGS_PREFIX = 'segmentation.settings:';

/** Every key that starts with `prefix`, in key order (a range scan on the primary key). */
function rowsWithPrefix(store: ProjectStore, prefix: string): { key: string; value: string }[] {
  // The character after the prefix's last one bounds the range: 'abc:' .. 'abc;'.
  const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return store.db.prepare('SELECT key, value FROM settings WHERE key >= ? AND key < ? ORDER BY key').all(prefix, upper) as { key: string; value: string }[];
}

function parsePreset(key: string, value: string): SegmentationPreset | null {
  try {
    const p = JSON.parse(value) as SegmentationPreset;
    return p && typeof p === 'object' && p.settings ? { ...p, name: key.slice(PRESET_PREFIX.length) } : null;
  } catch {
    return null;
  }
}

export function listPresets(store: ProjectStore): SegmentationPreset[] {
  return rowsWithPrefix(store, PRESET_PREFIX)
    .map((r) => parsePreset(r.key, r.value))
    .filter((p): p is SegmentationPreset => p !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function getPreset(store: ProjectStore, name: string): SegmentationPreset {
  const v = store.getSetting(PRESET_PREFIX + name);
  const p = v === null ? null : parsePreset(PRESET_PREFIX + name, v);
  if (!p) {
    const names = listPresets(store).map((x) => x.name);
    throw new ServiceError('not-found', `No segmentation preset named '${name}' in this project${names.length ? ` (it has: ${names.join(', ')})` : ''}. Save one first (grainlab presets save).`);
  }
  return p;
}

export function savePreset(store: ProjectStore, p: Omit<SegmentationPreset, 'updatedAt'>): SegmentationPreset {
  const saved: SegmentationPreset = { ...p, updatedAt: new Date().toISOString() };
  store.setSetting(PRESET_PREFIX + p.name, JSON.stringify(saved));
  return saved;
}

export function deletePreset(store: ProjectStore, name: string): boolean {
  return store.db.prepare('DELETE FROM settings WHERE key = ?').run(PRESET_PREFIX + name).changes > 0;
}

/** A free name: `name`, else `name (2)`, `name (3)`, ... */
export function freePresetName(store: ProjectStore, name: string): string {
  const taken = new Set(listPresets(store).map((p) => p.name));
  if (!taken.has(name)) return name;
  for (let k = 2; ; k++) {
    const n = `${name.slice(0, 90)} (${k})`;
    if (!taken.has(n)) return n;
  }
}

interface StoredSettings {
  engine: string;
  settings: Record<string, unknown>;
  preset: string | null;
  at: string;
}

/**
 * Records the settings of the segmentation just saved for an image. Call in the same transaction
 * as the save: the record carries the segmentation's updated_at, which changes whenever the
 * segmentation is replaced, so a record left from an earlier segmentation is never mistaken for
 * the current one's (an import or a phase map writes none).
 */
export function recordSegmentationSettings(store: ProjectStore, imageId: number, engine: string, settings: Record<string, unknown>, preset: string | null): void {
  const row = store.db.prepare('SELECT updated_at FROM segmentations WHERE image_id = ?').get(imageId) as { updated_at: string } | undefined;
  if (!row) return;
  const rec: StoredSettings = { engine, settings, preset, at: row.updated_at };
  store.setSetting(SETTINGS_PREFIX + imageId, JSON.stringify(rec));
}

export function segmentationSettings(store: ProjectStore, imageId: number): SegmentationSettingsRecord | null {
  const v = store.getSetting(SETTINGS_PREFIX + imageId);
  if (v === null) return null;
  const row = store.db.prepare('SELECT engine, updated_at FROM segmentations WHERE image_id = ?').get(imageId) as { engine: string; updated_at: string } | undefined;
  let rec: StoredSettings;
  try {
    rec = JSON.parse(v) as StoredSettings;
  } catch {
    return null;
  }
  if (!row || row.updated_at !== rec.at || row.engine !== rec.engine) return null;
  return { imageId, engine: rec.engine, settings: rec.settings, preset: rec.preset ?? null, at: rec.at };
}
