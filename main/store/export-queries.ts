// SQL that export, import and measurements need beyond ProjectStore's API: engines per image,
// class provenance per segment, finding or creating classes, and setting segment classes.
import type { ClassRecord } from '../../app/types';
import type { ProjectStore } from './project-store';
import { ensureClassNamed } from './classes';

/** Segmentation engine and last change of every segmented image. */
export function segmentationInfo(store: ProjectStore): Map<number, { engine: string; updatedAt: string }> {
  const rows = store.db.prepare('SELECT image_id, engine, updated_at FROM segmentations').all() as { image_id: number; engine: string; updated_at: string }[];
  return new Map(rows.map((r) => [r.image_id, { engine: r.engine, updatedAt: r.updated_at }]));
}

/** Classifier confidence of each segment of an image that has one (schema v2 column). */
export function classConfidences(store: ProjectStore, imageId: number): Map<number, number> {
  const rows = store.db.prepare('SELECT id, class_confidence FROM segments WHERE image_id = ? AND class_confidence IS NOT NULL').all(imageId) as { id: number; class_confidence: number }[];
  return new Map(rows.map((r) => [r.id, r.class_confidence]));
}

/**
 * The class with this name (names are unique among live classes, compared exactly), created with
 * `color` (or a default colour) when missing. `created` says which happened.
 */
export function ensureClass(store: ProjectStore, name: string, color?: string | null, value?: number | null): { record: ClassRecord; created: boolean } {
  return ensureClassNamed(store, name, color, value);
}

/**
 * Changes whenever the image's current label map can have changed: a new segmentation (updated_at)
 * or any edit, undo or redo (edit-log rows and their undone flags). Used as a cache key.
 */
export function labelsVersion(store: ProjectStore, imageId: number): string | null {
  const seg = store.db.prepare('SELECT updated_at FROM segmentations WHERE image_id = ?').get(imageId) as { updated_at: string } | undefined;
  if (!seg) return null;
  const log = store.db.prepare('SELECT count(*) AS n, max(seq) AS last, sum(undone) AS undone FROM edit_log WHERE image_id = ?').get(imageId) as { n: number; last: number | null; undone: number | null };
  return `${seg.updated_at}|${log.n}|${log.last ?? 0}|${log.undone ?? 0}`;
}

/** Whether the image has edit-log rows, i.e. its stored checkpoint may not be its current label map. */
export function hasEditLog(store: ProjectStore, imageId: number): boolean {
  return store.db.prepare('SELECT 1 FROM edit_log WHERE image_id = ? LIMIT 1').get(imageId) !== undefined;
}
