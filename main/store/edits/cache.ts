// The label-map cache: main's authoritative in-memory label map per open image, loaded from the
// stored checkpoint plus the edit log, kept within a memory budget (least recently used maps are
// evicted, with a checkpoint written first when edits are pending), and a task queue per image so
// edits apply in the order they arrived.
import type Database from 'better-sqlite3';
import { applyPatch, decodePatch } from '../../../app/edit';
import type { EditHistoryState } from '../../../app/contract/edit';
import { ServiceError } from '../../../app/errors';
import type { Box, LabelMap } from '../../../app/types';
import { decompressLabels, type ProjectStore } from '../project-store';
import { SEGMENT_COLUMNS, segmentFromDb, type SegmentDbRow } from '../segment-rows';
import { cursorOf, depths, type HistoryItem, type HistoryKind } from './history';
import type { SegRow } from './rows';

/** One open image: its label map, segment rows and history, as main holds them. */
export class ImageState {
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
    return cursorOf(this.history, this.baseSeq);
  }
  get revision(): string {
    return `${this.generation}/${this.cursor}`;
  }
  get bytes(): number {
    return this.labels.data.byteLength;
  }
  historyState(): EditHistoryState {
    return { imageId: this.imageId, revision: this.revision, seq: this.cursor, nextId: this.nextId, ...depths(this.history) };
  }
  bbox(id: number): Box | undefined {
    const r = this.rows.get(id);
    return r && r.area > 0 ? r.bbox : undefined;
  }
  area(id: number): number | undefined {
    return this.rows.get(id)?.area;
  }
}

/** What the cache tells the checkpoint writer. */
interface CacheHooks {
  /** A map was loaded with log entries beyond its checkpoint. */
  pending(st: ImageState): void;
  /** A map with entries beyond its checkpoint was evicted. */
  evicted(st: ImageState): void;
}

export class LabelMapCache {
  private readonly states = new Map<number, ImageState>();
  private readonly queues = new Map<number, Promise<unknown>>();

  constructor(
    readonly store: ProjectStore,
    private readonly memoryBytes: number,
    private readonly hooks: CacheHooks,
  ) {}

  private get db(): Database.Database {
    return this.store.db;
  }

  /** The loaded state of an image, without loading it (undefined when not in memory). */
  loaded(imageId: number): ImageState | undefined {
    return this.states.get(imageId);
  }

  /** Every loaded state, least recently used first. */
  all(): ImageState[] {
    return [...this.states.values()];
  }

  /** Runs `fn` after every earlier task of the same image, so edits apply in the order they arrived. */
  serial<T>(imageId: number, fn: () => Promise<T> | T): Promise<T> {
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
  async state(imageId: number): Promise<ImageState | null> {
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
    if (st.sinceCheckpoint > 0) this.hooks.pending(st);
    return st;
  }

  drop(st: ImageState): void {
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
      if (total <= this.memoryBytes) break;
      if (st.imageId === keep) continue;
      total -= st.bytes;
      const pending = st.sinceCheckpoint > 0;
      this.drop(st);
      if (pending) this.hooks.evicted(st);
    }
  }
}
