// `grainlab eval`: scores the classic engine on a labelled folder (images/ + labels/), e.g. the
// public sets in ../shared/data, with any classic setting the `segment` command takes, and prints
// a table; --json/--md write a report.
import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { readTextFile } from '../../fs/read';
import { MAX_SMALL_FILE_BYTES } from '../../../app/limits';
import { basename, resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import type { ClassicOptions } from '../../../app/contract';
import { PRESETS, type EvalPreset } from '../../eval/datasets';
import { evaluateClassic, formatSetScore } from '../../eval/evaluate';
import { addClassicFlags, classicFromFlags, type ClassicFlags } from '../classic-flags';
import { ProgressWriter } from '../common';
import { parsePresetFile } from '../../../app/presets';
import { runProjectEval, type ProjectEvalFlags } from './eval-project';

interface EvalFlags extends ClassicFlags {
  preset?: string;
  kind?: 'grains' | 'phases';
  labels?: 'index' | 'boundary';
  target?: string;
  score?: 'target' | 'classes';
  settings?: string;
  limit?: string;
  json?: string | boolean;
  md?: string;
}

function refuse(message: string): never {
  throw new ServiceError('invalid-argument', message);
}

/** The labelled set's description from the flags, refusing combinations that would score nonsense. */
export function evalPresetFromFlags(dir: string, o: EvalFlags, settingsFile: Partial<ClassicOptions> | null): EvalPreset {
  const name = o.preset ?? basename(resolve(dir));
  const known: EvalPreset | undefined = PRESETS[name];
  if (o.preset && o.kind && known && known.kind !== o.kind) {
    refuse(`--preset ${o.preset} is a ${known.kind} set; --kind ${o.kind} contradicts it. Leave one of them out.`);
  }
  if (!known && !o.kind) {
    refuse(`No preset for '${name}'. Pass --preset (${Object.keys(PRESETS).join(', ')}) or --kind grains|phases with --labels index|boundary.`);
  }
  const kind = o.kind ?? known!.kind;
  const labels = o.labels ?? (o.kind ? (kind === 'grains' ? 'boundary' : 'index') : known!.labels);
  if (kind === 'phases' && labels === 'boundary') {
    refuse('--labels boundary describes grain boundaries, which have no phases to score. Use --kind grains with boundary labels, or --labels index for a phase set.');
  }
  if (kind === 'grains') {
    if (o.target !== undefined) refuse('--target names the phase whose IoU is scored; grain sets are scored by ARI over all grains. Leave --target out.');
    if (o.score === 'classes') refuse('--score classes scores phase classes; grain sets are scored by ARI. Leave it out or use --kind phases.');
  }
  if (o.score === 'classes' && o.target !== undefined) refuse('--score classes scores every class; --target picks one. Use one of them.');
  const wantMode = kind === 'grains' ? 'grain' : 'phase';
  if (o.mode && o.mode !== wantMode) refuse(`--mode ${o.mode} segments ${o.mode === 'grain' ? 'grains' : 'phases'}, but the set is scored as ${kind}. Use --mode ${wantMode} or leave it out.`);
  if (settingsFile?.mode && settingsFile.mode !== wantMode) {
    refuse(`The settings in ${o.settings} are for ${settingsFile.mode} mode, but the set is scored as ${kind}.`);
  }
  // Settings: the set's own (preset), then a settings file, then the flags.
  const base: Partial<ClassicOptions> = { ...(known && known.kind === kind ? known.classic : { minArea: 16, invert: false }), ...(settingsFile ?? {}), mode: wantMode };
  const classic = classicFromFlags({ ...o, mode: wantMode }, base);
  const targetClasses = o.target !== undefined ? parseTarget(o.target) : (known?.targetClasses ?? [1]);
  return {
    name,
    kind,
    labels,
    classic,
    ...(kind === 'phases' ? { targetClasses, score: o.score ?? 'target' } : {}),
    ...(known && known.kind === kind && o.target === undefined && known.targetName ? { targetName: known.targetName } : {}),
    ...(known && known.kind === kind && known.reference ? { reference: known.reference } : {}),
  };
}

function parseTarget(s: string): number[] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length === 0 || v.some((x) => !Number.isInteger(x) || x < 0)) refuse(`--target needs comma-separated class values, e.g. 1,2 (got '${s}').`);
  return v;
}

