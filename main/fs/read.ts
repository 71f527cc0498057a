// The one way GrainLab reads a file named by a path: regular files only (a device such as
// /dev/zero, a FIFO or a folder is refused before a byte is read, and a FIFO never blocks the
// open), the size checked against a limit before reading, and, where the caller says so, the
// file's real path confined to a folder (links that lead out are refused).
import { open, realpath } from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { ServiceError } from '../../app/errors';
import { formatBytes } from '../../app/limits';

interface ReadOptions {
  /** What the file is, for messages: 'image file', 'label file', 'model manifest'. */
  what: string;
  /** Largest size accepted; a bigger file is refused before it is read. */
  maxBytes: number;
  /** When set, the file's real path must lie inside this folder. */
  within?: string;
  /** Reading stops (with a 'cancelled' error) once this is aborted. */
  signal?: AbortSignal;
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. It does not
// change reads of regular files. Windows has no FIFOs and no such flag.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CHUNK = 16 * 2 ** 20;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not an ordinary file';
}

function openError(path: string, what: string, e: unknown): ServiceError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ServiceError('not-found', `${path}: no such ${what}. Check the path.`, path);
  if (code === 'ENOTDIR') return new ServiceError('not-found', `${path}: a part of this path is a file, not a folder. Check the path.`, path);
  if (code === 'EACCES' || code === 'EPERM') return new ServiceError('io', `${path}: the ${what} cannot be read (permission denied). Check its permissions.`, path);
  if (code === 'ELOOP') return new ServiceError('invalid-argument', `${path}: too many levels of links. Point GrainLab at the file itself.`, path);
  return new ServiceError('io', `${path}: the ${what} cannot be read (${code ?? (e as Error).message}).`, path);
}

/** Refuses what is not a regular file, or is larger than the limit. */
function checkStats(path: string, st: Stats, opts: ReadOptions): void {
  if (!st.isFile()) {
    throw new ServiceError('invalid-argument', `${path} is ${kindOf(st)}, not a regular file; GrainLab reads a ${opts.what} only from an ordinary file. Choose the file itself.`, path);
  }
  if (st.size > opts.maxBytes) {
    throw new ServiceError('too-large', `${path} is ${formatBytes(st.size)}, larger than the ${formatBytes(opts.maxBytes)} GrainLab reads for a ${opts.what}. Check that this is the right file.`, path);
  }
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

function confinementError(path: string, root: string, what: string): ServiceError {
  return new ServiceError('invalid-argument', `The ${what} ${path} goes through a link that leads out of ${root}; it is refused.`, path);
}

function cancelled(path: string): ServiceError {
  return new ServiceError('cancelled', `Reading ${path} was cancelled.`, path);
}

/** Reads a whole regular file (see the module comment for what is refused). */
export async function readRegularFile(path: string, opts: ReadOptions): Promise<Uint8Array> {
  if (opts.within !== undefined) {
    let real: string;
    let root: string;
    try {
      [real, root] = await Promise.all([realpath(path), realpath(opts.within)]);
    } catch (e) {
      throw openError(path, opts.what, e);
    }
    if (!inside(root, real)) throw confinementError(path, opts.within, opts.what);
  }
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, opts.what, e);
  }
  try {
    const st = await fh.stat();
    checkStats(path, st, opts);
    const out = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < out.length) {
      if (opts.signal?.aborted) throw cancelled(path);
      const { bytesRead } = await fh.read(out, at, Math.min(CHUNK, out.length - at), at);
      if (bytesRead === 0) break; // shrank while being read: what is there is what we have
      at += bytesRead;
    }
    return new Uint8Array(out.buffer, out.byteOffset, at);
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw openError(path, opts.what, e);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** A regular text file as UTF-8, without a byte-order mark. */
export async function readTextFile(path: string, opts: ReadOptions): Promise<string> {
  return decodeText(await readRegularFile(path, opts));
}

/** The synchronous form, for the few readers that run before anything async can (catalogs, settings). */
function readRegularFileSync(path: string, opts: Omit<ReadOptions, 'signal'>): Uint8Array {
  if (opts.within !== undefined) {
    let real: string;
    let root: string;
    try {
      real = realpathSync(path);
      root = realpathSync(opts.within);
    } catch (e) {
      throw openError(path, opts.what, e);
    }
    if (!inside(root, real)) throw confinementError(path, opts.within, opts.what);
  }
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, opts.what, e);
  }
  try {
    const st = fstatSync(fd);
    checkStats(path, st, opts);
    const out = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, Math.min(CHUNK, out.length - at), at);
      if (n === 0) break;
      at += n;
    }
    return new Uint8Array(out.buffer, out.byteOffset, at);
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw openError(path, opts.what, e);
  } finally {
    closeSync(fd);
  }
}

export function readTextFileSync(path: string, opts: Omit<ReadOptions, 'signal'>): string {
  return decodeText(readRegularFileSync(path, opts));
}

/**
 * Checks that `path` is a regular file within the limit without reading it, for readers that
 * stream (model files of several hundred MB). Returns its size.
 */
export async function checkRegularFile(path: string, opts: Omit<ReadOptions, 'signal'>): Promise<number> {
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, opts.what, e);
  }
  try {
    const st = await fh.stat();
    checkStats(path, st, opts);
    return st.size;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The first `n` bytes (fewer if the file is shorter) of a regular file, e.g. to check a signature. */
export function readFileHeadSync(path: string, n: number, opts: Omit<ReadOptions, 'signal' | 'maxBytes'> & { maxBytes?: number }): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw openError(path, opts.what, e);
  }
  try {
    checkStats(path, fstatSync(fd), { ...opts, maxBytes: opts.maxBytes ?? Number.MAX_SAFE_INTEGER });
    const out = Buffer.alloc(n);
    const got = readSync(fd, out, 0, n, 0);
    return new Uint8Array(out.buffer, out.byteOffset, got);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text; a leading byte-order mark (as Windows editors write) is dropped. */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}

/**
 * Parses JSON read from a file. The error says where parsing stopped, never what the file holds:
 * V8's own message quotes the text, which for a file chosen by mistake (or on purpose, such as a
 * password file) would echo its first bytes to the screen.
 */
export function parseJsonText(text: string, file: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    const where = text.trim() === '' ? 'the file is empty' : at !== undefined ? `parsing stopped at character ${at}` : 'it does not parse as JSON';
    throw new ServiceError('invalid-argument', `${file} is not valid JSON (${where}); ${hint}`, file);
  }
}
