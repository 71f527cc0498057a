// The project database: one SQLite file (WAL, foreign keys) beside an images/ folder.
// Owns the better-sqlite3 handle; every write happens in a transaction.
import Database from 'better-sqlite3';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { removeOrphanChannelFiles, removeOrphanImages } from './orphans';
import { resolveInside } from '../fs/contain';
import { storageError } from '../fs/storage-errors';
import { join, basename, resolve } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { Box, ClassRecord, ImageRecord, ImageStatus, LabelMap, SegmentRecord, SegmentSource } from '../../app/types';
import { listClasses } from './classes';
import { latestVersion, migrations } from './migrations';
import { compressLabels, decompressLabels } from './labels-codec';
import { SEGMENT_COLUMNS, segmentFromDb, type SegmentDbRow } from './segment-rows';
import { makeDirsSync } from '../fs/dirs';
import { checkDatabaseFile, checkGrainLabSchema, checkImagesFolder, checkLabelMapSize, claimProject, projectWritable, readOnlyCopy, releaseProject } from './open-checks';

export const DB_FILE = 'project.sqlite';
export const IMAGES_DIR = 'images';

export interface NewImage {
  name: string;
  file: string;
  page: number;
  hash: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  pixelSizeUm: number | null;
  thumbnail: Uint8Array;
}

interface StoredSegmentation {
  imageId: number;
  labels: LabelMap;
  engine: string;
  nextId: number;
  updatedAt: string;
}

interface ImageRow {
  id: number;
  name: string;
  file: string;
  page: number;
  hash: string;
  width: number;
  height: number;
  channels: number;
  bit_depth: number;
  pixel_size_um: number | null;
  status: ImageStatus;
  created_at: string;
  segment_count: number;
}

export interface SegmentInput {
  id: number;
  area: number;
  bbox: Box;
  source: SegmentSource;
  classId?: number | null;
  classSource?: SegmentRecord['classSource'];
  classConfidence?: number | null;
  verified?: boolean;
  edited?: boolean;
}

/** How an automatic segmentation was made, kept with it (and with every earlier version). */
interface SegmentationMeta {
  engine: string;
  /** The engine's settings (JSON), or null when there are none to tell. */
  settings?: unknown;
}

function toImageRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    name: r.name,
    file: r.file,
    page: r.page,
    hash: r.hash,
    width: r.width,
    height: r.height,
    channels: r.channels,
    bitDepth: r.bit_depth === 16 ? 16 : 8,
    pixelSizeUm: r.pixel_size_um,
    status: r.status,
    segmentCount: r.segment_count,
    createdAt: r.created_at,
  };
}

export class ProjectStore {
  readonly dir: string;
  readonly db: Database.Database;
  readonly name: string;
  /** Opened from a read-only disk or folder: reads work, every change is refused (assertWritable). */
  readonly readOnly: boolean;
  private readonly key: string;
  private readonly tempDir: string | null;

  private constructor(dir: string, db: Database.Database, key: string, tempDir: string | null = null) {
    this.dir = dir;
    this.db = db;
    this.key = key;
    this.readOnly = tempDir !== null;
    this.tempDir = tempDir;
    this.name = this.getSetting('name') ?? basename(dir);
  }

  /** Creates a new project in `dir` (which must be missing or empty). */
  static create(dir: string, name?: string): ProjectStore {
    const abs = resolve(dir);
    if (existsSync(join(abs, DB_FILE))) {
      throw new ServiceError('invalid-argument', `A GrainLab project already exists in ${abs}. Open it instead.`, abs);
    }
    makeDirsSync(abs, 'project folder');
    if (readdirSync(abs).length > 0) {
      throw new ServiceError('invalid-argument', `The folder ${abs} is not empty. Choose an empty or new folder for a project.`, abs);
    }
    makeDirsSync(join(abs, IMAGES_DIR), 'project folder');
    const store = ProjectStore.openFile(abs, true);
    store.setSetting('name', name?.trim() || basename(abs));
    (store as { name: string }).name = name?.trim() || basename(abs);
    return store;
  }

