// `grainlab batch` segments a folder of images or one shard of a project and writes the result as
// a small GrainLab project (plus batch.json, and statistics CSVs with --stats); `grainlab merge`
// folds such results into one project. Made for cluster job arrays: each array task runs one
// shard in its own process, and a last step merges. Ctrl+C (SIGINT, as Slurm and Kubernetes send
// SIGTERM: both) stops cleanly: the shard's folder only appears once its work is complete.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import type { Args, MethodName, Result } from '../../../app/contract';
import type { MergeReport } from '../../../app/contract/batch';
import { SamAutoOptionsSchema } from '../../../app/contract/sam';
import { GrainLabService } from '../../service';
import { userDataDir } from '../../paths';
import { DB_FILE } from '../../store/project-store';
import { folderInputs, inShard, isProjectFolder, parseShard, projectInputs, type BatchInput } from '../../batch/shard';
import { VERSION, runJob } from '../common';
import { addClassicFlags, classicFromFlags, num, type ClassicFlags } from '../classic-flags';

interface BatchFlags extends ClassicFlags {
  out: string;
  shard?: string;
  engine: 'classic' | 'sam';
  model?: string;
  workers?: string;
  stats?: boolean;
  quiet?: boolean;
}

/** A service whose calls all stop when the process is told to stop (SIGINT, SIGTERM). */
class StoppableRun {
  readonly controller = new AbortController();
  readonly svc: GrainLabService;
  private readonly stop = () => this.controller.abort();

  constructor(workers: number | undefined) {
    this.svc = new GrainLabService({ userDataDir: userDataDir(), binding: 'web', version: VERSION, ...(workers ? { workers } : {}) });
    process.on('SIGINT', this.stop);
    process.on('SIGTERM', this.stop);
  }

  call<M extends MethodName>(method: M, args: Args<M>): Promise<Result<M>> {
    if (this.controller.signal.aborted) return Promise.reject(new ServiceError('cancelled', 'Cancelled.'));
    return this.svc.invoke(method, args, { signal: this.controller.signal });
  }

  async dispose(): Promise<void> {
    process.off('SIGINT', this.stop);
    process.off('SIGTERM', this.stop);
    await this.svc.dispose();
  }
}

