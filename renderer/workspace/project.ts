// The project's lifecycle (is one open in main, e.g. after a page reload; open; close) and
// importing files into it.
import { useCallback, useEffect, useState } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { ProjectInfo } from '../../app/types';
import type { Toasts } from './toasts';

interface ProjectState {
  project: ProjectInfo | null;
  /** Main answered whether a project is open. */
  loaded: boolean;
  opened(p: ProjectInfo): void;
  close(): Promise<void>;
}

export function useProject(client: GrainLabClient, onError: (e: unknown) => void): ProjectState {
  const [project, setProject] = useState<ProjectInfo | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    client
      .call('project.current', {})
      .then((p) => setProject(p))
      .catch(onError)
      .finally(() => setLoaded(true));
  }, [client, onError]);
  useEffect(() => {
    if (project) document.title = `${project.name} — GrainLab`;
  }, [project]);
  const close = useCallback(async () => {
    await client.call('project.close', {}).catch(onError);
    setProject(null);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }, [client, onError]);
  return { project, loaded, opened: setProject, close };
}

export interface Imports {
  /** What is being imported now ("Importing 2 of 5: a.tif"), or null. */
  importing: string | null;
  importFiles(files: File[]): Promise<void>;
  /** Imports files already on the server (web mode's folder browser chose them). */
  importPaths(paths: string[]): Promise<void>;
}

/** Imports files one by one, saying which were already in the project; opens the first new image when none is open. */
export function useImports(client: GrainLabClient, toasts: Toasts, refreshImages: () => Promise<unknown>, openIfNone: (imageId: number) => void): Imports {
  const [importing, setImporting] = useState<string | null>(null);
  const { toast, onError } = toasts;
  const importFiles = useCallback(
    async (files: File[]) => {
      if (files.length === 0) return;
      let ok = 0;
      let firstNew: number | null = null;
      const known: string[] = [];
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        setImporting(`Importing ${i + 1} of ${files.length}: ${f.name}`);
        try {
          const bytes = new Uint8Array(await f.arrayBuffer());
          const res = await client.call('images.importFiles', { files: [{ name: f.name, bytes }] });
          ok += res.imported.length;
          if (firstNew === null && res.imported[0]) firstNew = res.imported[0].id;
          for (const e of res.existing) known.push(`${e.name} is already in the project as #${e.image.id}${e.image.name !== e.name ? ` (${e.image.name})` : ''}.`);
          for (const fail of res.failed) toast('error', fail.message);
        } catch (e) {
          onError(e);
        }
      }
      setImporting(null);
      await refreshImages();
      if (ok > 0) toast('info', `Imported ${ok} image${ok === 1 ? '' : 's'}.`);
      for (const k of known.slice(0, 3)) toast('info', k);
      if (known.length > 3) toast('info', `${known.length - 3} more files were already in the project.`);
      if (firstNew !== null) openIfNone(firstNew);
    },
    [client, refreshImages, toast, onError, openIfNone],
  );
  const importPaths = useCallback(
    async (paths: string[]) => {
      if (paths.length === 0) return;
      setImporting(`Importing ${paths.length} file${paths.length === 1 ? '' : 's'} from the server`);
      try {
        const res = await client.call('images.importPaths', { paths });
        for (const fail of res.failed) toast('error', fail.message);
        await refreshImages();
        const ok = res.imported.length;
        toast('info', `Imported ${ok} image${ok === 1 ? '' : 's'}${res.existing.length ? `; ${res.existing.length} already in the project` : ''}.`);
        if (res.imported[0]) openIfNone(res.imported[0].id);
      } catch (e) {
        onError(e);
      } finally {
        setImporting(null);
      }
    },
    [client, refreshImages, toast, onError, openIfNone],
  );
  return { importing, importFiles, importPaths };
}
