// One open image being edited: the local document, and the ordered conversation with main that
// persists each edit (edit.apply) and performs undo/redo. Edits show at once (optimistically);
// main's answers are checked against the local result and any disagreement reloads main's map.
// The undo history is main's alone (its persisted edit log, which survives reloads): undo and redo
// are requests to main, and the renderer applies the patch main answers with. DOM-free.
import type { GrainLabClient } from '../../app/contract';
import type { EditAck } from '../../app/contract/edit';
import type { EditOp } from '../../app/edit';
import { EditorDocument, type DocumentChange, type LocalEdit, type LocalEditOptions } from './document';
import { canInflate, withLabels } from './inflate';

export type SessionClient = Pick<GrainLabClient, 'call'>;

export interface SessionLogEntry {
  kind: 'edit' | 'undo' | 'redo';
  ops?: EditOp[];
  status?: string;
}

/** How many requests the session's log keeps (the oldest are dropped first). */
export const SESSION_LOG_LIMIT = 500;

export interface SessionHandlers {
  /** A message for the user (main refused an edit, the map was reloaded...). */
  onMessage?(kind: 'info' | 'error', text: string): void;
  /** Most entries kept in `log` (default SESSION_LOG_LIMIT). */
  logLimit?: number;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class EditSession {
  doc: EditorDocument;
  /** The latest requests sent to main, in order, at most `logLimit` (read by tests and the benchmark). */
  readonly log: SessionLogEntry[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private readonly listeners = new Set<(c: DocumentChange) => void>();
  private offDoc: () => void;
  private disposed = false;

  constructor(
    private readonly client: SessionClient,
    doc: EditorDocument,
    private readonly handlers: SessionHandlers = {},
  ) {
    this.doc = doc;
    this.offDoc = doc.onChange((c) => this.emit(c));
  }

  /** Opens an image for editing; null when it has no segmentation. */
  static async open(client: SessionClient, imageId: number, handlers: SessionHandlers = {}, create = false): Promise<EditSession | null> {
    const snap = await client.call('edit.open', { imageId, create, encoding: canInflate() ? 'deflate' : 'raw' });
    return snap ? new EditSession(client, new EditorDocument(await withLabels(snap)), handlers) : null;
  }

  get imageId(): number {
    return this.doc.imageId;
  }

  /** Requests sent to main whose answers have not arrived yet. */
  get pending(): number {
    return this.inFlight;
  }

  onChange(fn: (c: DocumentChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private record(entry: SessionLogEntry): SessionLogEntry {
    this.log.push(entry);
    const limit = this.handlers.logLimit ?? SESSION_LOG_LIMIT;
    if (this.log.length > limit) this.log.splice(0, this.log.length - limit);
    return entry;
  }

  private emit(c: DocumentChange): void {
    for (const fn of this.listeners) fn(c);
  }

  dispose(): void {
    this.disposed = true;
    this.offDoc();
    this.listeners.clear();
  }

  /** Resolves when every request sent so far has been answered. */
  flush(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const run = this.queue.then(fn, fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => this.inFlight--);
  }

  /**
   * Applies edits locally now and sends them to main (which records them as one undo entry). Returns the local result,
   * or null when the edits changed nothing. Throws when an edit is invalid (nothing is changed).
   */
  edit(ops: EditOp[], options: LocalEditOptions = {}): LocalEdit | null {
    const local = this.doc.applyLocal(ops, options);
    if (local.pixels === 0 && local.created.length + local.changed.length + local.removed.length === 0) return null;
    const entry = this.record({ kind: 'edit', ops });
    void this.enqueue(async () => {
      let ack: EditAck;
      try {
        ack = await this.client.call('edit.apply', {
          imageId: this.doc.imageId,
          ...(ops.length === 1 ? { op: ops[0] } : { ops }),
          expectRevision: this.doc.revision,
          ...(options.source ? { source: options.source } : {}),
          ...(options.classFrom !== undefined ? { classFrom: options.classFrom } : {}),
        });
      } catch (e) {
        entry.status = 'error';
        this.handlers.onMessage?.('error', `The edit could not be saved: ${errorText(e)} The image was reloaded.`);
        await this.reload();
        return;
      }
      entry.status = ack.status;
      if (ack.status === 'stale') {
        this.handlers.onMessage?.('info', 'This image was changed elsewhere (another window?); it was reloaded and your last edit was not applied.');
        await this.reload();
        return;
      }
      const same = ack.pixels === local.pixels && ack.nextId === local.nextId && (ack.status === 'applied' || local.pixels === 0);
      if (!same) {
        this.handlers.onMessage?.('info', 'The saved edit differs from the one shown; the image was reloaded from the project.');
        await this.reload();
        return;
      }
      this.doc.applyAck(ack);
      this.emit({ box: null, segments: true });
    });
    return local;
  }

  /**
   * Runs a service call that edits this image in main as one history entry (a class for a whole
   * cluster, classifier predictions, phase-fraction guidance) and follows its acknowledgement
   * like an own edit: queued behind pending edits, sent with the revision it was made against,
   * its rows taken (main's history holds the step, so Ctrl+Z takes it back). Class-only changes carry
   * no pixels; an ack that changed pixels, or a refused one, reloads main's map.
   */
  applyRemote(call: (expectRevision: string) => Promise<EditAck | null>): Promise<EditAck | null> {
    const entry = this.record({ kind: 'edit' });
    return this.enqueue(async () => {
      let ack: EditAck | null;
      try {
        ack = await call(this.doc.revision);
      } catch (e) {
        entry.status = 'error';
        throw e;
      }
      if (this.disposed || !ack) return ack;
      entry.status = ack.status;
      if (ack.status === 'unchanged') return ack;
      if (ack.status === 'stale' || ack.pixels > 0) {
        if (ack.status === 'stale') this.handlers.onMessage?.('info', 'This image was changed elsewhere (another window?); it was reloaded. Try again.');
        await this.reload();
        return ack;
      }
      this.doc.applyAck(ack);
      this.doc.notify({ box: null, segments: true });
      return ack;
    });
  }

  /** Asks main to undo its newest entry; resolves true when something was undone (then shown). */
  undo(): Promise<boolean> {
    return this.step('undo');
  }

  /** Asks main to redo its newest undone entry; resolves true when something was redone (then shown). */
  redo(): Promise<boolean> {
    return this.step('redo');
  }

  /**
   * Undo/redo are main's (its history spans sessions and reloads): queued behind pending edits,
   * sent with the revision they were made against, and shown by applying main's patch.
   */
  private step(which: 'undo' | 'redo'): Promise<boolean> {
    const entry = this.record({ kind: which });
    return this.enqueue(async () => {
      if (this.disposed) return false;
      try {
        const r = await this.client.call(which === 'undo' ? 'edit.undo' : 'edit.redo', { imageId: this.doc.imageId, expectRevision: this.doc.revision });
        entry.status = r.status;
        if (r.status === 'stale') {
          await this.reload();
          return false;
        }
        if (r.status === 'nothing') return false;
        try {
          this.doc.applyStep(r);
        } catch {
          await this.reload();
        }
        return true;
      } catch (e) {
        entry.status = 'error';
        this.handlers.onMessage?.('error', errorText(e));
        await this.reload();
        return false;
      }
    });
  }

  /** Replaces the local copy with main's current map (after a disagreement or a change from elsewhere). */
  async reload(): Promise<void> {
    if (this.disposed) return;
    const raw = await this.client.call('edit.open', { imageId: this.doc.imageId, encoding: canInflate() ? 'deflate' : 'raw' });
    if (!raw || this.disposed) return;
    const snap = await withLabels(raw);
    if (this.disposed) return;
    this.offDoc();
    this.doc = new EditorDocument(snap);
    this.offDoc = this.doc.onChange((c) => this.emit(c));
    this.emit({ box: null, segments: true, all: true });
  }

  /** Another window changed the image: reload unless the change was ours (same revision). */
  async externalChange(): Promise<void> {
    if (this.disposed || this.inFlight > 0) return;
    const h = await this.client.call('edit.history', { imageId: this.doc.imageId });
    if (this.inFlight > 0 || this.disposed) return;
    if (h && h.revision !== this.doc.revision) await this.enqueue(() => this.reload());
  }
}
