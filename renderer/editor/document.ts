// The renderer's copy of one image's segmentation: label map plus segment table, changed at once
// by the same app/edit code main runs, so the canvas never waits for the round trip. DOM-free.
import {
  applyEdit,
  applyPatch,
  combinePatches,
  decodePatch,
  emptyPatch,
  isEmptyPatch,
  patchPixelCount,
  type EditContext,
  type EditOp,
  type LabelPatch,
  type MetaChange,
  type SegmentChanges,
} from '../../app/edit';
import type { EditAck, EditSnapshot, EditStepResult, SegmentDelta } from '../../app/contract/edit';
import type { Box, LabelMap, SegmentRecord, SegmentSource } from '../../app/types';

/** What changed: pixels inside `box` (null = none) and/or the segment table. */
export interface DocumentChange {
  box: Box | null;
  segments: boolean;
  /** Every pixel may have changed (a reload). */
  all?: boolean;
}

export interface LocalEdit {
  patch: LabelPatch;
  pixels: number;
  /** Segments the edit created, changed (pixels or meta) and removed. */
  created: number[];
  changed: number[];
  removed: number[];
  nextId: number;
}

export interface LocalEditOptions {
  source?: SegmentSource;
  classFrom?: number;
}

function defaultSource(ops: readonly EditOp[]): SegmentSource {
  return ops.some((o) => o.kind === 'addFromMask') ? 'prompt' : 'brush';
}

export class EditorDocument {
  readonly imageId: number;
  readonly labels: LabelMap;
  readonly segments = new Map<number, SegmentRecord>();
  nextId: number;
  /** Revision of main's map this copy is known to match (the last acknowledged state). */
  revision: string;
  engine: string;
  undoDepth: number;
  redoDepth: number;
  undoKind: string | null;
  redoKind: string | null;
  private readonly listeners = new Set<(c: DocumentChange) => void>();
  /** During applyLocal: a segment's record from before the gesture. */
  private savedRecord: ((id: number) => SegmentRecord | undefined) | null = null;

  constructor(snap: EditSnapshot & { labels: Uint32Array }) {
    this.imageId = snap.imageId;
    this.labels = { width: snap.width, height: snap.height, data: snap.labels };
    for (const s of snap.segments) this.segments.set(s.id, s);
    this.nextId = snap.nextId;
    this.revision = snap.revision;
    this.engine = snap.engine;
    this.undoDepth = snap.undoDepth;
    this.redoDepth = snap.redoDepth;
    this.undoKind = snap.undoKind;
    this.redoKind = snap.redoKind;
  }

  get width(): number {
    return this.labels.width;
  }
  get height(): number {
    return this.labels.height;
  }

  /** Segment id at image pixel (x, y) (floats are floored), 0 outside the image or on no segment. */
  labelAt(x: number, y: number): number {
    const xi = Math.floor(x);
    const yi = Math.floor(y);
    if (xi < 0 || yi < 0 || xi >= this.labels.width || yi >= this.labels.height) return 0;
    return this.labels.data[yi * this.labels.width + xi]!;
  }

  segment(id: number): SegmentRecord | undefined {
    return this.segments.get(id);
  }

