// Turns the ways a disk says no (full, read-only, quota, permission) into one clear ServiceError
// that names the place and what to do, whichever layer hit it (SQLite or the file system).
import { ServiceError } from '../../app/errors';

const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const READ_ONLY = new Set(['SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'EROFS', 'EACCES', 'EPERM']);

/** A ServiceError for a full or read-only disk, or null when `e` is something else. */
export function storageError(e: unknown, where: string | null): ServiceError | null {
  if (e instanceof ServiceError && e.code !== 'io') return null;
  const code = (e as { code?: unknown }).code;
  const text = e instanceof Error ? e.message : String(e);
  const place = where ?? 'the project folder';
  const full = (typeof code === 'string' && FULL.has(code)) || /database or disk is full|no space left/i.test(text);
  const readOnly = (typeof code === 'string' && READ_ONLY.has(code)) || /readonly database|read-only file system/i.test(text);
  if (full) {
    return new ServiceError('io', `The disk holding ${place} is full, so the last change was not saved. Everything saved before it is intact; free some space and try again.`, where ?? undefined);
  }
  if (readOnly) {
    return new ServiceError('io', `${place} is read-only (or not writable for you), so the last change was not saved. Everything saved before it is intact and can still be viewed and exported elsewhere; copy the project to a writable disk to edit it.`, where ?? undefined);
  }
  return null;
}

/** A ServiceError for a damaged database (SQLite found corruption while reading), or null. */
export function damagedDatabaseError(e: unknown, where: string | null): ServiceError | null {
  const code = (e as { code?: unknown }).code;
  if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT_INDEX') return null;
  const place = where ? `The project database in ${where}` : 'The project database';
  return new ServiceError('io', `${place} is damaged (${(e as Error).message}). Restore project.sqlite from a backup (project.sqlite.bak-v* beside it, or your own); GrainLab changed nothing.`, where ?? undefined);
}
