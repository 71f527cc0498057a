// Folds the per-shard results of `grainlab batch` (each a small GrainLab project) into the open
// project. Images are matched by content (hash and page) and copied in when missing; each shard
// segmentation is saved through saveAutomaticResult, the one path every automatic result takes, so
// the segments a person made are kept (unless told otherwise), the replaced map stays a version,
// and a result equal to what is there changes nothing: merging twice is the same as once.
import type { MergeNote, MergeReport } from '../../app/contract/batch';
import { ServiceError } from '../../app/errors';
import type { KeepPolicy } from '../../app/provenance';
import type { ImageRecord } from '../../app/types';
import { resolveChosenPath, resolveInside } from '../fs/contain';
import { readRegularFile } from '../fs/read';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { importFiles } from '../handlers/images';
import type { ServiceContext } from '../handlers/context';
import { saveAutomaticResult } from '../store/automatic';
import { EditStore } from '../store/edits';
import { hasEditLog } from '../store/export-queries';
import { ProjectStore } from '../store/project-store';
import { currentSide } from '../store/versions';

/** The name a file had before its pages were named "name [page n]". */
function fileName(im: ImageRecord): string {
  return im.name.replace(/ \[page \d+\]$/, '');
}

export async function mergeShards(ctx: ServiceContext, shardPaths: readonly string[], keep: KeepPolicy, signal?: AbortSignal): Promise<MergeReport> {
  const store = ctx.project();
  store.assertWritable();
  const dirs = shardPaths.map((p) => resolveChosenPath(p, 'shard folder', store.dir));
  const report: MergeReport = { shards: dirs.length, added: 0, created: 0, replaced: 0, unchanged: 0, conflicts: [], failed: [] };
  /** Which shard each image (by target id) came from in this merge. */
  const from = new Map<number, string>();
  for (const dir of dirs) {
    if (signal?.aborted) throw new ServiceError('cancelled', `Merge stopped; ${report.created + report.replaced + report.unchanged} image(s) merged before that are kept, each whole.`);
    let shard: ProjectStore;
    try {
      shard = ProjectStore.open(dir);
    } catch (e) {
      throw new ServiceError(e instanceof ServiceError ? e.code : 'io', `Cannot read the shard ${dir}: ${(e as Error).message}`, dir);
    }
    try {
      await mergeOne(ctx, store, shard, dir, keep, report, from, signal);
    } finally {
      shard.close();
    }
  }
  return report;
}

async function mergeOne(ctx: ServiceContext, store: ProjectStore, shard: ProjectStore, dir: string, keep: KeepPolicy, report: MergeReport, from: Map<number, string>, signal?: AbortSignal): Promise<void> {
  const note = (list: MergeNote[], im: ImageRecord, message: string) => list.push({ shard: dir, name: im.name, message });
  const images = shard.listImages();
  // Files whose content the project lacks are imported first (all pages of a file at once).
  const missing = new Map<string, ImageRecord>();
  for (const im of images) if (!store.findImageByHash(im.hash, im.page) && !missing.has(im.file)) missing.set(im.file, im);
  if (missing.size > 0) {
    const files = [...missing.values()].map((im) => ({
      name: fileName(im),
      path: null,
      load: () => readRegularFile(resolveInside(shard.dir, im.file, 'image file'), { what: 'image file', maxBytes: MAX_IMAGE_FILE_BYTES, ...(signal ? { signal } : {}) }),
    }));
    const res = await importFiles(ctx, files);
    report.added += res.imported.length;
    for (const f of res.failed) report.failed.push({ shard: dir, name: f.name, message: f.message });
  }
  // The shard is only read: its edit store loads maps (checkpoint plus log) and writes nothing.
  const shardEdits = new EditStore(shard);
  const edits = ctx.edits();
  try {
    for (const im of images) {
      if (signal?.aborted) throw new ServiceError('cancelled', `Merge stopped; ${report.created + report.replaced + report.unchanged} image(s) merged before that are kept, each whole.`);
      const target = store.findImageByHash(im.hash, im.page);
      if (!target) continue; // its import failed: already reported
      try {
        const side = currentSide(shard, im.id);
        if (!side) continue; // not segmented in the shard (its segmentation failed there)
        const seg = hasEditLog(shard, im.id) ? await shardEdits.current(im.id) : await shard.loadSegmentation(im.id);
        if (!seg) continue;
        const rows = new Map(shard.listSegments(im.id).map((s) => [s.id, s]));
        const settings = side.settings === null ? null : (JSON.parse(side.settings) as unknown);
        const saved = await saveAutomaticResult(
          edits,
          target.id,
          // Classes do not travel: a shard's class ids mean nothing in this project.
          { labels: seg.labels, source: 'auto', rowOf: (id) => ({ source: rows.get(id)?.source ?? 'auto' }) },
          { engine: side.engine, settings, keep },
        );
        if (saved.action === 'created') report.created++;
        else if (saved.action === 'replaced') report.replaced++;
        else report.unchanged++;
        const earlier = from.get(target.id);
        if (earlier !== undefined && earlier !== dir) note(report.conflicts, target, `also in shard ${earlier}; the result of this later shard is the current one (the earlier one is kept as a version)`);
        from.set(target.id, dir);
        if (saved.kept > 0) note(report.conflicts, target, `${saved.kept} segment(s) a person made were kept; the shard's result fills the rest`);
        if (saved.action !== 'unchanged') ctx.emit('onDidChangeImage', { imageId: target.id, reason: 'segmented' });
      } catch (e) {
        if (e instanceof ServiceError && e.code === 'cancelled') throw e;
        note(report.failed, im, e instanceof Error ? e.message : String(e));
      }
    }
  } finally {
    // Maps loaded from a log past their checkpoint have a checkpoint due: written now, before the shard closes.
    await shardEdits.flushAll();
  }
}
