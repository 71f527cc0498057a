// Checkpoints: the stored label map a segmentation is loaded from before the log is replayed.
// Small maps are checkpointed inside every edit's transaction; larger ones in the background
// (after a pause in editing, every so many edits, on eviction and when the project closes).
// Writing one also drops log entries beyond the history limit.
import { deflateSync } from 'node:zlib';
import { compressLabels, type ProjectStore } from '../project-store';
import { encodeRuns } from '../labels-codec';
import type { ImageState, LabelMapCache } from './cache';
import { blob } from './rows';

interface CheckpointOptions {
  syncCheckpointPixels: number;
  idleCheckpointMs: number;
  checkpointEvery: number;
  historyLimit: number;
}

function labelBytes(data: Uint32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class Checkpoints {
  constructor(
    private readonly project: ProjectStore,
    private readonly cache: LabelMapCache,
    private readonly options: CheckpointOptions,
  ) {}


  /** Compressed map for an in-transaction checkpoint when the map is small enough, else null. */
  sync(st: ImageState): Uint8Array | null {
    if (st.labels.data.length > this.options.syncCheckpointPixels) return null;
    // The store's format (run-length pairs, deflated), written synchronously: small maps only.
    const out = deflateSync(labelBytes(encodeRuns(st.labels.data)), { level: 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * Writes a checkpoint at log position `seq` (inside the caller's transaction): discarded rows
   * die with the old checkpoint, and applied rows beyond the history limit are dropped.
   */
  store(st: ImageState, compressed: Uint8Array, seq: number, appliedCount: number): void {
    this.project.db.prepare('UPDATE segmentations SET checkpoint = ?, checkpoint_seq = ?, next_id = max(next_id, ?) WHERE image_id = ?').run(blob(compressed), seq, st.nextId, st.imageId);
    this.project.db.prepare('DELETE FROM edit_log WHERE image_id = ? AND undone = 2').run(st.imageId);
    const excess = appliedCount - this.options.historyLimit;
    if (excess > 0) {
      const applied = st.history.filter((h) => h.undone === 0 && h.seq <= seq);
      const last = applied[Math.min(excess, applied.length) - 1];
      if (last) {
        this.project.db.prepare('DELETE FROM edit_log WHERE image_id = ? AND seq <= ?').run(st.imageId, last.seq);
        this.project.db.prepare('UPDATE segmentations SET base_seq = ? WHERE image_id = ?').run(last.seq, st.imageId);
        st.pendingBase = last.seq;
      }
    }
  }

  afterChange(st: ImageState, checkpointed: Uint8Array | null, seq: number): void {
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
      this.schedule(st);
      if (st.sinceCheckpoint >= this.options.checkpointEvery && !st.checkpointing) void this.write(st).catch(() => {});
    }
  }

  schedule(st: ImageState): void {
    if (this.project.readOnly) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = null;
      if (st.detached || !this.project.db.open) return;
      void this.write(st).catch(() => {});
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
  async write(st: ImageState): Promise<boolean> {
    if (!this.project.db.open || this.project.readOnly || st.sinceCheckpoint === 0 || st.checkpointing) return false;
    st.checkpointing = true;
    try {
      const snap = await this.cache.serial(st.imageId, () => {
        if (st.sinceCheckpoint === 0) return null;
        st.lowestDiscard = Infinity;
        return { version: st.version, seq: st.cursor, cp: st.checkpointSeq, applied: st.history.filter((h) => h.undone === 0).length, data: st.labels.data.slice() };
      });
      if (!snap) return false;
      const compressed = await compressLabels(snap.data);
      return await this.cache.serial(st.imageId, () => {
        if (!this.project.db.open) return false;
        const retry = () => {
          if (!st.detached) this.schedule(st);
          return false;
        };
        if (st.lowestDiscard < snap.seq || st.checkpointSeq !== snap.cp) return retry();
        // An evicted state writes only while no newer copy of the image is loaded (that copy knows the old checkpoint position).
        const live = this.cache.loaded(st.imageId);
        if (st.detached && live && live !== st) return false;
        const head = this.project.db.prepare('SELECT updated_at, checkpoint_seq FROM segmentations WHERE image_id = ?').get(st.imageId) as { updated_at: string; checkpoint_seq: number } | undefined;
        if (!head || head.updated_at !== st.generation || head.checkpoint_seq !== st.checkpointSeq) return false;
        try {
          this.project.db.transaction(() => this.store(st, compressed, snap.seq, snap.applied))();
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
        if (st.sinceCheckpoint > 0) this.schedule(st);
        return true;
      });
    } finally {
      st.checkpointing = false;
    }
  }

  /** Writes checkpoints for one image or for all loaded images with edits not yet in one. */
  async flush(imageId?: number): Promise<number> {
    const targets = this.cache.all().filter((s) => imageId === undefined || s.imageId === imageId);
    let written = 0;
    for (const st of targets) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
      while (st.checkpointing) await new Promise((r) => setTimeout(r, 5));
      if (await this.write(st)) written++;
    }
    return written;
  }
}
