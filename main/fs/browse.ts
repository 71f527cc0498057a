// The folder browser's service: lists one folder for the web UI, confined to the roots given at
// start (the user's home folder by default). A path is resolved to its real path (following every
// link) before the check, so '..' and symlinks cannot lead out; links inside a listing that lead
// out are left out of it. Errors say what was wrong in a sentence.
import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FolderEntry, FolderListing } from '../../app/contract/browse';
import { ServiceError } from '../../app/errors';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff']);
/** Entries listed at most per folder. */
const MAX_ENTRIES = 5000;

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The roots from a comma-separated list (e.g. `--roots a,b` or GRAINLAB_ROOTS); the home folder when none. */
export function parseRoots(list: string | undefined, home = homedir()): string[] {
  const roots = (list ?? '').split(',').map((r) => r.trim()).filter(Boolean).map((r) => resolve(r));
  return roots.length ? roots : [home];
}

export class FolderBrowser {
  private real: Promise<{ given: string; real: string }[]> | null = null;

  constructor(private readonly roots: readonly string[]) {}

  /** Each root with its real path; a root that does not exist is left out (and said when none is left). */
  private async realRoots(): Promise<{ given: string; real: string }[]> {
    this.real ??= Promise.all(this.roots.map(async (given) => ({ given, real: await realpath(given).catch(() => '') }))).then((l) => l.filter((r) => r.real));
    const list = await this.real;
    if (list.length === 0) throw new ServiceError('not-found', `None of the folders this server may browse exists (${this.roots.join(', ')}).`);
    return list;
  }

  /** The real path of `p` and the root it lies in, or a refusal. */
  private async locate(p: string): Promise<{ real: string; root: { given: string; real: string } }> {
    if (p.includes('\0')) throw new ServiceError('invalid-argument', 'The folder path contains a NUL character.');
    if (!isAbsolute(p)) throw new ServiceError('invalid-argument', `The folder path ${p} is not absolute; pick a folder from the list.`, p);
    const roots = await this.realRoots();
    const lexical = resolve(p);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Say "outside" rather than "missing" for paths outside the roots (also through a link): no
      // probing what exists there. The deepest existing ancestor's real path decides.
      const near = await nearestReal(lexical);
      if (!roots.some((r) => inside(r.real, near))) throw outside(p, roots);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ServiceError('not-found', `There is no folder ${p}.`, p);
      if (code === 'EACCES' || code === 'EPERM') throw new ServiceError('io', `${p} cannot be read (permission denied).`, p);
      throw new ServiceError('io', `${p} cannot be opened: ${(e as Error).message}`, p);
    }
    const root = roots.find((r) => inside(r.real, real));
    if (!root) throw outside(p, roots);
    return { real, root };
  }

  /**
   * Refuses a path typed by a web client that lies outside the roots: resolved through its deepest
   * existing folder's real path, so '..' and links cannot lead out, and files still to be created
   * (a new project, an export folder) are judged by where they would land.
   */
  async confine(p: string): Promise<void> {
    if (p.includes('\0')) throw new ServiceError('invalid-argument', 'The path contains a NUL character.');
    if (!isAbsolute(p)) throw new ServiceError('invalid-argument', `The path ${p} is not absolute; give a full path, or pick it with Browse…`, p);
    const roots = await this.realRoots();
    const near = await nearestReal(resolve(p));
    if (!roots.some((r) => inside(r.real, near))) {
      throw new ServiceError('invalid-argument', `${p} is outside the folders this server may use (${roots.map((r) => r.given).join(', ')}); start it with --roots to allow another folder.`, p);
    }
  }

  async list(p?: string): Promise<FolderListing> {
    const roots = await this.realRoots();
    const { real, root } = await this.locate(p ?? roots[0]!.given);
    const st = await stat(real);
    if (!st.isDirectory()) throw new ServiceError('invalid-argument', `${p} is a file, not a folder.`, p);
    // Shown as the root spells it (the home folder, not a resolved /private/... on macOS).
    const shown = join(root.given, relative(root.real, real));
    let names: import('node:fs').Dirent[];
    try {
      names = await readdir(real, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new ServiceError('io', `${shown} cannot be read (permission denied).`, shown);
      throw new ServiceError('io', `${shown} cannot be listed: ${(e as Error).message}`, shown);
    }
    const entries: FolderEntry[] = [];
    for (const d of names.filter((n) => !n.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(real, d.name);
      let folder = d.isDirectory();
      let file = d.isFile();
      if (d.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (!target || !roots.some((r) => inside(r.real, target))) continue;
        const ts = await stat(target).catch(() => null);
        folder = ts?.isDirectory() ?? false;
        file = ts?.isFile() ?? false;
      }
      if (!folder && !file) continue;
      const path = join(shown, d.name);
      entries.push({ name: d.name, path, kind: folder ? 'folder' : 'file', project: folder && (await exists(join(full, 'project.sqlite'))), image: file && IMAGE_EXT.has(extname(d.name).toLowerCase()) });
    }
    entries.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'folder' ? -1 : 1));
    const atRoot = real === root.real;
    return {
      path: shown,
      parent: atRoot ? null : dirname(shown),
      roots: roots.map((r) => r.given),
      entries: entries.slice(0, MAX_ENTRIES),
      truncated: entries.length > MAX_ENTRIES,
      project: await exists(join(real, 'project.sqlite')),
    };
  }
}

function outside(p: string, roots: { given: string }[]): ServiceError {
  return new ServiceError('invalid-argument', `${p} is outside the folders this server may browse (${roots.map((r) => r.given).join(', ')}).`, p);
}

/** The real path of the deepest existing ancestor of `p`, joined with the rest. */
async function nearestReal(p: string): Promise<string> {
  const tail: string[] = [];
  let head = p;
  for (;;) {
    const real = await realpath(head).catch(() => null);
    if (real !== null) return join(real, ...tail);
    const up = dirname(head);
    if (up === head) return p;
    tail.unshift(head.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    head = up;
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p, constants.F_OK).then(
    () => true,
    () => false,
  );
}

