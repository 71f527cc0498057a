// Reading a stack's slices for propagation, linking, statistics and export: each slice's current
// segmentation (checkpoint plus a person's edits) and its segment classes.
import type { LabelMap } from '../../app/types';
import type { ServiceContext } from '../handlers/context';
import { hasEditLog } from '../store/export-queries';

/** A slice's current label map, or null when it has no segmentation yet. */
export async function currentLabels(ctx: ServiceContext, imageId: number): Promise<LabelMap | null> {
  const store = ctx.project();
  const seg = hasEditLog(store, imageId) ? await ctx.edits().current(imageId) : await store.loadSegmentation(imageId);
  return seg?.labels ?? null;
}

/** Every slice's label map (an empty one for a slice not segmented yet) and segment classes, z order. */
export async function readSlices(ctx: ServiceContext, imageIds: readonly number[]): Promise<{ labels: LabelMap; classOf: (id: number) => number | null }[]> {
  const store = ctx.project();
  const out = [];
  for (const id of imageIds) {
    const im = store.getImage(id);
    const labels = (await currentLabels(ctx, id)) ?? { width: im.width, height: im.height, data: new Uint32Array(im.width * im.height) };
    const classes = new Map(store.listSegments(id).map((s) => [s.id, s.classId]));
    out.push({ labels, classOf: (seg: number) => classes.get(seg) ?? null });
  }
  return out;
}
