// Earlier versions of an image's segmentation in SQLite (segmentation_versions, schema v5): the
// compressed label map and segment rows of what an automatic result replaced, with its engine,
// settings and how many edits a person had made on it. A bounded number per image is kept.
import { deflateSync, inflateSync } from 'node:zlib';
import type { SegmentationSummary, VersionInfo } from '../../app/contract/versions';
import { ServiceError } from '../../app/errors';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { isPersonMade } from '../../app/provenance';
import { decompressLabels, type ProjectStore } from './project-store';

/** Engine, settings (JSON text) and time of a segmentation: stored on segmentations and on each version. */
export interface SegmentationSide {
  engine: string;
  settings: string | null;
  madeAt: string | null;
}

const DEFAULT_VERSION_LIMIT = 10;

export function versionLimit(store: ProjectStore): number {
  const v = Number(store.getSetting('versions.limit'));
  return Number.isInteger(v) && v >= 1 ? v : DEFAULT_VERSION_LIMIT;
}

export function setVersionLimit(store: ProjectStore, limit: number): void {
  store.setSetting('versions.limit', String(limit));
}

export function currentSide(store: ProjectStore, imageId: number): SegmentationSide | null {
  const r = store.db.prepare('SELECT engine, settings, made_at FROM segmentations WHERE image_id = ?').get(imageId) as { engine: string; settings: string | null; made_at: string | null } | undefined;
  return r ? { engine: r.engine, settings: r.settings, madeAt: r.made_at } : null;
}

/** Edits a person made since the current segmentation was made (applied history entries after the last re-segmenting). */
export function editCountSince(store: ProjectStore, imageId: number): number {
  const row = store.db
    .prepare(
      `SELECT count(*) AS n FROM edit_log WHERE image_id = ? AND undone = 0 AND NOT (json_valid(op) AND json_type(op) = 'object' AND json_extract(op, '$.kind') IN ('resegment'))
         AND seq > coalesce((SELECT max(seq) FROM edit_log WHERE image_id = ? AND undone = 0 AND json_valid(op) AND json_type(op) = 'object' AND json_extract(op, '$.kind') = 'resegment'), 0)`,
    )
    .get(imageId, imageId) as { n: number };
  return row.n;
}

interface NewVersion {
  imageId: number;
  side: SegmentationSide;
  replacedBy: string;
  editCount: number;
  labels: LabelMap;
  /** The label map in the store's compressed format. */
  compressed: Uint8Array;
  segments: SegmentRecord[];
  nextId: number;
}

/** Stores a version (call inside the transaction that replaces the map); returns its id. */
export function insertVersion(store: ProjectStore, v: NewVersion): number {
  const rows = deflateSync(Buffer.from(JSON.stringify(v.segments)));
  const person = v.segments.filter((s) => isPersonMade(s)).length;
  const info = store.db
    .prepare(
      `INSERT INTO segmentation_versions (image_id, engine, settings, made_at, replaced_by, edit_count, segment_count, person_count, width, height, next_id, labels, segments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      v.imageId,
      v.side.engine,
      v.side.settings,
      v.side.madeAt,
      v.replacedBy,
      v.editCount,
      v.segments.length,
      person,
      v.labels.width,
      v.labels.height,
      v.nextId,
      Buffer.from(v.compressed.buffer, v.compressed.byteOffset, v.compressed.byteLength),
      rows,
    );
  return Number(info.lastInsertRowid);
}

/** Keeps the newest `limit` versions of an image; returns how many were deleted. */
export function pruneVersions(store: ProjectStore, imageId: number, limit: number): number {
  return store.db
    .prepare('DELETE FROM segmentation_versions WHERE image_id = ? AND id NOT IN (SELECT id FROM segmentation_versions WHERE image_id = ? ORDER BY id DESC LIMIT ?)')
    .run(imageId, imageId, limit).changes;
}

function parseSettings(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface VersionRow {
  id: number;
  image_id: number;
  engine: string;
  settings: string | null;
  made_at: string | null;
  replaced_at: string;
  replaced_by: string;
  edit_count: number;
  segment_count: number;
  person_count: number;
}

export function listVersions(store: ProjectStore, imageId: number): VersionInfo[] {
  const rows = store.db
    .prepare('SELECT id, image_id, engine, settings, made_at, replaced_at, replaced_by, edit_count, segment_count, person_count FROM segmentation_versions WHERE image_id = ? ORDER BY id DESC')
    .all(imageId) as VersionRow[];
  return rows.map((r) => ({
    id: r.id,
    imageId: r.image_id,
    engine: r.engine,
    settings: parseSettings(r.settings),
    madeAt: r.made_at,
    replacedAt: r.replaced_at,
    replacedBy: r.replaced_by,
    editCount: r.edit_count,
    segmentCount: r.segment_count,
    personCount: r.person_count,
  }));
}

export function summaryOf(side: SegmentationSide, segments: readonly SegmentRecord[], editCount: number): SegmentationSummary {
  return { engine: side.engine, settings: parseSettings(side.settings), madeAt: side.madeAt, editCount, segmentCount: segments.length, personCount: segments.filter((s) => isPersonMade(s)).length };
}

interface StoredVersion {
  side: SegmentationSide;
  labels: LabelMap;
  segments: SegmentRecord[];
  nextId: number;
}

export async function loadVersion(store: ProjectStore, imageId: number, versionId: number): Promise<StoredVersion> {
  const r = store.db
    .prepare('SELECT engine, settings, made_at, width, height, next_id, labels, segments FROM segmentation_versions WHERE id = ? AND image_id = ?')
    .get(versionId, imageId) as { engine: string; settings: string | null; made_at: string | null; width: number; height: number; next_id: number; labels: Buffer; segments: Buffer } | undefined;
  if (!r) throw new ServiceError('not-found', `Image ${imageId} has no version ${versionId} (only the newest ${versionLimit(store)} are kept). List them with versions.list.`);
  let segments: SegmentRecord[];
  try {
    segments = JSON.parse(inflateSync(r.segments).toString('utf8')) as SegmentRecord[];
  } catch (e) {
    throw new ServiceError('io', `Version ${versionId} of image ${imageId} is damaged (${(e as Error).message}); it cannot be restored. Other versions are not affected.`);
  }
  const data = await decompressLabels(r.labels, r.width * r.height);
  return { side: { engine: r.engine, settings: r.settings, madeAt: r.made_at }, labels: { width: r.width, height: r.height, data }, segments, nextId: r.next_id };
}
