// What opening a project checks before GrainLab writes anything: that project.sqlite is a
// GrainLab database (an empty or foreign SQLite file is refused and left exactly as it was), that
// images/ is a real folder inside the project (a link is refused), whether the project can be
// written at all (a read-only one is opened through a private copy of its database, so nothing on
// the read-only medium is touched), and that it is not already open in this process.
import type Database from 'better-sqlite3';
import { accessSync, constants as fsConstants, copyFileSync, existsSync, lstatSync, mkdtempSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServiceError } from '../../app/errors';
import { MAX_SIDE } from '../../app/limits';
import { readFileHeadSync } from '../fs/read';

const SQLITE_MAGIC = 'SQLite format 3\0';
/** Tables every GrainLab database has had since schema 1. */
const CORE_TABLES = ['images', 'segmentations', 'segments', 'classes', 'edit_log'];

/** Refuses a project.sqlite that is not a file, is empty, or is not SQLite, from its first bytes. */
export function checkDatabaseFile(file: string): void {
  const head = readFileHeadSync(file, 100, { what: 'project database' });
  const restore = 'If it should be a GrainLab project, restore project.sqlite from a backup (project.sqlite.bak-v* beside it, or your own).';
  if (head.length === 0) {
    throw new ServiceError('unsupported', `${file} is empty (0 bytes), so it is not a GrainLab project; GrainLab leaves it as it is. ${restore}`, file);
  }
  if (head.length < 100 || String.fromCharCode(...head.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new ServiceError('unsupported', `${file} is not an SQLite database, so it is not a GrainLab project; GrainLab leaves it as it is. ${restore}`, file);
  }
}

/**
 * Refuses a database that has none of GrainLab's tables (an empty one, or another program's),
 * reading only. Call before any statement that writes (journal mode, locks held for writing).
 */
export function checkGrainLabSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
  const have = new Set(tables);
  const missing = CORE_TABLES.filter((t) => !have.has(t));
  if (tables.length === 0) {
    throw new ServiceError('unsupported', `${file} is an empty SQLite database, not a GrainLab project; GrainLab leaves it as it is. Create a new project in an empty folder, or restore project.sqlite from a backup.`, file);
  }
  if (missing.length > 0) {
    const shown = tables.slice(0, 4).join(', ') + (tables.length > 4 ? ', …' : '');
    throw new ServiceError('unsupported', `${file} is an SQLite database of another program (tables: ${shown}), not a GrainLab project; GrainLab leaves it as it is. Choose the folder of a GrainLab project.`, file);
  }
  if (version === 0) {
    throw new ServiceError('unsupported', `${file} has GrainLab's tables but no schema version, so it was changed outside GrainLab; it is left as it is. Restore project.sqlite from a backup (project.sqlite.bak-v* beside it).`, file);
  }
}

/**
 * images/ must be a folder of the project itself. A link (even one that leads back inside) is
 * refused: files are written and removed there, and a link would send that elsewhere.
 * Returns whether the folder exists.
 */
export function checkImagesFolder(dir: string, name: string): boolean {
  const images = join(dir, name);
  let st;
  try {
    st = lstatSync(images);
  } catch {
    return false;
  }
  if (st.isSymbolicLink()) {
    let target = '';
    try {
      target = ` (to ${readlinkSync(images)})`;
    } catch {
      // The target is only for the message.
    }
    throw new ServiceError('invalid-argument', `${images} is a link${target}. GrainLab keeps a project's image files in its own ${name}/ folder and does not write through links; replace the link by a folder holding the files, then open the project again.`, images);
  }
  if (!st.isDirectory()) {
    throw new ServiceError('invalid-argument', `${images} is a file, not a folder. Move it away (GrainLab keeps the project's images in that folder), then open the project again.`, images);
  }
  return true;
}

/** Whether GrainLab may write to the project (its folder and its database file). */
export function projectWritable(dir: string, file: string): boolean {
  try {
    accessSync(dir, fsConstants.W_OK);
    accessSync(file, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private copy of a read-only project's database (and its write-ahead log, which holds the last
 * committed changes if GrainLab was stopped before closing), in a temporary folder. SQLite cannot
 * read a WAL database in place on a read-only disk; the copy is opened instead and never written
 * back. Returns the copy's path and its folder, which the store removes when it closes.
 */
export function readOnlyCopy(file: string): { file: string; tempDir: string } {
  const tempDir = mkdtempSync(join(tmpdir(), 'grainlab-readonly-'));
  const copy = join(tempDir, 'project.sqlite');
  try {
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  } catch (e) {
    rmSync(tempDir, { recursive: true, force: true });
    throw new ServiceError('io', `Cannot read the project database ${file} (${(e as Error).message}).`, file);
  }
  return { file: copy, tempDir };
}

/** Projects open in this process, by real path: a second open here is told so, not "another process". */
const openHere = new Set<string>();

export function projectKey(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

export function claimProject(dir: string): string {
  const key = projectKey(dir);
  if (openHere.has(key)) {
    throw new ServiceError('locked', `The project ${dir} is already open in this GrainLab (in another window or command of the same app). Use it there, or close it there first.`, dir);
  }
  openHere.add(key);
  return key;
}

export function releaseProject(key: string): void {
  openHere.delete(key);
}

/**
 * A stored label map must have its image's size: a checkpoint whose recorded size differs (a
 * changed database) is refused before anything is allocated for it.
 */
export function checkLabelMapSize(image: { id: number; name: string; width: number; height: number }, width: number, height: number): void {
  if (image.width < 1 || image.height < 1 || image.width > MAX_SIDE || image.height > MAX_SIDE) {
    throw new ServiceError('io', `The project's record of image ${image.name} claims ${image.width} x ${image.height} px, which no imported image can have; the database was changed outside GrainLab. Restore it from a backup (project.sqlite.bak-v*).`);
  }
  if (width !== image.width || height !== image.height) {
    throw new ServiceError('io', `The saved label map of ${image.name} is ${width} x ${height} px but the image is ${image.width} x ${image.height} px; the database was changed outside GrainLab. Re-segment the image, or restore the project from a backup (project.sqlite.bak-v*).`);
  }
}
