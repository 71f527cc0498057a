// CLI commands for projects and images: init, import, segment, info.
import { Option, type Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import { newService, withProject, describe, runJob } from '../common';

export function registerProjectCommands(program: Command): void {
  program
    .command('init')
    .description('Create a project folder (project.sqlite + images/).')
    .argument('<dir>', 'new or empty folder')
    .option('--name <name>', 'project name (default: folder name)')
    .action(async (dir: string, o: { name?: string }) => {
      const svc = newService();
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
        const { jobId } = await svc.call('segment.auto', { imageIds: ids, engine: 'classic', classic: { mode: o.mode, minArea: Number(o.minArea), invert: !!o.invert } });
        await runJob(svc, jobId, !!o.quiet);
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
}
