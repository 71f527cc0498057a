// Image files that no image row refers to: what an import killed between writing the file and
// committing its row leaves behind (and the `.part` file of one killed while writing). Removed
// when a project is opened, once its lock is held, so a killed import leaves nothing.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

/** Names GrainLab gives imported files: the first 16 hex digits of the content hash and the extension. */
const STORED_NAME = /^[0-9a-f]{16}\.[a-z0-9]{1,8}$/i;

/** Removes orphaned image files (and `.part` leftovers) from `<dir>/<imagesDir>`; returns their names. */
export function removeOrphanImages(db: Database.Database, dir: string, imagesDir: string): string[] {
  const folder = join(dir, imagesDir);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const referenced = new Set((db.prepare('SELECT DISTINCT file FROM images').all() as { file: string }[]).map((r) => r.file.replace(/^.*[\\/]/, '')));
  const removed: string[] = [];
  for (const name of names) {
    const orphan = name.endsWith('.part') || (STORED_NAME.test(name) && !referenced.has(name));
    if (!orphan) continue;
    try {
      rmSync(join(folder, name), { force: true });
      removed.push(name);
    } catch {
      // A read-only medium: the project still opens; the file stays until it can be removed.
    }
  }
  return removed;
}

/**
 * Removes map files in `<dir>/<channelsDir>` that no elemental-map row refers to: a killed map
 * import's leftovers (and `.part` files), and the maps of removed images once no other row uses
 * them (removing an image removes its map rows by cascade). Only names GrainLab gives are touched,
 * and nothing when the folder is not a plain folder of the project (e.g. a link elsewhere).
 */
export function removeOrphanChannelFiles(db: Database.Database, dir: string, channelsDir: string): string[] {
  const folder = join(dir, channelsDir);
  try {
    if (!lstatSync(folder).isDirectory()) return [];
  } catch {
    return [];
  }
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'image_channels'").get();
  if (!hasTable) return [];
  const referenced = new Set((db.prepare('SELECT DISTINCT file FROM image_channels').all() as { file: string }[]).map((r) => r.file.replace(/^.*[\\/]/, '')));
  const removed: string[] = [];
  for (const name of readdirSync(folder)) {
    const orphan = (name.endsWith('.part') && STORED_NAME.test(name.slice(0, -5))) || (STORED_NAME.test(name) && !referenced.has(name));
    if (!orphan) continue;
    try {
      rmSync(join(folder, name), { force: true });
      removed.push(name);
    } catch {
      // A read-only medium: the project still opens; the file stays until it can be removed.
    }
  }
  return removed;
}
