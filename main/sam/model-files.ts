// Checking one model file against its manifest entry: sha256, a git blob id (what a GitHub repository
// publishes for every file it holds), exact or approximate size, the ONNX header, and the checksum
// recorded at install for files whose source publishes none. Also the streamed copy-with-hash and temp
// names that installs go through.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ModelFileEntry } from './models';
import { checkRegularFile } from '../fs/read';

/** Largest model file read (SAM ViT-H float32 is 2.5 GB). */
const MAX_MODEL_FILE_BYTES = 16 * 2 ** 30;

/**
 * A model file opened for streaming, after checking it is a regular file of a sane size: a device
 * such as /dev/zero would stream forever and a FIFO would block.
 */
export async function openModelStream(path: string): Promise<Readable> {
  await checkRegularFile(path, { what: 'model file', maxBytes: MAX_MODEL_FILE_BYTES });
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** Relative tolerance for approxSize: covers MB vs MiB (4.9%) and rounding. */
const APPROX_SIZE_TOLERANCE = 0.06;

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(await openModelStream(path), h);
  return h.digest('hex');
}

/** Git's object id of a file's content: sha1 of "blob <size>\0" + content (what `git ls-tree` lists). */
async function gitBlobSha1File(path: string): Promise<string> {
  const bytes = (await stat(path)).size;
  const h = createHash('sha1');
  h.update(`blob ${bytes}\0`);
  await pipeline(await openModelStream(path), h);
  return h.digest('hex');
}

/** ONNX files are protobuf ModelProto messages; their first field is ir_version (tag 0x08). */
export async function looksLikeOnnx(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1);
    const { bytesRead } = await fh.read(buf, 0, 1, 0);
    return bytesRead === 1 && buf[0] === 0x08;
  } finally {
    await fh.close();
  }
}

/** Checksum recorded on first install for files the manifest gives no sha256 for. */
function sidecarPath(path: string): string {
  return `${path}.sha256`;
}
export function readSidecar(path: string): string | null {
  try {
    const text = readFileSync(sidecarPath(path), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}
export async function writeSidecar(path: string, sha256: string): Promise<void> {
  await writeFile(sidecarPath(path), `${sha256}\n`);
}
export function sidecarOf(path: string): string {
  return sidecarPath(path);
}

/**
 * How a file was checked: its published sha256, its git blob id, the sha256 recorded when it was
 * installed, its exact or approximate size, or — for a source that publishes nothing — only the ONNX
 * header at this step (installs then load the pair and check its signature and family).
 */
type CheckMethod = 'sha256' | 'git-blob-sha1' | 'recorded-sha256' | 'size' | 'approx-size' | 'unpublished';

export interface FileCheck {
  ok: boolean;
  method: CheckMethod;
  /** What was found, for the user (empty when ok). */
  problem: string;
  sha256: string | null;
  bytes: number;
}

export function expectedSummary(f: ModelFileEntry): string {
  if (f.sha256) return `sha256 ${f.sha256}`;
  if (f.gitBlobSha1) return `git blob ${f.gitBlobSha1}`;
  if (f.size) return `${f.size} bytes`;
  if (f.approxSize) return `about ${f.approxSize} bytes`;
  return 'an ONNX model of the declared family (its source publishes no checksum)';
}

/** What was measured of a file; gitBlobSha1 only when the entry has one. */
interface Measured {
  bytes: number;
  sha256: string | null;
  gitBlobSha1: string | null;
  onnx: boolean;
}

/** Compares a measured file with its manifest entry (and the checksum recorded at install when the manifest has none). */
export function judge(f: ModelFileEntry, m: Measured, recorded: string | null): FileCheck {
  const { bytes, sha256 } = m;
  const base = { sha256, bytes };
  const primary: CheckMethod = f.sha256 ? 'sha256' : f.gitBlobSha1 ? 'git-blob-sha1' : f.size ? 'size' : f.approxSize ? 'approx-size' : 'unpublished';
  if (!m.onnx) return { ok: false, method: primary, problem: 'it is not an ONNX file (wrong header)', ...base };
  if (f.size !== undefined && bytes !== f.size) {
    return { ok: false, method: 'size', problem: `its size is ${bytes} bytes, expected ${f.size}`, ...base };
  }
  if (f.sha256 !== undefined) {
    return sha256 === f.sha256
      ? { ok: true, method: 'sha256', problem: '', ...base }
      : { ok: false, method: 'sha256', problem: `its sha256 is ${sha256}, expected ${f.sha256}`, ...base };
  }
  if (f.gitBlobSha1 !== undefined) {
    return m.gitBlobSha1 === f.gitBlobSha1
      ? { ok: true, method: 'git-blob-sha1', problem: '', ...base }
      : { ok: false, method: 'git-blob-sha1', problem: `its git blob id is ${m.gitBlobSha1}, expected ${f.gitBlobSha1}`, ...base };
  }
  if (recorded !== null) {
    return sha256 === recorded
      ? { ok: true, method: 'recorded-sha256', problem: '', ...base }
      : { ok: false, method: 'recorded-sha256', problem: `its sha256 ${sha256} differs from the one recorded at install (${recorded})`, ...base };
  }
  if (f.size !== undefined) return { ok: true, method: 'size', problem: '', ...base };
  if (f.approxSize !== undefined) {
    const approx = f.approxSize;
    return Math.abs(bytes - approx) <= approx * APPROX_SIZE_TOLERANCE
      ? { ok: true, method: 'approx-size', problem: '', ...base }
      : { ok: false, method: 'approx-size', problem: `its size is ${bytes} bytes, expected about ${approx}`, ...base };
  }
  return { ok: true, method: 'unpublished', problem: '', ...base };
}

/** Checks one installed file against its manifest entry. */
export async function checkFile(f: ModelFileEntry, path: string): Promise<FileCheck> {
  const bytes = (await stat(path)).size;
  const recorded = readSidecar(path);
  const needHash = f.sha256 !== undefined || recorded !== null || f.size === undefined;
  const sha256 = needHash ? await sha256File(path) : null;
  const gitBlobSha1 = f.gitBlobSha1 !== undefined ? await gitBlobSha1File(path) : null;
  return judge(f, { bytes, sha256, gitBlobSha1, onnx: await looksLikeOnnx(path) }, recorded);
}

/** Streams into dest through a hash and byte counter; returns sha256 and byte count. */
export async function copyHashing(source: Readable, dest: string, onChunk: (received: number) => void): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      bytes += chunk.length;
      onChunk(bytes);
      cb(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(dest, { flags: 'wx' }));
  return { sha256: h.digest('hex'), bytes };
}

export function tempPathFor(destDir: string, file: string): string {
  return join(destDir, `.${file}.${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.part`);
}

/** Measures a staged copy whose sha256 and size are known from the copy (the git blob id and header are read here). */
export async function measureStaged(f: ModelFileEntry, temp: string, sha256: string, bytes: number): Promise<Measured> {
  return { bytes, sha256, gitBlobSha1: f.gitBlobSha1 !== undefined ? await gitBlobSha1File(temp) : null, onnx: await looksLikeOnnx(temp) };
}
