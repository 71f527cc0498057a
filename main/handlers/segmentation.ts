// Segmentation handlers: auto-segmentation jobs and reading a stored segmentation.
import { ClassicOptionsSchema, type ClassicOptions, type SegmentationData } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import { compressLabels } from '../store/project-store';
import { runClassicInWorker } from '../jobs/classic-runner';
import { loadPixels } from './images';
import type { Handlers, ServiceContext } from './context';

export type SegmentationMethods = 'segment.auto' | 'segmentation.get';

export function segmentationHandlers(ctx: ServiceContext): Handlers<SegmentationMethods> {
  return {
    'segment.auto': (a) => ({ jobId: segmentAuto(ctx, a.imageIds, a.classic ?? ClassicOptionsSchema.parse({})) }),
    'segmentation.get': (a) => getSegmentation(ctx, a.imageId),
  };
}

function segmentAuto(ctx: ServiceContext, imageIds: number[], options: ClassicOptions): string {
  const store = ctx.project();
  const images = imageIds.map((id) => store.getImage(id));
  const title = images.length === 1 ? `Segmenting ${images[0]!.name}` : `Segmenting ${images.length} images`;
  return ctx.jobs.start(title, images.length * 100, async (job) => {
    for (let i = 0; i < images.length; i++) {
      if (job.signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
      const im = images[i]!;
      job.progress(i * 100, `Reading ${im.name}`);
      const raster = await loadPixels(store, im.id);
      const result = await runClassicInWorker(raster, options, job.signal, (f, stage) => job.progress(i * 100 + Math.round(f * 90), `${im.name}: ${stage}`));
      job.progress(i * 100 + 92, `${im.name}: saving`);
      const compressed = await compressLabels(result.labels.data);
      if (job.signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
      if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
      store.saveSegmentation(im.id, result.labels, result.stats.map((s) => ({ ...s, source: 'auto' as const })), 'classic', compressed);
      ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
      job.progress((i + 1) * 100, `${im.name}: ${result.stats.length} segments`);
    }
  });
}

async function getSegmentation(ctx: ServiceContext, imageId: number): Promise<SegmentationData | null> {
  const store = ctx.project();
  store.getImage(imageId);
  const seg = await store.loadSegmentation(imageId);
  if (!seg) return null;
  return {
    imageId,
    width: seg.labels.width,
    height: seg.labels.height,
    labels: seg.labels.data,
    segments: store.listSegments(imageId),
    engine: seg.engine,
    updatedAt: seg.updatedAt,
  };
}
