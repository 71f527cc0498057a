// Segment-table rows as main keeps them in memory beside each label map, and the SQL that writes them.
import type Database from 'better-sqlite3';
import type { Box, SegmentRecord, SegmentSource } from '../../../app/types';

/** Segment-table row as main keeps it in memory. */
export interface SegRow {
  id: number;
  classId: number | null;
  classSource: string | null;
  classConfidence: number | null;
  /** Classifier version when classSource is 'classifier'. */
  classModel?: number | null;
  source: SegmentSource;
  verified: boolean;
  /** A person changed the segment's pixels by hand. */
  edited: boolean;
  clusterId: number | null;
  area: number;
  bbox: Box;
}
/** What a row holds besides its geometry: restored when undo/redo brings a segment back. */
export type RowData = Omit<SegRow, 'area' | 'bbox'>;

export function toRecord(r: SegRow): SegmentRecord {
  return {
    id: r.id,
    classId: r.classId,
    source: r.source,
    verified: r.verified,
    clusterId: r.clusterId,
    area: r.area,
    bbox: { ...r.bbox },
    classSource: r.classSource as SegmentRecord['classSource'],
    classConfidence: r.classConfidence,
    edited: r.edited,
  };
}

/** A row as a record with the classifier version too (what versions and re-segmenting keep exactly). */
export function fullRecord(r: SegRow): SegmentRecord & { classModel: number | null } {
  return { ...toRecord(r), classModel: r.classModel ?? null };
}

export function rowData(r: SegRow): RowData {
  return {
    id: r.id,
    classId: r.classId,
    classSource: r.classSource,
    classConfidence: r.classConfidence,
    classModel: r.classModel ?? null,
    source: r.source,
    verified: r.verified,
    edited: r.edited,
    clusterId: r.clusterId,
  };
}

export const sameRowData = (a: RowData, b: RowData) =>
  a.classId === b.classId && a.classSource === b.classSource && a.classConfidence === b.classConfidence && (a.classModel ?? null) === (b.classModel ?? null) &&
  a.source === b.source && a.verified === b.verified && a.edited === b.edited && a.clusterId === b.clusterId;

/** A byte view as the Buffer better-sqlite3 stores as a BLOB. */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Deletes the removed rows and writes (inserts or updates) the given ones. */
export function writeRows(db: Database.Database, imageId: number, removed: readonly number[], rows: readonly SegRow[]): void {
  const del = db.prepare('DELETE FROM segments WHERE image_id = ? AND id = ?');
  const upsert = db.prepare(`INSERT INTO segments (image_id, id, class_id, class_source, class_confidence, class_model, source, verified, edited, cluster_id, area, bbox_x, bbox_y, bbox_w, bbox_h)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(image_id, id) DO UPDATE SET class_id = excluded.class_id, class_source = excluded.class_source, class_confidence = excluded.class_confidence, class_model = excluded.class_model,
      source = excluded.source, verified = excluded.verified, edited = excluded.edited, cluster_id = excluded.cluster_id, area = excluded.area,
      bbox_x = excluded.bbox_x, bbox_y = excluded.bbox_y, bbox_w = excluded.bbox_w, bbox_h = excluded.bbox_h`);
  for (const id of removed) del.run(imageId, id);
  for (const r of rows) {
    upsert.run(imageId, r.id, r.classId, r.classSource, r.classConfidence, r.classModel ?? null, r.source, r.verified ? 1 : 0, r.edited ? 1 : 0, r.clusterId, r.area, r.bbox.x, r.bbox.y, r.bbox.width, r.bbox.height);
  }
}
