// Edit persistence beside a ProjectStore: main's authoritative in-memory label map per open image
// (LRU), the edit log with undo records, undo/redo that survives reopening, and checkpoints.
//
// The log is a linear stack per image. Rows have undone = 0 (applied), 1 (undone, can be redone)
// or 2 (discarded redo entry that the current checkpoint still contains; kept only so replay from
// that checkpoint can revert it, deleted when the next checkpoint is written). The current map is
// the checkpoint, with rows at or below checkpoint_seq that are no longer applied reverted
// (newest first), then applied rows above checkpoint_seq re-applied (oldest first).
import { deflateSync } from 'node:zlib';
import {
  applyEdit,
  applyPatch,
  combinePatches,
  decodePatch,
  diffToPatch,
  emptyPatch,
  encodePatch,
  invertMeta,
  isEmptyPatch,
  measurePatch,
  patchPixelCount,
  type EditKind,
  type EditOp,
  type LabelPatch,
  type MetaChange,
  type SegmentMeta,
} from '../../app/edit';
import type { EditAck, EditApplyArgs, EditHistoryState, EditSnapshot, EditStepResult } from '../../app/contract/edit';
import { ServiceError } from '../../app/errors';
import { segmentStats, type SegmentStats } from '../../app/labelmap';
import type { Box, ClassRecord, ImageStatus, LabelMap, SegmentRecord, SegmentSource } from '../../app/types';
import { createClass, ensureClasses, reviveClasses, updateClass } from './classes';
import { currentSide, editCountSince, insertVersion, pruneVersions, versionLimit, type SegmentationSide } from './versions';
import { compressLabels, decompressLabels, type ProjectStore } from './project-store';
import { encodeRuns } from './labels-codec';
import { SEGMENT_COLUMNS, segmentFromDb, type SegmentDbRow } from './segment-rows';

/** Segment-table row as main keeps it in memory. */
interface SegRow {
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
type RowData = Omit<SegRow, 'area' | 'bbox'>;

/** Class provenance change that rides along a classId meta change: [id, oldSource, oldConfidence, newSource, newConfidence, oldModel?, newModel?]. */
type ClassProv = [number, string | null, number | null, string | null, number | null, (number | null)?, (number | null)?];

/** The undo record stored as JSON in edit_log.info. */
interface LogInfo {
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

interface HistoryItem {
  seq: number;
  kind: HistoryKind | null;
  undone: 0 | 1;
}

/** An edit operation, or a whole-map replacement (re-segmenting, an import, restoring a version). */
type HistoryKind = EditKind | 'resegment';

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

export interface EditStoreOptions {
  /** Maps up to this many pixels are checkpointed inside every edit's transaction (a few ms), so the stored checkpoint is always current. */
  syncCheckpointPixels?: number;
  /** Larger maps are checkpointed after this many ms without edits (and when evicted or the project closes). */
  idleCheckpointMs?: number;
  /** ...and in the background after this many edits, even while editing goes on. */
  checkpointEvery?: number;
  /** Most label-map bytes kept in memory across open images (at least one image is always kept). */
  memoryBytes?: number;
  /** Most applied entries kept per image (older ones are dropped at the next checkpoint). */
  historyLimit?: number;
}

const DEFAULTS: Required<EditStoreOptions> = {
  syncCheckpointPixels: 1 << 18,
  idleCheckpointMs: 2000,
  checkpointEvery: 100,
  memoryBytes: 640 * 1024 * 1024,
  historyLimit: 500,
};

export { DEFAULT_CLASS_COLOURS } from './classes';

class ImageState {
  rows = new Map<number, SegRow>();
  history: HistoryItem[] = [];
  /** Bumped by every change of the map; an async checkpoint is dropped if it moved meanwhile. */
  version = 0;
  sinceCheckpoint = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
  detached = false;
  /** Set by storeCheckpoint when it dropped old entries; applied to `history` once the transaction commits. */
  pendingBase: number | null = null;
  /** A background checkpoint is being compressed. */
  checkpointing = false;
  /** Lowest log position at which redo entries were discarded since the last checkpoint snapshot. */
  lowestDiscard = Infinity;
  /** Deflated bytes of the current map when known (the checkpoint just read or written), for edit.open. */
  blob: Uint8Array | null = null;
  constructor(
    readonly imageId: number,
    readonly labels: LabelMap,
    public nextId: number,
    public engine: string,
    /** segmentations.updated_at when loaded: changes only when the segmentation is replaced. */
    readonly generation: string,
    public checkpointSeq: number,
    public baseSeq: number,
  ) {}

