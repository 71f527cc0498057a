// Installing manifest models: `grainlab models fetch` (download) and `grainlab models import <id> <files>`
// (copy from a USB stick or any folder). Every file goes through a temp file in the destination, is
// checked against its manifest entry, and only when all files of the model are good — and, for files
// whose source publishes no checksum, the pair loads as the manifest's family — are they renamed into
// place, so a bad download or stick installs nothing.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import type { SamFamily } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import { copyHashing, expectedSummary, judge, measureStaged, openModelStream, sha256File, tempPathFor, writeSidecar, checkFile } from './model-files';
import { findModelEntry, locateFile, type ModelEntry, type ModelFileEntry, type ModelManifest, type ModelRole } from './models';
import { FAMILY_NAMES } from './signature';

/** Loads an encoder/decoder pair and returns its family; throws the signature error otherwise (main/sam/inspect.ts). */
export type PairInspector = (encoder: string, decoder: string) => Promise<SamFamily>;

export interface InstalledFile {
  role: ModelRole;
  file: string;
  path: string;
  /** false when a valid copy was already present. */
  copied: boolean;
}

interface Staged {
  f: ModelFileEntry;
  temp: string;
  sha256: string;
  bytes: number;
  origin: string;
}

/** A model's files need their signature checked at install when any of them has no published checksum. */
function needsSignatureCheck(m: ModelEntry): boolean {
  return m.files.some((f) => f.sha256 === undefined && f.gitBlobSha1 === undefined);
}

/** Checks one staged copy against its entry; the error names the file the copy came from. */
async function checkStaged(x: Staged, what: string): Promise<void> {
  const verdict = judge(x.f, await measureStaged(x.f, x.temp, x.sha256, x.bytes), null);
  if (!verdict.ok) {
    throw new ServiceError(
      'model',
      `The model file "${x.origin}" does not match the manifest entry for ${x.f.file}: ${verdict.problem}. ` +
        `${what} is damaged, incomplete or a different version; nothing was installed. Expected ${expectedSummary(x.f)}.`,
      x.origin,
    );
  }
}

/**
 * When the model needs it, loads the pair (staged copies or files already installed) and compares its
 * family with the manifest's; then renames the copies into place and records a sha256 for files the
 * manifest has none for. Removes the copies when the check fails.
 */
async function settleAll(m: ModelEntry, staged: Staged[], destDir: string, dirs: readonly string[], inspect: PairInspector | undefined): Promise<InstalledFile[]> {
  if (inspect !== undefined && staged.length > 0 && needsSignatureCheck(m)) {
    const pathOf = (role: ModelRole) => {
      const f = m.files.find((x) => x.role === role)!;
      return staged.find((x) => x.f === f)?.temp ?? locateFile(f.file, dirs)!;
    };
    let family: SamFamily;
    try {
      family = await inspect(pathOf('encoder'), pathOf('decoder'));
    } catch (e) {
      await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
      // The signature check names the temp copies; name the files they came from instead.
      if (!(e instanceof ServiceError)) throw e;
      let message = e.message;
      for (const x of staged) message = message.replaceAll(basename(x.temp), basename(x.origin));
      const x = staged.find((s) => e.file === s.temp);
      throw new ServiceError(e.code, `${message} Nothing was installed.`, x === undefined ? e.file : x.origin);
    }
    if (family !== m.family) {
      await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
      throw new ServiceError(
        'model',
        `The files of "${m.id}" load as a ${FAMILY_NAMES[family]} model, but the manifest says ${FAMILY_NAMES[m.family]}. ` +
          'They are not the files this entry describes; nothing was installed.',
      );
    }
  }
  const out: InstalledFile[] = [];
  for (const x of staged) {
    const final = join(destDir, x.f.file);
    await rename(x.temp, final);
    if (x.f.sha256 === undefined) await writeSidecar(final, x.sha256);
    out.push({ role: x.f.role, file: x.f.file, path: final, copied: true });
  }
  return out;
}

export interface FetchProgress {
  file: string;
  received: number;
  /** Bytes expected (Content-Length), or null when the server does not say. */
  total: number | null;
}

