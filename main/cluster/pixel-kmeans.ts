// Pixel k-means phase maps: each image's pixels clustered into k phases (app/cluster phaseMap),
// saved as an automatic segmentation whose regions get the classes "Phase 1".."Phase k".
import type { ParsedArgs } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import { toGrey } from '../../app/image/display';
import type { ClassRecord } from '../../app/types';
import { phaseMap } from '../../app/cluster';
import type { ProjectStore } from '../store/project-store';
import { ensureClassNamed } from '../store/classes';
import { saveAutomaticResult } from '../store/automatic';
import { loadPixels } from '../handlers/images';
import type { ServiceContext } from '../handlers/context';
import { phaseMapInWorker } from '../jobs/cluster-runner';
import { INLINE_PIXELS } from './features';

export function pixelKMeansJob(ctx: ServiceContext, a: ParsedArgs<'segment.pixelKMeans'>): string {
  const edits = ctx.edits();
  const store = edits.store;
  const images = a.imageIds.map((id) => store.getImage(id));
  return ctx.jobs.start(images.length === 1 ? `Phase map of ${images[0]!.name}` : `Phase maps of ${images.length} images`, images.length, async (job) => {
    for (let i = 0; i < images.length; i++) {
      if (job.signal.aborted) throw new ServiceError('cancelled', 'The phase map was cancelled.');
      const im = images[i]!;
      if (!store.hasImage(im.id)) continue; // removed from the project meanwhile
      job.progress(i, `${im.name}: k-means on pixels`);
      const grey = toGrey(await loadPixels(store, im.id));
      const options = { k: a.k, texture: a.texture, seed: a.seed, smooth: a.smooth, minArea: a.minArea };
      // Large images in a worker (seconds at 4096²), so edits are served meanwhile.
      const { k, labels, stats, phaseOf } = grey.width * grey.height > INLINE_PIXELS ? await phaseMapInWorker(grey, options, job.signal) : phaseMap(grey, options);
      if (job.signal.aborted) throw new ServiceError('cancelled', 'The phase map was cancelled.');
      if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
      if (!store.hasImage(im.id)) continue;
      const phaseClasses = ensurePhaseClasses(store, k);
      const saved = await saveAutomaticResult(
        edits,
        im.id,
        { labels, source: 'auto', rowOf: (id) => ({ classId: phaseClasses[phaseOf[id] ?? 0]!.id, classSource: 'cluster' }) },
        { engine: 'pixel-kmeans', settings: options, keep: a.keep },
      );
      ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
      job.progress(i + 1, `${im.name}: ${k} phases, ${stats.length} regions${saved.kept ? ` (${saved.kept} of your segments kept)` : ''}`);
    }
  });
}

/** Classes "Phase 1".."Phase k" (created when missing), darkest first. */
function ensurePhaseClasses(store: ProjectStore, k: number): ClassRecord[] {
  return store.db.transaction(() => Array.from({ length: k }, (_, i) => ensureClassNamed(store, `Phase ${i + 1}`).record))();
}
