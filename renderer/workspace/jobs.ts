// Long work in main: the progress of running jobs (a failed one says why), and starting
// segmentation (classic engine with the Segment panel's settings, which the toolbar's Mode and
// Dark objects also edit) or a pixel k-means phase map, asking first when a person's corrections
// are at stake.
import { useCallback, useEffect, useState } from 'react';
import type { GrainLabClient, ProgressEvent } from '../../app/contract';
import type { Questions } from '../components/dialogs/useQuestions';
import { DEFAULT_FORM, formToOptions, type SettingsForm } from './segmentation-settings';
import type { Toasts } from './toasts';

export interface Jobs {
  jobs: ProgressEvent[];
  running: boolean;
  mode: 'phase' | 'grain';
  setMode(m: 'phase' | 'grain'): void;
  /** Foreground is the darker side of the threshold. */
  invert: boolean;
  setInvert(v: boolean): void;
  /** Every classic setting (the Segment panel). */
  settings: SettingsForm;
  setSettings(f: SettingsForm): void;
  /** The preset the settings came from (recorded with the result), null once they are changed. */
  preset: string | null;
  setPreset(name: string | null): void;
  /** Where the settings came from ('the latest segmentation (…)', 'defaults'); null until the Segment tab has looked (it looks once per project). */
  settingsFrom: string | null;
  setSettingsFrom(from: string): void;
  /** Segments these images; keeps the person's segments unless told otherwise. */
  segment(ids: number[], verb?: string): Promise<void>;
  /** Pixel k-means phase map of one image (default options). */
  pixelKMeans(imageId: number): Promise<void>;
}

export function useJobs(client: GrainLabClient, toasts: Toasts, questions: Questions): Jobs {
  const { toast, onError } = toasts;
  const [jobs, setJobs] = useState<ProgressEvent[]>([]);
  const [settings, setSettingsState] = useState<SettingsForm>(DEFAULT_FORM);
  const [preset, setPreset] = useState<string | null>(null);
  const [settingsFrom, setSettingsFrom] = useState<string | null>(null);
  const setSettings = useCallback((f: SettingsForm) => {
    setSettingsState(f);
    setPreset(null);
  }, []);
  const { mode, invert } = settings;
  const setMode = useCallback((m: 'phase' | 'grain') => setSettings({ ...settings, mode: m }), [settings, setSettings]);
  const setInvert = useCallback((v: boolean) => setSettings({ ...settings, invert: v }), [settings, setSettings]);

  useEffect(
    () =>
      client.on('onDidProgress', (e) => {
        setJobs((js) => [...js.filter((j) => j.jobId !== e.jobId), e]);
        if (e.state !== 'running') {
          if (e.state === 'failed') toast('error', e.error?.message ?? 'A job failed.');
          setTimeout(() => setJobs((js) => js.filter((j) => j.jobId !== e.jobId)), e.state === 'done' ? 1500 : 5000);
        }
      }),
    [client, toast],
  );

  const segment = useCallback(
    async (ids: number[], verb = ids.length === 1 ? 'Segment this image' : `Segment ${ids.length} images`) => {
      if (ids.length === 0) return;
      try {
        // Asks first when corrections are at stake (and, for several images, always says what will change).
        const classic = formToOptions(settings);
        const keep = await questions.askSegmenting(ids, verb, ids.length > 1);
        if (!keep) return;
        await client.call('segment.auto', { imageIds: ids, engine: 'classic', ...(preset ? { preset } : { classic }), keep });
      } catch (e) {
        onError(e);
      }
    },
    [client, settings, preset, onError, questions],
  );

  const pixelKMeans = useCallback(
    async (imageId: number) => {
      try {
        const keep = await questions.askSegmenting([imageId], 'Phase map');
        if (keep) await client.call('segment.pixelKMeans', { imageIds: [imageId], keep });
      } catch (e) {
        onError(e);
      }
    },
    [client, onError, questions],
  );

  return { jobs, running: jobs.some((j) => j.state === 'running'), mode, setMode, invert, setInvert, settings, setSettings, preset, setPreset, settingsFrom, setSettingsFrom, segment, pixelKMeans };
}
