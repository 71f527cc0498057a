// Edit persistence beside a ProjectStore: one EditStore per open project, created explicitly by
// whoever opens the project (the service, the CLI through it, tests) and passed to what needs it.
// Its concerns live one a module:
//   cache.ts        the label-map cache (LRU within a memory budget) and the per-image task queue
//   apply.ts        applying edit operations: the patch, segment rows, class provenance, their SQL
//   replace.ts      replacing the whole map (re-segmenting, imports, restoring a version)
//   history.ts      the one persisted undo history: the edit log, undo and redo
//   checkpoints.ts  stored checkpoints, synchronous and in the background
//   rows.ts         segment rows in memory and their SQL
// Classes (create, rename, revive) are in ../classes.ts.
import { emptyPatch } from '../../../app/edit';
import type { EditAck, EditApplyArgs, EditHistoryState, EditSnapshot, EditStepResult } from '../../../app/contract/edit';
import { ServiceError } from '../../../app/errors';
import type { LabelMap, SegmentRecord } from '../../../app/types';
import { compressLabels, type ProjectStore } from '../project-store';
import { LabelMapCache } from './cache';
import { Checkpoints } from './checkpoints';
import { ack, applyOps, type ClassProvenance } from './apply';
import { replaceMap, type Replacement, type ReplaceOutcome } from './replace';
import { undoRedo } from './history';
import { fullRecord, toRecord } from './rows';
import type { EditParts } from './parts';

export type { ClassProvenance } from './apply';
export type { Replacement, ReplacementMap, ReplaceOutcome } from './replace';

interface EditStoreOptions {
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

/**
 * Edits of one project: load, apply, undo/redo and checkpoint, serialised per image. Create one
 * per open ProjectStore and share it: handlers and other readers must see the same map.
 */
export class EditStore implements EditParts {
  readonly cache: LabelMapCache;
  readonly checkpoints: Checkpoints;

  constructor(
    readonly store: ProjectStore,
    options: EditStoreOptions = {},
  ) {
    const o = { ...DEFAULTS, ...options };
    this.cache = new LabelMapCache(store, o.memoryBytes, {
      pending: (st) => this.checkpoints.schedule(st),
      evicted: (st) => void this.checkpoints.write(st).catch(() => {}),
    });
    this.checkpoints = new Checkpoints(store, this.cache, o);
  }

  private get db() {
    return this.store.db;
  }

  // ---------------------------------------------------------------- reading

  async open(imageId: number, create = false, encoding: 'raw' | 'deflate' = 'raw'): Promise<EditSnapshot | null> {
    const image = this.store.getImage(imageId);
    return this.cache.serial(imageId, async () => {
      let st = await this.cache.state(imageId);
      if (!st && create) {
        const empty = new Uint32Array(image.width * image.height);
        const status = image.status === 'verified' ? 'verified' : 'in-review';
        this.store.saveSegmentation(imageId, { width: image.width, height: image.height, data: empty }, [], 'manual', await compressLabels(empty), status);
        st = await this.cache.state(imageId);
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
    return this.cache.serial(imageId, async () => {
      if (!this.cache.loaded(imageId)) {
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
      const st = await this.cache.state(imageId);
      if (!st) return null;
      return { labels: { width: st.labels.width, height: st.labels.height, data: st.labels.data.slice() }, nextId: st.nextId, engine: st.engine, updatedAt: st.generation, revision: st.revision };
    });
  }

  async history(imageId: number): Promise<EditHistoryState | null> {
    this.store.getImage(imageId);
    return this.cache.serial(imageId, async () => (await this.cache.state(imageId))?.historyState() ?? null);
  }

  /** The image's label map, segment rows and revision as they are now (null without a segmentation). */
  async snapshot(imageId: number): Promise<{ labels: LabelMap; segments: SegmentRecord[]; revision: string } | null> {
    return this.cache.serial(imageId, async () => {
      const st = await this.cache.state(imageId);
      if (!st) return null;
      return { labels: st.labels, segments: [...st.rows.values()].filter((r) => r.area > 0).sort((a, b) => a.id - b.id).map(toRecord), revision: st.revision };
    });
  }

  /**
   * Records the cluster of each listed segment (segments.cluster_id; 0-based ids, null = none) for
   * exports and the UI. A derived view, not an edit: it does not enter the history.
   */
  async setClusterIds(imageId: number, clusterOf: ReadonlyMap<number, number>): Promise<void> {
    await this.cache.serial(imageId, async () => {
      const st = await this.cache.state(imageId);
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
    return this.cache.serial(a.imageId, async () => {
      const st = await this.cache.state(a.imageId);
      if (!st) throw new ServiceError('not-found', `Image ${a.imageId} has no segmentation yet. Segment it, or start an empty one to draw in (edit.open with create: the app does this when you paint on an unsegmented image).`);
      if (a.expectRevision !== undefined && a.expectRevision !== st.revision) return ack(st, 'stale', emptyPatch(), [], []);
      // The queue holds the map still while it is compressed for the version.
      const before = a.version !== undefined ? { compressed: await compressLabels(st.labels.data), rows: [...st.rows.values()].filter((r) => r.area > 0).sort((x, y) => x.id - y.id).map(fullRecord) } : null;
      return applyOps(this, st, ops, a, before);
    });
  }

  // ---------------------------------------------------------------- undo / redo

  undo(imageId: number, expectRevision?: string): Promise<EditStepResult> {
    return undoRedo(this, imageId, 'undo', expectRevision);
  }

  redo(imageId: number, expectRevision?: string): Promise<EditStepResult> {
    return undoRedo(this, imageId, 'redo', expectRevision);
  }

  /**
   * Replaces the image's map by a new one (re-segmenting, importing labels, restoring a version) as
   * ONE undoable history entry whose patch is the difference of the maps; the replaced map and its
   * rows are kept as a version in the same transaction. Null when the image has no segmentation.
   */
  replace(imageId: number, r: Replacement): Promise<ReplaceOutcome | null> {
    return replaceMap(this, imageId, r);
  }

  /** Writes checkpoints for one image or for all loaded images with edits not yet in one. */
  checkpoint(imageId?: number): Promise<number> {
    return this.checkpoints.flush(imageId);
  }

  /** Checkpoints everything and forgets all maps (before the project closes). */
  async flushAll(): Promise<void> {
    await this.checkpoints.flush();
    for (const st of this.cache.all()) this.cache.drop(st);
  }
}
