// Contract group: browsing the server's folders (web mode's folder browser), confined to the roots
// the server was started with (the user's home folder by default). Merged into app/contract/index.ts.
import { z } from 'zod';
import { method, path } from './define';

export interface FolderEntry {
  name: string;
  /** Absolute path, to list it or to hand to project.open / images.importPaths. */
  path: string;
  kind: 'folder' | 'file';
  /** A folder holding a GrainLab project (project.sqlite). */
  project: boolean;
  /** A file GrainLab can import (PNG, JPEG, TIFF). */
  image: boolean;
}

export interface FolderListing {
  /** The folder listed (absolute, as the roots spell it). */
  path: string;
  /** The folder above, or null at a root. */
  parent: string | null;
  /** Every root the browser may show. */
  roots: string[];
  /** Folders first, then files, by name; hidden entries and links that leave the roots are left out. */
  entries: FolderEntry[];
  /** More entries than the listing holds (the first ones by name are given). */
  truncated: boolean;
  /** The listed folder itself holds a project. */
  project: boolean;
}

export const browseMethods = {
  /** Lists a folder inside the roots (no path: the first root). Paths outside them, also through '..' or links, are refused. */
  'fs.list': method<FolderListing>()(z.object({ path: path.optional() })),
};
