// Temp-then-rename for dataset folders: an export is written into a hidden sibling folder and
// renamed onto its destination only when complete, so a failed, cancelled or killed export never
// leaves a half-written dataset under the name the user asked for.
//
// The staging folder is `.<name>.grainlab-partial-<pid>-<random>` beside the destination; the
// pid lets a later export recognise (and remove) leftovers of a process that died mid-way.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { makeDirs } from '../fs/dirs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { assertReplaceableDataset } from '../fs/contain';
import { ServiceError } from '../../app/errors';

const PARTIAL = 'grainlab-partial';
const OLD = 'grainlab-old';

/** Names of staging folders, for tests and for users who wonder what a hidden folder is. */
export function stagingPattern(dest: string): RegExp {
  const b = basename(resolve(dest)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${b}\\.(?:${PARTIAL}|${OLD})-(\\d+)-[0-9a-f]+$`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the staging folders that processes which no longer run left beside `dest` (for any
 * dataset name in that folder, so killed exports do not pile up); returns their names.
 */
async function removeStaleStaging(dest: string): Promise<string[]> {
  const parent = dirname(resolve(dest));
  const re = new RegExp(`^\\.(.+)\\.(${PARTIAL}|${OLD})-(\\d+)-[0-9a-f]+$`);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const m = re.exec(e);
    if (!m || processAlive(Number(m[3]))) continue;
    // A process that died between moving the old dataset aside and moving the new one in left
    // the old one complete under its hidden name: put it back rather than lose it.
    const own = join(parent, m[1]!);
    if (m[2] === OLD && !(await exists(own))) {
      await rename(join(parent, e), own);
      continue;
    }
    await rm(join(parent, e), { recursive: true, force: true });
    removed.push(e);
  }
  return removed;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export class StagedFolder {
  private done = false;

  private constructor(
    readonly dest: string,
    /** Where files are written until commit. */
    readonly path: string,
    private readonly overwrite: boolean,
  ) {}

  /**
   * Checks the destination and creates the staging folder. Refuses an existing destination unless
   * `overwrite` (then it is replaced at commit, not before).
   */
  static async begin(dest: string, overwrite: boolean): Promise<StagedFolder> {
    const abs = resolve(dest);
    const parent = dirname(abs);
    if (await exists(abs)) {
      if (!overwrite) {
        throw new ServiceError('invalid-argument', `The folder ${abs} already exists. Choose a new folder name for the dataset, or allow replacing it.`, abs);
      }
      if (!(await stat(abs)).isDirectory()) throw new ServiceError('invalid-argument', `${abs} is a file, not a folder. Choose another destination.`, abs);
      assertReplaceableDataset(abs);
    }
    await makeDirs(parent, 'destination folder');
    await removeStaleStaging(abs);
    const tmp = join(parent, `.${basename(abs)}.${PARTIAL}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(tmp);
    } catch (e) {
      throw new ServiceError('io', `Cannot write in ${parent}: ${(e as Error).message}. Choose a writable location for the dataset.`, parent);
    }
    return new StagedFolder(abs, tmp, overwrite);
  }

  /** Moves the finished folder onto the destination (replacing an old one when allowed). */
  async commit(): Promise<void> {
    if (this.done) throw new Error('staging folder already committed or aborted');
    const parent = dirname(this.dest);
    if (await exists(this.dest)) {
      if (!this.overwrite) {
        await this.abort();
        throw new ServiceError('invalid-argument', `The folder ${this.dest} appeared while the export ran; the export was discarded. Choose another folder.`, this.dest);
      }
      // Two renames: the old dataset is moved aside (still complete under its hidden name) and
      // the new one takes its place; only then is the old one deleted.
      const old = join(parent, `.${basename(this.dest)}.${OLD}-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(this.dest, old);
      await rename(this.path, this.dest);
      this.done = true;
      await rm(old, { recursive: true, force: true });
      return;
    }
    await rename(this.path, this.dest);
    this.done = true;
  }

  /** Deletes the staging folder; the destination is untouched. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await rm(this.path, { recursive: true, force: true });
  }
}
