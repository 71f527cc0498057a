// The service side of the model manager (the app's model list and `sam.*` model methods): one row per
// model with its family, install state, verification and custom origin; importing a person's own model,
// verifying, removing and downloading. Model files are checked the same way as by the CLI.
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SamModelCheck, SamModelInfo } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import type { ModelCatalog } from './catalog';
import { importCustomModel, removeModel } from './custom-models';
import { inspectFamily } from './inspect';
import { fetchModel } from './install';
import { listModels, locateFile, verifyInstalled, verifyModel, type ModelVerification } from './models';
import type { JobManager } from '../jobs/jobs';
import type { SamPrompting } from './prompting';

/**
 * Verdicts of file checks, kept while the file is unchanged (same size and modification time), so the
 * model list can say "verified" without hashing gigabytes on every refresh.
 */
export class VerificationRecord {
  private readonly byPath = new Map<string, { size: number; mtimeMs: number; ok: boolean }>();

  record(path: string, ok: boolean): void {
    try {
      const st = statSync(path);
      this.byPath.set(resolve(path), { size: st.size, mtimeMs: st.mtimeMs, ok });
    } catch {
      this.byPath.delete(resolve(path));
    }
  }

  /** false if any file failed its last check; true if all passed and are unchanged; null otherwise. */
  state(paths: readonly string[]): boolean | null {
    let all = true;
    for (const p of paths) {
      const r = this.byPath.get(resolve(p));
      let current: { size: number; mtimeMs: number } | null = null;
      try {
        current = statSync(p);
      } catch {
        current = null;
      }
      if (r === undefined || current === null || current.size !== r.size || current.mtimeMs !== r.mtimeMs) {
        all = false;
        continue;
      }
      if (!r.ok) return false;
    }
    return all && paths.length > 0 ? true : null;
  }
}

export interface ModelFolders {
  user: string;
  /** The open project's models/ folder, or null without a project. */
  project: string | null;
}

function destination(folders: ModelFolders, where: 'user' | 'project'): string {
  if (where === 'user') return folders.user;
  if (folders.project === null) throw new ServiceError('no-project', 'Open a project to put models into its models/ folder, or choose the user models folder.');
  return folders.project;
}

/** The model list rows (sam.status). */
export function modelRows(catalog: ModelCatalog, folders: ModelFolders, verification: VerificationRecord): SamModelInfo[] {
  const writable = [folders.user, ...(folders.project === null ? [] : [folders.project])].map((d) => resolve(d));
  return listModels(catalog.manifest, catalog.dirs).map((m) => {
    const entry = catalog.manifest.models.find((x) => x.id === m.id)!;
    const enc = m.files.find((f) => f.role === 'encoder');
    const location = m.installed && enc?.path ? dirname(enc.path) : null;
    const origin = catalog.origins[m.id];
    const removable =
      entry.custom !== undefined && origin !== undefined ? writable.includes(resolve(dirname(origin))) : entry.files.some((f) => locateFile(f.file, writable) !== null);
    const paths = m.files.map((f) => f.path).filter((p): p is string => p !== null);
    return {
      id: m.id,
      name: m.name,
      description: m.description,
      family: m.family,
      installed: m.installed,
      location,
      bytes: m.installed ? m.files.reduce((n, f) => n + (f.bytes ?? 0), 0) : null,
      verified: m.installed ? verification.state(paths) : null,
      custom: m.custom === null ? null : { derivedFrom: m.custom.derivedFrom ?? null, importedAt: m.custom.importedAt },
      removable,
      downloadable: entry.files.every((f) => f.url !== undefined),
    };
  });
}

function toChecks(v: ModelVerification, record: VerificationRecord): SamModelCheck {
  for (const f of v.files) if (f.path !== null) record.record(f.path, f.ok);
  return {
    modelId: v.id,
    ok: v.ok,
    files: v.files.map((f) => ({ role: f.role, file: f.file, path: f.path, ok: f.ok, method: f.method, problem: f.problem })),
  };
}

/** The model-management calls of one service, over its SAM prompting service. */
export class SamModelManager {
  constructor(
    private readonly sam: SamPrompting,
    private readonly jobs: JobManager,
  ) {}

  private folders(): ModelFolders {
    return this.sam.folders();
  }

  async importCustom(a: { name: string; encoderPath: string; decoderPath: string; derivedFrom?: string | undefined; destination: 'user' | 'project' }): Promise<string> {
    const destDir = destination(this.folders(), a.destination);
    const r = await importCustomModel({
      name: a.name,
      encoder: a.encoderPath,
      decoder: a.decoderPath,
      ...(a.derivedFrom !== undefined ? { derivedFrom: a.derivedFrom } : {}),
      destDir,
      known: this.sam.catalog().manifest,
      inspect: inspectFamily,
    });
    for (const f of r.files) this.sam.verification.record(f.path, true);
    return r.entry.id;
  }

  async verify(modelId?: string): Promise<SamModelCheck[]> {
    const c = this.sam.catalog();
    const results = modelId === undefined ? await verifyInstalled(c.manifest, c.dirs) : [await verifyModel(c.manifest, modelId, c.dirs)];
    return results.map((v) => toChecks(v, this.sam.verification));
  }

  async remove(modelId: string, where: 'user' | 'project'): Promise<void> {
    const c = this.sam.catalog();
    const folders = this.folders();
    const origin = c.origins[modelId];
    const custom = c.manifest.models.find((m) => m.id === modelId)?.custom !== undefined;
    // Only the user's and the project's folders are written to; the app's own models/ is read-only.
    const writable = [folders.user, folders.project].filter((d): d is string => d !== null).map((d) => resolve(d));
    if (custom && origin !== undefined && !writable.includes(resolve(dirname(origin)))) {
      throw new ServiceError('unsupported', `The model "${modelId}" is listed by ${origin}, which GrainLab does not change. Edit that file to remove it.`);
    }
    await this.sam.forget(modelId);
    await removeModel(c, modelId, destination(folders, where));
  }

  /** Starts the download of a listed model as a job; its files are checked, then installed together. */
  fetch(modelId: string, where: 'user' | 'project'): string {
    const c = this.sam.catalog();
    const entry = c.manifest.models.find((m) => m.id === modelId);
    if (entry === undefined) throw new ServiceError('not-found', `No SAM model "${modelId}". Known models: ${c.manifest.models.map((m) => m.id).join(', ')}.`);
    const destDir = destination(this.folders(), where);
    return this.jobs.start(`Downloading the SAM model ${entry.name}`, 100, async (job) => {
      const files = await fetchModel(c.manifest, modelId, {
        destDir,
        dirs: [destDir, ...c.dirs],
        signal: job.signal,
        inspect: inspectFamily,
        onProgress: (p) => job.progress(p.total ? Math.floor((100 * p.received) / p.total) : 0, `${p.file}: ${(p.received / 1048576).toFixed(1)} MiB`),
      });
      for (const f of files) this.sam.verification.record(f.path, true);
    });
  }
}

/** The user's and the project's models folders. */
export function modelFolders(userModelsDir: string, projectDir: string | null): ModelFolders {
  return { user: userModelsDir, project: projectDir === null ? null : join(projectDir, 'models') };
}