interface FetchOptions {
  /** Where downloaded files go (usually defaultUserModelsDir()). */
  destDir: string;
  /** Folders searched for files already installed (a valid file there is not downloaded again). Default [destDir]. */
  dirs?: readonly string[];
  onProgress?: (p: FetchProgress) => void;
  signal?: AbortSignal;
  /** Injected in tests; default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Signature check for models whose files have no published checksum; skipped when absent. */
  inspect?: PairInspector;
}

/** Downloads a model's missing files: temp files in destDir, checks, then renamed into place together. */
export async function fetchModel(manifest: ModelManifest, id: string, options: FetchOptions): Promise<InstalledFile[]> {
  const m = findModelEntry(manifest, id);
  const dirs = options.dirs ?? [options.destDir];
  await mkdir(options.destDir, { recursive: true });
  const present: InstalledFile[] = [];
  const staged: Staged[] = [];
  try {
    for (const f of m.files) {
      const existing = locateFile(f.file, dirs);
      if (existing !== null && (await checkFile(f, existing)).ok) {
        present.push({ role: f.role, file: f.file, path: existing, copied: false });
        continue;
      }
      if (f.url === undefined) {
        throw new ServiceError('not-found', `The ${f.role} ${f.file} of "${id}" has no download address (it was imported from files). Import it again with "grainlab models import".`);
      }
      const x = await download(f, f.url, id, options);
      staged.push(x);
      await checkStaged(x, 'The download');
    }
  } catch (e) {
    await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
    throw e;
  }
  const copied = await settleAll(m, staged, options.destDir, dirs, options.inspect);
  return m.files.map((f) => present.find((p) => p.file === f.file && p.role === f.role) ?? copied.find((c) => c.role === f.role)!);
}

async function download(f: ModelFileEntry, url: string, id: string, options: FetchOptions): Promise<Staged> {
  const doFetch = options.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (e) {
    if (options.signal?.aborted) throw new ServiceError('cancelled', `Download of ${f.file} was cancelled.`);
    throw new ServiceError(
      'io',
      `Could not download ${f.file} from ${url}: ${(e as Error).message}. Check the network, or copy the file and use "grainlab models import ${id} <files>".`,
    );
  }
  if (!res.ok || res.body === null) {
    throw new ServiceError('io', `Could not download ${f.file} from ${url}: HTTP ${res.status} ${res.statusText}.`);
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
    throw new ServiceError('io', `Download of ${f.file} from ${url} failed: ${(e as Error).message}.`);
  }
  options.onProgress?.({ file: f.file, received: result.bytes, total });
  if (total !== null && result.bytes !== total) {
    await rm(temp, { force: true });
    throw new ServiceError('io', `Download of ${f.file} is incomplete: ${result.bytes} of ${total} bytes. Try again.`);
  }
  return { f, temp, origin: url, ...result };
}

interface ImportOptions {
  destDir: string;
  /** Folders searched for files already installed (a file not given but present there is fine). Default [destDir]. */
  dirs?: readonly string[];
  /** Signature check for models whose files have no published checksum; skipped when absent. */
  inspect?: PairInspector;
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
  // One leftover file and one unmatched manifest entry without checksum: take it (its size or signature is still checked).
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
        `(expected ${names}, or a renamed copy with the same checksum). Nothing was installed. ` +
        'A model of your own is imported with "grainlab models import --custom <name> <encoder.onnx> <decoder.onnx>".',
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
  const staged: Staged[] = [];
  try {
    for (const [f, s] of plan) {
      const temp = tempPathFor(options.destDir, f.file);
      const r = await copyHashing(await openModelStream(s), temp, () => {});
      const x = { f, temp, origin: s, ...r };
      staged.push(x);
      await checkStaged(x, 'The copy');
    }
  } catch (e) {
    await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
    if (e instanceof ServiceError) throw e;
    throw new ServiceError('io', `Could not copy the model files into ${options.destDir}: ${(e as Error).message}.`);
  }
  const copied = await settleAll(m, staged, options.destDir, dirs, options.inspect);
  return m.files.map((f) => copied.find((c) => c.role === f.role) ?? { role: f.role, file: f.file, path: locateFile(f.file, dirs)!, copied: false });
}
