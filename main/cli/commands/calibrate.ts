// `grainlab calibrate`: the pixel size of images (typed, from a scale bar, re-read from metadata,
// project default) and where each value came from. `grainlab import --pixel-size` uses the same.
import { Option, type Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import type { ImageCalibration } from '../../../app/contract/calibration';
import { parseTypedLength } from '../../../app/calibration/units';
import { withProject } from '../common';
import type { GrainLabService } from '../../service';

export function length(flag: string, text: string): number {
  try {
    return parseTypedLength(text);
  } catch (e) {
    throw new ServiceError('invalid-argument', `${flag}: ${(e as Error).message}.`);
  }
}

/** "where it came from", short, for one line. */
export function calibrationNote(c: ImageCalibration | undefined): string {
  if (!c || c.umPerPx === null) return '';
  switch (c.source) {
    case 'metadata':
    case 'resolution-tag':
      return ` (${c.vendor}: ${c.where})`;
    case 'scale-bar':
      return ` (scale bar: ${c.raw})`;
    case 'project-default':
      return ' (project default)';
    case 'typed':
      return ' (typed)';
    default:
      return '';
  }
}

function line(c: ImageCalibration): string {
  const v = c.umPerPx === null ? 'not calibrated' : `${c.umPerPx.toPrecision(6)} µm/px`;
  return `${String(c.imageId).padStart(4)}  ${c.name.slice(0, 40).padEnd(40)} ${v.padEnd(18)} ${c.source ?? (c.umPerPx === null ? '' : 'unknown source')}${c.vendor ? `  ${c.vendor}` : ''}${c.where ? `  ${c.where}` : ''}${c.raw ? `  = ${c.raw}` : ''}`;
}

/** "50px=10um": a scale bar 50 px long that stands for 10 µm. */
function parseScaleBar(text: string): { px: number; um: number } {
  const m = /^\s*([\d.]+)\s*px\s*=\s*(.+)$/i.exec(text);
  const px = m ? Number(m[1]) : NaN;
  if (!m || !(px > 0)) throw new ServiceError('invalid-argument', `--scale-bar wants PIXELSpx=LENGTH, e.g. 182px=20um (got '${text}').`);
  return { px, um: length('--scale-bar', m[2]!) };
}

async function imageIds(svc: GrainLabService, o: { image?: string[]; all?: boolean }, dir: string): Promise<number[]> {
  const images = await svc.call('images.list', {});
  if (o.all || !o.image) return images.map((i) => i.id);
  return o.image.map((s) => {
    const id = Number(s);
    if (!images.some((i) => i.id === id)) throw new ServiceError('not-found', `Image ${s} is not in ${dir}. Run 'grainlab calibrate ${dir}' to list image ids.`);
    return id;
  });
}

export function registerCalibrateCommands(program: Command): void {
  program
    .command('calibrate')
    .description('Show or set the pixel size of images (µm/px) and where it came from; without an action it lists them.')
    .argument('<dir>', 'project folder')
    .option('--image <id...>', 'image id(s) (default: all images)')
    .option('--all', 'every image')
    .option('--um-per-px <length>', 'typed pixel size: 0.25 (µm), 250nm, 2.5um')
    .option('--scale-bar <bar>', 'from a scale bar measured on the image: PIXELSpx=LENGTH, e.g. 182px=20um')
    .option('--clear', 'remove the pixel size (the project default then applies)')
    .option('--detect', 'read the pixel size again from the stored files (vendor tags, ImageJ, resolution tags)')
    .addOption(new Option('--apply <which>', 'with --detect: set it on images without one, or on all').choices(['uncalibrated', 'all']))
    .option('--default <length>', "project default for images without a calibration of their own ('none' clears it)")
    .option('--json', 'print the calibrations as JSON')
    .action(async (dir: string, o: { image?: string[]; all?: boolean; umPerPx?: string; scaleBar?: string; clear?: boolean; detect?: boolean; apply?: 'uncalibrated' | 'all'; default?: string; json?: boolean }) => {
      const actions = [o.umPerPx !== undefined, o.scaleBar !== undefined, !!o.clear, !!o.detect].filter(Boolean).length;
      if (actions > 1) throw new ServiceError('invalid-argument', 'Give one of --um-per-px, --scale-bar, --clear or --detect.');
      if (o.apply && !o.detect) throw new ServiceError('invalid-argument', '--apply goes with --detect.');
      await withProject(dir, async (svc) => {
        if (o.default !== undefined) {
          const um = o.default === 'none' ? null : length('--default', o.default);
          const r = await svc.call('calibration.setDefault', { umPerPx: um });
          if (!o.json) console.log(um === null ? `project default cleared (${r.applied} image(s) changed)` : `project default ${um} µm/px, given to ${r.applied} image(s) without their own`);
        }
        if (actions > 0) {
          const ids = await imageIds(svc, o, dir);
          if (o.detect) {
            const rep = await svc.call('calibration.detect', { imageIds: ids, apply: o.apply ?? 'none' });
            if (!o.json) {
              for (const r of rep) {
                console.log(`${String(r.imageId).padStart(4)}  ${r.detected ? `${r.detected.umPerPx.toPrecision(6)} µm/px from ${r.detected.vendor} (${r.detected.where} = ${r.detected.raw})` : 'no calibration in the file'}${r.applied ? '  applied' : ''}`);
              }
            }
          } else if (o.scaleBar !== undefined) {
            const b = parseScaleBar(o.scaleBar);
            await svc.call('calibration.set', { imageIds: ids, scaleBar: { x0: 0, y0: 0, x1: b.px, y1: 0, lengthUm: b.um } });
          } else {
            await svc.call('calibration.set', { imageIds: ids, umPerPx: o.clear ? null : length('--um-per-px', o.umPerPx!) });
          }
        }
        const cal = await svc.call('calibration.list', {});
        if (o.json) {
          console.log(JSON.stringify(cal, null, 2));
          return;
        }
        if (actions > 0 && o.detect) return;
        console.log(`project default: ${cal.projectDefault === null ? 'none' : `${cal.projectDefault} µm/px`}`);
        for (const c of cal.images) console.log(line(c));
      });
    });
}
