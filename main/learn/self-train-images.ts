// The unlabelled images self-training (app/learn/self-train.ts) pseudo-labels: project images
// without labels, at most MAX_UNLABELLED of them spread evenly over the project's order, so the
// time stays bounded in large projects. With channels, images lacking the maps are skipped.
import { ServiceError } from '../../app/errors';
import type { UnlabelledImage } from '../../app/learn/self-train';
import type { ProjectStore } from '../store/project-store';

const MAX_UNLABELLED = 8;

export async function unlabelledImages(
  store: ProjectStore,
  labelled: readonly number[],
  signal: AbortSignal,
  pixels: (id: number) => Promise<{ grey: Float32Array; w: number; h: number; colour?: Float32Array }>,
  extraOf: ((id: number) => Promise<Float32Array>) | null,
): Promise<UnlabelledImage[]> {
  const skip = new Set(labelled);
  const ids = store.listImages().map((im) => im.id).filter((id) => !skip.has(id));
  const step = Math.max(1, ids.length / MAX_UNLABELLED);
  const chosen = [...new Set(Array.from({ length: Math.min(MAX_UNLABELLED, ids.length) }, (_, k) => ids[Math.floor(k * step)]!))];
  const out: UnlabelledImage[] = [];
  for (const id of chosen) {
    if (signal.aborted) throw new ServiceError('cancelled', 'Cancelled.');
    let extra: Float32Array | undefined;
    if (extraOf) {
      try {
        extra = await extraOf(id);
      } catch {
        continue;
      }
    }
    const g = await pixels(id);
    out.push({ grey: g.grey, width: g.w, height: g.h, ...(g.colour ? { colour: g.colour } : {}), ...(extra ? { extra } : {}) });
  }
  return out;
}
