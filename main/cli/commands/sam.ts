// CLI commands for SAM models and the runtime: `grainlab models list | fetch | import | verify | remove`
// (custom models with `models import --custom`) and `grainlab doctor` (execution provider in use and
// why, models found with their family, versions).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SamFamily } from '../../../app/contract/sam';
import { ServiceError } from '../../../app/errors';
import { appRoot } from '../../paths';
import { loadCatalog, modelSearchDirs, type ModelCatalog } from '../../sam/catalog';
import { importCustomModel, removeModel } from '../../sam/custom-models';
import { SamEngine } from '../../sam/engine';
import { inspectFamily } from '../../sam/inspect';
import { fetchModel, importModel } from '../../sam/install';
import { defaultUserModelsDir, listModels, resolveModelPaths, verifyInstalled, verifyModel, type ModelStatus } from '../../sam/models';
import { doctor } from '../../sam/providers';
import { FAMILY_NAMES } from '../../sam/signature';
import { ProgressWriter, VERSION, withProject } from '../common';

function catalogFor(project: string | undefined): ModelCatalog {
  const dir = project === undefined ? null : resolve(project);
  return loadCatalog(modelSearchDirs(dir, appRoot(), defaultUserModelsDir()), dir);
}

function mib(bytes: number | null): string {
  return bytes === null ? '?' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function describeModel(m: ModelStatus): string {
  const state = m.installed ? 'installed' : m.files.some((f) => f.path !== null) ? 'partial' : 'not installed';
  const custom = m.custom === null ? '' : ` — custom${m.custom.derivedFrom ? `, derived from ${m.custom.derivedFrom}` : ''}, imported ${m.custom.importedAt.slice(0, 10)}`;
  const lines = [`${m.id.padEnd(24)} ${state.padEnd(13)} ${FAMILY_NAMES[m.family].padEnd(18)} ${m.name}${custom}`];
  for (const f of m.files) lines.push(`    ${f.role.padEnd(7)} ${f.file}  ${f.path === null ? f.expectedBytes === null ? 'missing' : `missing (${mib(f.expectedBytes)})` : `${f.path} (${mib(f.bytes)})`}`);
  return lines.join('\n');
}

function progressLine(quiet: boolean) {
  const w = new ProgressWriter(process.stderr, quiet);
  return (p: { file: string; received: number; total: number | null }) => {
    const line = `${p.file}: ${mib(p.received)}${p.total ? ` of ${mib(p.total)} (${Math.floor((100 * p.received) / p.total)}%)` : ''}`;
    const done = p.total === null || p.received === p.total;
    w.update(line, done);
    if (done) w.end();
  };
}

/** A dependency's version from its package.json (found upwards from its entry point; `exports` may hide it). */
function packageVersion(name: string): string {
  try {
    const req = createRequire(import.meta.url);
    let dir = dirname(req.resolve(name));
    for (let i = 0; i < 6; i++) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
      dir = dirname(dir);
    }
  } catch {
    // Reported as unknown below.
  }
  return 'unknown';
}