  onChange(fn: (c: DocumentChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(c: DocumentChange): void {
    for (const fn of this.listeners) fn(c);
  }

  context(): EditContext {
    return {
      nextId: this.nextId,
      bboxes: (id) => {
        const s = this.segments.get(id);
        return s && s.area > 0 ? s.bbox : undefined;
      },
      areas: (id) => this.segments.get(id)?.area,
      meta: (id) => {
        const s = this.segments.get(id);
        return s ? { classId: s.classId, verified: s.verified } : undefined;
      },
    };
  }

  /**
   * Applies edits to the local copy (one history entry's worth) and updates the segment table the
   * way main will. Throws (leaving the copy unchanged) when an edit is invalid.
   */
  applyLocal(ops: readonly EditOp[], options: LocalEditOptions = {}): LocalEdit {
    const patches: LabelPatch[] = [];
    const created = new Set<number>();
    const removed = new Set<number>();
    const changed = new Set<number>();
    const saved = new Map<number, SegmentRecord | undefined>();
    const keep = (id: number) => {
      if (!saved.has(id)) saved.set(id, this.segments.get(id));
    };
    const startNext = this.nextId;
    this.savedRecord = (id) => saved.get(id);
    try {
      for (const op of ops) {
        const r = applyEdit(this.labels, op, this.context());
        patches.push(r.patch);
        this.nextId = r.nextId;
        this.applyChanges(r.segmentChanges, r.derivedFrom, op, options, ops, keep, created, removed, changed);
        this.applyMeta(r.meta, keep, changed);
        if (op.kind === 'setClass') this.confirmClasses(op.ids, op.classId, keep, changed);
      }
    } catch (e) {
      for (let k = patches.length - 1; k >= 0; k--) applyPatch(this.labels, patches[k]!, 'inverse');
      for (const [id, rec] of saved) {
        if (rec) this.segments.set(id, rec);
        else this.segments.delete(id);
      }
      this.nextId = startNext;
      throw e;
    }
    let patch = emptyPatch();
    for (const p of patches) if (!isEmptyPatch(p)) patch = combinePatches(patch, p);
    for (const id of created) if (removed.has(id)) created.delete(id);
    this.savedRecord = null;
    const result: LocalEdit = {
      patch,
      pixels: patchPixelCount(patch),
      created: [...created],
      changed: [...changed].filter((id) => !created.has(id) && this.segments.has(id)),
      removed: [...removed].filter((id) => !this.segments.has(id) && !created.has(id)),
      nextId: this.nextId,
    };
    const touched = created.size + removed.size + changed.size > 0;
    if (!isEmptyPatch(patch) || touched) this.notify({ box: isEmptyPatch(patch) ? null : patch.box, segments: touched });
    return result;
  }

  private applyChanges(
    c: SegmentChanges,
    derived: [number, number][],
    _op: EditOp,
    options: LocalEditOptions,
    ops: readonly EditOp[],
    keep: (id: number) => void,
    created: Set<number>,
    removed: Set<number>,
    changed: Set<number>,
  ): void {
    const parent = new Map(derived);
    for (const id of c.removed) {
      keep(id);
      this.segments.delete(id);
      removed.add(id);
    }
    for (const s of c.stats) {
      keep(s.id);
      const cur = this.segments.get(s.id);
      if (cur) {
        this.segments.set(s.id, { ...cur, area: s.area, bbox: s.bbox });
        changed.add(s.id);
        continue;
      }
      // Removed earlier in this gesture and back now (e.g. replaced by a mask): keep its record.
      const before = this.savedRecord?.(s.id);
      if (before) {
        this.segments.set(s.id, { ...before, area: s.area, bbox: s.bbox });
        changed.add(s.id);
        removed.delete(s.id);
        continue;
      }
      const from = parent.has(s.id) ? this.segments.get(parent.get(s.id)!) : undefined;
      const classFrom = options.classFrom !== undefined ? this.segments.get(options.classFrom) : undefined;
      this.segments.set(s.id, {
        id: s.id,
        classId: from ? from.classId : (classFrom?.classId ?? null),
        source: from ? from.source : (options.source ?? defaultSource(ops)),
        verified: false,
        clusterId: null,
        area: s.area,
        bbox: s.bbox,
      });
      created.add(s.id);
      removed.delete(s.id);
    }
  }

  private applyMeta(meta: MetaChange[], keep: (id: number) => void, changed: Set<number>): void {
    for (const m of meta) {
      const cur = this.segments.get(m.id);
      if (!cur) continue;
      keep(m.id);
      // A class given here is the person's (main records it so too).
      this.segments.set(m.id, m.field === 'classId' ? { ...cur, classId: m.new, classSource: m.new === null ? null : 'person', classConfidence: null } : { ...cur, verified: m.new });
      changed.add(m.id);
    }
  }

  /** A person giving segments the class they already have from an automatic source makes it theirs (main does the same). */
  private confirmClasses(ids: readonly number[], classId: number | null, keep: (id: number) => void, changed: Set<number>): void {
    if (classId === null) return;
    for (const id of ids) {
      const cur = this.segments.get(id);
      if (!cur || cur.classId !== classId || cur.classSource === 'person') continue;
      keep(id);
      this.segments.set(id, { ...cur, classSource: 'person', classConfidence: null });
      changed.add(id);
    }
  }

  /** Takes main's rows (authoritative class, source and geometry) and history state from an acknowledgement. */
  applyAck(ack: EditAck | EditStepResult): void {
    this.applyDelta(ack);
    this.revision = ack.revision;
    this.nextId = Math.max(this.nextId, ack.nextId);
    this.undoDepth = ack.undoDepth;
    this.redoDepth = ack.redoDepth;
    this.undoKind = ack.undoKind;
    this.redoKind = ack.redoKind;
  }

  private applyDelta(d: SegmentDelta): void {
    for (const id of d.removed) this.segments.delete(id);
    for (const s of d.upserted) this.segments.set(s.id, s);
  }

  /** Follows an undo/redo main performed: applies its patch (throws PatchMismatchError when out of step). */
  applyStep(step: EditStepResult): Box | null {
    const patch = decodePatch(step.patch);
    applyPatch(this.labels, patch, step.direction);
    this.applyAck(step);
    const box = isEmptyPatch(patch) ? null : patch.box;
    this.notify({ box, segments: true });
    return box;
  }
}
