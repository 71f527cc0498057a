// Creating folders the person chose (a project, an export destination) one level at a time.
// Node's `mkdir(..., { recursive: true })` never returns under /proc (mkdir there answers ENOENT
// for a parent that exists, and Node retries forever, holding the thread), and names a file in the
// way only as a bare ENOTDIR; this walks up once, creates each missing level and says what failed.
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ServiceError } from '../../app/errors';

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the disk is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOENT') return 'this place does not accept new folders';
  return code ?? (e as Error).message;
}

function notAFolder(p: string, what: string): ServiceError {
  return new ServiceError('invalid-argument', `Cannot create the ${what} here: ${p} is a file, not a folder. Choose a folder.`, p);
}

function failed(p: string, what: string, e: unknown): ServiceError {
  return new ServiceError('io', `Cannot create the ${what} ${p} (${why(e)}). Choose a writable location.`, p);
}

/** The levels of `abs` that do not exist yet, outermost first; throws when a file stands in the way. */
function missingLevels(abs: string, what: string, isDir: (p: string) => boolean | null): string[] {
  const missing: string[] = [];
  for (let p = abs; ; ) {
    const d = isDir(p);
    if (d === true) break;
    if (d === false) throw notAFolder(p, what);
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return missing;
}

/** Synchronous mkdir -p with clear errors. `what` names the folder for messages ('project folder'). */
export function makeDirsSync(dir: string, what = 'folder'): void {
  const abs = resolve(dir);
  const isDir = (p: string): boolean | null => {
    try {
      return statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up; the walk reaches it and names it.
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw failed(p, what, e);
    }
  };
  for (const p of missingLevels(abs, what, isDir)) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && isDir(p)) continue;
      throw failed(p, what, e);
    }
  }
}

/** The asynchronous form of makeDirsSync. */
export async function makeDirs(dir: string, what = 'folder'): Promise<void> {
  const abs = resolve(dir);
  const levels: string[] = [];
  for (let p = abs; ; ) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw failed(p, what, e);
    }
    if (st?.isDirectory()) break;
    if (st) throw notAFolder(p, what);
    levels.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const p of levels) {
    try {
      await mkdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(p).catch(() => null))?.isDirectory()) continue;
      throw failed(p, what, e);
    }
  }
}
