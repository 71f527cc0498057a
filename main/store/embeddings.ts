// The persistent layer of the SAM embedding cache: the project database's `embeddings(key, data)`
// table. An embedding is 4 MiB of float32, so the table is bounded (oldest rows go first).
import type Database from 'better-sqlite3';
import type { EmbeddingStore } from '../sam/cache';

interface SqliteEmbeddingStoreOptions {
  /** Rows kept; the oldest are deleted beyond it. Default 200 (about 800 MiB). */
  maxEntries?: number;
  /** Which keys are written; others stay in memory only (e.g. the crops of auto-segmentation). Default all. */
  persist?: (key: string) => boolean;
}

export class SqliteEmbeddingStore implements EmbeddingStore {
  private readonly getStmt: Database.Statement<[string], { data: Buffer }>;
  private readonly putStmt: Database.Statement<[string, Buffer]>;
  private readonly trimStmt: Database.Statement<[number]>;
  private readonly maxEntries: number;
  private readonly persist: (key: string) => boolean;
  /** Rows written through this instance (for tests and diagnostics). */
  writes = 0;

  constructor(
    private readonly db: Database.Database,
    options: SqliteEmbeddingStoreOptions = {},
  ) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 200);
    this.persist = options.persist ?? (() => true);
    this.getStmt = db.prepare('SELECT data FROM embeddings WHERE key = ?');
    this.putStmt = db.prepare(
      "INSERT INTO embeddings(key, data, created_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now')) " +
        'ON CONFLICT(key) DO UPDATE SET data = excluded.data, created_at = excluded.created_at',
    );
    // rowid order is insertion order for a table without explicit rowid reuse: oldest first.
    this.trimStmt = db.prepare('DELETE FROM embeddings WHERE rowid IN (SELECT rowid FROM embeddings ORDER BY created_at, rowid LIMIT max(0, (SELECT count(*) FROM embeddings) - ?))');
  }

  get(key: string): Float32Array | undefined {
    if (!this.db.open) return undefined;
    const row = this.getStmt.get(key);
    if (row === undefined || row.data.byteLength % 4 !== 0) return undefined;
    // SQLite's buffer may start at any byte offset; copy into an aligned array of our own.
    const out = new Float32Array(row.data.byteLength / 4);
    new Uint8Array(out.buffer).set(row.data);
    return out;
  }

  put(key: string, data: Float32Array): void {
    if (!this.db.open || !this.persist(key)) return;
    this.db.transaction(() => {
      this.putStmt.run(key, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      this.trimStmt.run(this.maxEntries);
    })();
    this.writes++;
  }

  /** Number of stored embeddings. */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }).n;
  }
}