export function registerSamCommands(program: Command): void {
  const models = program.command('models').description('SAM model files: list, download, import from a folder or USB stick, verify.');

  models
    .command('list')
    .description('List the known SAM models and where their files were found.')
    .option('--project <dir>', "also search the project's models/ folder")
    .option('--json', 'machine-readable output')
    .action((o: { project?: string; json?: boolean }) => {
      const c = catalogFor(o.project);
      const list = listModels(c.manifest, c.dirs);
      if (o.json) {
        console.log(JSON.stringify({ dirs: c.dirs, models: list, problems: c.problems }, null, 2));
        return;
      }
      console.log(`Model folders searched, in order: ${c.dirs.join(', ')}`);
      for (const m of list) console.log(describeModel(m));
      for (const p of c.problems) console.error(`warning: ${p}`);
      if (!list.some((m) => m.installed)) console.log('No SAM model installed: `grainlab models fetch sam-vit-b-quant` (internet) or `grainlab models import <id> <files...>`.');
    });

  models
    .command('fetch')
    .description('Download a model (needs internet); files are checked against the manifest before they are installed.')
    .argument('<id>', 'model id (see `grainlab models list`)')
    .option('--dest <dir>', 'folder to install into (default: the user models folder)')
    .option('--project <dir>', "install into the project's models/ folder")
    .option('-q, --quiet', 'no progress output')
    .action(async (id: string, o: { dest?: string; project?: string; quiet?: boolean }) => {
      const c = catalogFor(o.project);
      const destDir = o.dest ?? (o.project ? join(resolve(o.project), 'models') : defaultUserModelsDir());
      const files = await fetchModel(c.manifest, id, { destDir, dirs: [destDir, ...c.dirs], onProgress: progressLine(!!o.quiet), inspect: inspectFamily });
      for (const f of files) console.log(`${f.copied ? 'downloaded' : 'present   '} ${f.role} ${f.path}`);
    });

  models
    .command('import')
    .description(
      'Install a model from files on disk (e.g. a USB stick): `import <id> <files...>` for a model of the list (matched by name or checksum, checked, then copied); ' +
        '`import --custom <name> <encoder.onnx> <decoder.onnx>` for a model of your own (any encoder/decoder pair of a family GrainLab recognises).',
    )
    .argument('<args...>', '<id> <files...>, or with --custom: <encoder.onnx> <decoder.onnx>')
    .option('--custom <name>', 'import your own model under this name (its id is made from it)')
    .option('--derived-from <model>', 'with --custom: what it was fine-tuned or derived from (a model id or a few words)')
    .option('--dest <dir>', 'folder to install into (default: the user models folder)')
    .option('--project <dir>', "install into the project's models/ folder")
    .action(async (args: string[], o: { custom?: string; derivedFrom?: string; dest?: string; project?: string }) => {
      const c = catalogFor(o.project);
      const destDir = o.dest ?? (o.project ? join(resolve(o.project), 'models') : defaultUserModelsDir());
      if (o.custom !== undefined) {
        if (args.length !== 2) throw new ServiceError('invalid-argument', `models import --custom takes two files, the encoder and the decoder (got ${args.length}).`);
        const r = await importCustomModel({
          name: o.custom,
          encoder: args[0]!,
          decoder: args[1]!,
          ...(o.derivedFrom !== undefined ? { derivedFrom: o.derivedFrom } : {}),
          destDir,
          known: c.manifest,
          inspect: inspectFamily,
        });
        console.log(`imported ${r.entry.id} (${FAMILY_NAMES[r.entry.family]}${r.entry.custom?.derivedFrom ? `, derived from ${r.entry.custom.derivedFrom}` : ''}) into ${destDir}`);
        for (const f of r.files) console.log(`installed ${f.role} ${f.path}`);
        return;
      }
      if (o.derivedFrom !== undefined) throw new ServiceError('invalid-argument', '--derived-from goes with --custom <name>.');
      const [id, ...files] = args;
      if (files.length === 0) throw new ServiceError('invalid-argument', `Give the model files after the id: grainlab models import ${id} <files...>.`);
      const out = await importModel(c.manifest, id!, files.map((f) => resolve(f)), { destDir, dirs: [destDir, ...c.dirs], inspect: inspectFamily });
      for (const f of out) console.log(`${f.copied ? 'installed' : 'present  '} ${f.role} ${f.path}`);
    });

  models
    .command('remove')
    .description("Remove a model: a custom one leaves its folder's manifest and its files are deleted; a listed one has its files deleted from the user (or project) models folder. Files another model uses stay.")
    .argument('<id>', 'model id (see `grainlab models list`)')
    .option('--dest <dir>', 'for a listed model: the folder to delete its files from (default: the user models folder)')
    .option('--project <dir>', "also look in the project's models/ folder (and delete a listed model's files there)")
    .action(async (id: string, o: { dest?: string; project?: string }) => {
      const c = catalogFor(o.project);
      const destDir = o.dest ?? (o.project ? join(resolve(o.project), 'models') : defaultUserModelsDir());
      const r = await removeModel(c, id, destDir);
      for (const f of r.deleted) console.log(`deleted ${f}`);
      for (const f of r.kept) console.log(`kept    ${f} (another model uses it)`);
      if (r.manifest !== null) console.log(`removed ${id} from ${r.manifest}`);
    });

  models
    .command('verify')
    .description('Check installed model files against the manifest (sha256, git blob id, recorded checksum or size). Exit 1 when one fails.')
    .argument('[id]', 'one model (default: every model with files present)')
    .option('--project <dir>', "also check the project's models/ folder")
    .action(async (id: string | undefined, o: { project?: string }) => {
      const c = catalogFor(o.project);
      const results = id === undefined ? await verifyInstalled(c.manifest, c.dirs) : [await verifyModel(c.manifest, id, c.dirs)];
      if (results.length === 0) {
        console.log(`No model files found in ${c.dirs.join(', ')}.`);
        return;
      }
      for (const r of results) {
        console.log(`${r.id}: ${r.ok ? 'ok' : 'FAILED'}`);
        for (const f of r.files) console.log(`    ${f.role.padEnd(7)} ${f.file}  ${f.ok ? `ok (${f.method})` : `${f.problem}${f.path ? ` (${f.path})` : ''}`}`);
      }
      const bad = results.filter((r) => !r.ok);
      if (bad.length > 0) {
        throw new ServiceError('model', `${bad.map((r) => r.id).join(', ')} failed verification. Fetch or import ${bad.length === 1 ? 'it' : 'them'} again (grainlab models fetch <id> / import <id> <files>).`);
      }
    });

  program
    .command('doctor')
    .description('Show which execution provider SAM uses here and why, the models found, and versions.')
    .option('--project <dir>', "include the project's models/ folder and its active model")
    .option('--load', 'also load the active model and report its encoder convention and providers')
    .option('--json', 'machine-readable output')
    .action(async (o: { project?: string; load?: boolean; json?: boolean }) => {
      const report = await doctor();
      const c = catalogFor(o.project);
      const list = listModels(c.manifest, c.dirs);
      let active: string | null = list.find((m) => m.installed)?.id ?? null;
      if (o.project) active = await withProject(o.project, async (svc) => (await svc.call('sam.status', {})).active);
      let loaded: { family: SamFamily; convention: string; encoder: string; decoder: string } | { error: string } | null = null;
      if (o.load && active !== null) {
        try {
          const engine = await SamEngine.load(resolveModelPaths(c.manifest, active, c.dirs));
          const d = engine.doctor();
          loaded = { family: engine.info.family, convention: engine.info.encoder.convention, encoder: d.encoder.reason, decoder: d.decoder.reason };
          await engine.dispose();
        } catch (e) {
          loaded = { error: (e as Error).message };
        }
      }
      const versions = {
        grainlab: VERSION,
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        onnxruntime: report.onnxruntime,
        'onnxruntime-node': packageVersion('onnxruntime-node'),
        'better-sqlite3': packageVersion('better-sqlite3'),
        sharp: packageVersion('sharp'),
      };
      if (o.json) {
        console.log(JSON.stringify({ versions, platform: `${report.platform} ${report.arch}`, provider: report.choice, order: report.order, backends: report.backends, dirs: c.dirs, models: list, active, loaded }, null, 2));
        return;
      }
      console.log(`GrainLab ${VERSION} on ${report.platform} ${report.arch}, Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}`);
      console.log(`onnxruntime ${report.onnxruntime} (onnxruntime-node ${versions['onnxruntime-node']}); backends: ${report.backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`);
      console.log(`Providers tried in order: ${report.order.join(' -> ')}`);
      console.log(`Execution provider: ${report.choice.provider} (${report.choice.reason})`);
      console.log(`Model folders: ${c.dirs.join(', ')}`);
      const installed = list.filter((m) => m.installed);
      console.log(
        installed.length > 0
          ? `Models installed: ${installed.map((m) => `${m.id} (${FAMILY_NAMES[m.family]}${m.custom !== null ? ', custom' : ''})`).join(', ')}`
          : 'Models installed: none (segmentation uses the classic engine; see `grainlab models fetch|import`)',
      );
      console.log(`Active model: ${active ?? 'none'}`);
      if (loaded !== null) {
        if ('error' in loaded) console.log(`Loading ${active} failed: ${loaded.error}`);
        else console.log(`Loaded ${active}: ${FAMILY_NAMES[loaded.family]}, encoder convention ${loaded.convention}; encoder on ${loaded.encoder}; decoder on ${loaded.decoder}`);
      }
      console.log(`Versions: better-sqlite3 ${versions['better-sqlite3']}, sharp ${versions.sharp}`);
    });
}
