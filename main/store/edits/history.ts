// The one persisted undo history of a segmentation: the edit log (table edit_log) with an undo
// record per entry, the in-memory list of its entries per image, and undo/redo themselves.
//
//
// The log is a linear stack per image. Rows have undone = 0 (applied), 1 (undone, can be redone)
// or 2 (discarded redo entry that the current checkpoint still contains; kept only so replay from
// that checkpoint can revert it, deleted when the next checkpoint is written). The current map is
// the checkpoint, with rows at or below checkpoint_seq that are no longer applied reverted
// (newest first), then applied rows above checkpoint_seq re-applied (oldest first).
import type Database from 'better-sqlite3';
import { applyPatch, decodePatch, emptyPatch, encodePatch, invertMeta, isEmptyPatch, measurePatch, type EditKind, type MetaChange } from '../../../app/edit';
import type { EditHistoryState, EditStepResult } from '../../../app/contract/edit';
import { ServiceError } from '../../../app/errors';
import type { SegmentStats } from '../../../app/labelmap';
import { reviveClasses } from '../classes';
import type { SegmentationSide } from '../versions';
import type { EditParts } from './parts';
import type { ImageState } from './cache';
import { blob, toRecord, writeRows, type RowData, type SegRow } from './rows';

/** Class provenance change that rides along a classId meta change: [id, oldSource, oldConfidence, newSource, newConfidence, oldModel?, newModel?]. */
export type ClassProv = [number, string | null, number | null, string | null, number | null, (number | null)?, (number | null)?];

/** The undo record stored as JSON in edit_log.info. */
export interface LogInfo {
  v: 1;
  meta: MetaChange[];
  classProv: ClassProv[];
  /** Rows the forward change removed (undo re-creates them). */
  removed: RowData[];
  /** Rows the forward change created (redo re-creates them). */
  created: RowData[];
  /** Ids a person's edit marked hand-edited (undo clears the mark). */
  editedOn?: number[];
  /** Class source changes without a class change (a person confirming a predicted class with its key). */
  sourceOnly?: ClassProv[];
  /** A whole-map replacement (re-segmenting, restoring a version): the rows on each side that differ from the other. */
  replace?: { before: RowData[]; after: RowData[] };
  /** Engine and settings of the segmentation on each side of a replacement. */
  segmentation?: { before: SegmentationSide; after: SegmentationSide };
}

export interface HistoryItem {
  seq: number;
  kind: HistoryKind | null;
  undone: 0 | 1;
}

/** An edit operation, or a whole-map replacement (re-segmenting, an import, restoring a version). */
export type HistoryKind = EditKind | 'resegment';

/** The log position of the newest applied entry (the base position when none is). */
export function cursorOf(history: readonly HistoryItem[], baseSeq: number): number {
  for (let k = history.length - 1; k >= 0; k--) if (history[k]!.undone === 0) return history[k]!.seq;
  return baseSeq;
}

/** Undo and redo depth and the kind of edit each would step over. */
export function depths(history: readonly HistoryItem[]): Pick<EditHistoryState, 'undoDepth' | 'redoDepth' | 'undoKind' | 'redoKind'> {
  let undoDepth = 0;
  let redoDepth = 0;
  let undoKind: HistoryKind | null = null;
  let redoKind: HistoryKind | null = null;
  for (const h of history) {
    if (h.undone === 0) {
      undoDepth++;
      undoKind = h.kind;
    } else {
      if (redoDepth === 0) redoKind = h.kind;
      redoDepth++;
    }
  }
  return { undoDepth, redoDepth, undoKind, redoKind };
}

/** Applied entries (what a checkpoint at the cursor contains). */
export function appliedCount(st: ImageState): number {
  return st.history.filter((h) => h.undone === 0).length;
}

/** Entries that could be redone die when a new edit is made: deleted, or kept as 'discarded' while the checkpoint contains them. */
function discardRedo(db: Database.Database, st: ImageState): void {
  if (st.history.some((h) => h.undone === 1)) st.lowestDiscard = Math.min(st.lowestDiscard, st.cursor);
  db.prepare('DELETE FROM edit_log WHERE image_id = ? AND undone = 1 AND seq > ?').run(st.imageId, st.checkpointSeq);
  db.prepare('UPDATE edit_log SET undone = 2 WHERE image_id = ? AND undone = 1').run(st.imageId);
}

