// The Models dialog (SAM models: select, verify, remove, download, import your own) and the
// "Which engine fits" panel (every engine scored on the verified images). Both sit in the toolbar's
// Models menu; no keys.
import type { Action } from './types';

export const openModels: Action = {
  name: 'view.models',
  label: 'Models…',
  title: 'SAM models: which is active, select, verify, remove, download, import your own',
  group: 'View',
  keys: [],
  menu: 'models',
  testId: 'models-open',
  perform: (c) => c.toggle('models'),
};

/** Images the evaluation can score: marked verified, or holding segments (verified ones count as truth). */
export const evaluableImages = (c: { images: readonly { status: string; segmentCount: number }[] }): number => c.images.filter((i) => i.status === 'verified' || i.segmentCount > 0).length;

export const openEngineFit: Action = {
  name: 'view.engineFit',
  label: 'Which engine fits…',
  title: "Score every engine on this project's verified images and pick the default engine",
  group: 'View',
  keys: [],
  menu: 'models',
  testId: 'engine-fit-open',
  predicate: (c) => evaluableImages(c) > 0,
  perform: (c) => c.toggle('engineFit'),
};
