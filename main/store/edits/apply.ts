// Applying a person's (or an automatic) edit operations to the label map as one history entry:
// the patch, the segment rows it changes, class provenance, and their SQL in one transaction.
import {
  applyEdit,
  applyPatch,
  combinePatches,
  emptyPatch,
  encodePatch,
  isEmptyPatch,
  patchPixelCount,
  type EditKind,
  type EditOp,
  type LabelPatch,
  type MetaChange,
  type SegmentMeta,
} from '../../../app/edit';
import type { EditAck, EditApplyArgs } from '../../../app/contract/edit';
import { ServiceError } from '../../../app/errors';
import type { Box, SegmentRecord, SegmentSource } from '../../../app/types';
import { currentSide, editCountSince, insertVersion, pruneVersions, versionLimit } from '../versions';
import type { EditParts } from './parts';
import type { ImageState } from './cache';
import { appendEntry, appliedCount, recordEntry, type ClassProv, type LogInfo } from './history';
import { rowData, toRecord, writeRows, type RowData, type SegRow } from './rows';


/**
 * Where class changes made by main come from; edits from the renderer carry none and are a
 * person's (so are 'person' ones: a class a person gives a whole cluster). 'keep' leaves each
 * segment's source as it is (merging classes). Confidence per segment id; model = classifier version.
 */
export interface ClassProvenance {
  source: 'cluster' | 'classifier' | 'import' | 'person' | 'keep';
  confidence?: ReadonlyMap<number, number>;
  model?: number | null;
}

function opsKind(ops: readonly EditOp[]): EditKind {
  return ops[0]!.kind;
}

function defaultSource(ops: readonly EditOp[]): SegmentSource {
  return ops.some((o) => o.kind === 'addFromMask') ? 'prompt' : 'brush';
}

/** Net meta changes of several edits: first old and last new value per (id, field). */
function netMeta(changes: MetaChange[]): MetaChange[] {
  const out = new Map<string, MetaChange>();
  for (const c of changes) {
    const key = `${c.field}:${c.id}`;
    const prev = out.get(key);
    out.set(key, prev ? ({ ...prev, new: c.new } as MetaChange) : { ...c });
  }
  return [...out.values()].filter((c) => c.old !== c.new);
}

export function ack(st: ImageState, status: EditAck['status'], patch: LabelPatch, upserted: SegmentRecord[], removed: number[]): EditAck {
  return { ...st.historyState(), status, box: { ...patch.box }, pixels: patchPixelCount(patch), upserted, removed };
}

