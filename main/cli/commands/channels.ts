// `grainlab channels`: elemental maps (EDS and other channels) on an image — add (registered
// automatically), list, register again (estimate, two point pairs, typed numbers), remove.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import type { Args } from '../../../app/contract';
import type { ChannelRecord } from '../../../app/contract/channels';
import { withProject } from '../common';

function imageId(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ServiceError('invalid-argument', `IMAGE must be an image id (a whole number from 1; grainlab info lists them), not '${text}'.`);
  return n;
}

function numbers(flag: string, text: string, count: number): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== count || v.some((x) => !Number.isFinite(x))) throw new ServiceError('invalid-argument', `${flag} takes ${count} numbers separated by commas (got '${text}').`);
  return v;
}

function line(c: ChannelRecord): string {
  const r = c.registration;
  const how = c.registeredBy === 'estimate' ? `estimated, score ${(c.score ?? 0).toFixed(2)}` : c.registeredBy === 'size' ? 'size ratio only' : c.registeredBy;
  return `${String(c.id).padStart(4)}  ${c.element.padEnd(8)} ${`${c.width}x${c.height}`.padEnd(10)} scale ${r.sx.toFixed(3)},${r.sy.toFixed(3)}  shift ${r.tx.toFixed(1)},${r.ty.toFixed(1)} px  (${how})  ${c.color} ${Math.round(c.opacity * 100)}%${c.visible ? '' : ' hidden'}  ${c.name}`;
}

export function registerChannelCommands(program: Command): void {
  const ch = program.command('channels').description('Elemental maps (EDS and other channels) registered onto an image: add, list, register, remove.');
  ch.command('add')
    .description('Add maps to an image: one PNG/TIFF per element (element from the file name, e.g. "Fe Ka.png", "map_Ni.tif") or a multi-page TIFF (one element per page); registered by correlation with the image.')
    .argument('<dir>', 'project folder')
    .argument('<image>', 'image id')
    .argument('<files...>', 'map files')
    .option('--elements <list>', 'element names in file (and page) order, e.g. Fe,Ni,Cr')
    .option('--no-register', 'keep the size-ratio scale and no shift (register later)')
    .action(async (dir: string, image: string, files: string[], o: { elements?: string; register: boolean }) => {
      await withProject(dir, async (svc) => {
        const r = await svc.call('channels.importPaths', { imageId: imageId(image), paths: files.map((f) => resolve(f)), register: o.register, ...(o.elements ? { elements: o.elements.split(',').map((s) => s.trim()) } : {}) });
        for (const c of r.added) console.log(`added ${line(c)}`);
        for (const f of r.failed) console.error(`failed ${f.message}`);
        if (r.added.length === 0) throw new ServiceError('invalid-argument', `No map was added to image ${image}.`);
      });
    });
  ch.command('list')
    .description("An image's maps with their registration and overlay look.")
    .argument('<dir>', 'project folder')
    .argument('<image>', 'image id')
    .action(async (dir: string, image: string) => {
      await withProject(dir, async (svc) => {
        const list = await svc.call('channels.list', { imageId: imageId(image) });
        if (list.length === 0) console.log(`image ${image} has no elemental maps`);
        for (const c of list) console.log(line(c));
      });
    });
  ch.command('register')
    .description("Register an image's maps again: --estimate, two point pairs (--points), or typed numbers (--scale, --shift).")
    .argument('<dir>', 'project folder')
    .argument('<image>', 'image id')
    .option('--ids <list>', 'only these channel ids (default: all maps of the image)')
    .option('--estimate', 'by correlation with the image')
    .option('--points <list>', 'two pairs as image x,y,map x,y,image x,y,map x,y (8 numbers)')
    .option('--scale <sx,sy>', 'image px per map px')
    .option('--shift <tx,ty>', 'image position of the map corner, px (with --scale)')
    .action(async (dir: string, image: string, o: { ids?: string; estimate?: boolean; points?: string; scale?: string; shift?: string }) => {
      const ids = o.ids ? { ids: o.ids.split(',').map(Number) } : {};
      let how: Omit<Args<'channels.register'>, 'imageId'>;
      if (o.estimate) how = { estimate: true };
      else if (o.points) {
        const p = numbers('--points', o.points, 8);
        how = { pairs: [{ image: { x: p[0]!, y: p[1]! }, map: { x: p[2]!, y: p[3]! } }, { image: { x: p[4]!, y: p[5]! }, map: { x: p[6]!, y: p[7]! } }] };
      } else if (o.scale) {
        const [sx, sy] = numbers('--scale', o.scale, 2) as [number, number];
        const [tx, ty] = o.shift ? (numbers('--shift', o.shift, 2) as [number, number]) : [0, 0];
        how = { registration: { sx, sy, tx, ty } };
      } else throw new ServiceError('invalid-argument', 'Say how: --estimate, --points or --scale (with --shift).');
      await withProject(dir, async (svc) => {
        const list = await svc.call('channels.register', { imageId: imageId(image), ...ids, ...how });
        for (const c of list) console.log(line(c));
      });
    });
  ch.command('remove')
    .description('Remove maps by channel id.')
    .argument('<dir>', 'project folder')
    .argument('<ids...>', 'channel ids (grainlab channels list shows them)')
    .action(async (dir: string, ids: string[]) => {
      await withProject(dir, async (svc) => {
        const r = await svc.call('channels.remove', { ids: ids.map(Number) });
        console.log(`removed ${r.removed} map(s)`);
      });
    });
}
