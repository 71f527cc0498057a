// The project's default segmentation engine (settings table), set by a person or from a project
// evaluation; segment.auto uses it when no engine is given.
import type { DefaultEngineInfo } from '../../app/contract/eval';
import { describeEngine } from '../../app/export/card';
import type { ProjectStore } from '../store/project-store';

const DEFAULT_ENGINE_SETTING = 'segment.defaultEngine';

export function getDefaultEngine(store: ProjectStore): DefaultEngineInfo {
  const raw = store.getSetting(DEFAULT_ENGINE_SETTING);
  if (raw) {
    try {
      const v = JSON.parse(raw) as { engine?: unknown; setAt?: unknown; source?: unknown };
      if (typeof v.engine === 'string' && v.engine) {
        return { engine: v.engine, label: engineLabel(v.engine), setAt: typeof v.setAt === 'string' ? v.setAt : null, source: v.source === 'eval' ? 'eval' : 'person' };
      }
    } catch {
      // an unreadable value counts as none
    }
  }
  return { engine: null, label: null, setAt: null, source: null };
}

export function setDefaultEngine(store: ProjectStore, engine: string, source: 'eval' | 'person'): DefaultEngineInfo {
  const setAt = new Date().toISOString();
  store.setSetting(DEFAULT_ENGINE_SETTING, JSON.stringify({ engine, setAt, source }));
  return { engine, label: engineLabel(engine), setAt, source };
}

function engineLabel(engine: string): string {
  if (engine === 'classic') return 'classic pipeline (project settings)';
  if (engine.startsWith('classic:preset:')) return `classic pipeline (preset ${engine.slice('classic:preset:'.length)})`;
  return describeEngine(engine);
}

/** What segment.auto does without an engine: the default's engine and its model/prompts or preset. */
export type DefaultSegmentation = { engine: 'classic'; preset?: string } | { engine: 'sam'; model: string; prompts: 'matsam' | 'grid' };

/** The default as segment.auto arguments; null when none is set or it is not a classic or SAM engine (then classic). */
export function defaultSegmentation(store: ProjectStore): DefaultSegmentation | null {
  const e = getDefaultEngine(store).engine;
  if (e === null) return null;
  if (e === 'classic') return { engine: 'classic' };
  if (e.startsWith('classic:preset:')) return { engine: 'classic', preset: e.slice('classic:preset:'.length) };
  const m = /^sam:(.+):(matsam|grid)$/.exec(e);
  if (m) return { engine: 'sam', model: m[1]!, prompts: m[2] as 'matsam' | 'grid' };
  return null;
}
