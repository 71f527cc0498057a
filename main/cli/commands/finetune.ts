// `grainlab export --format finetune`: the micro-sam image/label TIFF dataset (verified segments
// by default), through the same service method the app calls.
import { join } from 'node:path';
import { ServiceError } from '../../../app/errors';
import { withProject, runJob } from '../common';

export interface FinetuneCliOptions {
  dest: string;
  ratios: [number, number, number];
  seed: number;
  tile: { size: number; overlap: number } | null;
  imageIds?: number[];
  allSegments?: boolean;
  overwrite?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function runFinetuneExport(dir: string, o: FinetuneCliOptions): Promise<void> {
  await withProject(dir, async (svc) => {
    const { jobId } = await svc.call('export.finetune', {
      dest: o.dest,
      ratios: o.ratios,
      seed: o.seed,
      ...(o.imageIds ? { imageIds: o.imageIds } : {}),
      segments: o.allSegments ? 'all' : 'verified',
      tile: o.tile,
      overwrite: !!o.overwrite,
    });
    await runJob(svc, jobId, !!o.quiet || !!o.json);
    const sum = await svc.call('export.finetuneResult', { jobId });
    if (!sum) throw new ServiceError('internal', 'The export finished but left no summary.');
    if (o.json) {
      console.log(JSON.stringify(sum, null, 2));
      return;
    }
    console.log(`Wrote fine-tuning dataset (micro-sam image/label TIFFs) to ${sum.dest}`);
    console.log(`  ${sum.images} image(s), ${sum.items} image/label pair(s), ${sum.segments} instances; train ${sum.perSplit.train.items} / val ${sum.perSplit.val.items} / test ${sum.perSplit.test.items}`);
    console.log(`  ${(sum.bytes / 1e6).toFixed(1)} MB in ${sum.seconds.toFixed(1)} s; card: ${join(sum.dest, 'dataset-card.md')}`);
    for (const w of sum.warnings) console.log(`  note: ${w}`);
  });
}
