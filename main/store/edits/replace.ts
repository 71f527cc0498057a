// Replacing an image's whole map (re-segmenting, importing labels, restoring a version) as one
// undoable history entry, keeping the replaced map as a version.
import { applyPatch, diffToPatch, encodePatch, isEmptyPatch } from '../../../app/edit';
import type { EditHistoryState } from '../../../app/contract/edit';
import { ServiceError } from '../../../app/errors';
import { segmentStats, type SegmentStats } from '../../../app/labelmap';
import type { ImageStatus, LabelMap, SegmentRecord } from '../../../app/types';
import { compressLabels } from '../project-store';
import { currentSide, editCountSince, insertVersion, pruneVersions, versionLimit, type SegmentationSide } from '../versions';
import type { EditParts } from './parts';
import { appendEntry, appliedCount, recordEntry, type LogInfo } from './history';
import { fullRecord, rowData, sameRowData, writeRows, type RowData, type SegRow } from './rows';

/** A new map for an image that already has one (see EditStore.replace). */
export interface Replacement {
  /** Makes the new map from the current one; runs in the image's queue, so nothing changes meanwhile (read, do not keep or change, what it gets). */
  build(current: { labels: LabelMap; segments: SegmentRecord[]; nextId: number }): Promise<ReplacementMap> | ReplacementMap;
  /** Engine, settings and time of the new map. */
  side: SegmentationSide;
  /** Says what replaced the old map, in its version ("classic (phase)", "restore of version 3"). */
  replacedBy: string;
  /** Review status afterwards (default: in-review when segments were kept, else auto-segmented). */
  status?: ImageStatus;
}

export interface ReplacementMap {
  labels: LabelMap;
  /** Rows of the new map's segments by id (kept segments: their rows as they were); others get an automatic row. */
  rows: ReadonlyMap<number, Omit<SegmentRecord, 'area' | 'bbox' | 'id'> & { classModel?: number | null }>;
  nextId: number;
  kept: number;
  /** Area and box of every segment of `labels`, when the builder has them (saves a pass over the map). */
  stats?: SegmentStats[];
}

export interface ReplaceOutcome {
  status: 'applied' | 'unchanged';
  seq: number;
  /** The version that holds the replaced map (null when nothing changed). */
  versionId: number | null;
  segments: number;
  kept: number;
  history: EditHistoryState;
}


/**
 * Replaces the image's map by a new one (re-segmenting, importing labels, restoring a version) as
 * ONE undoable history entry whose patch is the difference of the maps; the replaced map and its
 * rows are kept as a version in the same transaction. Null when the image has no segmentation.
 */
