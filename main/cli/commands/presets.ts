// `grainlab presets`: named classic-engine settings saved in a project (list, save, delete) and
// moved between projects as JSON (export, import). `grainlab segment --preset NAME` uses one.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { readTextFile } from '../../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../../app/limits';
import { resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import type { SegmentationPreset } from '../../../app/contract/presets';
import { withProject } from '../common';
import { addClassicFlags, classicFromFlags, type ClassicFlags } from '../classic-flags';

function describePreset(p: SegmentationPreset): string {
  const s = p.settings;
  const extra = Object.entries(s)
    .filter(([k]) => !['mode', 'minArea', 'invert'].includes(k))
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${p.name.padEnd(24)} ${s.mode} min-area ${s.minArea}${s.invert ? ' invert' : ''}${extra.length ? ' ' + extra.join(' ') : ''}${p.description ? `  — ${p.description}` : ''}`;
}

export function registerPresetCommands(program: Command): void {
  const presets = program.command('presets').description('Named segmentation settings saved in a project; export/import them as JSON.');

  presets
    .command('list', { isDefault: true })
    .description('List the presets of a project.')
    .argument('<dir>', 'project folder')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { json?: boolean }) => {
      await withProject(dir, async (svc) => {
        const list = await svc.call('presets.list', {});
        if (o.json) console.log(JSON.stringify(list, null, 2));
        else if (list.length === 0) console.log('No presets. Save one with: grainlab presets save <dir> <name> --mode grain ...');
        else for (const p of list) console.log(describePreset(p));
      });
    });

  const save = presets
    .command('save')
    .description('Save (or replace) a preset from classic-engine flags.')
    .argument('<dir>', 'project folder')
    .argument('<name>', 'preset name, e.g. "UHCS 5kx BSE"')
    .option('--description <text>', 'what the preset is for');
  addClassicFlags(save, '').action(async (dir: string, name: string, o: ClassicFlags & { description?: string }) => {
    const settings = classicFromFlags(o);
    await withProject(dir, async (svc) => {
      const p = await svc.call('presets.save', { name, description: o.description ?? '', settings });
      console.log(`saved ${describePreset(p)}`);
    });
  });

  presets
    .command('delete')
    .description('Delete a preset.')
    .argument('<dir>', 'project folder')
    .argument('<name>', 'preset name')
    .action(async (dir: string, name: string) => {
      await withProject(dir, async (svc) => {
        if (!(await svc.call('presets.delete', { name }))) throw new ServiceError('not-found', `No preset named '${name}' in ${dir}.`);
        console.log(`deleted ${name}`);
      });
    });

  presets
    .command('export')
    .description('Write presets to a JSON file (all, or those named with --name).')
    .argument('<dir>', 'project folder')
    .argument('<file>', 'JSON file to write')
    .option('--name <name...>', 'only these presets')
    .action(async (dir: string, file: string, o: { name?: string[] }) => {
      await withProject(dir, async (svc) => {
        const { json } = await svc.call('presets.export', o.name ? { names: o.name } : {});
        await writeFile(resolve(file), json);
        console.log(`wrote ${(JSON.parse(json) as { presets: unknown[] }).presets.length} preset(s) to ${resolve(file)}`);
      });
    });

  presets
    .command('import')
    .description('Read presets from a JSON file (an export, one preset, or bare settings with --name).')
    .argument('<dir>', 'project folder')
    .argument('<file>', 'JSON file')
    .addOption(new Option('--if-exists <what>', 'a preset of the same name exists').choices(['replace', 'skip', 'rename']).default('rename'))
    .option('--name <name>', 'name for a file that holds bare settings')
    .action(async (dir: string, file: string, o: { ifExists: 'replace' | 'skip' | 'rename'; name?: string }) => {
      const abs = resolve(file);
      let json: string;
      try {
        json = await readTextFile(abs, { what: 'presets file', maxBytes: MAX_SMALL_FILE_BYTES });
      } catch {
        throw new ServiceError('not-found', `${abs}: cannot read the presets file. Check the path.`, abs);
      }
      await withProject(dir, async (svc) => {
        let r;
        try {
          r = await svc.call('presets.import', { json, ifExists: o.ifExists, ...(o.name ? { name: o.name } : {}) });
        } catch (e) {
          throw new ServiceError('invalid-argument', `${abs}: ${(e as Error).message.replace(/^The presets file:? ?/, '')}`, abs);
        }
        for (const n of r.imported) console.log(`imported ${n}`);
        for (const n of r.skipped) console.log(`skipped  ${n} (exists)`);
      });
    });
}
