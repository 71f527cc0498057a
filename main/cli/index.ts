// The headless command line: `grainlab init|import|segment|info`. Exit code 0 on success,
// non-zero with a one-line error on stderr otherwise.
import { Command, Option, CommanderError } from 'commander';
import { GrainLabService } from '../service';
import { userDataDir } from '../paths';
import { ServiceError } from '../../app/errors';
import type { ProgressEvent } from '../../app/contract';
import type { ImageRecord } from '../../app/types';

const VERSION = '0.1.0';

async function withProject<T>(dir: string, fn: (svc: GrainLabService) => Promise<T>): Promise<T> {
  const svc = new GrainLabService({ userDataDir: userDataDir(), binding: 'web', version: VERSION });
  try {
    await svc.call('project.open', { path: dir });
    return await fn(svc);
  } finally {
    await svc.dispose();
  }
}

function progressPrinter(quiet: boolean) {
  let lastLine = '';
  return (e: ProgressEvent) => {
    if (quiet) return;
    const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
    const line = `${e.title}: ${pct}%${e.message ? ` (${e.message})` : ''}`;
    if (line === lastLine) return;
    lastLine = line;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
    else if (e.state !== 'running' || pct % 25 === 0) process.stderr.write(`${line}\n`);
    if (e.state !== 'running' && process.stderr.isTTY) process.stderr.write('\n');
  };
}

function describe(im: ImageRecord): string {
  const cal = im.pixelSizeUm ? `, ${im.pixelSizeUm.toPrecision(4)} um/px` : '';
  return `${String(im.id).padStart(4)}  ${im.name}  ${im.width}x${im.height} ${im.bitDepth}-bit ${im.channels === 1 ? 'grey' : `${im.channels}ch`}${cal}  ${im.status}  ${im.segmentCount} segments`;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('grainlab')
    .description('GrainLab: segment micrographs, correct them, export curated data. Headless commands.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('init')
    .description('Create a project folder (project.sqlite + images/).')
    .argument('<dir>', 'new or empty folder')
    .option('--name <name>', 'project name (default: folder name)')
    .action(async (dir: string, o: { name?: string }) => {
      const svc = new GrainLabService({ userDataDir: userDataDir(), binding: 'web', version: VERSION });
      try {
        const info = await svc.call('project.create', { path: dir, ...(o.name ? { name: o.name } : {}) });
        console.log(`Created project '${info.name}' in ${info.path}`);
      } finally {
        await svc.dispose();
      }
    });

  program
    .command('import')
    .description('Import PNG, JPEG or TIFF micrographs (multi-page TIFF: one image per page).')
    .argument('<dir>', 'project folder')
    .argument('<files...>', 'image files')
    .action(async (dir: string, files: string[]) => {
      await withProject(dir, async (svc) => {
        const res = await svc.call('images.importPaths', { paths: files });
        for (const im of res.imported) console.log(`imported ${describe(im)}`);
        for (const f of res.failed) console.error(`failed   ${f.message}`);
        if (res.failed.length > 0) {
          throw new ServiceError('bad-image', `${res.failed.length} of ${files.length} file(s) could not be imported (see above); the others were.`);
        }
      });
    });

  program
    .command('segment')
    .description('Auto-segment images with the classic engine (progress on stderr; Ctrl+C cancels).')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'image id(s) to segment')
    .option('--all', 'segment every image in the project')
    .addOption(new Option('--engine <engine>', 'segmentation engine').choices(['classic']).default('classic'))
    .addOption(new Option('--mode <mode>', 'phase: threshold regions; grain: grains split by boundaries').choices(['phase', 'grain']).default('phase'))
    .option('--min-area <px>', 'drop segments smaller than this', '16')
    .option('--invert', 'foreground is the darker side of the threshold')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, o: { image?: string[]; all?: boolean; mode: 'phase' | 'grain'; minArea: string; invert?: boolean; quiet?: boolean }) => {
      if (!o.all && !o.image) throw new ServiceError('invalid-argument', 'Say which images to segment: --image <id...> or --all.');
      await withProject(dir, async (svc) => {
        const images = await svc.call('images.list', {});
        const ids = o.all ? images.map((i) => i.id) : o.image!.map((s) => Number(s));
        if (ids.length === 0) throw new ServiceError('not-found', `The project ${dir} has no images. Import some first (grainlab import).`);
        for (const id of ids) if (!images.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${id} is not in ${dir}. Run 'grainlab info ${dir}' to list image ids.`);
        const print = progressPrinter(!!o.quiet);
        const { jobId } = await svc.call('segment.auto', { imageIds: ids, engine: 'classic', classic: { mode: o.mode, minArea: Number(o.minArea), invert: !!o.invert } });
        const onSigint = () => void svc.call('jobs.cancel', { jobId });
        process.once('SIGINT', onSigint);
        const end = await new Promise<ProgressEvent>((resolve) => {
          svc.on('onDidProgress', (e) => {
            if (e.jobId !== jobId) return;
            print(e);
            if (e.state !== 'running') resolve(e);
          });
        });
        process.off('SIGINT', onSigint);
        if (end.state === 'cancelled') throw new ServiceError('cancelled', 'Segmentation cancelled; images finished before the cancel are saved.');
        if (end.state === 'failed') throw new ServiceError(end.error?.code ?? 'internal', end.error?.message ?? 'Segmentation failed.');
        for (const im of await svc.call('images.list', {})) if (ids.includes(im.id)) console.log(describe(im));
      });
    });

  program
    .command('info')
    .description('Show the project and its images.')
    .argument('<dir>', 'project folder')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { json?: boolean }) => {
      await withProject(dir, async (svc) => {
        const info = (await svc.call('project.current', {}))!;
        const images = await svc.call('images.list', {});
        if (o.json) {
          console.log(JSON.stringify({ project: info, images }, null, 2));
          return;
        }
        console.log(`Project '${info.name}' at ${info.path} (schema v${info.schemaVersion}), ${images.length} image(s)`);
        for (const im of images) console.log(describe(im));
      });
    });
  return program;
}

/** Runs the CLI and returns the exit code (no process.exit inside, so tests can call it). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`grainlab: ${msg.split('\n')[0]}\n`);
    return e instanceof ServiceError && e.code === 'cancelled' ? 130 : 1;
  }
}