  /**
   * Opens an existing project folder (or its project.sqlite), migrating the schema forward if
   * needed. Nothing is written before the database is known to be GrainLab's; a project that
   * cannot be written opens read-only.
   */
  static open(dirOrFile: string): ProjectStore {
    let abs = resolve(dirOrFile);
    if (abs.endsWith(DB_FILE)) abs = resolve(abs, '..');
    const file = join(abs, DB_FILE);
    if (!existsSync(file)) {
      throw new ServiceError('not-found', `No GrainLab project in ${abs} (${DB_FILE} is missing). Create a project there or pick another folder.`, abs);
    }
    checkDatabaseFile(file);
    const hasImages = checkImagesFolder(abs, IMAGES_DIR);
    if (!projectWritable(abs, file)) return ProjectStore.openReadOnly(abs, file);
    const store = ProjectStore.openFile(abs, false);
    try {
      if (!hasImages) mkdirSync(join(abs, IMAGES_DIR));
      // An import killed before its row was committed leaves a file (or `<name>.part`) no row refers
      // to: remove it once the lock is ours (images/ is known not to be a link out, checkImagesFolder).
      removeOrphanImages(store.db, abs, IMAGES_DIR);
      removeOrphanChannelFiles(store.db, abs, 'channels');
    } catch (e) {
      store.close();
      throw storageError(e, abs) ?? e;
    }
    return store;
  }

  /** A project on a read-only disk or folder: its database is read from a private copy (see open-checks). */
  private static openReadOnly(dir: string, file: string): ProjectStore {
    const key = claimProject(dir);
    let copy: { file: string; tempDir: string } | null = null;
    let db: Database.Database | null = null;
    try {
      copy = readOnlyCopy(file);
      db = new Database(copy.file, { fileMustExist: true, ...nativeBindingOption() });
      checkGrainLabSchema(db, file);
      migrate(db, copy.file);
      db.pragma('query_only = ON');
      return new ProjectStore(dir, db, key, copy.tempDir);
    } catch (e) {
      db?.close();
      if (copy) rmSync(copy.tempDir, { recursive: true, force: true });
      releaseProject(key);
      if (e instanceof ServiceError) throw e;
      throw new ServiceError('io', `Cannot read the project database ${file}: ${(e as Error).message}. If the file is damaged, restore it from a backup (*.bak-v* beside it).`, file);
    }
  }

