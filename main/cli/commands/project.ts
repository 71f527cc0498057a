// CLI commands for projects and images: init, import, segment, info.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import type { Args, ClassicOptions } from '../../../app/contract';
import { newService, withProject, describe, runJob } from '../common';
import { addClassicFlags, classicFromFlags, defined, num, CLASSIC_FLAG_KEYS, type ClassicFlags } from '../classic-flags';
import type { GrainLabService } from '../../service';
import { calibrationNote, length } from './calibrate';
import { confirmPlan, type KeepFlags } from '../ask';

export function registerProjectCommands(program: Command): void {
  program
    .command('init')
    .description('Create a project folder (project.sqlite + images/).')
    .argument('<dir>', 'new or empty folder')
    .option('--name <name>', 'project name (default: folder name)')
    .action(async (dir: string, o: { name?: string }) => {
      const svc = newService();
      try {
        const info = await svc.call('project.create', { path: resolve(dir), ...(o.name ? { name: o.name } : {}) });
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
    .option('--pixel-size <length>', 'µm per pixel for images whose metadata has none: 0.25 (µm), 250nm, 2.5um')
    .option('--override', 'with --pixel-size: also replace the pixel size read from metadata')
    .action(async (dir: string, files: string[], o: { pixelSize?: string; override?: boolean }) => {
      if (o.override && o.pixelSize === undefined) throw new ServiceError('invalid-argument', '--override goes with --pixel-size.');
      const typed = o.pixelSize === undefined ? null : length('--pixel-size', o.pixelSize);
      await withProject(dir, async (svc) => {
        const res = await svc.call('images.importPaths', { paths: files.map((f) => resolve(f)) });
        if (typed !== null && res.imported.length) {
          const cal = new Map((await svc.call('calibration.list', {})).images.map((c) => [c.imageId, c]));
          const ids = res.imported.filter((im) => o.override || cal.get(im.id)?.umPerPx == null || cal.get(im.id)?.source === 'project-default').map((im) => im.id);
          if (ids.length) await svc.call('calibration.set', { imageIds: ids, umPerPx: typed });
        }
        const cal = new Map((await svc.call('calibration.list', {})).images.map((c) => [c.imageId, c]));
        for (const im of await svc.call('images.list', {})) {
          if (res.imported.some((r) => r.id === im.id)) console.log(`imported ${describe(im, calibrationNote(cal.get(im.id)))}`);
        }
        for (const e of res.existing) console.log(`already  ${e.name} is in the project as #${e.image.id} (${e.image.name})`);
        for (const f of res.failed) console.error(`failed   ${f.message}`);
        if (res.failed.length > 0) {
          throw new ServiceError('bad-image', `${res.failed.length} of ${files.length} file(s) could not be imported (see above); the others were.`);
        }
      });
    });

  const segment = program
    .command('segment')
    .description('Auto-segment images with the classic engine or SAM (progress on stderr; Ctrl+C cancels).')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'image id(s) to segment')
    .option('--all', 'segment every image in the project')
    .addOption(new Option('--engine <engine>', "segmentation engine (sam needs an installed model: grainlab models list); default: the project's default engine (grainlab eval --project DIR --set-default), else classic").choices(['classic', 'sam']))
    .option('-q, --quiet', 'no progress output')
    .option('--preset <name>', "classic: a preset saved in the project (grainlab presets); flags given too change it for this run")
    // SAM engine
    .addOption(new Option('--prompts <kind>', 'sam: MatSAM structure-aware prompts or the regular grid').choices(['matsam', 'grid']).default('matsam'))
    .option('--model <id>', 'sam: model id (default: the active model)')
    .option('--points-per-side <n>', 'sam grid: points per side (default 32)')
    .addOption(new Option('--matsam-mode <mode>', 'sam matsam: pre-segmentation').choices(['auto', 'phase', 'grain', 'both']))
    .option('--max-points <n>', 'sam matsam: prompt budget of the whole-image layer (default 256)')
    .option('--pred-iou <t>', 'sam: predicted-IoU filter (default 0.88)')
    .option('--stability <t>', 'sam: stability-score filter (default 0.95)')
    .option('--stability-offset <o>', 'sam: stability-score logit offset (default 1)')
    .option('--box-nms <t>', 'sam: box NMS IoU threshold (default 0.7)')
    .option('--crop-layers <n>', "sam: crop layers, 'auto' (default), or 'tiles' (1024 px crops at full resolution for images over 1536 px)")
    .option('--max-crops <n>', 'sam: most crops (encoder runs) per image (default 21)')
    .option('--single-mask', 'sam: only the best mask per prompt')
    .option('--fill-gaps', 'sam: fill uncovered pixels from neighbouring segments (grain maps)')
    .option('--keep', 'images with a segmentation: keep the segments a person made (verified, edited by hand, given a class) and replace the rest (default)')
    .option('--replace', 'images with a segmentation: replace everything, also what a person made (it stays in the replaced version)')
    .option('-y, --yes', 'go ahead without asking when images hold corrections a person made');
  addClassicFlags(segment).action(async (dir: string, o: SegmentFlags) => {
      if (!o.all && !o.image) throw new ServiceError('invalid-argument', 'Say which images to segment: --image <id...> or --all.');
      await withProject(dir, async (svc) => {
        const images = await svc.call('images.list', {});
        const ids = o.all ? images.map((i) => i.id) : o.image!.map((s) => Number(s));
        if (ids.length === 0) throw new ServiceError('not-found', `The project ${dir} has no images. Import some first (grainlab import).`);
        for (const id of ids) if (!images.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${id} is not in ${dir}. Run 'grainlab info ${dir}' to list image ids.`);
        const keep = await confirmPlan(svc, ids, o, 'Segmenting');
        // No engine and no engine flags: the service uses the project's default engine, else classic.
        const byDefault = o.engine === undefined && !o.preset && [...CLASSIC_FLAG_KEYS, ...SAM_FLAG_KEYS].every((k) => o[k] === undefined);
        const engine = o.engine ?? 'classic';
        const { jobId } = await svc.call('segment.auto', byDefault ? { imageIds: ids, keep } : { imageIds: ids, engine, keep, ...(engine === 'sam' ? { sam: samOptions(o) } : await classicArgs(svc, o)) });
        await runJob(svc, jobId, !!o.quiet);
        const stats = await svc.call('sam.runStats', { jobId });
        for (const im of await svc.call('images.list', {})) {
          if (!ids.includes(im.id)) continue;
          const s = stats?.find((x) => x.imageId === im.id);
          console.log(describe(im) + (s ? `  [sam ${s.model}, ${s.prompts}: ${s.decoderCalls} decoder calls, ${s.crops} crop(s), ${s.encoderRuns} encoder run(s), ${(s.ms.total / 1000).toFixed(1)} s]` : ''));
        }
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
        const cal = new Map((await svc.call('calibration.list', {})).images.map((c) => [c.imageId, c]));
        for (const im of images) console.log(describe(im, calibrationNote(cal.get(im.id))));
      });
    });
}

/** The classic part of segment.auto: a preset by name, the preset changed by flags, or flags alone. */
async function classicArgs(svc: GrainLabService, o: SegmentFlags): Promise<{ classic?: ClassicOptions; preset?: string }> {
  if (!o.preset) return { classic: classicFromFlags(o) };
  const preset = (await svc.call('presets.list', {})).find((p) => p.name === o.preset);
  if (!preset) throw new ServiceError('not-found', `No preset named '${o.preset}' in this project. List them with 'grainlab presets <dir>'.`);
  const changed = CLASSIC_FLAG_KEYS.some((k) => o[k] !== undefined);
  return changed ? { classic: classicFromFlags(o, preset.settings) } : { preset: preset.name };
}

interface SegmentFlags extends ClassicFlags, KeepFlags {
  preset?: string;
  image?: string[];
  all?: boolean;
  engine?: 'classic' | 'sam';
  quiet?: boolean;
  prompts: 'matsam' | 'grid';
  model?: string;
  pointsPerSide?: string;
  matsamMode?: 'auto' | 'phase' | 'grain' | 'both';
  maxPoints?: string;
  predIou?: string;
  stability?: string;
  stabilityOffset?: string;
  boxNms?: string;
  cropLayers?: string;
  maxCrops?: string;
  singleMask?: boolean;
  fillGaps?: boolean;
}

const SAM_FLAG_KEYS = ['model', 'pointsPerSide', 'matsamMode', 'maxPoints', 'predIou', 'stability', 'stabilityOffset', 'boxNms', 'cropLayers', 'maxCrops', 'singleMask', 'fillGaps'] as const;

function samOptions(o: SegmentFlags): Args<'segment.auto'>['sam'] {
  const layers = o.cropLayers === undefined || o.cropLayers === 'auto' ? undefined : o.cropLayers === 'tiles' ? 'tiles' : num('--crop-layers', o.cropLayers);
  return {
    prompts: o.prompts,
    minArea: num('--min-area', o.minArea) ?? 16,
    ...defined({
      model: o.model,
      pointsPerSide: num('--points-per-side', o.pointsPerSide),
      matsamMode: o.matsamMode,
      matsamMaxPoints: num('--max-points', o.maxPoints),
      predIouThresh: num('--pred-iou', o.predIou),
      stabilityScoreThresh: num('--stability', o.stability),
      stabilityScoreOffset: num('--stability-offset', o.stabilityOffset),
      boxNmsThresh: num('--box-nms', o.boxNms),
      cropLayers: layers,
      maxCrops: num('--max-crops', o.maxCrops),
      multimask: o.singleMask ? false : undefined,
      fillGaps: o.fillGaps,
    }),
  };
}
