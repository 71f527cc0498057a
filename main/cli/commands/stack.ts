// `grainlab stack`: slice stacks (serial sections, tomogram planes) — import a multi-page TIFF or
// a folder of slices as one stack, list stacks, propagate a slice to the next ones, 3D object
// statistics, and 3D export (label TIFF + per-slice COCO).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import { parseTypedLength } from '../../../app/calibration/units';
import type { StackInfo } from '../../../app/contract/stacks';
import { runJob, withProject } from '../common';

function int(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ServiceError('invalid-argument', `${flag} needs a whole number from ${min}; got '${v}'.`);
  return n;
}

/** The longest slice spacing the service accepts (app/contract/stacks.ts), 1 m. */
const MAX_SPACING_UM = 1e6;

function spacing(v: string): number {
  try {
    const um = parseTypedLength(v);
    if (um > MAX_SPACING_UM) throw new Error(`'${v}' is ${um.toExponential(2)} µm, more than a metre between slices; write the spacing with its unit, e.g. 0.5um or 500nm`);
    return um;
  } catch (e) {
    throw new ServiceError('invalid-argument', `--spacing: ${(e as Error).message}`);
  }
}

function describeStack(s: StackInfo): string {
  return `stack ${s.id}  ${s.name}  ${s.imageIds.length} slices (images ${s.imageIds[0]}..${s.imageIds[s.imageIds.length - 1]})  spacing ${s.spacingUm === null ? 'unknown' : `${s.spacingUm} um`}`;
}

