// Per-image undo/redo: a stack of edits with their patches and meta changes. A gesture (one
// brush stroke of many pointer moves) is grouped into one entry.
import type { EditOp, MetaChange } from './ops';
import { invertMeta } from './ops';
import { combinePatches, invertPatch, isEmptyPatch, type LabelPatch, type PatchDirection } from './patch';

export interface HistoryEntry {
  /** The edit (for a gesture: its first edit, whose kind names the entry, e.g. "Undo brush"). */
  op: EditOp;
  /** How many edits the entry groups (1 unless it is a gesture). */
  steps: number;
  /** The forward change of the whole entry. */
  patch: LabelPatch;
  meta: MetaChange[];
}

/** What the caller must do to the map and the segment table to undo or redo an entry. */
export interface HistoryStep {
  entry: HistoryEntry;
  patch: LabelPatch;
  /** Direction to pass to applyPatch(map, patch, direction). */
  direction: PatchDirection;
  /** Meta changes to apply, already oriented (for undo: old values back). */
  meta: MetaChange[];
}

export interface HistoryOptions {
  /** Most entries kept; the oldest are dropped first (default 200). */
  limit?: number;
  /** Most patch bytes kept across undo and redo stacks (default 256 MiB). */
  maxBytes?: number;
}

function bytesOf(e: HistoryEntry): number {
  return e.patch.runs.byteLength + 64 + e.meta.length * 32;
}

/** Meta changes of two consecutive edits as one: first old value and last new value per (id, field). */
function combineMeta(first: MetaChange[], second: MetaChange[]): MetaChange[] {
  const out = new Map<string, MetaChange>();
  for (const c of [...first, ...second]) {
    const key = `${c.field}:${c.id}`;
    const prev = out.get(key);
    out.set(key, prev ? ({ ...prev, new: c.new } as MetaChange) : { ...c });
  }
  return [...out.values()].filter((c) => c.old !== c.new);
}

/** Combines a list of chained entries pairwise (balanced), so a long gesture costs n log n runs, not n squared. */
function combineAll(entries: HistoryEntry[]): HistoryEntry {
  let level = entries;
  while (level.length > 1) {
    const next: HistoryEntry[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i]!;
      const b = level[i + 1];
      next.push(
        b
          ? { op: a.op, steps: a.steps + b.steps, patch: combinePatches(a.patch, b.patch), meta: combineMeta(a.meta, b.meta) }
          : a,
      );
    }
    level = next;
  }
  return level[0]!;
}

export class EditHistory {
  private done: HistoryEntry[] = [];
  private undone: HistoryEntry[] = [];
  private gesture: HistoryEntry[] | null = null;
  private gestureDepth = 0;
  private bytes = 0;
  private readonly limit: number;
  private readonly maxBytes: number;

  constructor(options: HistoryOptions = {}) {
    this.limit = Math.max(1, options.limit ?? 200);
    this.maxBytes = Math.max(1, options.maxBytes ?? 256 * 1024 * 1024);
  }

  get canUndo(): boolean {
    return this.done.length > 0 || (this.gesture?.length ?? 0) > 0;
  }
  get canRedo(): boolean {
    return this.undone.length > 0 && this.gesture === null;
  }
  get undoSize(): number {
    return this.done.length;
  }
  get redoSize(): number {
    return this.undone.length;
  }
  get inGesture(): boolean {
    return this.gesture !== null;
  }
  /** The entry the next undo would revert (for menu labels). */
  peekUndo(): HistoryEntry | undefined {
    return this.done[this.done.length - 1];
  }
  peekRedo(): HistoryEntry | undefined {
    return this.undone[this.undone.length - 1];
  }

  /** Starts grouping: edits recorded until the matching endGesture become one entry. Nests. */
  beginGesture(): void {
    if (this.gestureDepth++ === 0) this.gesture = [];
  }

  /** Ends a gesture; returns the grouped entry, or null when it changed nothing (or is still nested). */
  endGesture(): HistoryEntry | null {
    if (this.gestureDepth === 0) return null;
    if (--this.gestureDepth > 0) return null;
    const parts = this.gesture!;
    this.gesture = null;
    if (parts.length === 0) return null;
    const entry = combineAll(parts);
    if (isEmptyPatch(entry.patch) && entry.meta.length === 0) return null;
    this.push(entry);
    return entry;
  }

  /** Records an applied edit. Edits that changed nothing are ignored. Clears the redo stack. */
  record(op: EditOp, patch: LabelPatch, meta: MetaChange[] = []): void {
    if (isEmptyPatch(patch) && meta.length === 0) return;
    const entry: HistoryEntry = { op, steps: 1, patch, meta };
    if (this.gesture) {
      this.gesture.push(entry);
      this.dropRedo();
      return;
    }
    this.push(entry);
  }

  private dropRedo(): void {
    for (const e of this.undone) this.bytes -= bytesOf(e);
    this.undone = [];
  }

  private push(entry: HistoryEntry): void {
    this.dropRedo();
    this.done.push(entry);
    this.bytes += bytesOf(entry);
    while (this.done.length > 1 && (this.done.length > this.limit || this.bytes > this.maxBytes)) {
      this.bytes -= bytesOf(this.done.shift()!);
    }
  }

  /** The step that reverts the last entry (an open gesture is closed first), or null. */
  undo(): HistoryStep | null {
    if (this.gesture) {
      this.gestureDepth = 1;
      this.endGesture();
    }
    const entry = this.done.pop();
    if (!entry) return null;
    this.undone.push(entry);
    return { entry, patch: entry.patch, direction: 'inverse', meta: invertMeta(entry.meta) };
  }

  /** The step that re-applies the last undone entry, or null. */
  redo(): HistoryStep | null {
    if (this.gesture) return null;
    const entry = this.undone.pop();
    if (!entry) return null;
    this.done.push(entry);
    return { entry, patch: entry.patch, direction: 'forward', meta: entry.meta.map((c) => ({ ...c })) };
  }

  clear(): void {
    this.done = [];
    this.undone = [];
    this.gesture = null;
    this.gestureDepth = 0;
    this.bytes = 0;
  }
}

/** One history per image, created on first use. */
export class HistoryByImage {
  private readonly byImage = new Map<number, EditHistory>();
  constructor(private readonly options: HistoryOptions = {}) {}
  for(imageId: number): EditHistory {
    let h = this.byImage.get(imageId);
    if (!h) {
      h = new EditHistory(this.options);
      this.byImage.set(imageId, h);
    }
    return h;
  }
  drop(imageId: number): void {
    this.byImage.delete(imageId);
  }
}

/** A patch as the caller applies it for a step; for callers that prefer always-forward patches. */
export function stepPatch(step: HistoryStep): LabelPatch {
  return step.direction === 'forward' ? step.patch : invertPatch(step.patch);
}
