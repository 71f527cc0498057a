// Which images one shard of a batch run takes: a folder's image files (keyed by file name) or a
// project's image files (keyed by content hash), split by a hash of the key, so every image falls
// in exactly one of n shards whatever the order files are listed in, on any machine.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ServiceError } from '../../app/errors';
import { resolveInside } from '../fs/contain';
import { DB_FILE } from '../store/project-store';

export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/n` (0 <= i < n), as `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` gives it. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 100_000 || index >= count) {
    throw new ServiceError('invalid-argument', `--shard '${text}' is not i/n with 0 <= i < n (e.g. 0/4 .. 3/4). With a Slurm array started as --array=0-3, pass --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.`);
  }
  return { index, count };
}

/** The shard (0..count-1) a key belongs to: the first 6 bytes of its SHA-256, modulo count. */
export function shardOf(key: string, count: number): number {
  const h = createHash('sha256').update(key).digest();
  return h.readUIntBE(0, 6) % count;
}

/** One file a batch shard imports: where it is, the name it has in the project, its shard key. */
export interface BatchInput {
  path: string;
  name: string;
  key: string;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff']);

export function isProjectFolder(dir: string): boolean {
  return existsSync(join(dir, DB_FILE));
}

/** Image files directly in `dir` (PNG, JPEG, TIFF), sorted by name; key = the file name. */
export function folderInputs(dir: string): BatchInput[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new ServiceError('not-found', `Cannot read the folder ${dir}: ${(e as Error).message}. Give a folder of images or a GrainLab project.`, dir);
  }
  return names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()) && statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => ({ path: join(dir, n), name: n, key: n }));
}

/**
 * The image files of a GrainLab project, one per file (all pages of a multi-page TIFF go to the
 * same shard); key = the content hash. The database is only read (read-only handle, no lock, no
 * migration), so all shards of a cluster run can read the same project at once.
 */
export function projectInputs(dir: string): BatchInput[] {
  const file = join(dir, DB_FILE);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new ServiceError('io', `Cannot read the project database ${file}: ${(e as Error).message}.`, file);
  }
  try {
    const rows = db.prepare('SELECT name, file, page, hash FROM images ORDER BY id').all() as { name: string; file: string; page: number; hash: string }[];
    const seen = new Set<string>();
    const out: BatchInput[] = [];
    for (const r of rows) {
      if (seen.has(r.file)) continue;
      seen.add(r.file);
      out.push({ path: resolveInside(dir, r.file, 'image file'), name: r.name.replace(/ \[page \d+\]$/, ''), key: r.hash });
    }
    return out;
  } finally {
    db.close();
  }
}

export function inShard<T extends { key: string }>(inputs: readonly T[], shard: Shard): T[] {
  return inputs.filter((i) => shardOf(i.key, shard.count) === shard.index);
}
