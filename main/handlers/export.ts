// Service handlers: Dataset export, segmentation import and measurements.
// Export and import run as jobs (progress, cancel); their summaries are kept for `*.result` calls.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { resolveChosenPath } from '../fs/contain';
import { readRegularFile } from '../fs/read';
import { callerSignal } from '../jobs/call-context';
import { MAX_IMAGE_FILE_BYTES, MAX_JSON_FILE_BYTES } from '../../app/limits';
import type { exportMethods, ExportSummary, ImportLabelsSummary } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { Handlers, ServiceContext } from './context';
import { checkExportOptions, chooseImages, exportDataset } from '../export/dataset';
import { importLabels, type LabelSource } from '../import/labels';
import { computeStats, statsCsvFiles, StatsCache } from '../export/stats';

type ExportMethods = keyof typeof exportMethods;

/** Keeps the results of the last few jobs of one kind. */
class Results<T> {
  private readonly map = new Map<string, T>();
  set(jobId: string, v: T): void {
    this.map.set(jobId, v);
    while (this.map.size > 20) this.map.delete(this.map.keys().next().value!);
  }
  get(jobId: string): T | null {
    return this.map.get(jobId) ?? null;
  }
}

export function exportHandlers(ctx: ServiceContext): Handlers<ExportMethods> {
  const exports = new Results<ExportSummary>();
  const imports = new Results<ImportLabelsSummary>();
  const cache = new StatsCache();
  ctx.onProjectClose(() => cache.clear());
  const version = ctx.options.version ?? '0.1.0';

  return {
    'export.dataset': (a) => {
      const store = ctx.project();
      const edits = ctx.edits();
      const dest = resolveChosenPath(a.dest, 'export destination', store.dir);
      // Refuse at once what would fail the job at its first step.
      checkExportOptions(a);
      const total = chooseImages(store, a).chosen.length;
      if (existsSync(dest) && !a.overwrite) {
        throw new ServiceError('invalid-argument', `The folder ${dest} already exists. Choose a new folder name for the dataset, or allow replacing it.`, dest);
      }
      let jobId = '';
      jobId = ctx.jobs.start(`Exporting ${a.format.toUpperCase()} to ${basename(dest)}`, Math.max(1, total) * 100, async (job) => {
        const summary = await exportDataset(
          { store, edits, signal: job.signal, progress: (d, m) => job.progress(d, m), appVersion: version },
          { ...a, dest },
        );
        exports.set(jobId, summary);
        job.progress(total * 100, `${summary.items} file set(s), ${summary.segments} segments written to ${summary.dest}`);
      });
      return { jobId, dest };
    },
    'export.result': (a) => exports.get(a.jobId),

    'labels.import': (a) => {
      const store = ctx.project();
      const edits = ctx.edits();
      const signal = callerSignal();
      const sources: LabelSource[] = [
        ...(a.paths ?? []).map((p): LabelSource => {
          const abs = resolveChosenPath(p, 'label file', store.dir);
          return { name: abs, path: abs, load: () => readRegularFile(abs, { what: 'label file', maxBytes: a.kind === 'coco' ? MAX_JSON_FILE_BYTES : MAX_IMAGE_FILE_BYTES, signal }) };
        }),
        ...(a.files ?? []).map((f): LabelSource => ({ name: basename(f.name), path: null, load: async () => f.bytes })),
      ];
      let jobId = '';
      jobId = ctx.jobs.start(`Importing ${a.kind} labels (${sources.length} file${sources.length === 1 ? '' : 's'})`, sources.length, async (job) => {
        const summary = await importLabels(
          {
            store,
            edits,
            signal: job.signal,
            progress: (d, m) => job.progress(d, m),
            changed: (imageId) => ctx.emit('onDidChangeImage', { imageId, reason: 'segmented' }),
            checkOpen: () => {
              if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed during the import.');
            },
          },
          { kind: a.kind, sources, classes: a.classes, semanticMode: a.semanticMode, ifSegmented: a.ifSegmented, keep: a.keep, dryRun: a.dryRun, ...(a.imageId !== undefined ? { imageId: a.imageId } : {}) },
        );
        imports.set(jobId, summary);
        job.progress(sources.length, `${summary.imported.length} imported, ${summary.failed.length} failed`);
      });
      return { jobId };
    },
    'labels.importResult': (a) => imports.get(a.jobId),

    'stats.compute': async (a) => (await computeStats(ctx.edits(), cache, a)).stats,
    'stats.csv': async (a) => {
      const { stats, measured } = await computeStats(ctx.edits(), cache, a);
      return { files: statsCsvFiles(stats, measured) };
    },
  };
}
