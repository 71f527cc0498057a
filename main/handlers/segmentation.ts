// Segmentation handlers: auto-segmentation jobs (classic engine, or SAM with MatSAM / grid prompts)
// and reading a stored segmentation. A job saves each image's result only when it completes, so a
// cancelled or failed run leaves the stored segmentation as it was; an image that had one gets the
// new result as one undoable step that keeps what a person made (main/store/automatic.ts).
import { ClassicOptionsSchema, type ClassicOptions, type ParsedArgs, type SegmentationData } from '../../app/contract';
import { SamAutoOptionsSchema, type SamAutoOptions, type SamAutoStats } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import { MAX_PIXELS } from '../../app/limits';
import type { ImageRecord } from '../../app/types';
import type { ProjectStore } from '../store/project-store';
import type { KeepPolicy } from '../../app/provenance';
import { saveAutomaticResult } from '../store/automatic';
import { runClassicInWorker, type ClassicResult } from '../jobs/classic-runner';
import { runSamAutoInWorker } from '../jobs/sam-auto-runner';
import type { JobContext } from '../jobs/jobs';
import { defaultPoolSize, failuresError, runPool, serialized } from '../jobs/pool';
import { planCrops } from '../jobs/sam-auto';
import { loadPixels } from './images';
import type { SamPrompting } from '../sam/prompting';
import type { Handlers, ServiceContext } from './context';
import { hasEditLog } from '../store/export-queries';
import { getPreset, listPresets } from '../presets/store';
import { defaultSegmentation } from '../eval/default-engine';
import { projectClassicSettings } from '../eval/engines';

type SegmentationMethods = 'segment.auto' | 'segmentation.get';

/** Segments mosaics over the decode limit tile by tile (main/tiles): returns the job id. */
export interface MosaicSegmenter {
  segmentMosaics(images: ImageRecord[], options: ClassicOptions): string;
}

export function segmentationHandlers(ctx: ServiceContext, sam: SamPrompting, mosaics?: MosaicSegmenter): Handlers<SegmentationMethods> {
  return {
    'segment.auto': (a) => segmentAuto(ctx, sam, a, mosaics),
    'segmentation.get': (a) => getSegmentation(ctx, a.imageId),
  };
}

async function segmentAuto(ctx: ServiceContext, sam: SamPrompting, a: ParsedArgs<'segment.auto'>, mosaics?: MosaicSegmenter): Promise<{ jobId: string }> {
  const store = ctx.project();
  const images = a.imageIds.map((id) => store.getImage(id));
  // No engine given: the project's default (set from an evaluation), else classic.
  // A default whose model or preset is gone since falls back to classic rather than failing.
  let byDefault = a.engine === undefined ? defaultSegmentation(store) : null;
  if (byDefault?.engine === 'sam') {
    const model = byDefault.model;
    if (!sam.status().models.some((m) => m.id === model && m.installed)) byDefault = null;
  } else if (byDefault?.engine === 'classic' && byDefault.preset !== undefined) {
    const name = byDefault.preset;
    if (!listPresets(store).some((p) => p.name === name)) byDefault = null;
  }
  const engine = a.engine ?? byDefault?.engine ?? 'classic';
  if (engine === 'sam') {
    const samOptions = a.sam ?? SamAutoOptionsSchema.parse(byDefault?.engine === 'sam' ? { model: byDefault.model, prompts: byDefault.prompts } : {});
    return { jobId: await segmentAutoSam(ctx, sam, store, images, samOptions, a.keep) };
  }
  // A named preset supplies the settings unless they are given too (then they win, and are recorded as such).
  const presetName = a.preset ?? (byDefault?.engine === 'classic' && !a.classic ? byDefault.preset : undefined);
  const preset = presetName ? getPreset(store, presetName) : null;
  // The default 'classic' is what the evaluation measured: the project's latest classic settings.
  const measured = byDefault?.engine === 'classic' && byDefault.preset === undefined ? projectClassicSettings(store).settings : null;
  const options = a.classic ?? preset?.settings ?? measured ?? ClassicOptionsSchema.parse({});
  // Mosaics over the decode limit: classic phase mode tile by tile into their label tiles.
  const over = images.filter((im) => im.width * im.height > MAX_PIXELS);
  if (over.length > 0 && mosaics) {
    if (over.length < images.length) throw new ServiceError('invalid-argument', `${over[0]!.name} is over the decode limit and is segmented tile by tile: segment it on its own, apart from the other images.`);
    return { jobId: mosaics.segmentMosaics(images, options) };
  }
  return { jobId: segmentAutoClassic(ctx, store, images, options, a.classic ? null : (preset?.name ?? null), a.keep) };
}

function titleOf(images: ImageRecord[]): string {
  return images.length === 1 ? `Segmenting ${images[0]!.name}` : `Segmenting ${images.length} images`;
}

