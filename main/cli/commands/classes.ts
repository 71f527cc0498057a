// CLI commands for classes and labels: `grainlab classes` (list, add, rename, recolour, set, merge,
// delete, export, import) and `grainlab label` (a person's class for segments by id, for a whole
// cluster, or from a label map), so every class workflow of the app can be scripted.
import { writeFile } from 'node:fs/promises';
import { readTextFile } from '../../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../../app/limits';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import { ClassListFileSchema } from '../../../app/contract/classes';
import type { ClassRecord } from '../../../app/types';
import type { GrainLabService } from '../../service';
import { runJob, withProject } from '../common';
import { parseClassesFile } from '../../import/labels';

/** A live class by exact name or id. */
async function findClass(svc: GrainLabService, dir: string, nameOrId: string): Promise<ClassRecord> {
  const list = await svc.call('classes.list', {});
  const c = list.find((x) => x.name === nameOrId) ?? (/^\d+$/.test(nameOrId) ? list.find((x) => x.id === Number(nameOrId)) : undefined);
  if (!c) throw new ServiceError('not-found', `No class '${nameOrId}' in ${dir}. Run 'grainlab classes list ${dir}' to see them, or add it with 'grainlab classes add ${dir} "${nameOrId}"'.`);
  return c;
}

function int(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ServiceError('invalid-argument', `${flag} needs a whole number${min > 0 ? ` from ${min}` : ''}; got '${v}'.`);
  return n;
}

function colour(v: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(v)) throw new ServiceError('invalid-argument', `'${v}' is not a colour like #4c9aff.`);
  return v;
}

function printClasses(list: ClassRecord[]): void {
  if (list.length === 0) console.log('no classes yet');
  for (const c of list) console.log(`${String(c.id).padStart(4)}  ${c.color}  ${c.value !== null && c.value !== undefined ? `value ${String(c.value).padEnd(5)}` : '           '}  ${c.name}`);
}

