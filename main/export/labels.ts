// The current label map of an image for exports and measurements: the stored checkpoint when the
// image has no edit log, else the checkpoint plus its edits as the edit store replays them.
import type { LabelMap } from '../../app/types';
import { hasEditLog } from '../store/export-queries';
import type { EditStore } from '../store/edits';

export async function currentLabels(edits: EditStore, imageId: number): Promise<LabelMap | null> {
  const store = edits.store;
  // Reading the checkpoint directly keeps a bulk export from cycling every image through the
  // edit store's in-memory cache (and evicting the images a person is correcting).
  if (!hasEditLog(store, imageId)) return (await store.loadSegmentation(imageId))?.labels ?? null;
  return (await edits.current(imageId))?.labels ?? null;
}