export function registerEvalCommands(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score the classic engine on a labelled set (folder with images/ and labels/), with any classic setting `segment` takes; or, with --project, every available engine on the images a person verified in a project.')
    .argument('[dir]', 'labelled set, e.g. ../shared/data/uhcs')
    .option('--project <dir>', 'score every engine (classic with the project settings and presets, each SAM model with MatSAM and grid prompts) on the verified images of this project')
    .option('--engines <ids...>', '--project: only these engines (ids as the table shows them)')
    .option('--image <id...>', '--project: only these images')
    .option('--no-effort', '--project: skip the simulated correction effort (faster)')
    .option('--max-ops <n>', '--project: most simulated operations per image')
    .option('--sam <json>', '--project: SAM options for both prompt modes, as JSON')
    .option('--set-default [engine]', '--project: make this engine (or, with no value, the best of the evaluation) the project default')
    .option('-q, --quiet', 'no progress output')
    .addOption(new Option('--preset <name>', 'how the set is labelled and scored (default: from the folder name)').choices(Object.keys(PRESETS)))
    .addOption(new Option('--kind <kind>', 'for other folders: grains (ARI) or phases (IoU)').choices(['grains', 'phases']))
    .addOption(new Option('--labels <encoding>', 'for other folders: index map or boundary map').choices(['index', 'boundary']))
    .option('--target <classes>', 'phases: comma-separated truth classes of the target phase (default 1, or the preset\'s)')
    .addOption(new Option('--score <what>', 'phases: IoU of the target phase, or per-class and mean IoU over every truth class').choices(['target', 'classes']))
    .option('--settings <file>', 'classic settings from a JSON file (a preset exported by `grainlab presets export`, FILE#NAME picks one)')
    .option('--limit <n>', 'only the first n images')
    .option('--json [file]', 'write all per-image scores as JSON (no file: print the JSON instead of the table)')
    .option('--md <file>', 'write a Markdown summary');
  addClassicFlags(cmd, '').action(async (dirArg: string | undefined, o: EvalFlags & ProjectEvalFlags & { project?: string }) => {
    if (o.project) {
      if (dirArg) refuse(`Give either a labelled folder (${dirArg}) or --project, not both.`);
      return runProjectEval(o.project, o);
    }
    if (!dirArg) refuse('Give a labelled folder (images/ + labels/) to score the classic engine on, or --project <dir> to score every engine on a project\'s verified images.');
    const dir = dirArg;
    const settingsFile = o.settings ? await readSettingsFile(o.settings) : null;
    const preset = evalPresetFromFlags(dir, o, settingsFile);
    const limit = o.limit === undefined ? undefined : Number(o.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) refuse(`--limit must be a whole number of at least 1 (got '${o.limit}').`);
    const progress = new ProgressWriter();
    const metricName = preset.kind === 'grains' ? 'ARI' : preset.score === 'classes' ? 'mean IoU' : 'IoU';
    const score = await evaluateClassic(dir, preset, {
      ...(limit ? { limit } : {}),
      onImage: (s, i, n) => progress.update(`${i + 1}/${n} ${s.stem}: ${metricName} ${s.primary.toFixed(3)}`),
    });
    progress.end();
    if (score.images.length === 0) throw new ServiceError('not-found', `No image/label pairs found in ${dir}.`, dir);
    console.log(formatSetScore(score));
    const edges = score.images.filter((s) => s.boundaryStyle === 'edges').length;
    if (preset.kind === 'grains' && preset.classic.invert && edges > 0) {
      // Shade edges are intensity steps; their magnitude is the same either way up, so --invert has no say there.
      process.stderr.write(
        `note: with --invert the automatic boundary style found no bright line network on ${edges} of ${score.images.length} image(s) and used shade edges, where polarity plays no part (--invert only chooses between dark and bright boundary lines). If the boundaries are bright lines, pass --boundary-style lines.\n`,
      );
    }
    if (o.json === true) console.log(JSON.stringify(score, null, 2));
    else if (o.json) await writeFile(o.json, JSON.stringify(score, null, 2));
    if (o.md) await writeFile(o.md, `# GrainLab eval: ${score.set}\n\n\`\`\`\n${formatSetScore(score)}\n\`\`\`\n`);
  });
}

async function readSettingsFile(spec: string): Promise<Partial<ClassicOptions>> {
  const hash = spec.lastIndexOf('#');
  const file = resolve(hash > 0 ? spec.slice(0, hash) : spec);
  const name = hash > 0 ? spec.slice(hash + 1) : undefined;
  let text: string;
  try {
    text = await readTextFile(file, { what: 'settings file', maxBytes: MAX_SMALL_FILE_BYTES });
  } catch {
    throw new ServiceError('not-found', `${file}: cannot read the settings file. Check the path.`, file);
  }
  const presets = parsePresetFile(text, file);
  if (name !== undefined) {
    const p = presets.find((x) => x.name === name);
    if (!p) refuse(`${file} has no preset named '${name}' (it has: ${presets.map((x) => x.name).join(', ')}).`);
    return p.settings;
  }
  if (presets.length !== 1) refuse(`${file} holds ${presets.length} presets; pick one with ${file}#NAME.`);
  return presets[0]!.settings;
}