export function registerClassCommands(program: Command): void {
  const classes = program.command('classes').description("The project's classes: list, add, rename, recolour, merge, delete, and the class list as JSON to reuse in other projects.");

  classes
    .command('list')
    .description('List the classes (id, colour, label value, name).')
    .argument('<dir>', 'project folder')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { json?: boolean }) => {
      await withProject(dir, async (svc) => {
        const list = await svc.call('classes.list', {});
        if (o.json) console.log(JSON.stringify(list, null, 2));
        else printClasses(list);
      });
    });

  classes
    .command('add')
    .description('Add a class.')
    .argument('<dir>', 'project folder')
    .argument('<name>', 'class name')
    .option('--color <#rrggbb>', 'colour (default: the next default colour)')
    .option('--value <n>', 'its value in semantic label maps (PNG export and import)')
    .action(async (dir: string, name: string, o: { color?: string; value?: string }) => {
      await withProject(dir, async (svc) => {
        const c = await svc.call('classes.create', { name, ...(o.color ? { color: colour(o.color) } : {}), ...(o.value !== undefined ? { value: int('--value', o.value) } : {}) });
        console.log(`added class ${c.id} '${c.name}' ${c.color}`);
      });
    });

  classes
    .command('rename')
    .description('Rename a class (its id and segments stay).')
    .argument('<dir>', 'project folder')
    .argument('<class>', 'class name or id')
    .argument('<new-name>', 'new name')
    .action(async (dir: string, cls: string, newName: string) => {
      await withProject(dir, async (svc) => {
        const c = await svc.call('classes.update', { id: (await findClass(svc, dir, cls)).id, name: newName });
        console.log(`class ${c.id} is now '${c.name}'`);
      });
    });

  classes
    .command('recolour')
    .alias('recolor')
    .description('Change the colour of a class.')
    .argument('<dir>', 'project folder')
    .argument('<class>', 'class name or id')
    .argument('<colour>', '#rrggbb')
    .action(async (dir: string, cls: string, col: string) => {
      await withProject(dir, async (svc) => {
        const c = await svc.call('classes.update', { id: (await findClass(svc, dir, cls)).id, color: colour(col) });
        console.log(`class ${c.id} '${c.name}' is now ${c.color}`);
      });
    });

  classes
    .command('set-value')
    .description("Set a class's value in semantic label maps ('none' clears it: the export then picks one).")
    .argument('<dir>', 'project folder')
    .argument('<class>', 'class name or id')
    .argument('<value>', "0..65535, or 'none'")
    .action(async (dir: string, cls: string, value: string) => {
      await withProject(dir, async (svc) => {
        const c = await svc.call('classes.update', { id: (await findClass(svc, dir, cls)).id, value: value === 'none' ? null : int('<value>', value) });
        console.log(`class ${c.id} '${c.name}' has value ${c.value ?? 'none'}`);
      });
    });

  classes
    .command('merge')
    .description('Give every segment of class <from> the class <into> (their class sources kept), then delete <from>. Undoable per image.')
    .argument('<dir>', 'project folder')
    .argument('<from>', 'class name or id')
    .argument('<into>', 'class name or id')
    .action(async (dir: string, from: string, into: string) => {
      await withProject(dir, async (svc) => {
        const a = await findClass(svc, dir, from);
        const b = await findClass(svc, dir, into);
        const r = await svc.call('classes.merge', { from: a.id, into: b.id });
        console.log(`merged '${a.name}' into '${b.name}': ${r.segments} segment(s) in ${r.images} image(s)`);
      });
    });

  classes
    .command('delete')
    .description('Delete a class: its segments lose it (undoable per image; undo brings the class back).')
    .argument('<dir>', 'project folder')
    .argument('<class>', 'class name or id')
    .action(async (dir: string, cls: string) => {
      await withProject(dir, async (svc) => {
        const c = await findClass(svc, dir, cls);
        const r = await svc.call('classes.delete', { id: c.id });
        console.log(`deleted '${c.name}': ${r.segments} segment(s) in ${r.images} image(s) lost it`);
      });
    });

  classes
    .command('export')
    .description('Write the class list as JSON (to reuse in other projects with `classes import`).')
    .argument('<dir>', 'project folder')
    .argument('<file>', 'JSON file to write')
    .action(async (dir: string, file: string) => {
      await withProject(dir, async (svc) => {
        const list = await svc.call('classes.export', {});
        await writeFile(resolve(file), `${JSON.stringify(list, null, 2)}\n`);
        console.log(`wrote ${list.classes.length} class(es) to ${resolve(file)}`);
      });
    });

  classes
    .command('import')
    .description('Add the classes of a class list JSON (names already here take its colour and value; new ones keep its ids when free).')
    .argument('<dir>', 'project folder')
    .argument('<file>', 'class list JSON (from `classes export` or the class manager)')
    .action(async (dir: string, file: string) => {
      const abs = resolve(file);
      let json: unknown;
      try {
        json = JSON.parse(await readTextFile(abs, { what: 'class list', maxBytes: MAX_SMALL_FILE_BYTES }));
      } catch (e) {
        throw new ServiceError('invalid-argument', `${abs}: not a readable JSON file (${(e as Error).message}).`, abs);
      }
      const parsed = ClassListFileSchema.safeParse(json);
      if (!parsed.success) throw new ServiceError('invalid-argument', `${abs} is not a GrainLab class list: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}. Write one with 'grainlab classes export'.`, abs);
      await withProject(dir, async (svc) => {
        const r = await svc.call('classes.import', { list: parsed.data });
        for (const c of r.created) console.log(`added   ${c.id} '${c.name}'`);
        for (const c of r.updated) console.log(`updated ${c.id} '${c.name}'`);
      });
    });

  program
    .command('label')
    .description("Give a person's class to segments of an image: by segment id, a whole cluster (after 'grainlab cluster'), or from a semantic label map. These classes train 'grainlab propagate' and are never overwritten by predictions.")
    .argument('<dir>', 'project folder')
    .option('--image <id>', 'image id (grainlab info lists them); with --map, default: the image the file name matches')
    .option('--class <name|id>', "the class ('none' clears the class)")
    .option('--segments <ids>', 'segment ids, comma separated')
    .option('--cluster <n>', 'every segment of this cluster of the image')
    .option('--map <file>', 'semantic label map (PNG/TIFF): each segment gets the class of most of its pixels (values via classes.json beside it or --classes)')
    .option('--classes <file>', 'with --map: class table (JSON list of {value, name})')
    .option('--overwrite', 'with --cluster or --map: also change classes a person gave or confirmed')
    .option('--verify', 'with --segments: also mark the segments verified')
    .action(async (dir: string, o: { image?: string; class?: string; segments?: string; cluster?: string; map?: string; classes?: string; overwrite?: boolean; verify?: boolean }) => {
      const ways = [o.segments, o.cluster, o.map].filter((v) => v !== undefined).length;
      if (ways !== 1) throw new ServiceError('invalid-argument', 'Say which segments: exactly one of --segments <ids>, --cluster <n> or --map <file>.');
      if (!o.map && (!o.image || !o.class)) throw new ServiceError('invalid-argument', '--segments and --cluster need --image <id> and --class <name|id>.');
      await withProject(dir, async (svc) => {
        const imageId = o.image !== undefined ? int('--image', o.image, 1) : undefined;
        if (o.map) {
          const classes = o.classes ? parseClassesFile(await readTextFile(resolve(o.classes), { what: 'class table', maxBytes: MAX_SMALL_FILE_BYTES }), resolve(o.classes)) : undefined;
          const { jobId } = await svc.call('labels.import', {
            kind: 'semantic',
            paths: [resolve(o.map)],
            semanticMode: 'classes',
            keep: o.overwrite ? 'none' : 'person',
            ...(classes ? { classes } : {}),
            ...(imageId !== undefined ? { imageId } : {}),
          });
          await runJob(svc, jobId, true);
          const res = (await svc.call('labels.importResult', { jobId }))!;
          for (const f of res.failed) console.error(`failed   ${f.message}`);
          if (res.failed.length) throw new ServiceError('invalid-argument', `The label map ${resolve(o.map)} could not be applied (see above).`);
          for (const i of res.imported) console.log(`image ${i.imageId} (${i.imageName}): classes from ${i.file} for ${i.segments} segment(s)`);
          return;
        }
        const cls = o.class === 'none' ? null : await findClass(svc, dir, o.class!);
        if (o.cluster !== undefined) {
          const ack = await svc.call('cluster.assignClass', { imageId: imageId!, clusterId: int('--cluster', o.cluster), classId: cls?.id ?? null, overwrite: !!o.overwrite });
          console.log(ack.status === 'applied' ? `image ${imageId}: cluster ${o.cluster} -> ${cls?.name ?? 'no class'} (${ack.upserted.length} segment(s))` : `image ${imageId}: nothing to change in cluster ${o.cluster}`);
          return;
        }
        const ids = o.segments!.split(',').map((v) => int('--segments', v.trim(), 1));
        const seg = await svc.call('segmentation.get', { imageId: imageId! });
        if (!seg) throw new ServiceError('not-found', `Image ${imageId} has no segmentation. Run 'grainlab segment ${dir} --image ${imageId}' first.`);
        const missing = ids.filter((id) => !seg.segments.some((s) => s.id === id));
        if (missing.length) throw new ServiceError('not-found', `Image ${imageId} has no segment ${missing.join(', ')}.`);
        const ack = await svc.call('edit.apply', { imageId: imageId!, ops: [{ kind: 'setClass', ids, classId: cls?.id ?? null }, ...(o.verify ? [{ kind: 'setVerified' as const, ids, verified: true }] : [])] });
        console.log(`image ${imageId}: ${ids.length} segment(s) -> ${cls?.name ?? 'no class'}${o.verify ? ', verified' : ''}${ack.status === 'applied' ? '' : ' (already so)'}`);
      });
    });
}