export function applyOps(p: EditParts, st: ImageState, ops: EditOp[], a: EditApplyArgs & { provenance?: ClassProvenance; version?: string }, before: { compressed: Uint8Array; rows: SegmentRecord[] } | null = null): EditAck {
  const prov = a.provenance;
  const keep = prov?.source === 'keep';
  /** A person made this edit (from the renderer, the CLI, or a class given to a cluster): their classes, their pixels. */
  const byPerson = !prov || prov.source === 'person';
  const handEdit = !prov;
  const newSource = (id: number, classId: number | null) => (classId === null ? null : keep ? (st.rows.get(id)?.classSource ?? 'person') : (prov?.source ?? 'person'));
  const newConfidence = (id: number, classId: number | null) => (classId === null ? null : keep ? (st.rows.get(id)?.classConfidence ?? null) : (prov?.confidence?.get(id) ?? null));
  const newModel = (id: number, classId: number | null) =>
    classId === null ? null : keep ? (st.rows.get(id)?.classModel ?? null) : prov?.source !== 'classifier' ? null : (prov.model ?? null);
  const map = st.labels;
  // Working table: geometry and meta as the edits of this gesture change them, one op after another.
  const geo = new Map<number, { area: number; bbox: Box }>();
  const meta = new Map<number, SegmentMeta>();
  const bboxOf = (id: number): Box | undefined => {
    const g = geo.get(id);
    if (g) return g.area > 0 ? g.bbox : undefined;
    return st.bbox(id);
  };
  const areaOf = (id: number): number | undefined => geo.get(id)?.area ?? st.area(id);
  const metaOf = (id: number): SegmentMeta | undefined => {
    const m = meta.get(id);
    if (m) return m;
    const r = st.rows.get(id);
    if (r) return { classId: r.classId, verified: r.verified };
    return (geo.get(id)?.area ?? 0) > 0 ? { classId: null, verified: false } : undefined;
  };
  for (const op of ops) {
    if (op.kind === 'setClass' && op.classId !== null && !p.store.db.prepare('SELECT id FROM classes WHERE id = ? AND deleted = 0').get(op.classId)) {
      throw new ServiceError('invalid-argument', `Class ${op.classId} does not exist in this project. Create it first (classes.create) or pick another.`);
    }
  }
  const patches: LabelPatch[] = [];
  const metaChanges: MetaChange[] = [];
  const derived: [number, number][] = [];
  const touched = new Set<number>();
  let nextId = st.nextId;
  try {
    for (const op of ops) {
      const r = applyEdit(map, op, { nextId, bboxes: bboxOf, areas: areaOf, meta: metaOf });
      patches.push(r.patch);
      nextId = r.nextId;
      derived.push(...r.derivedFrom);
      for (const id of r.segmentChanges.removed) {
        geo.set(id, { area: 0, bbox: { x: 0, y: 0, width: 0, height: 0 } });
        touched.add(id);
      }
      for (const s of r.segmentChanges.stats) {
        geo.set(s.id, { area: s.area, bbox: s.bbox });
        touched.add(s.id);
      }
      for (const c of r.meta) {
        const cur = metaOf(c.id) ?? { classId: null, verified: false };
        meta.set(c.id, c.field === 'classId' ? { ...cur, classId: c.new } : { ...cur, verified: c.new });
        metaChanges.push(c);
      }
    }
  } catch (e) {
    for (let k = patches.length - 1; k >= 0; k--) applyPatch(map, patches[k]!, 'inverse');
    throw e;
  }
  let patch = emptyPatch();
  for (const p of patches) if (!isEmptyPatch(p)) patch = combinePatches(patch, p);
  const metaNet = netMeta(metaChanges);
  // A person giving a segment the class it already has (from the classifier, a phase map or an
  // import) makes it theirs: the class source changes though the class does not.
  const confirmed = new Set<number>();
  if (byPerson) {
    for (const op of ops) {
      if (op.kind !== 'setClass' || op.classId === null) continue;
      for (const id of op.ids) {
        const r = st.rows.get(id);
        if (r && r.area > 0 && r.classId === op.classId && metaOf(id)?.classId === op.classId && r.classSource !== 'person') confirmed.add(id);
      }
    }
  }
  if (isEmptyPatch(patch) && metaNet.length === 0 && confirmed.size === 0) {
    for (let k = patches.length - 1; k >= 0; k--) applyPatch(map, patches[k]!, 'inverse');
    return ack(st, 'unchanged', emptyPatch(), [], []);
  }

  // Net segment changes of the whole gesture, against the table before it.
  const created: number[] = [];
  const removed: number[] = [];
  const changed: number[] = [];
  for (const id of touched) {
    const before = st.area(id) ?? 0;
    const after = geo.get(id)!.area;
    if (before === 0 && after > 0) created.push(id);
    else if (before > 0 && after === 0) removed.push(id);
    else if (after > 0) changed.push(id);
  }
  const parentOf = new Map<number, number>();
  for (const [nid, from] of derived) if (!parentOf.has(nid)) parentOf.set(nid, from);
  // Hand-edited: segments a person's edit gave pixels to, or named (the segment split, filled,
  // erased from, cut by a polygon). Neighbours that only lost pixels to them are not marked.
  const handEdited = new Set<number>();
  if (handEdit) {
    for (let r = 3; r < patch.runs.length; r += 4) if (patch.runs[r] !== 0) handEdited.add(patch.runs[r]!);
    for (const op of ops) {
      if (op.kind === 'splitByLine') handEdited.add(op.segmentId);
      else if (op.kind === 'fillHoles') handEdited.add(op.id);
      else if (op.kind === 'brush' && op.mode === 'erase' && op.onlyInto !== undefined) handEdited.add(op.onlyInto);
      else if (op.kind === 'polygon' && op.mode === 'subtract' && typeof op.target === 'number') handEdited.add(op.target);
    }
  }
  const source = a.source ?? defaultSource(ops);
  const classFrom = a.classFrom !== undefined ? st.rows.get(a.classFrom) : undefined;
  const newRows: SegRow[] = created.map((id) => {
    const g = geo.get(id)!;
    const parent = parentOf.has(id) ? st.rows.get(parentOf.get(id)!) : undefined;
    const base: RowData = parent
      ? { id, classId: parent.classId, classSource: parent.classSource, classConfidence: parent.classConfidence, classModel: parent.classModel ?? null, source: parent.source, verified: false, edited: handEdited.has(id) || parent.edited, clusterId: null }
      : { id, classId: classFrom?.classId ?? null, classSource: classFrom?.classId != null ? 'person' : null, classConfidence: null, source, verified: false, edited: handEdited.has(id), clusterId: null };
    const m = meta.get(id);
    return { ...base, ...(m ? { classId: m.classId, verified: m.verified } : {}), area: g.area, bbox: g.bbox };
  });
  const removedRows = removed.map((id) => st.rows.get(id)).filter((r): r is SegRow => r !== undefined);
  const classProv: ClassProv[] = [];
  for (const c of metaNet) {
    if (c.field !== 'classId') continue;
    const r = st.rows.get(c.id);
    classProv.push([c.id, r?.classSource ?? null, r?.classConfidence ?? null, newSource(c.id, c.new), newConfidence(c.id, c.new), r?.classModel ?? null, newModel(c.id, c.new)]);
  }
  const info: LogInfo = { v: 1, meta: metaNet, classProv, removed: removedRows.map(rowData), created: newRows.map(rowData) };
  const editedOn: number[] = [];
  const sourceOnly: ClassProv[] = [];
  const opJson = JSON.stringify(ops.length === 1 ? ops[0] : ops);
  const encoded = isEmptyPatch(patch) ? null : encodePatch(patch);
  const checkpoint = p.checkpoints.sync(st);

  // Rows after the gesture, written to the database and then to memory.
  const after = new Map<number, SegRow>();
  for (const r of newRows) after.set(r.id, r);
  for (const id of changed) {
    const r = st.rows.get(id);
    const g = geo.get(id)!;
    const marked = handEdited.has(id);
    if (r && marked && !r.edited) editedOn.push(id);
    after.set(id, r ? { ...r, area: g.area, bbox: g.bbox, edited: r.edited || marked } : { id, classId: null, classSource: null, classConfidence: null, source, verified: false, edited: marked, clusterId: null, area: g.area, bbox: g.bbox });
  }
  for (const c of metaNet) {
    const r = after.get(c.id) ?? st.rows.get(c.id);
    if (!r) continue;
    if (c.field === 'verified') after.set(c.id, { ...r, verified: c.new });
    else after.set(c.id, { ...r, classId: c.new, classSource: newSource(c.id, c.new), classConfidence: newConfidence(c.id, c.new), classModel: newModel(c.id, c.new) });
  }
  for (const id of confirmed) {
    const r = after.get(id) ?? st.rows.get(id)!;
    sourceOnly.push([id, r.classSource, r.classConfidence, 'person', null, r.classModel ?? null, null]);
    after.set(id, { ...r, classSource: 'person', classConfidence: null, classModel: null });
  }
  if (editedOn.length) info.editedOn = editedOn;
  if (sourceOnly.length) info.sourceOnly = sourceOnly;

  let seq = 0;
  try {
    p.store.db.transaction(() => {
      seq = appendEntry(p.store.db, st, opJson, encoded, info);
      writeRows(p.store.db, st.imageId, removed, [...after.values()]);
      p.store.db.prepare('UPDATE segmentations SET next_id = max(next_id, ?) WHERE image_id = ?').run(nextId, st.imageId);
      p.store.db.prepare("UPDATE images SET status = 'in-review' WHERE id = ? AND status IN ('new', 'auto-segmented')").run(st.imageId);
      if (before && a.version !== undefined) {
        const side = currentSide(p.store, st.imageId) ?? { engine: st.engine, settings: null, madeAt: null };
        insertVersion(p.store, { imageId: st.imageId, side, replacedBy: a.version, editCount: editCountSince(p.store, st.imageId) - 1, labels: st.labels, compressed: before.compressed, segments: before.rows, nextId: st.nextId });
        pruneVersions(p.store, st.imageId, versionLimit(p.store));
      }
      if (checkpoint) p.checkpoints.store(st, checkpoint, seq, appliedCount(st) + 1);
    })();
  } catch (e) {
    st.pendingBase = null;
    applyPatch(map, patch, 'inverse');
    throw new ServiceError('io', `Saving the edit to ${p.store.dir} failed: ${(e as Error).message}. The edit was not applied; check free disk space and try again.`);
  }
  // Memory follows the committed transaction.
  for (const id of removed) st.rows.delete(id);
  for (const r of after.values()) st.rows.set(r.id, r);
  st.nextId = Math.max(st.nextId, nextId);
  recordEntry(st, seq, opsKind(ops));
  p.checkpoints.afterChange(st, checkpoint, seq);
  return ack(st, 'applied', patch, [...after.values()].map(toRecord), removed);
}