const fmt = (v: number | null, digits = 4) => (v === null ? '' : Number(v.toPrecision(digits)).toString());

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('Slice stacks: serial sections or tomogram slices kept as one ordered stack with 3D objects.');

  stack
    .command('import')
    .description('Import a multi-page TIFF (pages in order) or slice files / a folder of slices (natural file-name order) as one stack.')
    .argument('<dir>', 'project folder')
    .argument('<paths...>', 'a multi-page TIFF, slice files, or a folder of slices')
    .option('--name <name>', 'stack name (default: the file or folder name)')
    .option('--spacing <length>', 'distance between slices: 0.5 (µm), 500nm, 2um')
    .action(async (dir: string, paths: string[], o: { name?: string; spacing?: string }) => {
      await withProject(dir, async (svc) => {
        const r = await svc.call('stacks.importPaths', { paths: paths.map((p) => resolve(p)), ...(o.name ? { name: o.name } : {}), ...(o.spacing ? { spacingUm: spacing(o.spacing) } : {}) });
        console.log(`${describeStack(r.stack)}  (${r.import.imported.length} imported, ${r.import.existing.length} already in the project)`);
      });
    });

  stack
    .command('list')
    .description('The stacks of a project.')
    .argument('<dir>', 'project folder')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { json?: boolean }) => {
      await withProject(dir, async (svc) => {
        const list = await svc.call('stacks.list', {});
        if (o.json) console.log(JSON.stringify(list, null, 2));
        else if (list.length === 0) console.log('no stacks');
        else for (const s of list) console.log(describeStack(s));
      });
    });

  stack
    .command('spacing')
    .description('Set the distance between the slices of a stack.')
    .argument('<dir>', 'project folder')
    .requiredOption('--stack <id>', 'stack id')
    .requiredOption('--spacing <length>', '0.5 (µm), 500nm, 2um')
    .action(async (dir: string, o: { stack: string; spacing: string }) => {
      await withProject(dir, async (svc) => console.log(describeStack(await svc.call('stacks.setSpacing', { stackId: int('--stack', o.stack), spacingUm: spacing(o.spacing) }))));
    });

  stack
    .command('propagate')
    .description("Propagate a slice's segmentation to the next slices (SAM when a model is installed, else classic); what you made on those slices is kept.")
    .argument('<dir>', 'project folder')
    .requiredOption('--image <id>', 'the slice (image id) to start from')
    .option('--count <n>', 'how many slices to go', '1')
    .option('--down', 'go to lower slice numbers instead of higher')
    .option('--engine <engine>', 'auto (SAM when installed, else classic), classic, sam, or classifier (the trained pixel classifier predicts the slices)', 'auto')
    .option('--quiet', 'no progress output')
    .action(async (dir: string, o: { image: string; count: string; down?: boolean; engine: string; quiet?: boolean }) => {
      if (!['auto', 'classic', 'sam', 'classifier'].includes(o.engine)) throw new ServiceError('invalid-argument', `--engine must be auto, classic, sam or classifier; got '${o.engine}'.`);
      await withProject(dir, async (svc) => {
        const { jobId } = await svc.call('stacks.propagate', { imageId: int('--image', o.image), count: int('--count', o.count), direction: o.down ? 'down' : 'up', engine: o.engine as 'auto' });
        const end = await runJob(svc, jobId, o.quiet ?? false);
        console.log(`${end.title}: ${end.message ?? 'done'}`);
      });
    });

  stack
    .command('stats')
    .description('Link the slices into 3D objects and print their statistics: count, volume, equivalent sphere diameter, volume fractions.')
    .argument('<dir>', 'project folder')
    .requiredOption('--stack <id>', 'stack id')
    .option('--min-overlap <v>', "share of the smaller of two adjacent slices' segments that must overlap for them to be one object", '0.5')
    .option('--json', 'machine-readable output')
    .option('--csv', 'one line per object as CSV')
    .action(async (dir: string, o: { stack: string; minOverlap: string; json?: boolean; csv?: boolean }) => {
      const minOverlap = Number(o.minOverlap);
      if (!(minOverlap > 0 && minOverlap <= 1)) throw new ServiceError('invalid-argument', `--min-overlap must be above 0 and at most 1; got '${o.minOverlap}'.`);
      await withProject(dir, async (svc) => {
        const st = await svc.call('stacks.stats', { stackId: int('--stack', o.stack), minOverlap });
        if (o.json) return void console.log(JSON.stringify(st, null, 2));
        if (o.csv) {
          console.log('object_id,voxels,volume_um3,esd_um,esd_voxels,first_slice,last_slice,class_id');
          for (const b of st.objects) console.log([b.objectId, b.voxels, fmt(b.volumeUm3, 6), fmt(b.esdUm, 6), fmt(b.esdVoxels, 6), b.firstZ + 1, b.lastZ + 1, b.classId ?? ''].join(','));
          return;
        }
        const classes = new Map((await svc.call('classes.list', {})).map((c) => [c.id, c.name]));
        console.log(`${st.slices} slices, ${st.objectCount} 3D objects${st.voxelUm3 === null ? ' (volumes in voxels: set the pixel size and the slice spacing for µm³)' : `, voxel ${fmt(st.voxelUm3)} um3`}`);
        if (st.objects.length > 0) {
          const esd = st.objects.map((b) => b.esdUm ?? b.esdVoxels).sort((a, b) => a - b);
          const unit = st.voxelUm3 === null ? 'voxels' : 'um';
          console.log(`equivalent sphere diameter (${unit}): median ${fmt(esd[Math.floor(esd.length / 2)]!)}, min ${fmt(esd[0]!)}, max ${fmt(esd[esd.length - 1]!)}`);
        }
        for (const f of st.fractions) {
          const name = f.classId === 'none' ? 'no segment' : f.classId === null ? 'segments without a class' : (classes.get(f.classId) ?? `class ${f.classId}`);
          console.log(`volume fraction  ${name}: ${(100 * f.fraction).toFixed(2)} %`);
        }
      });
    });

  stack
    .command('export')
    .description('Write a 3D label TIFF (one page per slice, pixel = 3D object id) and a COCO file of every slice (annotations carry track_id = object id).')
    .argument('<dir>', 'project folder')
    .requiredOption('--stack <id>', 'stack id')
    .requiredOption('--out <folder>', 'output folder')
    .action(async (dir: string, o: { stack: string; out: string }) => {
      await withProject(dir, async (svc) => {
        const r = await svc.call('stacks.export', { stackId: int('--stack', o.stack), dir: resolve(o.out) });
        console.log(`${r.slices} slices, ${r.objects} 3D objects: ${r.tiff}, ${r.coco}`);
      });
    });
}
