// The SAM model registry (models/manifest.json) and the library behind `grainlab models list | fetch |
// import | verify`: where model files are, downloading them (temp file, checksum, rename), copying them
// from a USB stick, and checking them.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { checkRegularFile, readTextFile } from '../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../app/limits';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ServiceError } from '../../app/errors';
import bundledManifestJson from '../../models/manifest.json';

/** Largest model file read (SAM ViT-H float32 is 2.5 GB). */
const MAX_MODEL_FILE_BYTES = 16 * 2 ** 30;

const FileSchema = z
  .object({
    role: z.enum(['encoder', 'decoder']),
    /** Plain file name; files live flat in a models folder, so models can share one (MobileSAM's decoder). */
    file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name'),
    url: z.url(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits').optional(),
    /** Exact size in bytes. */
    size: z.number().int().positive().optional(),
    /** Size as published, rounded (MB or MiB unclear); checked loosely when nothing exact is known. */
    approxSize: z.number().positive().optional(),
  })
  .refine((f) => f.sha256 !== undefined || f.size !== undefined || f.approxSize !== undefined, {
    message: 'each file needs sha256, size or approxSize',
  });

const ModelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(1),
    description: z.string().optional(),
    license: z.string().optional(),
    convention: z.object({ encoder: z.enum(['nchw-normalized', 'hwc-0-255']), decoder: z.literal('meta') }),
    files: z.array(FileSchema),
  })
  .refine((m) => m.files.filter((f) => f.role === 'encoder').length === 1 && m.files.filter((f) => f.role === 'decoder').length === 1, {
    message: 'a model has exactly one encoder and one decoder file',
  });

export const ModelManifestSchema = z
  .object({ version: z.literal(1), models: z.array(ModelSchema) })
  .refine((m) => new Set(m.models.map((x) => x.id)).size === m.models.length, { message: 'model ids must be unique' });

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type ModelEntry = ModelManifest['models'][number];
export type ModelFileEntry = ModelEntry['files'][number];
export type ModelRole = ModelFileEntry['role'];

/** Relative tolerance for approxSize: covers MB vs MiB (4.9%) and rounding. */
const APPROX_SIZE_TOLERANCE = 0.06;

export function parseManifest(json: unknown, source = 'models/manifest.json'): ModelManifest {
  const r = ModelManifestSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ServiceError('model', `The model manifest "${source}" is invalid: ${issues}.`, source);
  }
  return r.data;
}

/** The manifest shipped with this build (models/manifest.json, bundled at build time). */
export function bundledManifest(): ModelManifest {
  return parseManifest(bundledManifestJson);
}

export async function loadManifest(path: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readTextFile(path, { what: 'model manifest', maxBytes: MAX_SMALL_FILE_BYTES });
  } catch (e) {
    throw new ServiceError('not-found', `Cannot read the model manifest "${path}": ${(e as Error).message}.`, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ServiceError('model', `The model manifest "${path}" is not valid JSON: ${(e as Error).message}.`, path);
  }
  return parseManifest(json, path);
}

/**
 * The user's model folder: $GRAINLAB_MODELS_DIR, else ~/.local/share/grainlab/models on Linux
 * ($XDG_DATA_HOME respected), %LOCALAPPDATA%\grainlab\models on Windows,
 * ~/Library/Application Support/grainlab/models on macOS.
 */
export function defaultUserModelsDir(
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
  home: string = homedir(),
): string {
  if (env.GRAINLAB_MODELS_DIR) return env.GRAINLAB_MODELS_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'grainlab', 'models');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'grainlab', 'models');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'grainlab', 'models');
}

export function findModelEntry(manifest: ModelManifest, id: string): ModelEntry {
  const m = manifest.models.find((x) => x.id === id);
  if (m === undefined) {
    throw new ServiceError('not-found', `No SAM model "${id}" in the manifest. Known models: ${manifest.models.map((x) => x.id).join(', ')}.`);
  }
  return m;
}

