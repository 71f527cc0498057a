// Which SAM models this installation knows and where their files are looked for: the bundled
// manifest plus any `manifest.json` a models folder holds (a lab's own export), searched in the
// order project models/ -> app models/ -> the user's models folder.
import { existsSync } from 'node:fs';
import { readTextFileSync } from '../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../app/limits';
import { join } from 'node:path';
import { ServiceError } from '../../app/errors';
import { bundledManifest, defaultUserModelsDir, parseManifest, type ModelEntry, type ModelManifest } from './models';

export const MANIFEST_FILE = 'manifest.json';

/** Model folders in search order: the project's models/, the app's models/, the user's models folder. */
export function modelSearchDirs(projectDir: string | null, appRoot: string, userModelsDir: string = defaultUserModelsDir()): string[] {
  const dirs = [...(projectDir === null ? [] : [join(projectDir, 'models')]), join(appRoot, 'models'), userModelsDir];
  return dirs.filter((d, i) => dirs.indexOf(d) === i);
}

export interface ModelCatalog {
  manifest: ModelManifest;
  dirs: string[];
  /** Manifest files that could not be read, with the reason (the models they list are left out). */
  problems: string[];
  /** For models listed by a folder's manifest.json (a lab's own, custom imports): that file. Bundled models are absent. */
  origins: Record<string, string>;
}

/**
 * The bundled manifest merged with the manifest.json of each folder. Models from the project's folder
 * come first (a project that ships its own model prefers it); an id already known is not replaced.
 */
export function loadCatalog(dirs: readonly string[], projectDir: string | null = null): ModelCatalog {
  const problems: string[] = [];
  const origin = new Map<ModelEntry, string>();
  const local: ModelEntry[][] = dirs.map((d) => {
    const file = join(d, MANIFEST_FILE);
    if (!existsSync(file)) return [];
    try {
      const models = parseManifest(JSON.parse(readTextFileSync(file, { what: 'model manifest', maxBytes: MAX_SMALL_FILE_BYTES })), file).models;
      for (const m of models) origin.set(m, file);
      return models;
    } catch (e) {
      problems.push(e instanceof ServiceError ? e.message : `The model manifest "${file}" cannot be read: ${(e as Error).message}.`);
      return [];
    }
  });
  const projectModels = projectDir === null ? [] : (local[dirs.indexOf(join(projectDir, 'models'))] ?? []);
  const ordered = [...projectModels, ...bundledManifest().models, ...local.flat()];
  const seen = new Set<string>();
  const models = ordered.filter((m) => (seen.has(m.id) ? false : (seen.add(m.id), true)));
  const origins: Record<string, string> = {};
  for (const m of models) {
    const o = origin.get(m);
    if (o !== undefined) origins[m.id] = o;
  }
  return { manifest: { version: 1, models }, dirs: [...dirs], problems, origins };
}