  get cursor(): number {
    for (let k = this.history.length - 1; k >= 0; k--) if (this.history[k]!.undone === 0) return this.history[k]!.seq;
    return this.baseSeq;
  }
  get revision(): string {
    return `${this.generation}/${this.cursor}`;
  }
  get bytes(): number {
    return this.labels.data.byteLength;
  }
  historyState(): EditHistoryState {
    let undoDepth = 0;
    let redoDepth = 0;
    let undoKind: HistoryKind | null = null;
    let redoKind: HistoryKind | null = null;
    for (const h of this.history) {
      if (h.undone === 0) {
        undoDepth++;
        undoKind = h.kind;
      } else {
        if (redoDepth === 0) redoKind = h.kind;
        redoDepth++;
      }
    }
    return { imageId: this.imageId, revision: this.revision, seq: this.cursor, nextId: this.nextId, undoDepth, redoDepth, undoKind, redoKind };
  }
  bbox(id: number): Box | undefined {
    const r = this.rows.get(id);
    return r && r.area > 0 ? r.bbox : undefined;
  }
  area(id: number): number | undefined {
    return this.rows.get(id)?.area;
  }
}

function toRecord(r: SegRow): SegmentRecord {
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
function fullRecord(r: SegRow): SegmentRecord & { classModel: number | null } {
  return { ...toRecord(r), classModel: r.classModel ?? null };
}

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

function rowData(r: SegRow): RowData {
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

const sameRowData = (a: RowData, b: RowData) =>
  a.classId === b.classId && a.classSource === b.classSource && a.classConfidence === b.classConfidence && (a.classModel ?? null) === (b.classModel ?? null) &&
  a.source === b.source && a.verified === b.verified && a.edited === b.edited && a.clusterId === b.clusterId;

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

function labelBytes(data: Uint32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Edits of one project: load, apply, undo/redo and checkpoint, serialised per image. One per
 * ProjectStore (editStoreFor); handlers and other readers share it so they see the same map.
 */
export class EditStore {
  private readonly states = new Map<number, ImageState>();
  private readonly queues = new Map<number, Promise<unknown>>();
  private readonly options: Required<EditStoreOptions>;

  constructor(
    readonly store: ProjectStore,
    options: EditStoreOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  private get db() {
    return this.store.db;
  }

  /** Runs `fn` after every earlier task of the same image, so edits apply in the order they arrived. */
  private serial<T>(imageId: number, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.queues.get(imageId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(imageId, settled);
    void settled.then(() => {
      if (this.queues.get(imageId) === settled) this.queues.delete(imageId);
    });
    return next;
  }

  // ---------------------------------------------------------------- loading

  private generationOf(imageId: number): string | null {
    const row = this.db.prepare('SELECT updated_at FROM segmentations WHERE image_id = ?').get(imageId) as { updated_at: string } | undefined;
    return row?.updated_at ?? null;
  }

  /** The image's state, loaded (checkpoint + log replay) when not cached or when the segmentation was replaced. */
  private async state(imageId: number): Promise<ImageState | null> {
    if (!this.db.open) throw new ServiceError('no-project', 'The project was closed.');
    for (let attempt = 0; attempt < 3; attempt++) {
      const generation = this.generationOf(imageId);
      const cached = this.states.get(imageId);
      if (generation === null) {
        if (cached) this.drop(cached);
        return null;
      }
      if (cached && cached.generation === generation) {
        this.states.delete(imageId);
        this.states.set(imageId, cached);
        return cached;
      }
      if (cached) this.drop(cached);
      const loaded = await this.load(imageId);
      if (!loaded) return null;
      if (this.generationOf(imageId) !== loaded.generation) continue; // replaced while we were decompressing
      this.states.set(imageId, loaded);
      this.evict(imageId);
      return loaded;
    }
    throw new ServiceError('io', `The segmentation of image ${imageId} keeps changing while it is being opened; wait for running segmentation jobs to finish and try again.`);
  }

  private async load(imageId: number): Promise<ImageState | null> {
    const db = this.db;
    // Read checkpoint, log and table without yielding, so they describe one moment.
    const seg = db
      .prepare('SELECT width, height, checkpoint, engine, next_id, updated_at, checkpoint_seq, base_seq FROM segmentations WHERE image_id = ?')
      .get(imageId) as { width: number; height: number; checkpoint: Buffer; engine: string; next_id: number; updated_at: string; checkpoint_seq: number; base_seq: number } | undefined;
    if (!seg) return null;
    const kinds = db
      .prepare(
        `SELECT seq, undone, CASE WHEN json_valid(op) AND json_type(op) = 'array' THEN json_extract(op, '$[0].kind')
           WHEN json_valid(op) THEN json_extract(op, '$.kind') END AS kind
         FROM edit_log WHERE image_id = ? ORDER BY seq`,
      )
      .all(imageId) as { seq: number; undone: number; kind: string | null }[];
    const revert = db
      .prepare('SELECT seq, patch FROM edit_log WHERE image_id = ? AND seq <= ? AND undone <> 0 ORDER BY seq DESC')
      .all(imageId, seg.checkpoint_seq) as { seq: number; patch: Buffer | null }[];
    const reapply = db
      .prepare('SELECT seq, patch FROM edit_log WHERE image_id = ? AND seq > ? AND undone = 0 ORDER BY seq')
      .all(imageId, seg.checkpoint_seq) as { seq: number; patch: Buffer | null }[];
    const segs = db
      .prepare(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE image_id = ?`)
      .all(imageId) as SegmentDbRow[];
    this.store.checkSegmentationSize(imageId, seg.width, seg.height);
    const data = await decompressLabels(seg.checkpoint, seg.width * seg.height);
    const labels: LabelMap = { width: seg.width, height: seg.height, data };
    try {
      for (const r of revert) if (r.patch) applyPatch(labels, decodePatch(r.patch), 'inverse');
      for (const r of reapply) if (r.patch) applyPatch(labels, decodePatch(r.patch), 'forward');
    } catch (e) {
      throw new ServiceError('io', `The edit history of image ${imageId} does not fit its saved label map (${(e as Error).message}). Restore the project from a backup (*.bak-v* beside project.sqlite) or re-segment the image.`);
    }
    const st = new ImageState(imageId, labels, seg.next_id, seg.engine, seg.updated_at, seg.checkpoint_seq, seg.base_seq);
    for (const r of segs) {
      st.rows.set(r.id, { ...segmentFromDb(r), classModel: r.class_model });
    }
    // A table row may name an id at or above next_id (older databases): never hand it out again.
    for (const id of st.rows.keys()) if (id >= st.nextId) st.nextId = id + 1;
    st.history = kinds.filter((k) => k.undone === 0 || k.undone === 1).map((k) => ({ seq: k.seq, kind: (k.kind as HistoryKind | null) ?? null, undone: k.undone as 0 | 1 }));
    st.sinceCheckpoint = reapply.length + revert.length;
    if (st.sinceCheckpoint === 0) st.blob = new Uint8Array(seg.checkpoint.buffer, seg.checkpoint.byteOffset, seg.checkpoint.byteLength);
    if (st.sinceCheckpoint > 0) this.scheduleCheckpoint(st);
    return st;
  }

  private drop(st: ImageState): void {
    if (st.timer) clearTimeout(st.timer);
    st.timer = null;
    st.detached = true;
    if (this.states.get(st.imageId) === st) this.states.delete(st.imageId);
  }

  /** Keeps label maps within the memory budget; evicted maps with unsaved checkpoints get one written first. */
  private evict(keep: number): void {
    let total = 0;
    for (const st of this.states.values()) total += st.bytes;
    for (const st of [...this.states.values()]) {
      if (total <= this.options.memoryBytes) break;
      if (st.imageId === keep) continue;
      total -= st.bytes;
      const pending = st.sinceCheckpoint > 0;
      this.drop(st);
      if (pending) void this.writeCheckpoint(st).catch(() => {});
    }
  }

  // ---------------------------------------------------------------- reading

  async open(imageId: number, create = false, encoding: 'raw' | 'deflate' = 'raw'): Promise<EditSnapshot | null> {
    const image = this.store.getImage(imageId);
    return this.serial(imageId, async () => {
      let st = await this.state(imageId);
      if (!st && create) {
        const empty = new Uint32Array(image.width * image.height);
        const status = image.status === 'verified' ? 'verified' : 'in-review';
        this.store.saveSegmentation(imageId, { width: image.width, height: image.height, data: empty }, [], 'manual', await compressLabels(empty), status);
        st = await this.state(imageId);
      }
      if (!st) return null;
      const segs = [...st.rows.values()].filter((r) => r.area > 0).sort((a, b) => a.id - b.id).map(toRecord);
      const updatedAt = st.generation;
      // A copy: the reply is encoded after this task ends, when the next edit may already change the map.
      const base = { ...st.historyState(), width: st.labels.width, height: st.labels.height, segments: segs, engine: st.engine, updatedAt };
      if (encoding === 'deflate') {
        // The queue is held while compressing, so the map cannot change under the compressor.
        if (!st.blob) st.blob = await compressLabels(st.labels.data);
        return { ...base, labelsDeflate: st.blob };
      }
      return { ...base, labels: st.labels.data.slice() };
    });
  }

  /**
   * The current label map (a copy) and next free id, for readers such as segmentation.get and
   * exports. An image whose stored checkpoint is current is read straight from it, without being
   * kept in memory (an export of many images does not fill the cache).
   */
  async current(imageId: number): Promise<{ labels: LabelMap; nextId: number; engine: string; updatedAt: string; revision: string } | null> {
    return this.serial(imageId, async () => {
      if (!this.states.has(imageId)) {
        const head = this.db.prepare('SELECT checkpoint_seq, base_seq, updated_at FROM segmentations WHERE image_id = ?').get(imageId) as { checkpoint_seq: number; base_seq: number; updated_at: string } | undefined;
        if (!head) return null;
        const pending = this.db
          .prepare('SELECT count(*) AS n FROM edit_log WHERE image_id = ? AND ((seq <= ? AND undone <> 0) OR (seq > ? AND undone = 0))')
          .get(imageId, head.checkpoint_seq, head.checkpoint_seq) as { n: number };
        if (pending.n === 0) {
          const seg = await this.store.loadSegmentation(imageId);
          if (seg && seg.updatedAt === head.updated_at) {
            const cursor = (this.db.prepare('SELECT max(seq) AS s FROM edit_log WHERE image_id = ? AND undone = 0').get(imageId) as { s: number | null }).s ?? head.base_seq;
            return { labels: seg.labels, nextId: seg.nextId, engine: seg.engine, updatedAt: seg.updatedAt, revision: `${seg.updatedAt}/${cursor}` };
          }
        }
      }
      const st = await this.state(imageId);
      if (!st) return null;
      return { labels: { width: st.labels.width, height: st.labels.height, data: st.labels.data.slice() }, nextId: st.nextId, engine: st.engine, updatedAt: st.generation, revision: st.revision };
    });
  }

  async history(imageId: number): Promise<EditHistoryState | null> {
    this.store.getImage(imageId);
    return this.serial(imageId, async () => (await this.state(imageId))?.historyState() ?? null);
  }

  /** The image's label map, segment rows and revision as they are now (null without a segmentation). */
  async snapshot(imageId: number): Promise<{ labels: LabelMap; segments: SegmentRecord[]; revision: string } | null> {
    return this.serial(imageId, async () => {
      const st = await this.state(imageId);
      if (!st) return null;
      return { labels: st.labels, segments: [...st.rows.values()].filter((r) => r.area > 0).sort((a, b) => a.id - b.id).map(toRecord), revision: st.revision };
    });
  }

  /**
   * Records the cluster of each listed segment (segments.cluster_id; 0-based ids, null = none) for
   * exports and the UI. A derived view, not an edit: it does not enter the history.
   */
  async setClusterIds(imageId: number, clusterOf: ReadonlyMap<number, number>): Promise<void> {
    await this.serial(imageId, async () => {
      const st = await this.state(imageId);
      if (!st) return;
      const update = this.db.prepare('UPDATE segments SET cluster_id = ? WHERE image_id = ? AND id = ?');
      this.db.transaction(() => {
        for (const r of st.rows.values()) {
          const c = clusterOf.get(r.id) ?? null;
          if (c === r.clusterId) continue;
          update.run(c, imageId, r.id);
          r.clusterId = c;
        }
      })();
    });
  }

  // ---------------------------------------------------------------- applying

  /**
   * Applies edit operations as one history entry. `version` (an automatic result such as the
   * classifier's classes) also keeps the map and rows as they were as a version, saying what replaced them.
   */
  async apply(a: EditApplyArgs & { provenance?: ClassProvenance; version?: string }): Promise<EditAck> {
    this.store.getImage(a.imageId);
    const ops = a.ops ?? (a.op ? [a.op] : []);
    if (ops.length === 0) throw new ServiceError('invalid-argument', 'edit.apply needs an edit operation (op or ops).');
    return this.serial(a.imageId, async () => {
      const st = await this.state(a.imageId);
      if (!st) throw new ServiceError('not-found', `Image ${a.imageId} has no segmentation yet. Segment it, or start an empty one to draw in (edit.open with create: the app does this when you paint on an unsegmented image).`);
      if (a.expectRevision !== undefined && a.expectRevision !== st.revision) return this.ack(st, 'stale', emptyPatch(), [], []);
      // The queue holds the map still while it is compressed for the version.
      const before = a.version !== undefined ? { compressed: await compressLabels(st.labels.data), rows: [...st.rows.values()].filter((r) => r.area > 0).sort((x, y) => x.id - y.id).map(fullRecord) } : null;
      return this.applyOps(st, ops, a, before);
    });
  }

  private applyOps(st: ImageState, ops: EditOp[], a: EditApplyArgs & { provenance?: ClassProvenance; version?: string }, before: { compressed: Uint8Array; rows: SegmentRecord[] } | null = null): EditAck {
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
      if (op.kind === 'setClass' && op.classId !== null && !this.db.prepare('SELECT id FROM classes WHERE id = ? AND deleted = 0').get(op.classId)) {
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
      return this.ack(st, 'unchanged', emptyPatch(), [], []);
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
    const checkpoint = this.syncCheckpoint(st);

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
      this.db.transaction(() => {
        this.discardRedo(st);
        seq = Number(
          this.db
            .prepare('INSERT INTO edit_log (image_id, op, patch, info) VALUES (?, ?, ?, ?)')
            .run(st.imageId, opJson, encoded ? blob(encoded) : null, JSON.stringify(info)).lastInsertRowid,
        );
        this.writeRows(st.imageId, removed, [...after.values()]);
        this.db.prepare('UPDATE segmentations SET next_id = max(next_id, ?) WHERE image_id = ?').run(nextId, st.imageId);
        this.db.prepare("UPDATE images SET status = 'in-review' WHERE id = ? AND status IN ('new', 'auto-segmented')").run(st.imageId);
        if (before && a.version !== undefined) {
          const side = currentSide(this.store, st.imageId) ?? { engine: st.engine, settings: null, madeAt: null };
          insertVersion(this.store, { imageId: st.imageId, side, replacedBy: a.version, editCount: editCountSince(this.store, st.imageId) - 1, labels: st.labels, compressed: before.compressed, segments: before.rows, nextId: st.nextId });
          pruneVersions(this.store, st.imageId, versionLimit(this.store));
        }
        if (checkpoint) this.storeCheckpoint(st, checkpoint, seq, st.history.filter((h) => h.undone === 0).length + 1);
      })();
    } catch (e) {
      st.pendingBase = null;
      applyPatch(map, patch, 'inverse');
      throw new ServiceError('io', `Saving the edit to ${this.store.dir} failed: ${(e as Error).message}. The edit was not applied; check free disk space and try again.`);
    }
    // Memory follows the committed transaction.
    for (const id of removed) st.rows.delete(id);
    for (const r of after.values()) st.rows.set(r.id, r);
    st.nextId = Math.max(st.nextId, nextId);
    st.history = st.history.filter((h) => h.undone === 0);
    st.history.push({ seq, kind: opsKind(ops), undone: 0 });
    this.afterChange(st, checkpoint, seq);
    return this.ack(st, 'applied', patch, [...after.values()].map(toRecord), removed);
  }

  // ---------------------------------------------------------------- replacing the whole map

  /**
   * Replaces the image's map by a new one (re-segmenting, importing labels, restoring a version) as
   * ONE undoable history entry whose patch is the difference of the maps; the replaced map and its
   * rows are kept as a version in the same transaction. Null when the image has no segmentation.
   */
  async replace(imageId: number, r: Replacement): Promise<ReplaceOutcome | null> {
    const image = this.store.getImage(imageId);
    return this.serial(imageId, async () => {
      const st = await this.state(imageId);
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
      const side0 = currentSide(this.store, imageId) ?? { engine: st.engine, settings: null, madeAt: null };
      const editCount = editCountSince(this.store, imageId);
      const status: ImageStatus = r.status ?? (next.kept > 0 || image.status === 'verified' ? 'in-review' : 'auto-segmented');
      const info: LogInfo = { v: 1, meta: [], classProv: [], removed: [], created: [], replace: { before, after }, segmentation: { before: side0, after: r.side } };
      const nextId = Math.max(st.nextId, next.nextId);
      applyPatch(st.labels, patch, 'forward');
      const checkpoint = this.syncCheckpoint(st);
      let seq = 0;
      let versionId = 0;
      try {
        this.db.transaction(() => {
          this.discardRedo(st);
          const op = JSON.stringify({ kind: 'resegment', engine: r.side.engine, replacedBy: r.replacedBy });
          seq = Number(this.db.prepare('INSERT INTO edit_log (image_id, op, patch, info) VALUES (?, ?, ?, ?)').run(imageId, op, isEmptyPatch(patch) ? null : blob(encodePatch(patch)), JSON.stringify(info)).lastInsertRowid);
          this.writeRows(imageId, removed, write);
          this.db.prepare('UPDATE segmentations SET engine = ?, settings = ?, made_at = ?, next_id = max(next_id, ?) WHERE image_id = ?').run(r.side.engine, r.side.settings, r.side.madeAt, nextId, imageId);
          this.store.setStatus(imageId, status);
          versionId = insertVersion(this.store, { imageId, side: side0, replacedBy: r.replacedBy, editCount, labels: st.labels, compressed, segments: beforeRows.map(fullRecord), nextId: st.nextId });
          pruneVersions(this.store, imageId, versionLimit(this.store));
          if (checkpoint) this.storeCheckpoint(st, checkpoint, seq, st.history.filter((h) => h.undone === 0).length + 1);
        })();
      } catch (e) {
        st.pendingBase = null;
        applyPatch(st.labels, patch, 'inverse');
        throw new ServiceError('io', `Saving the new segmentation of ${image.name} to ${this.store.dir} failed: ${(e as Error).message}. The previous segmentation is unchanged; check free disk space and try again.`);
      }
      for (const id of removed) st.rows.delete(id);
      for (const w of write) st.rows.set(w.id, w);
      st.nextId = nextId;
      st.engine = r.side.engine;
      st.history = st.history.filter((h) => h.undone === 0);
      st.history.push({ seq, kind: 'resegment', undone: 0 });
      this.afterChange(st, checkpoint, seq);
      return { status: 'applied', seq, versionId, segments: afterRows.size, kept: next.kept, history: st.historyState() };
    });
  }

  /** Entries that could be redone die when a new edit is made: deleted, or kept as 'discarded' while the checkpoint contains them. */
  private discardRedo(st: ImageState): void {
    if (st.history.some((h) => h.undone === 1)) st.lowestDiscard = Math.min(st.lowestDiscard, st.cursor);
    this.db.prepare('DELETE FROM edit_log WHERE image_id = ? AND undone = 1 AND seq > ?').run(st.imageId, st.checkpointSeq);
    this.db.prepare('UPDATE edit_log SET undone = 2 WHERE image_id = ? AND undone = 1').run(st.imageId);
  }

  private writeRows(imageId: number, removed: readonly number[], rows: readonly SegRow[]): void {
    const del = this.db.prepare('DELETE FROM segments WHERE image_id = ? AND id = ?');
    const upsert = this.db.prepare(`INSERT INTO segments (image_id, id, class_id, class_source, class_confidence, class_model, source, verified, edited, cluster_id, area, bbox_x, bbox_y, bbox_w, bbox_h)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(image_id, id) DO UPDATE SET class_id = excluded.class_id, class_source = excluded.class_source, class_confidence = excluded.class_confidence, class_model = excluded.class_model,
        source = excluded.source, verified = excluded.verified, edited = excluded.edited, cluster_id = excluded.cluster_id, area = excluded.area,
        bbox_x = excluded.bbox_x, bbox_y = excluded.bbox_y, bbox_w = excluded.bbox_w, bbox_h = excluded.bbox_h`);
    for (const id of removed) del.run(imageId, id);
    for (const r of rows) {
      upsert.run(imageId, r.id, r.classId, r.classSource, r.classConfidence, r.classModel ?? null, r.source, r.verified ? 1 : 0, r.edited ? 1 : 0, r.clusterId, r.area, r.bbox.x, r.bbox.y, r.bbox.width, r.bbox.height);
    }
  }

  private ack(st: ImageState, status: EditAck['status'], patch: LabelPatch, upserted: SegmentRecord[], removed: number[]): EditAck {
    return { ...st.historyState(), status, box: { ...patch.box }, pixels: patchPixelCount(patch), upserted, removed };
  }

  // ---------------------------------------------------------------- undo / redo

  undo(imageId: number, expectRevision?: string): Promise<EditStepResult> {
    return this.step(imageId, 'undo', expectRevision);
  }

  redo(imageId: number, expectRevision?: string): Promise<EditStepResult> {
    return this.step(imageId, 'redo', expectRevision);
  }

  private step(imageId: number, which: 'undo' | 'redo', expectRevision?: string): Promise<EditStepResult> {
    this.store.getImage(imageId);
    return this.serial(imageId, async () => {
      const st = await this.state(imageId);
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
      const row = this.db.prepare('SELECT patch, info FROM edit_log WHERE seq = ? AND image_id = ?').get(item.seq, imageId) as { patch: Buffer | null; info: string | null } | undefined;
      if (!row) {
        // The history in memory and the log disagree (another process?): reload and report nothing done.
        this.drop(st);
        return none('stale');
      }
      const bytes = row.patch ? new Uint8Array(row.patch) : encodePatch(emptyPatch());
      const patch = row.patch ? decodePatch(bytes) : emptyPatch();
      const info = parseInfo(row.info);
      const direction = which === 'undo' ? 'inverse' : 'forward';
      try {
        applyPatch(st.labels, patch, direction);
      } catch (e) {
        this.drop(st);
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
      const checkpoint = this.syncCheckpoint(st);
      const newCursor = which === 'undo' ? (st.history.slice(0, idx).reverse().find((h) => h.undone === 0)?.seq ?? st.baseSeq) : item.seq;
      try {
        this.db.transaction(() => {
          this.db.prepare('UPDATE edit_log SET undone = ? WHERE seq = ?').run(which === 'undo' ? 1 : 0, item.seq);
          reviveClasses(this.store, classIds);
          this.writeRows(imageId, removed, [...after.values()]);
          if (seg) this.db.prepare('UPDATE segmentations SET engine = ?, settings = ?, made_at = ? WHERE image_id = ?').run(seg.engine, seg.settings, seg.madeAt, imageId);
          if (checkpoint) this.storeCheckpoint(st, checkpoint, newCursor, st.history.filter((h) => h.undone === 0).length + (which === 'undo' ? -1 : 1));
        })();
      } catch (e) {
        st.pendingBase = null;
        applyPatch(st.labels, patch, direction === 'inverse' ? 'forward' : 'inverse');
        throw new ServiceError('io', `Saving the ${which} to ${this.store.dir} failed: ${(e as Error).message}. Nothing was changed; try again.`);
      }
      for (const id of removed) st.rows.delete(id);
      for (const r of after.values()) st.rows.set(r.id, r);
      if (seg) st.engine = seg.engine;
      item.undone = which === 'undo' ? 1 : 0;
      this.afterChange(st, checkpoint, newCursor);
      return { ...st.historyState(), status: 'applied', patch: bytes, direction, upserted: [...after.values()].map(toRecord), removed };
    });
  }

  // ---------------------------------------------------------------- checkpoints

  /** Compressed map for an in-transaction checkpoint when the map is small enough, else null. */
  private syncCheckpoint(st: ImageState): Uint8Array | null {
    if (st.labels.data.length > this.options.syncCheckpointPixels) return null;
    // The store's format (run-length pairs, deflated), written synchronously: small maps only.
    const out = deflateSync(labelBytes(encodeRuns(st.labels.data)), { level: 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * Writes a checkpoint at log position `seq` (inside the caller's transaction): discarded rows
   * die with the old checkpoint, and applied rows beyond the history limit are dropped.
   */
  private storeCheckpoint(st: ImageState, compressed: Uint8Array, seq: number, appliedCount: number): void {
    this.db.prepare('UPDATE segmentations SET checkpoint = ?, checkpoint_seq = ?, next_id = max(next_id, ?) WHERE image_id = ?').run(blob(compressed), seq, st.nextId, st.imageId);
    this.db.prepare('DELETE FROM edit_log WHERE image_id = ? AND undone = 2').run(st.imageId);
    const excess = appliedCount - this.options.historyLimit;
    if (excess > 0) {
      const applied = st.history.filter((h) => h.undone === 0 && h.seq <= seq);
      const last = applied[Math.min(excess, applied.length) - 1];
      if (last) {
        this.db.prepare('DELETE FROM edit_log WHERE image_id = ? AND seq <= ?').run(st.imageId, last.seq);
        this.db.prepare('UPDATE segmentations SET base_seq = ? WHERE image_id = ?').run(last.seq, st.imageId);
        st.pendingBase = last.seq;
      }
    }
  }

  private afterChange(st: ImageState, checkpointed: Uint8Array | null, seq: number): void {
    st.version++;
    st.blob = checkpointed;
    if (st.pendingBase !== null) {
      const base = st.pendingBase;
      st.baseSeq = base;
      st.history = st.history.filter((h) => h.seq > base);
      st.pendingBase = null;
    }
    if (checkpointed) {
      st.checkpointSeq = seq;
      st.sinceCheckpoint = 0;
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
    } else {
      st.sinceCheckpoint++;
      this.scheduleCheckpoint(st);
      if (st.sinceCheckpoint >= this.options.checkpointEvery && !st.checkpointing) void this.writeCheckpoint(st).catch(() => {});
    }
  }

  private scheduleCheckpoint(st: ImageState): void {
    if (this.store.readOnly) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = null;
      if (st.detached || !this.db.open) return;
      void this.writeCheckpoint(st).catch(() => {});
    }, this.options.idleCheckpointMs);
    st.timer.unref?.();
  }

  /**
   * Background checkpoint: copy the map in the image's queue, compress off the main thread, then
   * store it at the copied log position. Edits made meanwhile stay valid on top of it (they are
   * later log entries); it is dropped only if an edit after undoing below that position discarded
   * entries the copy contains. So a checkpoint never blocks an edit for the second an 8192^2 map
   * takes to compress.
   */
  private async writeCheckpoint(st: ImageState): Promise<boolean> {
    if (!this.db.open || this.store.readOnly || st.sinceCheckpoint === 0 || st.checkpointing) return false;
    st.checkpointing = true;
    try {
      const snap = await this.serial(st.imageId, () => {
        if (st.sinceCheckpoint === 0) return null;
        st.lowestDiscard = Infinity;
        return { version: st.version, seq: st.cursor, cp: st.checkpointSeq, applied: st.history.filter((h) => h.undone === 0).length, data: st.labels.data.slice() };
      });
      if (!snap) return false;
      const compressed = await compressLabels(snap.data);
      return await this.serial(st.imageId, () => {
        if (!this.db.open) return false;
        const retry = () => {
          if (!st.detached) this.scheduleCheckpoint(st);
          return false;
        };
        if (st.lowestDiscard < snap.seq || st.checkpointSeq !== snap.cp) return retry();
        // An evicted state writes only while no newer copy of the image is loaded (that copy knows the old checkpoint position).
        const live = this.states.get(st.imageId);
        if (st.detached && live && live !== st) return false;
        const head = this.db.prepare('SELECT updated_at, checkpoint_seq FROM segmentations WHERE image_id = ?').get(st.imageId) as { updated_at: string; checkpoint_seq: number } | undefined;
        if (!head || head.updated_at !== st.generation || head.checkpoint_seq !== st.checkpointSeq) return false;
        try {
          this.db.transaction(() => this.storeCheckpoint(st, compressed, snap.seq, snap.applied))();
        } catch {
          st.pendingBase = null;
          return retry();
        }
        st.checkpointSeq = snap.seq;
        st.sinceCheckpoint = st.version - snap.version;
        if (st.sinceCheckpoint === 0) st.blob = compressed;
        if (st.pendingBase !== null) {
          const base = st.pendingBase;
          st.baseSeq = base;
          st.history = st.history.filter((h) => h.seq > base);
          st.pendingBase = null;
        }
        if (st.sinceCheckpoint > 0) this.scheduleCheckpoint(st);
        return true;
      });
    } finally {
      st.checkpointing = false;
    }
  }

  /** Writes checkpoints for one image or for all loaded images with edits not yet in one. */
  async checkpoint(imageId?: number): Promise<number> {
    const targets = [...this.states.values()].filter((s) => imageId === undefined || s.imageId === imageId);
    let written = 0;
    for (const st of targets) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
      while (st.checkpointing) await new Promise((r) => setTimeout(r, 5));
      if (await this.writeCheckpoint(st)) written++;
    }
    return written;
  }

  /** Checkpoints everything and forgets all maps (before the project closes). */
  async flushAll(): Promise<void> {
    await this.checkpoint();
    for (const st of [...this.states.values()]) this.drop(st);
  }

  // ---------------------------------------------------------------- classes and review state

  createClass(name?: string, color?: string, value?: number | null): ClassRecord {
    return createClass(this.store, name, color, value);
  }

  updateClass(id: number, name?: string, color?: string, value?: number | null): ClassRecord {
    return updateClass(this.store, id, { ...(name !== undefined ? { name } : {}), ...(color !== undefined ? { color } : {}), ...(value !== undefined ? { value } : {}) });
  }

  ensureClasses(count: number): ClassRecord[] {
    return ensureClasses(this.store, count);
  }
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

const editStores = new WeakMap<ProjectStore, EditStore>();

/** The one EditStore of a project store (created on first use). */
export function editStoreFor(store: ProjectStore, options?: EditStoreOptions): EditStore {
  let s = editStores.get(store);
  if (!s) {
    s = new EditStore(store, options);
    editStores.set(store, s);
  }
  return s;
}

/** The current label map of an image (checkpoint plus edit log), for readers outside the edit handlers. */
export async function currentSegmentation(store: ProjectStore, imageId: number): Promise<{ labels: LabelMap; nextId: number; engine: string; updatedAt: string } | null> {
  return editStoreFor(store).current(imageId);
}
