// Path containment: files a project refers to must lie inside the project folder. A relative path
// from the database or from the renderer is resolved against the project; `..` escapes, absolute
// paths and symlinks that lead out of the project are refused before anything is read or written.
import { realpathSync, existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep, dirname } from 'node:path';
import { ServiceError } from '../../app/errors';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (for files not written yet). */
function realish(p: string): string {
  let head = p;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const up = dirname(head);
    if (up === head) break;
    tail.unshift(head.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    head = up;
  }
  return join(realpathSync(head), ...tail);
}

/**
 * Resolves `rel` (relative to `root`) to an absolute path inside `root`, or throws a ServiceError
 * naming the path. Symlinks are followed: a link inside the project that points outside is refused.
 */
export function resolveInside(root: string, rel: string, what = 'file'): string {
  if (rel.includes('\0')) throw new ServiceError('invalid-argument', `The ${what} path contains a NUL character.`);
  if (isAbsolute(rel)) throw new ServiceError('invalid-argument', `The ${what} path ${rel} is absolute; only paths inside the project (${root}) are allowed.`, rel);
  const abs = resolve(root, rel);
  if (!inside(resolve(root), abs)) throw new ServiceError('invalid-argument', `The ${what} path ${rel} leads out of the project folder ${root}; it is refused.`, rel);
  const realRoot = realpathSync(root);
  if (!inside(realRoot, realish(abs))) {
    throw new ServiceError('invalid-argument', `The ${what} path ${rel} goes through a link that leads out of the project folder ${root}; it is refused.`, rel);
  }
  return abs;
}

/**
 * A path the renderer sent for a place the person chose: a project folder, files to import, an
 * export destination. An absolute path is that chosen place. A relative one is taken inside the
 * open project (`inside`; with resolveInside's checks) and refused when no project is open: the
 * renderer has no working directory, so it would otherwise mean wherever GrainLab was started.
 * `..` is refused everywhere: a file dialog or a dropped file never gives one, so it can only
 * come from a page trying to climb out of where it was sent.
 */
export function resolveChosenPath(p: string, what: string, inside: string | null = null): string {
  if (p.includes('\0')) throw new ServiceError('invalid-argument', `The ${what} path contains a NUL character.`);
  if (p.split(/[\\/]/).includes('..')) {
    throw new ServiceError('invalid-argument', `The ${what} path ${p} contains '..'; give the full path of the place you chose, without '..'.`, p);
  }
  if (isAbsolute(p)) return resolve(p);
  if (inside === null) {
    throw new ServiceError('invalid-argument', `The ${what} path ${p} is relative and no project is open to resolve it in; give the full path (for example from the file dialog).`, p);
  }
  return resolveInside(inside, p, what);
}

/**
 * An existing folder may be replaced by an export only when it is a GrainLab dataset (it holds the
 * dataset card and nothing unexpected at the top), never an arbitrary folder such as a home folder.
 */
export function assertReplaceableDataset(dest: string): void {
  const card = join(dest, 'dataset-card.json');
  if (!existsSync(card)) {
    throw new ServiceError('invalid-argument', `${dest} exists and is not a GrainLab dataset (no dataset-card.json), so it is not replaced. Choose a new folder name.`, dest);
  }
  const known = new Set(['dataset-card.json', 'dataset-card.md', 'images', 'annotations', 'instances', 'semantic', 'boundaries', 'previews', 'labels', 'data.yaml', 'classes.json', 'segments.csv', 'tiles.csv', 'splits.csv']);
  const odd = readdirSync(dest).filter((f) => !known.has(f));
  if (odd.length > 0) {
    throw new ServiceError('invalid-argument', `${dest} holds files a GrainLab export does not write (${odd.slice(0, 3).join(', ')}${odd.length > 3 ? ', …' : ''}), so it is not replaced. Choose a new folder name.`, dest);
  }
}
