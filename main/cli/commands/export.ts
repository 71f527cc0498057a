// CLI commands for curated datasets and measurements: export, import-labels, stats.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { readTextFile } from '../../fs/read';
import { makeDirs } from '../../fs/dirs';
import { MAX_SMALL_FILE_BYTES } from '../../../app/limits';
import { join, resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import type { ExportFormat, LabelKind, ProjectStats, SemanticValue } from '../../../app/contract/export';
import { confirmPlan, keepPolicy, type KeepFlags } from '../ask';
import { withProject, runJob } from '../common';
import { parseClassesFile } from '../../import/labels';
import { runFinetuneExport } from './finetune';

function parseRatios(s: string): [number, number, number] {
  const parts = s.split(':').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts[0]! + parts[1]! + parts[2]! <= 0) {
    throw new ServiceError('invalid-argument', `--split must be three non-negative numbers train:val:test, e.g. 6:2:2 (got '${s}').`);
  }
  return parts as [number, number, number];
}

function parseInteger(name: string, s: string, min: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new ServiceError('invalid-argument', `${name} must be a whole number of at least ${min} (got '${s}').`);
  return n;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function printStats(s: ProjectStats): void {
  const u = s.unit === 'um' ? 'µm' : 'px';
  console.log(`image                              grains  edge  ECD mean  median     std (${u})   G(planim.)  G(intercept)`);
  const row = (name: string, count: number, edge: number, mean: number, median: number, std: number, gp: number | null | undefined, gi: number | null | undefined) =>
    console.log(`${name.slice(0, 34).padEnd(34)} ${String(count).padStart(7)} ${String(edge).padStart(5)} ${fmt(mean, 2).padStart(9)} ${fmt(median, 2).padStart(7)} ${fmt(std, 2).padStart(7)}        ${fmt(gp, 2).padStart(5)}         ${fmt(gi, 2).padStart(5)}`);
  for (const im of s.images) {
    if (!im.segmented) {
      console.log(`${im.name.slice(0, 34).padEnd(34)}  not segmented`);
      continue;
    }
    const m = im.summary;
    row(`${im.name}${m.unit !== s.unit ? ` (${m.unit})` : ''}`, m.grainCount, m.edgeGrainCount, m.ecd.mean, m.ecd.median, m.ecd.std, im.planimetric?.G, im.intercept?.G);
  }
  const p = s.project.summary;
  row('(all images)', p.grainCount, p.edgeGrainCount, p.ecd.mean, p.ecd.median, p.ecd.std, s.project.planimetric?.G, s.project.intercept?.G);
  if (s.project.phases.length) {
    const names = new Map(s.classes.map((c) => [c.id, c.name]));
    console.log('\nphase fractions (of all image area):');
    for (const f of s.project.phases) console.log(`  ${(f.classId === null ? 'unclassified' : (names.get(f.classId) ?? `class ${f.classId}`)).padEnd(24)} ${(100 * f.fractionOfImage).toFixed(2).padStart(6)} %`);
  }
  if (s.images.some((i) => i.segmented && i.pixelSizeUm === null)) console.log('\nImages without a pixel size are measured in px and have no ASTM G; set the pixel size with `grainlab calibrate <dir> --um-per-px 0.25` (or import with --pixel-size, or a scale bar: --scale-bar 182px=20um) to get µm and G.');
}

export function registerExportCommands(program: Command): void {
  program
    .command('export')
    .description('Export a curated dataset (COCO, PNG masks, YOLO, or finetune: micro-sam image/label TIFFs from verified segments) or files for other tools (LabelMe / X-AnyLabeling JSON, QuPath GeoJSON, CVAT XML, ImageJ ROI sets) with splits and a dataset card. Written to a hidden folder beside --out and renamed into place when complete.')
    .argument('<dir>', 'project folder')
    .addOption(new Option('--format <format>', 'dataset format').choices(['coco', 'png', 'yolo', 'labelme', 'geojson', 'cvat', 'imagej', 'finetune']).makeOptionMandatory())
    .option('--out <dir>', 'dataset folder to create (default: <project>/exports/<format>-<date>)')
    .option('--split <ratios>', 'train:val:test ratios (default 6:2:2; 1:0:0 for labelme, geojson, cvat, imagej)')
    .option('--seed <n>', 'seed of the split', '42')
    .option('--image <id...>', 'only these image ids')
    .option('--verified-images', 'only images marked verified')
    .option('--verified-segments', 'only segments a person verified')
    .option('--all-segments', 'finetune: every segment, not only verified ones (the finetune default)')
    .option('--tile <px>', 'cut images into tiles of this size')
    .option('--overlap <px>', 'tile overlap', '0')
    .addOption(new Option('--edge <mode>', 'grains touching the image/tile border').choices(['flag', 'exclude', 'include']).default('flag'))
    .addOption(new Option('--rle <mode>', 'COCO masks').choices(['compressed', 'uncompressed', 'polygon']).default('compressed'))
    .addOption(new Option('--holes <how>', 'segments with holes in polygon formats: as RLE (COCO default), left out, or outer outline with holes filled (YOLO default)').choices(['rle', 'skip', 'fill']))
    .option('--no-images', 'do not copy the micrographs into the dataset')
    .option('--overwrite', 'replace an existing dataset folder (once the new one is complete)')
    .option('--json', 'print the summary as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, o: { format: ExportFormat | 'finetune'; allSegments?: boolean; out?: string; split?: string; seed: string; image?: string[]; verifiedImages?: boolean; verifiedSegments?: boolean; tile?: string; overlap: string; edge: 'flag' | 'exclude' | 'include'; rle: 'compressed' | 'uncompressed' | 'polygon'; holes?: 'rle' | 'skip' | 'fill'; images: boolean; overwrite?: boolean; json?: boolean; quiet?: boolean }) => {
      const ratios = parseRatios(o.split ?? (['labelme', 'geojson', 'cvat', 'imagej'].includes(o.format) ? '1:0:0' : '6:2:2'));
      const seed = parseInteger('--seed', o.seed, 0);
      const tile = o.tile ? { size: parseInteger('--tile', o.tile, 16), overlap: parseInteger('--overlap', o.overlap, 0) } : null;
      const dest = resolve(o.out ?? join(dir, 'exports', `${o.format}-${stamp()}`));
      const format = o.format;
      if (format === 'finetune') return runFinetuneExport(dir, { ...o, dest, ratios, seed, tile, imageIds: o.image?.map((s) => parseInteger('--image', s, 1)) });
      await withProject(dir, async (svc) => {
        const { jobId } = await svc.call('export.dataset', {
          dest,
          format,
          ratios,
          seed,
          ...(o.image ? { imageIds: o.image.map((s) => parseInteger('--image', s, 1)) } : {}),
          verifiedImages: !!o.verifiedImages,
          verifiedSegments: !!o.verifiedSegments,
          tile,
          edge: o.edge,
          rle: o.rle,
          ...(o.holes ? { holes: o.holes } : {}),
          copyImages: o.images,
          overwrite: !!o.overwrite,
        });
        await runJob(svc, jobId, !!o.quiet || !!o.json);
        const sum = await svc.call('export.result', { jobId });
        if (!sum) throw new ServiceError('internal', 'The export finished but left no summary.');
        if (o.json) {
          console.log(JSON.stringify(sum, null, 2));
          return;
        }
        console.log(`Wrote ${sum.format.toUpperCase()} dataset to ${sum.dest}`);
        console.log(`  ${sum.images} image(s), ${sum.items} file set(s), ${sum.segments} segments; train ${sum.perSplit.train.items} / val ${sum.perSplit.val.items} / test ${sum.perSplit.test.items}`);
        console.log(`  ${(sum.bytes / 1e6).toFixed(1)} MB in ${sum.seconds.toFixed(1)} s; card: ${join(sum.dest, 'dataset-card.md')}`);
        for (const w of sum.warnings) console.log(`  note: ${w}`);
      });
    });

  program
    .command('import-labels')
    .description('Import segmentations made elsewhere, matched to project images by file name (without extension).')
    .argument('<dir>', 'project folder')
    .argument('<files...>', 'COCO JSON, LabelMe / X-AnyLabeling JSON, QuPath GeoJSON, CVAT XML, ImageJ ROI sets (.zip/.roi), or label map images (PNG/TIFF)')
    .addOption(new Option('--kind <kind>', 'what the files hold').choices(['coco', 'instance', 'semantic', 'boundary', 'labelme', 'geojson', 'cvat', 'imagej']).makeOptionMandatory())
    .option('--classes <file>', 'semantic maps: class table (JSON list of {value, name, color?}); default: a classes.json next to the files')
    .option('--onto-segments', "semantic maps: keep each image's segments and set their classes (majority value) instead of replacing them")
    .option('--class-names <list>', "semantic maps: names of values, e.g. '0=matrix,1=ferrite' (instead of a class table)")
    .option('--skip-segmented', 'leave images that already have a segmentation alone')
    .option('--keep', 'images with a segmentation: keep the segments and classes a person made, replace the rest (default)')
    .option('--replace', 'images with a segmentation: replace everything, also what a person made (it stays in the replaced version)')
    .option('-y, --yes', 'go ahead without asking when images hold corrections a person made')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, files: string[], o: KeepFlags & { kind: LabelKind; classes?: string; classNames?: string; ontoSegments?: boolean; skipSegmented?: boolean; quiet?: boolean }) => {
      let classes: SemanticValue[] | undefined;
      if (o.classes) {
        const f = resolve(o.classes);
        classes = parseClassesFile(await readTextFile(f, { what: 'class table', maxBytes: MAX_SMALL_FILE_BYTES }), f);
      }
      if (o.classNames) classes = [...(classes ?? []), ...parseClassNames(o.classNames)];
      await withProject(dir, async (svc) => {
        const args = {
          kind: o.kind,
          paths: files.map((f) => resolve(f)),
          ...(classes ? { classes } : {}),
          semanticMode: o.ontoSegments ? ('classes' as const) : ('replace' as const),
          ifSegmented: o.skipSegmented ? ('skip' as const) : ('replace' as const),
        };
        // Which images the files go to, then the question (a dry run writes nothing).
        const dry = await svc.call('labels.import', { ...args, dryRun: true });
        await runJob(svc, dry.jobId, true);
        const targets = [...new Set((await svc.call('labels.importResult', { jobId: dry.jobId }))?.imported.map((i) => i.imageId) ?? [])];
        const keep = targets.length ? await confirmPlan(svc, targets, o, o.ontoSegments ? 'Giving classes to' : 'Importing labels into') : keepPolicy(o);
        const { jobId } = await svc.call('labels.import', { ...args, keep });
        await runJob(svc, jobId, !!o.quiet);
        const res = await svc.call('labels.importResult', { jobId });
        if (!res) throw new ServiceError('internal', 'The import finished but left no summary.');
        for (const i of res.imported) console.log(`${i.action.padEnd(8)} ${i.imageName}: ${i.segments} segments from ${i.file}${i.kept ? ` (${i.kept} of yours kept)` : ''}`);
        for (const s of res.skipped) console.log(`skipped  ${s.file}: ${s.message}`);
        if (res.classesCreated.length) console.log(`new classes: ${res.classesCreated.join(', ')}`);
        for (const f of res.failed) console.error(`failed   ${f.message}`);
        if (res.failed.length > 0) {
          throw new ServiceError('bad-image', `${res.failed.length} label file(s) or entries could not be imported (see above); ${res.imported.length} were.`);
        }
      });
    });

  program
    .command('stats')
    .description('Grain statistics (count, ECD, ASTM E112 G by planimetric and intercept methods) and phase fractions.')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'only these image ids')
    .option('--exclude-edge', 'leave grains cut by the image border out of the size statistics')
    .option('--csv <outDir>', 'write grains.csv, images.csv, phases.csv and ecd_histogram.csv into this folder')
    .option('--json', 'print everything as JSON')
    .action(async (dir: string, o: { image?: string[]; excludeEdge?: boolean; csv?: string; json?: boolean }) => {
      await withProject(dir, async (svc) => {
        const args = { ...(o.image ? { imageIds: o.image.map((s) => parseInteger('--image', s, 1)) } : {}), excludeEdge: !!o.excludeEdge };
        const stats = await svc.call('stats.compute', args);
        if (stats.images.every((i) => !i.segmented)) {
          throw new ServiceError('invalid-argument', `No image in ${dir} has a segmentation, so there is nothing to measure. Run 'grainlab segment' or 'grainlab import-labels' first.`);
        }
        if (o.csv) {
          const out = resolve(o.csv);
          await makeDirs(out, 'output folder');
          const { files } = await svc.call('stats.csv', args);
          for (const f of files) await writeFile(join(out, f.name), f.text);
          if (!o.json) console.error(`wrote ${files.map((f) => f.name).join(', ')} to ${out}`);
        }
        if (o.json) console.log(JSON.stringify({ ...stats, ecd: Array.from(stats.ecd), area: Array.from(stats.area) }, null, 2));
        else printStats(stats);
      });
    });
}

/** '0=matrix,1=ferrite' -> class table entries. */
function parseClassNames(text: string): SemanticValue[] {
  return text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!m || Number(m[1]) > 65535) throw new ServiceError('invalid-argument', `--class-names: '${part}' is not value=name (e.g. 0=matrix,1=ferrite).`);
    return { value: Number(m[1]), name: m[2]! };
  });
}
