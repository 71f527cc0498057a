// Service handlers: export for fine-tuning (micro-sam TIFF layout), run as a job with progress
// and cancel; summaries are kept for export.finetuneResult.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { resolveChosenPath } from '../fs/contain';
import type { finetuneMethods, FinetuneSummary } from '../../app/contract/finetune';
import { ServiceError } from '../../app/errors';
import type { Handlers, ServiceContext } from './context';
import { chooseFinetuneImages, exportFinetune } from '../export/finetune';

export type FinetuneMethods = keyof typeof finetuneMethods;

export function finetuneHandlers(ctx: ServiceContext): Handlers<FinetuneMethods> {
  const results = new Map<string, FinetuneSummary>();
  const version = ctx.options.version ?? '0.1.0';
  return {
    'export.finetune': (a) => {
      const store = ctx.project();
      const dest = resolveChosenPath(a.dest, 'export destination', store.dir);
      // Refuse at once what would fail the job at its first step.
      const total = chooseFinetuneImages(store, a).chosen.length;
      if (existsSync(dest) && !a.overwrite) {
        throw new ServiceError('invalid-argument', `The folder ${dest} already exists. Choose a new folder name for the dataset, or allow replacing it.`, dest);
      }
      let jobId = '';
      jobId = ctx.jobs.start(`Exporting for fine-tuning to ${basename(dest)}`, Math.max(1, total) * 100, async (job) => {
        const summary = await exportFinetune({ store, edits: ctx.edits(), signal: job.signal, progress: (d, m) => job.progress(d, m), appVersion: version }, { ...a, dest });
        results.set(jobId, summary);
        while (results.size > 20) results.delete(results.keys().next().value!);
        job.progress(total * 100, `${summary.items} image/label pair(s), ${summary.segments} instances written to ${summary.dest}`);
      });
      return { jobId, dest };
    },
    'export.finetuneResult': (a) => results.get(a.jobId) ?? null,
  };
}
