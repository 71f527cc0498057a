// `grainlab eval`: scores the classic engine on a labelled folder (images/ + labels/), e.g. the
// public sets in ../shared/data, and prints a table; --json/--md write a report.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import { PRESETS, type EvalPreset } from '../../eval/datasets';
import { evaluateClassic, formatSetScore } from '../../eval/evaluate';

export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description('Score the classic engine on a labelled set (folder with images/ and labels/).')
    .argument('<dir>', 'labelled set, e.g. ../shared/data/uhcs')
    .addOption(new Option('--preset <name>', 'how the set is labelled and scored (default: from the folder name)').choices(Object.keys(PRESETS)))
    .addOption(new Option('--kind <kind>', 'for other folders: grains (ARI) or phases (IoU)').choices(['grains', 'phases']))
    .addOption(new Option('--labels <encoding>', 'for other folders: index map or boundary map').choices(['index', 'boundary']))
    .option('--target <classes>', 'phases: comma-separated truth classes of the target phase', '1')
    .option('--invert', 'objects are darker than the background')
    .option('--limit <n>', 'only the first n images')
    .option('--json <file>', 'write all per-image scores as JSON')
    .option('--md <file>', 'write a Markdown summary')
    .action(async (dir: string, o: { preset?: string; kind?: 'grains' | 'phases'; labels?: 'index' | 'boundary'; target: string; invert?: boolean; limit?: string; json?: string; md?: string }) => {
      const name = o.preset ?? basename(resolve(dir));
      let preset: EvalPreset | undefined = PRESETS[name];
      if (!preset || o.kind) {
        if (!o.kind) throw new ServiceError('invalid-argument', `No preset for '${name}'. Pass --preset (${Object.keys(PRESETS).join(', ')}) or --kind grains|phases with --labels index|boundary.`);
        preset = {
          name,
          kind: o.kind,
          labels: o.labels ?? (o.kind === 'grains' ? 'boundary' : 'index'),
          classic: { mode: o.kind === 'grains' ? 'grain' : 'phase', minArea: 16, invert: !!o.invert },
          targetClasses: o.target.split(',').map(Number),
        };
      } else if (o.invert) preset = { ...preset, classic: { ...preset.classic, invert: true } };
      const score = await evaluateClassic(dir, preset, {
        ...(o.limit ? { limit: Number(o.limit) } : {}),
        onImage: (s, i, n) => process.stderr.write(`\r\x1b[K${i + 1}/${n} ${s.stem}: ${preset!.kind === 'grains' ? 'ARI' : 'IoU'} ${s.primary.toFixed(3)}`),
      });
      process.stderr.write('\n');
      if (score.images.length === 0) throw new ServiceError('not-found', `No image/label pairs found in ${dir}.`, dir);
      console.log(formatSetScore(score));
      if (o.json) await writeFile(o.json, JSON.stringify(score, null, 2));
      if (o.md) await writeFile(o.md, `# GrainLab eval: ${score.set}\n\n\`\`\`\n${formatSetScore(score)}\n\`\`\`\n`);
    });
}
