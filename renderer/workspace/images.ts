// The project's images: the list, the open one (also in the address, #image=N), the ones chosen
// in the list for project-wide actions, removal, and the project's classes.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { ClassRecord, ImageRecord } from '../../app/types';
import type { Questions } from '../components/dialogs/useQuestions';
import type { Toasts } from './toasts';

function imageFromHash(): number | null {
  const m = /image=(\d+)/.exec(window.location.hash);
  return m ? Number(m[1]) : null;
}

/** The last image open in each project (this browser profile), for a new tab or a project opened again. */
const LAST_IMAGE_KEY = 'grainlab.lastImage';

function lastImages(): Record<string, number> {
  try {
    const v = JSON.parse(localStorage.getItem(LAST_IMAGE_KEY) ?? '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

function rememberImage(projectPath: string, id: number): void {
  try {
    const all = lastImages();
    delete all[projectPath];
    // The newest 50 projects are remembered.
    const kept = Object.entries({ ...all, [projectPath]: id }).slice(-50);
    localStorage.setItem(LAST_IMAGE_KEY, JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // Storage off or full: only this convenience is lost.
  }
}

export interface Images {
  images: ImageRecord[];
  /** The open image's id and record. */
  selected: number | null;
  current: ImageRecord | null;
  /** Always the open image's id (for callbacks that outlive a render). */
  selectedRef: { readonly current: number | null };
  open(id: number | null): void;
  /** Images chosen in the list: project-wide actions (segment, apply classes, export, stats) work on them. */
  chosen: number[];
  choose(ids: number[]): void;
  refresh(): Promise<ImageRecord[]>;
  remove(ids: number[]): Promise<void>;
  classes: ClassRecord[];
  refreshClasses(): Promise<ClassRecord[]>;
  /** At least `count` classes (created on demand); null when that failed (reported). */
  ensureClasses(count: number): Promise<ClassRecord[] | null>;
}

export function useImages(client: GrainLabClient, toasts: Toasts, questions: Questions, projectPath?: string): Images {
  const { toast, onError } = toasts;
  const [images, setImages] = useState<ImageRecord[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [chosen, setChosen] = useState<number[]>([]);
  const [classes, setClasses] = useState<ClassRecord[]>([]);
  const selectedRef = useRef<number | null>(null);
  selectedRef.current = selected;

  const refresh = useCallback(async () => {
    const list = await client.call('images.list', {});
    setImages(list);
    setChosen((c) => c.filter((id) => list.some((i) => i.id === id)));
    return list;
  }, [client]);
  const refreshClasses = useCallback(async () => {
    const list = await client.call('classes.list', {});
    setClasses(list);
    return list;
  }, [client]);
  const ensureClasses = useCallback(
    async (count: number) => {
      try {
        const list = await client.call('classes.ensure', { count });
        setClasses(list);
        return list;
      } catch (e) {
        onError(e);
        return null;
      }
    },
    [client, onError],
  );

  // The project opened: its images (and the one named in the address) and classes.
  useEffect(() => {
    refresh()
      .then((list) => {
        // The address names it (a reload), else the last one open in this project.
        const hashed = imageFromHash();
        const want = hashed && list.some((i) => i.id === hashed) ? hashed : projectPath !== undefined ? lastImages()[projectPath] : undefined;
        if (want && list.some((i) => i.id === want)) setSelected(want);
      })
      .catch(onError);
    refreshClasses().catch(onError);
  }, [refresh, refreshClasses, onError, projectPath]);

  // Closing the project takes its image out of the address, so the next project does not open an image of the same number.
  useEffect(() => () => window.history.replaceState(null, '', window.location.pathname + window.location.search), []);

  useEffect(() => {
    if (selected === null) return;
    window.history.replaceState(null, '', `#image=${selected}`);
    if (projectPath !== undefined) rememberImage(projectPath, selected);
  }, [selected, projectPath]);

  // Any image changed: the list (counts, status) and the classes (a new segmentation may bring
  // classes; an undo may bring a deleted class back); a removed open image closes.
  useEffect(
    () =>
      client.on('onDidChangeImage', (e) => {
        void refresh().catch(() => {});
        void refreshClasses().catch(() => {});
        if (e.reason === 'removed' && e.imageId === selectedRef.current) setSelected(null);
      }),
    [client, refresh, refreshClasses],
  );

  const remove = useCallback(
    async (ids: number[]) => {
      const list = images.filter((i) => ids.includes(i.id));
      if (list.length === 0 || !(await questions.askRemove(list))) return;
      try {
        const r = await client.call('images.remove', { ids });
        toast('info', `Removed ${r.removed} image${r.removed === 1 ? '' : 's'}.`);
        setChosen((c) => c.filter((id) => !ids.includes(id)));
        await refresh();
      } catch (e) {
        onError(e);
      }
    },
    [client, images, questions, toast, onError, refresh],
  );

  return {
    images,
    selected,
    current: images.find((i) => i.id === selected) ?? null,
    selectedRef,
    open: setSelected,
    chosen,
    choose: setChosen,
    refresh,
    remove,
    classes,
    refreshClasses,
    ensureClasses,
  };
}
