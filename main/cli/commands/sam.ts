// CLI commands for SAM models and the runtime: `grainlab models list | fetch | import | verify` and
// `grainlab doctor` (execution provider in use and why, models found, versions).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ServiceError } from '../../../app/errors';
import { appRoot } from '../../paths';
import { loadCatalog, modelSearchDirs, type ModelCatalog } from '../../sam/catalog';
import { defaultUserModelsDir, fetchModel, importModel, listModels, resolveModelPaths, verifyInstalled, type ModelStatus } from '../../sam/models';
import { doctor } from '../../sam/providers';
import { SamEngine } from '../../sam/engine';
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
  const lines = [`${m.id.padEnd(18)} ${state.padEnd(13)} ${m.name}`];
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
      const files = await fetchModel(c.manifest, id, { destDir, dirs: [destDir, ...c.dirs], onProgress: progressLine(!!o.quiet) });
      if (process.stderr.isTTY && !o.quiet) process.stderr.write('\n');
      for (const f of files) console.log(`${f.copied ? 'downloaded' : 'present   '} ${f.role} ${f.path}`);
    });

  models
    .command('import')
    .description('Install a model from files on disk (e.g. a USB stick); matched by name or checksum, checked, then copied.')
    .argument('<id>', 'model id (see `grainlab models list`)')
    .argument('<files...>', 'the model files (.onnx)')
    .option('--dest <dir>', 'folder to install into (default: the user models folder)')
    .option('--project <dir>', "install into the project's models/ folder")
    .action(async (id: string, files: string[], o: { dest?: string; project?: string }) => {
      const c = catalogFor(o.project);
      const destDir = o.dest ?? (o.project ? join(resolve(o.project), 'models') : defaultUserModelsDir());
      const out = await importModel(c.manifest, id, files.map((f) => resolve(f)), { destDir, dirs: [destDir, ...c.dirs] });
      for (const f of out) console.log(`${f.copied ? 'installed' : 'present  '} ${f.role} ${f.path}`);
    });

  models
    .command('verify')
    .description('Check installed model files against the manifest (sha256 or size). Exit 1 when one fails.')
    .option('--project <dir>', "also check the project's models/ folder")
    .action(async (o: { project?: string }) => {
      const c = catalogFor(o.project);
      const results = await verifyInstalled(c.manifest, c.dirs);
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
      let loaded: { convention: string; encoder: string; decoder: string } | { error: string } | null = null;
      if (o.load && active !== null) {
        try {
          const engine = await SamEngine.load(resolveModelPaths(c.manifest, active, c.dirs));
          const d = engine.doctor();
          loaded = { convention: engine.info.encoder.convention, encoder: d.encoder.reason, decoder: d.decoder.reason };
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
      console.log(installed.length > 0 ? `Models installed: ${installed.map((m) => m.id).join(', ')}` : 'Models installed: none (segmentation uses the classic engine; see `grainlab models fetch|import`)');
      console.log(`Active model: ${active ?? 'none'}`);
      if (loaded !== null) {
        if ('error' in loaded) console.log(`Loading ${active} failed: ${loaded.error}`);
        else console.log(`Loaded ${active}: encoder convention ${loaded.convention}; encoder on ${loaded.encoder}; decoder on ${loaded.decoder}`);
      }
      console.log(`Versions: better-sqlite3 ${versions['better-sqlite3']}, sharp ${versions.sharp}`);
    });
}
