// The current label map of an image for exports and measurements: the stored checkpoint when the
// image has no edit log, else the checkpoint plus its edits as the edit store replays them.
import type { LabelMap } from '../../app/types';
import { hasEditLog } from '../store/export-queries';
import type { EditStore } from '../store/edits';

export async function currentLabels(edits: EditStore, imageId: number): Promise<LabelMap | null> {
  return (await currentLabelsOwned(edits, imageId))?.labels ?? null;
}

/** As currentLabels, saying whether the map is the caller's own (a fresh decode) or the edit store's (shared, never to be changed or handed over). */
export async function currentLabelsOwned(edits: EditStore, imageId: number): Promise<{ labels: LabelMap; owned: boolean } | null> {
  const store = edits.store;
  // Reading the checkpoint directly keeps a bulk export from cycling every image through the
  // edit store's in-memory cache (and evicting the images a person is correcting).
  if (!hasEditLog(store, imageId)) {
    const labels = (await store.loadSegmentation(imageId))?.labels;
    return labels ? { labels, owned: true } : null;
  }
  const labels = (await edits.current(imageId))?.labels;
  return labels ? { labels, owned: false } : null;
}
