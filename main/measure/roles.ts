// The project's grain / particle choice, kept in its settings table (no migration: a settings key).
import type { MeasureRoles } from '../../app/contract/measure';
import { ServiceError } from '../../app/errors';
import type { ProjectStore } from '../store/project-store';

const KEY = 'measure.particleClasses';

/** The particle classes (ids of classes that still exist), ascending. */
export function measureRoles(store: ProjectStore): MeasureRoles {
  let ids: unknown = [];
  try {
    ids = JSON.parse(store.getSetting(KEY) ?? '[]');
  } catch {
    ids = [];
  }
  const known = new Set(store.listClasses().map((c) => c.id));
  const list = Array.isArray(ids) ? ids.filter((x): x is number => typeof x === 'number' && known.has(x)) : [];
  return { particleClasses: [...new Set(list)].sort((a, b) => a - b) };
}

export function setMeasureRoles(store: ProjectStore, particleClasses: number[]): MeasureRoles {
  const known = new Set(store.listClasses().map((c) => c.id));
  const unknown = particleClasses.filter((c) => !known.has(c));
  if (unknown.length) throw new ServiceError('not-found', `No class ${unknown.join(', ')} in this project.`);
  store.setSetting(KEY, JSON.stringify([...new Set(particleClasses)].sort((a, b) => a - b)));
  return measureRoles(store);
}
