// A person's own models (fine-tuned, exported by their lab): `grainlab models import --custom <name>
// <encoder.onnx> <decoder.onnx>` copies the pair into a models folder under a name they give, after
// loading it to recognise its family, and records it in that folder's manifest.json with sha256, size,
// family and what it was derived from. `grainlab models remove <id>` takes a model out again.
import { existsSync } from 'node:fs';
import { readTextFileSync } from '../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../app/limits';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ServiceError } from '../../app/errors';
import { MANIFEST_FILE, type ModelCatalog } from './catalog';
import type { InstalledFile, PairInspector } from './install';
import { copyHashing, looksLikeOnnx, openModelStream, sidecarOf, tempPathFor } from './model-files';
import { locateFile, parseManifest, type ModelEntry, type ModelManifest } from './models';

interface CustomImportOptions {
  /** The name the person gives; the model id is derived from it. */
  name: string;
  encoder: string;
  decoder: string;
  /** What it was derived from: a model id or a few words. */
  derivedFrom?: string;
  /** The models folder it goes into (the user's, or a project's models/). */
  destDir: string;
  /** Every model known now (ids must stay unique). */
  known: ModelManifest;
  inspect: PairInspector;
  /** Injected in tests. */
  now?: () => Date;
}

/** A model id from a name: lower-case letters, digits and dashes. */
function customModelId(name: string): string {
  const id = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  if (id === '') throw new ServiceError('invalid-argument', `The model name "${name}" needs letters or digits (the model id is made from them).`);
  return id;
}

function readFolderManifest(file: string): ModelManifest {
  if (!existsSync(file)) return { version: 1, models: [] };
  try {
    return parseManifest(JSON.parse(readTextFileSync(file, { what: 'model manifest', maxBytes: MAX_SMALL_FILE_BYTES })), file);
  } catch (e) {
    if (e instanceof ServiceError) throw new ServiceError('model', `${e.message} Fix or move it before importing or removing models there.`, file);
    throw new ServiceError('model', `The model manifest "${file}" cannot be read: ${(e as Error).message}. Fix or move it before importing or removing models there.`, file);
  }
}

/** Writes a manifest through a temp file and a rename, so a crash never leaves half a manifest. */
async function writeFolderManifest(file: string, manifest: ModelManifest): Promise<void> {
  const temp = `${file}.${process.pid}-${Date.now().toString(36)}.part`;
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temp, file);
}

/**
 * Imports an encoder/decoder pair as a custom model: both are copied through temp files (sha256 and
 * size measured on the way), loaded to recognise their family (refused with the missing or mismatched
 * inputs otherwise), renamed to <id>.encoder.onnx / <id>.decoder.onnx and recorded in the folder's
 * manifest.json. Nothing is left behind when any step fails.
 */