  private static openFile(dir: string, fresh: boolean): ProjectStore {
    const file = join(dir, DB_FILE);
    const key = claimProject(dir);
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: !fresh, timeout: 250, ...nativeBindingOption() });
    } catch (e) {
      releaseProject(key);
      throw readOnlyError(dir) ?? new ServiceError('io', `Cannot open the project database ${file}: ${(e as Error).message}. If the file is damaged, restore it from a backup (*.bak-v* beside it).`, file);
    }
    try {
      // One GrainLab process per project: SQLite's exclusive locking mode holds an OS file lock
      // from the first write until close, and the OS drops it if the process dies, so a crash
      // never leaves a stale lock behind. Set before WAL so the WAL needs no shared memory.
      db.pragma('locking_mode = EXCLUSIVE');
      // Reads only, before anything below writes: an empty or foreign database stays untouched.
      if (!fresh) checkGrainLabSchema(db, file);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
      db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (e) {
      db.close();
      releaseProject(key);
      if ((e as { code?: string }).code === 'SQLITE_BUSY') {
        throw new ServiceError('locked', `The project ${dir} is open in another GrainLab window or process. Close it there (or wait for that command to finish), then open it here.`, dir);
      }
      if (e instanceof ServiceError) throw e;
      throw readOnlyError(dir) ?? new ServiceError('io', `Cannot open the project database ${file}: ${(e as Error).message}. If the file is damaged, restore it from a backup (*.bak-v* beside it).`, file);
    }
    try {
      migrate(db, file);
    } catch (e) {
      db.close();
      releaseProject(key);
      throw e;
    }
    return new ProjectStore(dir, db, key);
  }

  /** Throws a clear 'read-only' error when the project cannot be changed. */
  assertWritable(what = 'This change'): void {
    if (!this.readOnly) return;
    throw new ServiceError('read-only', `${what} is not possible: the project ${this.dir} is open read-only (its disk or folder cannot be written). Viewing, measuring and exporting to another folder work; copy the project to a writable disk to edit it.`, this.dir);
  }

  /** Refuses a stored label map whose size is not its image's (see checkLabelMapSize). */
  checkSegmentationSize(imageId: number, width: number, height: number): void {
    checkLabelMapSize(this.getImage(imageId), width, height);
  }

  close(): void {
    if (this.db.open) this.db.close();
    releaseProject(this.key);
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  getSetting(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- images ----

  // Named columns, not i.*: a list of 10,000 images must not read 10,000 thumbnails.
  static readonly imageSelect = `
    SELECT i.id, i.name, i.file, i.page, i.hash, i.width, i.height, i.channels, i.bit_depth, i.pixel_size_um, i.status, i.created_at,
      (SELECT count(*) FROM segments s WHERE s.image_id = i.id) AS segment_count FROM images i`;

  listImages(): ImageRecord[] {
    return (this.db.prepare(`${ProjectStore.imageSelect} ORDER BY i.id`).all() as ImageRow[]).map(toImageRecord);
  }

  /** One page of the image list by id: the images after `afterId` (a cursor, 0 = from the start), at most `limit`. */
  listImagesPage(afterId: number, limit: number): ImageRecord[] {
    return (this.db.prepare(`${ProjectStore.imageSelect} WHERE i.id > ? ORDER BY i.id LIMIT ?`).all(afterId, limit) as ImageRow[]).map(toImageRecord);
  }

  countImages(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
  }

  getImage(id: number): ImageRecord {
    const row = this.db.prepare(`${ProjectStore.imageSelect} WHERE i.id = ?`).get(id) as ImageRow | undefined;
    if (!row) throw new ServiceError('not-found', `Image ${id} is not in this project.`);
    return toImageRecord(row);
  }

  hasImage(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(id) !== undefined;
  }

  findImageByHash(hash: string, page: number): ImageRecord | null {
    const row = this.db.prepare(`${ProjectStore.imageSelect} WHERE i.hash = ? AND i.page = ?`).get(hash, page) as ImageRow | undefined;
    return row ? toImageRecord(row) : null;
  }

  /** Inserts the given pages of one file in one transaction: either all appear or none. Ids of removed images are never handed out again. */
  insertImages(images: NewImage[]): ImageRecord[] {
    const ins = this.db.prepare(`INSERT INTO images (id, name, file, page, hash, width, height, channels, bit_depth, pixel_size_um, thumbnail)
      VALUES (@id, @name, @file, @page, @hash, @width, @height, @channels, @bitDepth, @pixelSizeUm, @thumbnail)`);
    const ids = this.db.transaction(() =>
      images.map((im) => {
        const max = (this.db.prepare('SELECT max(id) AS m FROM images').get() as { m: number | null }).m ?? 0;
        const removed = Number(this.getSetting('images.maxRemovedId') ?? 0);
        return Number(ins.run({ ...im, id: Math.max(max, removed) + 1, thumbnail: Buffer.from(im.thumbnail) }).lastInsertRowid);
      }),
    )();
    return ids.map((id) => this.getImage(id));
  }

  /**
   * Removes images from the project: their rows with everything hanging on them (segmentation,
   * versions, history, clusterings) in one transaction, then their files when no other image row
   * (another page of the same file) refers to them. Returns the files removed.
   */
  removeImages(ids: readonly number[]): string[] {
    const files = new Set<string>();
    this.db.transaction(() => {
      for (const id of ids) files.add(this.getImage(id).file);
      const maxRemoved = Math.max(Number(this.getSetting('images.maxRemovedId') ?? 0), ...ids);
      this.setSetting('images.maxRemovedId', String(maxRemoved));
      const del = this.db.prepare('DELETE FROM images WHERE id = ?');
      for (const id of ids) del.run(id);
    })();
    const gone: string[] = [];
    for (const file of files) {
      if (this.db.prepare('SELECT 1 FROM images WHERE file = ?').get(file)) continue;
      try {
        // Only a file inside the project: a damaged row must not reach anything else.
        rmSync(resolveInside(this.dir, file, 'image file'), { force: true });
        gone.push(file);
      } catch {
        // Left for the orphan sweep when the project next opens.
      }
    }
    return gone;
  }

  thumbnail(id: number): Uint8Array {
    const row = this.db.prepare('SELECT thumbnail FROM images WHERE id = ?').get(id) as { thumbnail: Buffer | null } | undefined;
    if (!row) throw new ServiceError('not-found', `Image ${id} is not in this project.`);
    return new Uint8Array(row.thumbnail ?? new Uint8Array());
  }

  setPixelSize(id: number, umPerPx: number | null): ImageRecord {
    this.getImage(id);
    this.db.prepare('UPDATE images SET pixel_size_um = ? WHERE id = ?').run(umPerPx, id);
    return this.getImage(id);
  }

  setStatus(id: number, status: ImageStatus): void {
    this.db.prepare('UPDATE images SET status = ? WHERE id = ?').run(status, id);
  }

  // ---- classes ----

  /** Live classes in id order (deleted ones keep their rows for undo; see store/classes.ts). */
  listClasses(): ClassRecord[] {
    return listClasses(this);
  }

  // ---- segmentations ----

  /**
   * Replaces the segmentation of an image: the compressed label map checkpoint and its segment
   * rows, in one transaction, and clears the image's edit log (it described the old map).
   */
  saveSegmentation(imageId: number, labels: LabelMap, segments: SegmentInput[], engine: string | SegmentationMeta, compressed: Uint8Array, status: ImageStatus = 'auto-segmented'): void {
    const nextId = segments.reduce((m, s) => Math.max(m, s.id), 0) + 1;
    const meta = typeof engine === 'string' ? { engine } : engine;
    const settings = meta.settings === undefined || meta.settings === null ? null : JSON.stringify(meta.settings);
    const upsert = this.db.prepare(`INSERT INTO segmentations (image_id, width, height, checkpoint, engine, next_id, settings, made_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      ON CONFLICT(image_id) DO UPDATE SET width = excluded.width, height = excluded.height, checkpoint = excluded.checkpoint,
        engine = excluded.engine, next_id = excluded.next_id, settings = excluded.settings, made_at = excluded.made_at, updated_at = excluded.updated_at,
        checkpoint_seq = 0, base_seq = 0`);
    const del = this.db.prepare('DELETE FROM segments WHERE image_id = ?');
    const delLog = this.db.prepare('DELETE FROM edit_log WHERE image_id = ?');
    this.db.transaction(() => {
      this.getImage(imageId);
      upsert.run(imageId, labels.width, labels.height, Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength), meta.engine, nextId, settings);
      del.run(imageId);
      delLog.run(imageId);
      this.insertSegments(imageId, segments);
      this.setStatus(imageId, status);
    })();
  }

  private segmentInsert: { one: Database.Statement; many: Database.Statement } | null = null;

  /**
   * Inserts segment rows; call inside a transaction. Rows go 64 to a statement because each
   * statement call crosses from JavaScript into SQLite, which costs more than the row itself.
   */
  insertSegments(imageId: number, segments: SegmentInput[]): void {
    const BATCH = 64;
    const row = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    const sql = (n: number) =>
      `INSERT INTO segments (image_id, id, class_id, class_source, class_confidence, source, verified, edited, area, bbox_x, bbox_y, bbox_w, bbox_h) VALUES ${Array(n).fill(row).join(',')}`;
    this.segmentInsert ??= { one: this.db.prepare(sql(1)), many: this.db.prepare(sql(BATCH)) };
    const args: (number | string | null)[] = [];
    const push = (s: SegmentInput) => {
      const cls = s.classId ?? null;
      // A class without a stated source came with the segments: imported ones are 'import', others automatic ('cluster').
      const src = cls === null ? null : (s.classSource ?? (s.source === 'import' ? 'import' : 'cluster'));
      args.push(imageId, s.id, cls, src, cls === null ? null : (s.classConfidence ?? null), s.source, s.verified ? 1 : 0, s.edited ? 1 : 0, s.area, s.bbox.x, s.bbox.y, s.bbox.width, s.bbox.height);
    };
    let i = 0;
    for (; i + BATCH <= segments.length; i += BATCH) {
      args.length = 0;
      for (let k = i; k < i + BATCH; k++) push(segments[k]!);
      this.segmentInsert.many.run(...args);
    }
    for (; i < segments.length; i++) {
      args.length = 0;
      push(segments[i]!);
      this.segmentInsert.one.run(...args);
    }
  }

  async loadSegmentation(imageId: number): Promise<StoredSegmentation | null> {
    const row = this.db.prepare('SELECT width, height, checkpoint, engine, next_id, updated_at FROM segmentations WHERE image_id = ?').get(imageId) as
      | { width: number; height: number; checkpoint: Buffer; engine: string; next_id: number; updated_at: string }
      | undefined;
    if (!row) return null;
    this.checkSegmentationSize(imageId, row.width, row.height);
    const data = await decompressLabels(row.checkpoint, row.width * row.height);
    return { imageId, labels: { width: row.width, height: row.height, data }, engine: row.engine, nextId: row.next_id, updatedAt: row.updated_at };
  }

  listSegments(imageId: number): SegmentRecord[] {
    const rows = this.db.prepare(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE image_id = ? ORDER BY id`).all(imageId) as SegmentDbRow[];
    return rows.map(segmentFromDb);
  }
}

export { compressLabels, decompressLabels };

/** A clear error when the project folder cannot be written (read-only medium or permissions), else null. */
function readOnlyError(dir: string): ServiceError | null {
  try {
    accessSync(dir, fsConstants.W_OK);
    return null;
  } catch (e) {
    return storageError(e, dir);
  }
}

/**
 * Under Electron in development, `npm start` builds better-sqlite3 for Electron's ABI beside the
 * Node build and names it here; packaged apps have it rebuilt in place by electron-builder.
 */
function nativeBindingOption(): { nativeBinding?: string } {
  const binding = process.env.GRAINLAB_SQLITE_BINDING;
  return process.versions.electron && binding && existsSync(binding) ? { nativeBinding: binding } : {};
}

function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to the latest schema. Before touching an existing database it writes a
 * consistent copy (VACUUM INTO) beside it; each migration runs in a transaction, so a failure
 * leaves the database at the version it had and the error names the backup.
 */
export function migrate(db: Database.Database, file: string, upTo = latestVersion): void {
  const current = schemaVersion(db);
  if (current > latestVersion) {
    throw new ServiceError('unsupported', `The project ${file} was written by a newer GrainLab (schema ${current}; this version knows up to ${latestVersion}). Update GrainLab to open it.`, file);
  }
  if (current >= upTo) return;
  let backup: string | null = null;
  if (current > 0) {
    backup = `${file}.bak-v${current}-${Date.now()}`;
    db.exec(`VACUUM INTO '${backup.replaceAll("'", "''")}'`);
  }
  for (const m of migrations) {
    if (m.version <= current || m.version > upTo) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (e) {
      throw new ServiceError('io', `Upgrading the project database ${file} to schema ${m.version} (${m.description}) failed: ${(e as Error).message}. The database was left unchanged${backup ? `; a backup is at ${backup}` : ''}.`, file);
    }
  }
}
