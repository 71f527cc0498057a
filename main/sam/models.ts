// The SAM model registry (models/manifest.json, and the manifest.json a models folder may hold: a lab's
// own models, models imported with `grainlab models import --custom`) and the library behind
// `grainlab models list | verify`: where model files are, and checking them. Installing is
// main/sam/install.ts; custom models are main/sam/custom-models.ts.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SamFamilySchema } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import bundledManifestJson from '../../models/manifest.json';
import { checkFile, readSidecar, type FileCheck } from './model-files';

export { sha256File } from './model-files';

const FileSchema = z
  .object({
    role: z.enum(['encoder', 'decoder']),
    /** Plain file name; files live flat in a models folder, so models can share one (MobileSAM's decoder). */
    file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name'),
    /** Where `grainlab models fetch` downloads it; absent for models imported from files. */
    url: z.url().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits').optional(),
    /** Git's blob id of the file, where the source is a git repository (what `git ls-tree` shows). */
    gitBlobSha1: z.string().regex(/^[0-9a-f]{40}$/, '40 lower-case hex digits').optional(),
    /** Exact size in bytes. */
    size: z.number().int().positive().optional(),
    /** Size as published, rounded (MB or MiB unclear); checked loosely when nothing exact is known. */
    approxSize: z.number().positive().optional(),
    /**
     * 'unpublished': the source publishes neither checksum nor size. Such a file is checked by its ONNX
     * signature when installed (the pair must load as the entry's family) and by the sha256 recorded then.
     */
    checksum: z.literal('unpublished').optional(),
  })
  .refine((f) => f.sha256 !== undefined || f.gitBlobSha1 !== undefined || f.size !== undefined || f.approxSize !== undefined || f.checksum === 'unpublished', {
    message: 'each file needs sha256, gitBlobSha1, size or approxSize, or "checksum": "unpublished"',
  });

const ModelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
    name: z.string().min(1),
    description: z.string().optional(),
    license: z.string().optional(),
    /** The model family; its files must load as this family (recognised from their ONNX signature). */
    family: SamFamilySchema.default('sam'),
    /** Where the files come from (the export and its publisher), for people. */
    source: z.string().optional(),
    /** Informative; the convention in use is recognised from the files. Kept for manifests written before families. */
    convention: z
      .object({
        encoder: z.enum(['nchw-normalized', 'hwc-0-255', 'nchw-normalized-square', 'nchw-unit']),
        decoder: z.enum(['meta', 'sam2', 'efficientsam', 'edgesam']),
      })
      .optional(),
    /** Set for models a person imported from their own files (`grainlab models import --custom`). */
    custom: z
      .object({
        /** What it was fine-tuned from or otherwise derived from (a model id or a few words). */
        derivedFrom: z.string().max(200).optional(),
        importedAt: z.string(),
        /** The files it was imported from. */
        from: z.object({ encoder: z.string(), decoder: z.string() }).optional(),
      })
      .optional(),
    files: z.array(FileSchema),
  })
  .refine((m) => m.files.filter((f) => f.role === 'encoder').length === 1 && m.files.filter((f) => f.role === 'decoder').length === 1, {
    message: 'a model has exactly one encoder and one decoder file',
  });

const ModelManifestSchema = z
  .object({ version: z.literal(1), models: z.array(ModelSchema) })
  .refine((m) => new Set(m.models.map((x) => x.id)).size === m.models.length, { message: 'model ids must be unique' });

export type ModelManifest = z.infer<typeof ModelManifestSchema>;
export type ModelEntry = ModelManifest['models'][number];
export type ModelFileEntry = ModelEntry['files'][number];
export type ModelRole = ModelFileEntry['role'];

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

interface ModelFileStatus {
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
  family: ModelEntry['family'];
  /** Present for models imported from a person's own files. */
  custom: NonNullable<ModelEntry['custom']> | null;
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
      family: m.family,
      custom: m.custom ?? null,
      installed: files.every((f) => f.path !== null),
      files,
    };
  });
}

export interface SamModelPaths {
  id?: string;
  encoder: string;
  decoder: string;
  /** The family the manifest declares; loading refuses files that turn out to be another one. */
  family?: ModelEntry['family'];
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
  return encoderSha256 === undefined ? { id, encoder, decoder, family: m.family } : { id, encoder, decoder, family: m.family, encoderSha256 };
}

interface FileVerification extends FileCheck {
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
