// Persistence of what the pixel classifier learns from, in the project's SQLite (migration 7):
// scribble strokes per image (painted, erased, undone — never rewritten by a machine) and the
// trained classifiers, each a new row with its version.
import type { ProjectStore } from '../store/project-store';
import type { ScribbleState, ScribbleStrokeInfo } from '../../app/contract/learn';
import { replayStrokes, strokePixels } from '../../app/learn/strokes';
import { ServiceError } from '../../app/errors';
import { decodeClassifier, encodeClassifier, type StoredClassifier } from './codec';

interface StrokeRow {
  id: number;
  kind: 'paint' | 'erase';
  class_id: number | null;
  radius: number;
  points: Buffer;
  created_at: string;
}

function toInfo(r: StrokeRow): ScribbleStrokeInfo {
  const f = new Float32Array(r.points.buffer.slice(r.points.byteOffset, r.points.byteOffset + r.points.byteLength));
  return { id: r.id, kind: r.kind, classId: r.class_id, radius: r.radius, points: Array.from(f), createdAt: r.created_at };
}

/** The image's live strokes in order (undone ones left out). */
function listStrokes(store: ProjectStore, imageId: number): ScribbleStrokeInfo[] {
  const rows = store.db.prepare('SELECT id, kind, class_id, radius, points, created_at FROM learn_strokes WHERE image_id = ? AND undone = 0 ORDER BY id').all(imageId) as StrokeRow[];
  return rows.map(toInfo);
}

/** Images that have at least one live stroke. */
export function imagesWithStrokes(store: ProjectStore): number[] {
  return (store.db.prepare('SELECT DISTINCT image_id AS id FROM learn_strokes WHERE undone = 0 ORDER BY image_id').all() as { id: number }[]).map((r) => r.id);
}

export function addStroke(store: ProjectStore, imageId: number, kind: 'paint' | 'erase', classId: number | null, radius: number, points: number[]): void {
  const blob = Buffer.from(Float32Array.from(points).buffer);
  store.db.transaction(() => {
    // A new stroke ends the redo-able past: undone strokes of this image are dropped.
    store.db.prepare('DELETE FROM learn_strokes WHERE image_id = ? AND undone = 1').run(imageId);
    store.db.prepare('INSERT INTO learn_strokes (image_id, kind, class_id, radius, points) VALUES (?, ?, ?, ?, ?)').run(imageId, kind, classId, radius, blob);
  })();
}

/** Marks the last live stroke undone; false when there is none. */
export function undoStroke(store: ProjectStore, imageId: number): boolean {
  const row = store.db.prepare('SELECT id FROM learn_strokes WHERE image_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1').get(imageId) as { id: number } | undefined;
  if (!row) return false;
  store.db.prepare('UPDATE learn_strokes SET undone = 1 WHERE id = ?').run(row.id);
  return true;
}

/** Per pixel: the class id painted there (0 = none), after replaying the image's strokes. */
export function scribbleClassIds(store: ProjectStore, imageId: number): Uint32Array {
  const im = store.getImage(imageId);
  const strokes = listStrokes(store, imageId);
  const out = new Uint32Array(im.width * im.height);
  for (const s of strokes) {
    const v = s.kind === 'erase' || s.classId == null ? 0 : s.classId;
    strokePixels(im.width, im.height, s, (i) => (out[i] = v));
  }
  return out;
}

export function scribbleState(store: ProjectStore, imageId: number): ScribbleState {
  const im = store.getImage(imageId);
  const strokes = listStrokes(store, imageId);
  // No strokes, no pixels to count (and no whole-image map to replay: a 32768^2 mosaic would take a GiB).
  if (strokes.length === 0) return { imageId, strokes, pixels: {}, canUndo: false };
  const ids = [...new Set(strokes.map((s) => s.classId).filter((c): c is number => c != null))];
  const map = replayStrokes(strokes, im.width, im.height, (c) => ids.indexOf(c) + 1);
  const counts = new Array<number>(ids.length + 1).fill(0);
  for (const v of map) counts[v]!++;
  const pixels: Record<string, number> = {};
  ids.forEach((c, k) => {
    if (counts[k + 1]) pixels[String(c)] = counts[k + 1]!;
  });
  return { imageId, strokes, pixels, canUndo: strokes.length > 0 };
}

export function saveClassifier(store: ProjectStore, s: Omit<StoredClassifier, 'info'> & { info: Omit<StoredClassifier['info'], 'id' | 'version'> }): StoredClassifier {
  return store.db.transaction(() => {
    const next = ((store.db.prepare('SELECT max(id) AS m FROM learn_classifiers').get() as { m: number | null }).m ?? 0) + 1;
    const full: StoredClassifier = { classifier: s.classifier, info: { ...s.info, id: next, version: next } };
    store.db.prepare('INSERT INTO learn_classifiers (id, info, data) VALUES (?, ?, ?)').run(next, JSON.stringify(full.info), encodeClassifier(full));
    // Keep the last few versions only; they are large.
    store.db.prepare('DELETE FROM learn_classifiers WHERE id <= ?').run(next - 5);
    return full;
  })();
}

/** The newest classifier, or null. A damaged one is a clear error, not a crash. */
export function loadClassifier(store: ProjectStore): StoredClassifier | null {
  const row = store.db.prepare('SELECT id, data FROM learn_classifiers ORDER BY id DESC LIMIT 1').get() as { id: number; data: Buffer } | undefined;
  if (!row) return null;
  return decodeClassifier(row.data, `The project's pixel classifier (version ${row.id})`);
}

export function requireClassifier(store: ProjectStore): StoredClassifier {
  const c = loadClassifier(store);
  if (!c) throw new ServiceError('not-found', 'No pixel classifier has been trained in this project yet. Paint scribbles of at least two classes (or classify segments), then train (grainlab train).');
  return c;
}