/** First folder (in the order given) that holds the file, or null. */
export function locateFile(file: string, dirs: readonly string[]): string | null {
  for (const d of dirs) {
    const p = join(d, file);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return null;
}

export interface ModelFileStatus {
  role: ModelRole;
  file: string;
  /** Where it was found, or null. */
  path: string | null;
  bytes: number | null;
  /** Expected size in bytes (exact or approximate) when the manifest knows it. */
  expectedBytes: number | null;
}

export interface ModelStatus {
  id: string;
  name: string;
  description: string | null;
  convention: ModelEntry['convention'];
  /** All files present (verify() checks their content). */
  installed: boolean;
  files: ModelFileStatus[];
}

/** Every manifest model with whether its files are present, and where (first of `dirs` that has each). */
export function listModels(manifest: ModelManifest, dirs: readonly string[]): ModelStatus[] {
  return manifest.models.map((m) => {
    const files = m.files.map((f): ModelFileStatus => {
      const path = locateFile(f.file, dirs);
      return {
        role: f.role,
        file: f.file,
        path,
        bytes: path === null ? null : statSync(path).size,
        expectedBytes: f.size ?? f.approxSize ?? null,
      };
    });
    return {
      id: m.id,
      name: m.name,
      description: m.description ?? null,
      convention: m.convention,
      installed: files.every((f) => f.path !== null),
      files,
    };
  });
}

export interface SamModelPaths {
  id?: string;
  encoder: string;
  decoder: string;
  /** sha256 of the encoder file when known (part of the embedding cache key; computed otherwise). */
  encoderSha256?: string;
}

/** Paths of an installed model, for SamEngine.load; a ServiceError says how to install it otherwise. */
export function resolveModelPaths(manifest: ModelManifest, id: string, dirs: readonly string[]): SamModelPaths {
  const m = findModelEntry(manifest, id);
  const enc = m.files.find((f) => f.role === 'encoder')!;
  const dec = m.files.find((f) => f.role === 'decoder')!;
  const encoder = locateFile(enc.file, dirs);
  const decoder = locateFile(dec.file, dirs);
  const missing = [encoder === null ? enc.file : null, decoder === null ? dec.file : null].filter((x): x is string => x !== null);
  if (encoder === null || decoder === null) {
    throw new ServiceError(
      'not-found',
      `The SAM model "${id}" is not installed: ${missing.join(' and ')} not found in ${dirs.join(', ')}. ` +
        `Download it with "grainlab models fetch ${id}" or copy the files with "grainlab models import ${id} <files>".`,
    );
  }
  const sidecar = readSidecar(encoder);
  const encoderSha256 = enc.sha256 ?? sidecar ?? undefined;
  return encoderSha256 === undefined ? { id, encoder, decoder } : { id, encoder, decoder, encoderSha256 };
}

export async function sha256File(path: string): Promise<string> {
  await checkRegularFile(path, { what: 'model file', maxBytes: MAX_MODEL_FILE_BYTES });
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

/** ONNX files are protobuf ModelProto messages; their first field is ir_version (tag 0x08). */
async function looksLikeOnnx(path: string): Promise<boolean> {
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
function readSidecar(path: string): string | null {
  try {
    const text = readFileSync(sidecarPath(path), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

export type CheckMethod = 'sha256' | 'recorded-sha256' | 'size' | 'approx-size';

export interface FileCheck {
  ok: boolean;
  method: CheckMethod;
  /** What was found, for the user (empty when ok). */
  problem: string;
  sha256: string | null;
  bytes: number;
}

function expectedSummary(f: ModelFileEntry): string {
  if (f.sha256) return `sha256 ${f.sha256}`;
  if (f.size) return `${f.size} bytes`;
  return `about ${f.approxSize} bytes`;
}

/** Compares measured size/hash with the manifest entry (and the recorded checksum when the manifest has none). */
function judge(f: ModelFileEntry, bytes: number, sha256: string | null, recorded: string | null, onnx: boolean): FileCheck {
  const base = { sha256, bytes };
  if (!onnx) return { ok: false, method: f.sha256 ? 'sha256' : 'size', problem: 'it is not an ONNX file (wrong header)', ...base };
  if (f.size !== undefined && bytes !== f.size) {
    return { ok: false, method: 'size', problem: `its size is ${bytes} bytes, expected ${f.size}`, ...base };
  }
  if (f.sha256 !== undefined) {
    return sha256 === f.sha256
      ? { ok: true, method: 'sha256', problem: '', ...base }
      : { ok: false, method: 'sha256', problem: `its sha256 is ${sha256}, expected ${f.sha256}`, ...base };
  }
  if (recorded !== null) {
    return sha256 === recorded
      ? { ok: true, method: 'recorded-sha256', problem: '', ...base }
      : { ok: false, method: 'recorded-sha256', problem: `its sha256 ${sha256} differs from the one recorded at install (${recorded})`, ...base };
  }
  if (f.size !== undefined) return { ok: true, method: 'size', problem: '', ...base };
  const approx = f.approxSize!;
  return Math.abs(bytes - approx) <= approx * APPROX_SIZE_TOLERANCE
    ? { ok: true, method: 'approx-size', problem: '', ...base }
    : { ok: false, method: 'approx-size', problem: `its size is ${bytes} bytes, expected about ${approx}`, ...base };
}

/** Checks one installed file against its manifest entry. */
export async function checkFile(f: ModelFileEntry, path: string): Promise<FileCheck> {
  const bytes = (await stat(path)).size;
  const needHash = f.sha256 !== undefined || readSidecar(path) !== null;
  const sha256 = needHash || f.size === undefined ? await sha256File(path) : null;
  return judge(f, bytes, sha256, readSidecar(path), await looksLikeOnnx(path));
}

export interface FileVerification extends FileCheck {
  role: ModelRole;
  file: string;
  path: string | null;
}
export interface ModelVerification {
  id: string;
  ok: boolean;
  files: FileVerification[];
}

/** Verifies the files of one model (missing files count as failures). */
export async function verifyModel(manifest: ModelManifest, id: string, dirs: readonly string[]): Promise<ModelVerification> {
  const m = findModelEntry(manifest, id);
  const files: FileVerification[] = [];
  for (const f of m.files) {
    const path = locateFile(f.file, dirs);
    if (path === null) {
      files.push({ role: f.role, file: f.file, path, ok: false, method: 'size', problem: 'not found', sha256: null, bytes: 0 });
      continue;
    }
    files.push({ role: f.role, file: f.file, path, ...(await checkFile(f, path)) });
  }
  return { id, ok: files.every((x) => x.ok), files };
}

/** Verifies every model that has at least one file present (the CLI's `models verify`). */
export async function verifyInstalled(manifest: ModelManifest, dirs: readonly string[]): Promise<ModelVerification[]> {
  const out: ModelVerification[] = [];
  for (const s of listModels(manifest, dirs)) {
    if (s.files.some((f) => f.path !== null)) out.push(await verifyModel(manifest, s.id, dirs));
  }
  return out;
}

/** Streams into dest through a hash and byte counter; returns sha256 and byte count. */
async function copyHashing(
  source: Readable,
  dest: string,
  onChunk: (received: number) => void,
): Promise<{ sha256: string; bytes: number }> {
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

function tempPathFor(destDir: string, file: string): string {
  return join(destDir, `.${file}.${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.part`);
}

/** Checks the temp copy, then renames it into place (atomic on one file system); records a checksum when the manifest has none. */
async function settle(f: ModelFileEntry, temp: string, destDir: string, sha256: string, bytes: number, origin: string): Promise<string> {
  const verdict = judge(f, bytes, sha256, null, await looksLikeOnnx(temp));
  if (!verdict.ok) {
    await rm(temp, { force: true });
    throw new ServiceError(
      'model',
      `The model file "${origin}" does not match the manifest entry for ${f.file}: ${verdict.problem}. ` +
        'The file is damaged, incomplete or a different version; nothing was installed. ' +
        `Expected ${expectedSummary(f)}.`,
      origin,
    );
  }
  const final = join(destDir, f.file);
  await rename(temp, final);
  if (f.sha256 === undefined) await writeFile(sidecarPath(final), `${sha256}\n`);
  return final;
}

export interface FetchProgress {
  file: string;
  received: number;
  /** Bytes expected (Content-Length), or null when the server does not say. */
  total: number | null;
}

export interface FetchOptions {
  /** Where downloaded files go (usually defaultUserModelsDir()). */
  destDir: string;
  /** Folders searched for files already installed (a valid file there is not downloaded again). Default [destDir]. */
  dirs?: readonly string[];
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
  /** Injected in tests; default the global fetch. */
  fetchImpl?: typeof fetch;
}

export interface InstalledFile {
  role: ModelRole;
  file: string;
  path: string;
  /** false when a valid copy was already present. */
  copied: boolean;
}

/** Downloads a model's missing files: temp file in destDir, checksum/size check, rename into place. */
export async function fetchModel(manifest: ModelManifest, id: string, options: FetchOptions): Promise<InstalledFile[]> {
  const m = findModelEntry(manifest, id);
  const dirs = options.dirs ?? [options.destDir];
  const doFetch = options.fetchImpl ?? fetch;
  await mkdir(options.destDir, { recursive: true });
  const out: InstalledFile[] = [];
  for (const f of m.files) {
    const existing = locateFile(f.file, dirs);
    if (existing !== null && (await checkFile(f, existing)).ok) {
      out.push({ role: f.role, file: f.file, path: existing, copied: false });
      continue;
    }
    let res: Response;
    try {
      res = await doFetch(f.url, { redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      if (options.signal?.aborted) throw new ServiceError('cancelled', `Download of ${f.file} was cancelled.`);
      throw new ServiceError(
        'io',
        `Could not download ${f.file} from ${f.url}: ${(e as Error).message}. Check the network, or copy the file and use "grainlab models import ${id} <files>".`,
      );
    }
    if (!res.ok || res.body === null) {
      throw new ServiceError('io', `Could not download ${f.file} from ${f.url}: HTTP ${res.status} ${res.statusText}.`);
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const temp = tempPathFor(options.destDir, f.file);
    let lastReport = 0;
    let result: { sha256: string; bytes: number };
    try {
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      result = await copyHashing(body, temp, (received) => {
        // Report about every MiB; a multi-gigabyte model would otherwise call back tens of thousands of times.
        if (received - lastReport >= 1 << 20) {
          lastReport = received;
          options.onProgress?.({ file: f.file, received, total });
        }
      });
    } catch (e) {
      await rm(temp, { force: true });
      if (options.signal?.aborted) throw new ServiceError('cancelled', `Download of ${f.file} was cancelled.`);
      throw new ServiceError('io', `Download of ${f.file} from ${f.url} failed: ${(e as Error).message}.`);
    }
    options.onProgress?.({ file: f.file, received: result.bytes, total });
    if (total !== null && result.bytes !== total) {
      await rm(temp, { force: true });
      throw new ServiceError('io', `Download of ${f.file} is incomplete: ${result.bytes} of ${total} bytes. Try again.`);
    }
    const path = await settle(f, temp, options.destDir, result.sha256, result.bytes, f.url);
    out.push({ role: f.role, file: f.file, path, copied: true });
  }
  return out;
}

export interface ImportOptions {
  destDir: string;
  /** Folders searched for files already installed (a file not given but present there is fine). Default [destDir]. */
  dirs?: readonly string[];
}

/**
 * Installs a model from files brought on a USB stick (or any folder): each manifest file is matched to a
 * given file by name, else by checksum; copied through a temp file, checked, renamed into place.
 */
export async function importModel(manifest: ModelManifest, id: string, sources: readonly string[], options: ImportOptions): Promise<InstalledFile[]> {
  const m = findModelEntry(manifest, id);
  const dirs = options.dirs ?? [options.destDir];
  for (const s of sources) {
    const st = await stat(s).catch(() => null);
    if (st === null || !st.isFile()) throw new ServiceError('not-found', `The file "${s}" does not exist or is not a file.`, s);
  }
  const unmatched = new Set(sources);
  const plan = new Map<ModelFileEntry, string>();
  for (const f of m.files) {
    const byName = sources.find((s) => basename(s) === f.file);
    if (byName !== undefined) {
      plan.set(f, byName);
      unmatched.delete(byName);
    }
  }
  // Renamed copies: match the remaining files by checksum (only possible where the manifest has one).
  for (const f of m.files) {
    if (plan.has(f) || f.sha256 === undefined) continue;
    for (const s of unmatched) {
      if ((await sha256File(s)) === f.sha256) {
        plan.set(f, s);
        unmatched.delete(s);
        break;
      }
    }
  }
  // One leftover file and one unmatched manifest entry without checksum: take it (its size is still checked).
  const unresolved = m.files.filter((f) => !plan.has(f) && locateFile(f.file, dirs) === null);
  if (unresolved.length === 1 && unmatched.size === 1 && unresolved[0]!.sha256 === undefined) {
    const s = [...unmatched][0]!;
    plan.set(unresolved[0]!, s);
    unmatched.delete(s);
  }
  if (unmatched.size > 0) {
    const names = m.files.map((f) => f.file).join(', ');
    throw new ServiceError(
      'model',
      `${[...unmatched].map((s) => `"${s}"`).join(', ')} ${unmatched.size === 1 ? 'is' : 'are'} not part of the SAM model "${id}" ` +
        `(expected ${names}, or a renamed copy with the same checksum). Nothing was installed.`,
      [...unmatched][0],
    );
  }
  const stillMissing = m.files.filter((f) => !plan.has(f) && locateFile(f.file, dirs) === null);
  if (stillMissing.length > 0) {
    throw new ServiceError(
      'not-found',
      `No file given for ${stillMissing.map((f) => `the ${f.role} ${f.file}`).join(' and ')} of the SAM model "${id}". Nothing was installed.`,
    );
  }
  await mkdir(options.destDir, { recursive: true });
  // Copy and check everything first, rename only when all files are good, so a bad stick installs nothing.
  const staged: { f: ModelFileEntry; temp: string; sha256: string; bytes: number; origin: string }[] = [];
  try {
    for (const [f, s] of plan) {
      const temp = tempPathFor(options.destDir, f.file);
      // A device such as /dev/zero would stream forever: regular files only.
      await checkRegularFile(s, { what: 'model file', maxBytes: MAX_MODEL_FILE_BYTES });
      const r = await copyHashing(createReadStream(s, { highWaterMark: 1 << 20 }), temp, () => {});
      staged.push({ f, temp, origin: s, ...r });
      const verdict = judge(f, r.bytes, r.sha256, null, await looksLikeOnnx(temp));
      if (!verdict.ok) {
        throw new ServiceError(
          'model',
          `The model file "${s}" does not match the manifest entry for ${f.file}: ${verdict.problem}. ` +
            'The copy is damaged, incomplete or a different version; nothing was installed.',
          s,
        );
      }
    }
  } catch (e) {
    await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
    if (e instanceof ServiceError) throw e;
    throw new ServiceError('io', `Could not copy the model files into ${options.destDir}: ${(e as Error).message}.`);
  }
  const out: InstalledFile[] = [];
  for (const x of staged) {
    const path = await settle(x.f, x.temp, options.destDir, x.sha256, x.bytes, x.origin);
    out.push({ role: x.f.role, file: x.f.file, path, copied: true });
  }
  for (const f of m.files) {
    if (!plan.has(f)) out.push({ role: f.role, file: f.file, path: locateFile(f.file, dirs)!, copied: false });
  }
  return out;
}