export function registerBatchCommands(program: Command): void {
  const batch = program
    .command('batch')
    .description('Segment a folder of images, or one shard of a project, into a result folder (a small GrainLab project) that `grainlab merge` folds into one project.')
    .argument('<input>', 'a folder of PNG/JPEG/TIFF images, or a GrainLab project folder')
    .requiredOption('--out <dir>', "result folder (must not exist yet; it appears only when the shard's work is complete)")
    .option('--shard <i/n>', 'only shard i of n (0 <= i < n); images are split by a hash of their file name (folder) or content (project)')
    .addOption(new Option('--engine <engine>', 'segmentation engine (sam needs an installed model)').choices(['classic', 'sam']).default('classic'))
    .option('--model <id>', 'sam: model id (default: the active model)')
    .option('--workers <n>', 'images segmented at once (default: GRAINLAB_WORKERS, else one per core)')
    .option('--stats', 'also write grain statistics (stats/*.csv) into the result folder')
    .option('-q, --quiet', 'no progress output');
  addClassicFlags(batch).action(async (input: string, o: BatchFlags) => {
    const out = resolve(o.out);
    if (existsSync(out)) throw new ServiceError('invalid-argument', `The result folder ${out} already exists. Remove it to run this shard again, or give another --out.`);
    const shard = o.shard === undefined ? { index: 0, count: 1 } : parseShard(o.shard);
    const workers = num('--workers', o.workers);
    if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256)) throw new ServiceError('invalid-argument', `--workers ${o.workers}: give a whole number from 1 to 256.`);
    const src = resolve(input);
    const project = isProjectFolder(src);
    const all = project ? projectInputs(src) : folderInputs(src);
    if (all.length === 0) throw new ServiceError('not-found', `${src} holds no images (PNG, JPEG or TIFF files, or a GrainLab project with images).`);
    const mine = inShard(all, shard);
    const partial = `${out}.partial`;
    rmSync(partial, { recursive: true, force: true });
    const run = new StoppableRun(workers);
    let done = false;
    try {
      await run.call('project.create', { path: partial, name: `${basename(src)} shard ${shard.index}/${shard.count}` });
      const failed = await importInputs(run, mine, project);
      for (const f of failed) console.error(`failed   ${f}`);
      const images = await run.call('images.list', {});
      let segmentError: string | null = null;
      if (images.length > 0) {
        const options = o.engine === 'sam' ? { sam: SamAutoOptionsSchema.parse(o.model ? { model: o.model } : {}) } : { classic: classicFromFlags(o) };
        const { jobId } = await run.call('segment.auto', { imageIds: images.map((i) => i.id), engine: o.engine, ...options });
        try {
          await runJob(run.svc, jobId, !!o.quiet);
        } catch (e) {
          if (e instanceof ServiceError && e.code === 'cancelled') throw e;
          segmentError = (e as Error).message;
        }
      }
      const after = await run.call('images.list', {});
      if (o.stats && after.some((i) => i.segmentCount > 0)) {
        const csv = await run.call('stats.csv', { imageIds: after.filter((i) => i.segmentCount > 0).map((i) => i.id) });
        mkdirSync(join(partial, 'stats'), { recursive: true });
        for (const f of csv.files) writeFileSync(join(partial, 'stats', basename(f.name)), f.text);
      }
      const manifest = {
        grainlab: VERSION,
        input: src,
        shard,
        engine: o.engine,
        images: after.map((i) => ({ name: i.name, hash: i.hash, page: i.page, status: i.status, segments: i.segmentCount })),
        importFailures: failed,
        segmentError,
        finishedAt: new Date().toISOString(),
      };
      writeFileSync(join(partial, 'batch.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await run.dispose();
      renameSync(partial, out);
      done = true;
      const segmented = after.filter((i) => i.segmentCount > 0 || i.status === 'auto-segmented').length;
      console.log(`shard ${shard.index}/${shard.count}: ${mine.length} of ${all.length} file(s), ${after.length} image(s), ${segmented} segmented -> ${out}`);
      if (failed.length > 0 || segmentError) {
        throw new ServiceError('bad-image', `Some images of this shard failed (${failed.length} import(s)${segmentError ? `; ${segmentError}` : ''}); the rest are in ${out} (see batch.json).`);
      }
    } finally {
      await run.dispose();
      if (!done) rmSync(partial, { recursive: true, force: true });
    }
  });

  program
    .command('merge')
    .description('Fold `grainlab batch` result folders into one project (created if missing): images matched by content, what a person made kept; running it again changes nothing.')
    .argument('<results...>', 'result folders written by grainlab batch')
    .requiredOption('--into <project>', 'the project to merge into (created when the folder has none)')
    .option('--replace', "replace everything, also segments a person made (they stay in the replaced version)")
    .option('--json', 'print the merge report as JSON')
    .action(async (results: string[], o: { into: string; replace?: boolean; json?: boolean }) => {
      const into = resolve(o.into);
      const shards = results.map((r) => resolve(r));
      for (const s of shards) {
        if (!existsSync(join(s, DB_FILE))) {
          const hint = existsSync(`${s}.partial`) ? ' Its shard did not finish (a .partial folder is there): run it again.' : '';
          throw new ServiceError('not-found', `${s} is not a batch result (no ${DB_FILE} in it).${hint}`);
        }
      }
      const run = new StoppableRun(undefined);
      try {
        const fresh = !existsSync(join(into, DB_FILE)) && (!existsSync(into) || readdirSync(into).length === 0);
        await run.call(fresh ? 'project.create' : 'project.open', { path: into });
        const report = await run.call('batch.merge', { shards, keep: o.replace ? 'none' : 'person' });
        printReport(report, into, !!o.json);
        if (report.failed.length > 0) throw new ServiceError('bad-image', `${report.failed.length} image(s) could not be merged (see above); the others were.`);
      } finally {
        await run.dispose();
      }
    });
}

/** Imports a shard's files: paths for a folder; for a project, its stored files under their names there. */
async function importInputs(run: StoppableRun, inputs: readonly BatchInput[], project: boolean): Promise<string[]> {
  if (inputs.length === 0) return [];
  if (!project) {
    const res = await run.call('images.importPaths', { paths: inputs.map((i) => i.path) });
    return res.failed.map((f) => f.message);
  }
  // A project stores files under hash names: they are read here and imported with their names,
  // a few at a time so memory stays bounded.
  const failed: string[] = [];
  for (let k = 0; k < inputs.length; k += 16) {
    const chunk = inputs.slice(k, k + 16);
    const files = await Promise.all(chunk.map(async (i) => ({ name: i.name, bytes: new Uint8Array(await readFile(i.path)) })));
    const res = await run.call('images.importFiles', { files });
    failed.push(...res.failed.map((f) => f.message));
  }
  return failed;
}

function printReport(r: MergeReport, into: string, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  console.log(`merged ${r.shards} result(s) into ${into}: ${r.added} image(s) added; segmentations ${r.created} new, ${r.replaced} replaced, ${r.unchanged} unchanged`);
  for (const c of r.conflicts) console.log(`conflict ${c.name} (${c.shard}): ${c.message}`);
  for (const f of r.failed) console.error(`failed   ${f.name} (${f.shard}): ${f.message}`);
}