/**
 * Appends one entry to the log (inside the caller's transaction): the redo entries it makes
 * impossible are discarded first. Returns the entry's log position.
 */
export function appendEntry(db: Database.Database, st: ImageState, op: string, patch: Uint8Array | null, info: LogInfo): number {
  discardRedo(db, st);
  return Number(db.prepare('INSERT INTO edit_log (image_id, op, patch, info) VALUES (?, ?, ?, ?)').run(st.imageId, op, patch ? blob(patch) : null, JSON.stringify(info)).lastInsertRowid);
}

/** After the entry's transaction committed: redo entries are gone, the new one is the newest applied. */
export function recordEntry(st: ImageState, seq: number, kind: HistoryKind): void {
  st.history = st.history.filter((h) => h.undone === 0);
  st.history.push({ seq, kind, undone: 0 });
}

export function undoRedo(p: EditParts, imageId: number, which: 'undo' | 'redo', expectRevision?: string): Promise<EditStepResult> {
  p.store.getImage(imageId);
  return p.cache.serial(imageId, async () => {
    const st = await p.cache.state(imageId);
    if (!st) throw new ServiceError('not-found', `Image ${imageId} has no segmentation, so there is nothing to ${which}.`);
    const none = (status: 'nothing' | 'stale'): EditStepResult => ({ ...st.historyState(), status, patch: encodePatch(emptyPatch()), direction: which === 'undo' ? 'inverse' : 'forward', upserted: [], removed: [] });
    if (expectRevision !== undefined && expectRevision !== st.revision) return none('stale');
    let idx = -1;
    if (which === 'undo') {
      for (let k = st.history.length - 1; k >= 0; k--) {
        if (st.history[k]!.undone === 0) {
          idx = k;
          break;
        }
      }
    } else {
      idx = st.history.findIndex((h) => h.undone === 1);
    }
    if (idx < 0) return none('nothing');
    const item = st.history[idx]!;
    const row = p.store.db.prepare('SELECT patch, info FROM edit_log WHERE seq = ? AND image_id = ?').get(item.seq, imageId) as { patch: Buffer | null; info: string | null } | undefined;
    if (!row) {
      // The history in memory and the log disagree (another process?): reload and report nothing done.
      p.cache.drop(st);
      return none('stale');
    }
    const bytes = row.patch ? new Uint8Array(row.patch) : encodePatch(emptyPatch());
    const patch = row.patch ? decodePatch(bytes) : emptyPatch();
    const info = parseInfo(row.info);
    const direction = which === 'undo' ? 'inverse' : 'forward';
    try {
      applyPatch(st.labels, patch, direction);
    } catch (e) {
      p.cache.drop(st);
      throw new ServiceError('internal', `Cannot ${which}: the label map of image ${imageId} is not in the state the history expects (${(e as Error).message}). Reopen the image.`);
    }
    const changes = isEmptyPatch(patch)
      ? { created: [], removed: [], changed: [], stats: [] as SegmentStats[] }
      : measurePatch(st.labels, patch, direction, { bboxes: (id) => st.bbox(id), areas: (id) => st.area(id) });
    const meta = which === 'undo' ? invertMeta(info.meta) : info.meta;
    const restore = new Map((which === 'undo' ? info.removed : info.created).map((r) => [r.id, r]));
    const after = new Map<number, SegRow>();
    const rowOf = (id: number) => after.get(id) ?? st.rows.get(id);
    if (info.replace) {
      // A whole-map replacement: the rows of this side, with the geometry the patch gives them.
      const stats = new Map(changes.stats.map((x) => [x.id, x]));
      for (const r of which === 'undo' ? info.replace.before : info.replace.after) {
        const g = stats.get(r.id) ?? st.rows.get(r.id);
        if (g && g.area > 0) after.set(r.id, { ...r, edited: r.edited === true, area: g.area, bbox: g.bbox });
      }
    }
    for (const s of changes.stats) {
      if (after.has(s.id)) continue;
      const r = st.rows.get(s.id);
      const back = restore.get(s.id);
      if (r && r.area > 0) after.set(s.id, { ...r, area: s.area, bbox: s.bbox });
      else if (back) after.set(s.id, { ...back, edited: back.edited === true, area: s.area, bbox: s.bbox }); // older entries lack `edited`
      else after.set(s.id, { id: s.id, classId: null, classSource: null, classConfidence: null, source: 'brush', verified: false, edited: false, clusterId: null, area: s.area, bbox: s.bbox });
    }
    for (const c of meta) {
      const r = rowOf(c.id);
      if (!r) continue;
      if (c.field === 'verified') after.set(c.id, { ...r, verified: c.new });
      else {
        const prov = info.classProv.find((p) => p[0] === c.id);
        const [src, conf, model] = prov ? (which === 'undo' ? [prov[1], prov[2], prov[5]] : [prov[3], prov[4], prov[6]]) : [c.new === null ? null : 'person', null, null];
        after.set(c.id, { ...r, classId: c.new, classSource: src, classConfidence: conf, classModel: model !== undefined ? model : src === 'classifier' ? (r.classModel ?? null) : null });
      }
    }
    for (const p of info.sourceOnly ?? []) {
      const r = rowOf(p[0]);
      if (r) after.set(p[0], which === 'undo' ? { ...r, classSource: p[1], classConfidence: p[2], classModel: p[5] ?? null } : { ...r, classSource: p[3], classConfidence: p[4], classModel: p[6] ?? null });
    }
    for (const id of info.editedOn ?? []) {
      const r = rowOf(id);
      if (r) after.set(id, { ...r, edited: which === 'redo' });
    }
    const seg = info.segmentation ? (which === 'undo' ? info.segmentation.before : info.segmentation.after) : null;
    // A class deleted since is given back to segments: it comes back into the list.
    const classIds = new Set<number>();
    for (const r of after.values()) if (r.classId !== null) classIds.add(r.classId);
    const removed = changes.removed;
    const checkpoint = p.checkpoints.sync(st);
    const newCursor = which === 'undo' ? (st.history.slice(0, idx).reverse().find((h) => h.undone === 0)?.seq ?? st.baseSeq) : item.seq;
    try {
      p.store.db.transaction(() => {
        p.store.db.prepare('UPDATE edit_log SET undone = ? WHERE seq = ?').run(which === 'undo' ? 1 : 0, item.seq);
        reviveClasses(p.store, classIds);
        writeRows(p.store.db, imageId, removed, [...after.values()]);
        if (seg) p.store.db.prepare('UPDATE segmentations SET engine = ?, settings = ?, made_at = ? WHERE image_id = ?').run(seg.engine, seg.settings, seg.madeAt, imageId);
        if (checkpoint) p.checkpoints.store(st, checkpoint, newCursor, appliedCount(st) + (which === 'undo' ? -1 : 1));
      })();
    } catch (e) {
      st.pendingBase = null;
      applyPatch(st.labels, patch, direction === 'inverse' ? 'forward' : 'inverse');
      throw new ServiceError('io', `Saving the ${which} to ${p.store.dir} failed: ${(e as Error).message}. Nothing was changed; try again.`);
    }
    for (const id of removed) st.rows.delete(id);
    for (const r of after.values()) st.rows.set(r.id, r);
    if (seg) st.engine = seg.engine;
    item.undone = which === 'undo' ? 1 : 0;
    p.checkpoints.afterChange(st, checkpoint, newCursor);
    return { ...st.historyState(), status: 'applied', patch: bytes, direction, upserted: [...after.values()].map(toRecord), removed };
  });
}

function parseInfo(text: string | null): LogInfo {
  if (!text) return { v: 1, meta: [], classProv: [], removed: [], created: [] };
  try {
    const v = JSON.parse(text) as Partial<LogInfo>;
    return { ...v, v: 1, meta: v.meta ?? [], classProv: v.classProv ?? [], removed: v.removed ?? [], created: v.created ?? [] };
  } catch {
    throw new ServiceError('io', 'An entry of the edit history is damaged (its undo record is not valid JSON). Restore the project from its last backup.');
  }
}