export async function replaceMap(p: EditParts, imageId: number, r: Replacement): Promise<ReplaceOutcome | null> {
  const image = p.store.getImage(imageId);
  return p.cache.serial(imageId, async () => {
    const st = await p.cache.state(imageId);
    if (!st) return null;
    const beforeRows = [...st.rows.values()].filter((x) => x.area > 0).sort((a, b) => a.id - b.id);
    const next = await r.build({ labels: st.labels, segments: beforeRows.map(fullRecord), nextId: st.nextId });
    if (next.labels.width !== st.labels.width || next.labels.height !== st.labels.height) {
      throw new ServiceError('invalid-argument', `The new segmentation of ${image.name} is ${next.labels.width}x${next.labels.height} px; the image is ${st.labels.width}x${st.labels.height}.`);
    }
    const afterRows = new Map<number, SegRow>();
    for (const g of next.stats ?? segmentStats(next.labels)) {
      const d = next.rows.get(g.id);
      afterRows.set(g.id, {
        id: g.id,
        classId: d?.classId ?? null,
        classSource: d?.classId == null ? null : (d.classSource ?? null),
        classConfidence: d?.classId == null ? null : (d.classConfidence ?? null),
        classModel: d?.classId == null ? null : (d.classModel ?? null),
        source: d?.source ?? 'auto',
        verified: d?.verified ?? false,
        edited: d?.edited ?? false,
        clusterId: d?.clusterId ?? null,
        area: g.area,
        bbox: g.bbox,
      });
    }
    const beforeById = new Map(beforeRows.map((x) => [x.id, x]));
    const before: RowData[] = [];
    const after: RowData[] = [];
    const write: SegRow[] = [];
    const removed: number[] = [];
    for (const b of beforeRows) {
      const a = afterRows.get(b.id);
      if (!a) removed.push(b.id);
      if (!a || !sameRowData(rowData(a), rowData(b))) before.push(rowData(b));
    }
    for (const a of afterRows.values()) {
      const b = beforeById.get(a.id);
      const same = b !== undefined && sameRowData(rowData(a), rowData(b));
      if (!same) after.push(rowData(a));
      if (!same || a.area !== b.area || a.bbox.x !== b.bbox.x || a.bbox.y !== b.bbox.y || a.bbox.width !== b.bbox.width || a.bbox.height !== b.bbox.height) write.push(a);
    }
    const patch = diffToPatch(st.labels, next.labels);
    if (isEmptyPatch(patch) && before.length === 0 && after.length === 0) {
      return { status: 'unchanged', seq: st.cursor, versionId: null, segments: afterRows.size, kept: next.kept, history: st.historyState() };
    }
    // The replaced map for its version, compressed while the queue holds the map still.
    const compressed = await compressLabels(st.labels.data);
    const side0 = currentSide(p.store, imageId) ?? { engine: st.engine, settings: null, madeAt: null };
    const editCount = editCountSince(p.store, imageId);
    const status: ImageStatus = r.status ?? (next.kept > 0 || image.status === 'verified' ? 'in-review' : 'auto-segmented');
    const info: LogInfo = { v: 1, meta: [], classProv: [], removed: [], created: [], replace: { before, after }, segmentation: { before: side0, after: r.side } };
    const nextId = Math.max(st.nextId, next.nextId);
    applyPatch(st.labels, patch, 'forward');
    const checkpoint = p.checkpoints.sync(st);
    let seq = 0;
    let versionId = 0;
    try {
      p.store.db.transaction(() => {
        const op = JSON.stringify({ kind: 'resegment', engine: r.side.engine, replacedBy: r.replacedBy });
        seq = appendEntry(p.store.db, st, op, isEmptyPatch(patch) ? null : encodePatch(patch), info);
        writeRows(p.store.db, imageId, removed, write);
        p.store.db.prepare('UPDATE segmentations SET engine = ?, settings = ?, made_at = ?, next_id = max(next_id, ?) WHERE image_id = ?').run(r.side.engine, r.side.settings, r.side.madeAt, nextId, imageId);
        p.store.setStatus(imageId, status);
        versionId = insertVersion(p.store, { imageId, side: side0, replacedBy: r.replacedBy, editCount, labels: st.labels, compressed, segments: beforeRows.map(fullRecord), nextId: st.nextId });
        pruneVersions(p.store, imageId, versionLimit(p.store));
        if (checkpoint) p.checkpoints.store(st, checkpoint, seq, appliedCount(st) + 1);
      })();
    } catch (e) {
      st.pendingBase = null;
      applyPatch(st.labels, patch, 'inverse');
      throw new ServiceError('io', `Saving the new segmentation of ${image.name} to ${p.store.dir} failed: ${(e as Error).message}. The previous segmentation is unchanged; check free disk space and try again.`);
    }
    for (const id of removed) st.rows.delete(id);
    for (const w of write) st.rows.set(w.id, w);
    st.nextId = nextId;
    st.engine = r.side.engine;
    recordEntry(st, seq, 'resegment');
    p.checkpoints.afterChange(st, checkpoint, seq);
    return { status: 'applied', seq, versionId, segments: afterRows.size, kept: next.kept, history: st.historyState() };
  });
}
