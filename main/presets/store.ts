// Segmentation presets and the settings each segmentation was made with, kept in the project's
// key-value `settings` table (one row per preset); the settings of each segmentation live with it.
import { ServiceError } from '../../app/errors';
import type { SegmentationPreset, SegmentationSettingsRecord } from '../../app/contract/presets';
import type { ProjectStore } from '../store/project-store';

const PRESET_PREFIX = 'segmentation.preset:';

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

/**
 * The settings the current segmentation of an image was made with: stored with the segmentation
 * itself (segmentations.settings, and with each version once replaced; main/store/automatic.ts),
 * so a record never outlives the segmentation it describes. A preset's name rides along as
 * `preset`; an import or a phase map may have no classic settings to tell.
 */
export function segmentationSettings(store: ProjectStore, imageId: number): SegmentationSettingsRecord | null {
  const row = store.db.prepare('SELECT engine, settings, made_at, updated_at FROM segmentations WHERE image_id = ?').get(imageId) as
    | { engine: string; settings: string | null; made_at: string | null; updated_at: string }
    | undefined;
  if (!row || row.settings === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.settings);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const { preset, ...settings } = parsed as Record<string, unknown>;
  return { imageId, engine: row.engine, settings, preset: typeof preset === 'string' ? preset : null, at: row.made_at ?? row.updated_at };
}