/** Runs `segmentOne` per image and saves each result when it completes (never after a cancel or a close). */
function runPerImage(
  ctx: ServiceContext,
  store: ProjectStore,
  images: ImageRecord[],
  title: string,
  engine: { name: string; settings: Record<string, unknown>; preset: string | null; keep: KeepPolicy; workers?: number },
  segmentOne: (im: ImageRecord, job: JobContext, progress: (fraction: number, stage: string) => void) => Promise<ClassicResult>,
): string {
  const edits = ctx.edits();
  return ctx.jobs.start(title, images.length * 100, async (job) => {
    // Images are segmented a few at a time (one worker thread each, main/jobs/pool.ts); results
    // are saved one at a time as each completes, so an image is either saved whole or untouched.
    const fractions = new Float64Array(images.length);
    let sum = 0; // of fractions, kept as it changes: summing 10,000 entries per progress call would be quadratic
    const report = (i: number, f: number, message: string) => {
      sum += f - fractions[i]!;
      fractions[i] = f;
      job.progress(Math.round(100 * sum), message);
    };
    const save = serialized();
    const { failures } = await runPool(images, { size: engine.workers ?? ctx.options.workers ?? defaultPoolSize(), signal: job.signal, name: (im) => im.name }, async (im, i) => {
      if (!store.hasImage(im.id)) return; // removed from the project meanwhile
      report(i, 0, `Reading ${im.name}`);
      const result = await segmentOne(im, job, (f, stage) => report(i, 0.02 + f * 0.88, `${im.name}: ${stage}`));
      await save(async () => {
        report(i, 0.92, `${im.name}: saving`);
        if (job.signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
        if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
        if (!store.hasImage(im.id)) return;
        // The settings go in with the segmentation (and with its version once it is replaced), with
        // the choices the classic engine made on its own, e.g. the boundary style.
        const resolved = result.classic?.boundaryStyle ? { resolvedBoundaryStyle: result.classic.boundaryStyle } : {};
        const settings = { ...engine.settings, ...resolved, ...(engine.preset ? { preset: engine.preset } : {}) };
        const saved = await saveAutomaticResult(edits, im.id, { labels: result.labels, source: 'auto' }, { engine: engine.name, settings, keep: engine.keep });
        ctx.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
        const note = saved.action === 'unchanged' ? ' (the same as the current segmentation: nothing changed)' : saved.kept ? ` (${saved.kept} of yours kept)` : '';
        report(i, 1, `${im.name}: ${saved.segments} segments${note}`);
      });
    });
    // One image: its own error as it was. Several: the others are saved, the failed ones named.
    if (failures.length === 1 && images.length === 1) throw failures[0]!.error;
    if (failures.length > 0) throw failuresError(failures, images.length, 'segmented');
  });
}

function segmentAutoClassic(ctx: ServiceContext, store: ProjectStore, images: ImageRecord[], options: ClassicOptions, preset: string | null, keep: KeepPolicy): string {
  return runPerImage(ctx, store, images, titleOf(images), { name: 'classic', settings: options, preset, keep }, async (im, job, progress) => {
    const raster = await loadPixels(store, im.id);
    return runClassicInWorker(raster, options, job.signal, progress);
  });
}

/**
 * SAM auto-segmentation. The model is resolved and loaded before the job starts, so a missing,
 * damaged or unsupported model is refused at once with its message and nothing is queued.
 */
async function segmentAutoSam(ctx: ServiceContext, sam: SamPrompting, store: ProjectStore, images: ImageRecord[], options: SamAutoOptions, keep: KeepPolicy): Promise<string> {
  // An image over the crop budget is refused before anything runs (the message says what to change).
  for (const im of images) planCrops(im.width, im.height, options, im.name);
  const { engine, modelId } = await sam.engineFor(options.model);
  const stats: SamAutoStats[] = [];
  const jobId = runPerImage(
    ctx,
    store,
    images,
    `${titleOf(images)} with SAM (${modelId}, ${options.prompts} prompts)`,
    // One image at a time: the one SAM engine (its own thread, itself multi-threaded) is the bottleneck.
    { name: `sam:${modelId}:${options.prompts}`, settings: { ...options, model: modelId }, preset: null, keep, workers: 1 },
    async (im, job, progress) => {
      const raster = await loadPixels(store, im.id);
      const r = await runSamAutoInWorker(raster, options, im.name, sam.autoCalls(engine, im), job.signal, progress);
      stats.push({ imageId: im.id, model: modelId, ...r.run });
      return r;
    },
  );
  sam.recordRun(jobId, stats);
  return jobId;
}

async function getSegmentation(ctx: ServiceContext, imageId: number): Promise<SegmentationData | null> {
  const store = ctx.project();
  store.getImage(imageId);
  // The checkpoint plus the edit log: what the person sees after their corrections.
  const seg = hasEditLog(store, imageId) ? await ctx.edits().current(imageId) : await store.loadSegmentation(imageId);
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