export async function importCustomModel(o: CustomImportOptions): Promise<{ entry: ModelEntry; files: InstalledFile[] }> {
  const name = o.name.trim();
  if (name.length === 0 || name.length > 100) throw new ServiceError('invalid-argument', 'Give the model a name of 1 to 100 characters.');
  const id = customModelId(name);
  if (o.known.models.some((m) => m.id === id)) {
    throw new ServiceError('invalid-argument', `There is already a model "${id}". Choose another name, or remove that one first (grainlab models remove ${id}).`);
  }
  const sources = { encoder: resolve(o.encoder), decoder: resolve(o.decoder) };
  if (sources.encoder === sources.decoder) throw new ServiceError('invalid-argument', 'The encoder and the decoder must be two different files.');
  for (const [role, s] of Object.entries(sources)) {
    const st = await stat(s).catch(() => null);
    if (st === null || !st.isFile()) throw new ServiceError('not-found', `The ${role} file "${s}" does not exist or is not a file.`, s);
    if (!(await looksLikeOnnx(s))) throw new ServiceError('model', `The ${role} file "${s}" is not an ONNX model (wrong header). Nothing was imported.`, s);
  }
  const manifestFile = join(o.destDir, MANIFEST_FILE);
  const folder = readFolderManifest(manifestFile);
  const files = { encoder: `${id}.encoder.onnx`, decoder: `${id}.decoder.onnx` };
  for (const f of Object.values(files)) {
    if (existsSync(join(o.destDir, f))) throw new ServiceError('invalid-argument', `${join(o.destDir, f)} exists already. Choose another name, or remove that file first.`);
  }
  await mkdir(o.destDir, { recursive: true });
  const staged: { role: 'encoder' | 'decoder'; temp: string; sha256: string; bytes: number }[] = [];
  try {
    for (const role of ['encoder', 'decoder'] as const) {
      const temp = tempPathFor(o.destDir, files[role]);
      staged.push({ role, temp, ...(await copyHashing(await openModelStream(sources[role]), temp, () => {})) });
    }
    const family = await o.inspect(staged[0]!.temp, staged[1]!.temp).catch((e: unknown) => {
      // Name the person's files, not the temp copies, in the signature message.
      if (!(e instanceof ServiceError)) throw e;
      let message = e.message;
      for (const x of staged) message = message.replaceAll(basename(x.temp), basename(sources[x.role]));
      const x = staged.find((s) => s.temp === e.file);
      throw new ServiceError(e.code, `${message} Nothing was imported.`, x === undefined ? e.file : sources[x.role]);
    });
    const entry: ModelEntry = {
      id,
      name,
      family,
      custom: {
        ...(o.derivedFrom !== undefined && o.derivedFrom.trim() !== '' ? { derivedFrom: o.derivedFrom.trim().slice(0, 200) } : {}),
        importedAt: (o.now?.() ?? new Date()).toISOString(),
        from: sources,
      },
      files: staged.map((x) => ({ role: x.role, file: files[x.role], sha256: x.sha256, size: x.bytes })),
    };
    for (const x of staged) await rename(x.temp, join(o.destDir, files[x.role]));
    staged.length = 0;
    try {
      await writeFolderManifest(manifestFile, { version: 1, models: [...folder.models, entry] });
    } catch (e) {
      await Promise.all(Object.values(files).map((f) => rm(join(o.destDir, f), { force: true })));
      throw new ServiceError('io', `Could not write ${manifestFile}: ${(e as Error).message}. Nothing was imported.`, manifestFile);
    }
    return { entry, files: (['encoder', 'decoder'] as const).map((role) => ({ role, file: files[role], path: join(o.destDir, files[role]), copied: true })) };
  } finally {
    await Promise.all(staged.map((x) => rm(x.temp, { force: true })));
  }
}

interface RemovedModel {
  id: string;
  /** Files deleted (with their recorded checksums). */
  deleted: string[];
  /** Files kept because another model uses them. */
  kept: string[];
  /** The manifest a custom model's entry was taken out of; null for other models (their entry stays). */
  manifest: string | null;
}

/**
 * Removes a model: a custom model (imported with --custom) leaves its folder's manifest.json and its
 * files are deleted from that folder; any other model (bundled, or listed by a lab's manifest) has its
 * files deleted from `destDir` (the user's models folder unless a project's is given) and stays listed.
 * Files another known model uses stay.
 */
export async function removeModel(catalog: ModelCatalog, id: string, destDir: string): Promise<RemovedModel> {
  const m = catalog.manifest.models.find((x) => x.id === id);
  if (m === undefined) {
    throw new ServiceError('not-found', `No SAM model "${id}". Known models: ${catalog.manifest.models.map((x) => x.id).join(', ')}.`);
  }
  const manifestFile = m.custom !== undefined ? (catalog.origins[id] ?? null) : null;
  const folder = manifestFile === null ? resolve(destDir) : dirname(manifestFile);
  const others = catalog.manifest.models.filter((x) => x.id !== id);
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const f of m.files) {
    const path = join(folder, f.file);
    if (!existsSync(path)) continue;
    const shared = others.some((x) => x.files.some((g) => g.file === f.file) && locateFile(f.file, catalog.dirs) !== null);
    if (shared) {
      kept.push(path);
      continue;
    }
    await rm(path, { force: true });
    await rm(sidecarOf(path), { force: true });
    deleted.push(path);
  }
  if (manifestFile !== null) {
    const current = readFolderManifest(manifestFile);
    await writeFolderManifest(manifestFile, { version: 1, models: current.models.filter((x) => x.id !== id) });
  } else if (deleted.length === 0 && kept.length === 0) {
    throw new ServiceError('not-found', `The model "${id}" has no files in ${folder}; nothing was removed.`);
  }
  return { id, deleted, kept, manifest: manifestFile };
}
