// The crash test: a child process works on a project through the service and is killed with
// SIGKILL at random moments, again and again (during edits, segmentation writes, imports, exports
// and migrations). After every kill the project must open, pass PRAGMA integrity_check, hold every
// step the child acknowledged, and contain no half-written image or dataset and no image file
// without its row.
// Run alone: node --import tsx test/crash/run.ts [--kills 200] [--seed 1]   (after npm run build)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import sharp from 'sharp';
import { seededRandom } from '../../app/random';
import { GrainLabService } from '../../main/service';
import { EditStore } from '../../main/store/edits';
import { ProjectStore, migrate } from '../../main/store/project-store';
import { latestVersion } from '../../main/store/migrations';

const root = resolve(import.meta.dirname, '..', '..');
export const PHASES = ['edits', 'segment', 'import', 'export', 'migration'] as const;
export type Phase = (typeof PHASES)[number];

export interface CrashReport {
  kills: number;
  perPhase: Record<Phase, { kills: number; acknowledged: number }>;
  /** Acknowledged steps found again after the kill (edits, segmentations, imports, exports, migrations). */
  checked: { edits: number; segmentations: number; imports: number; exports: number; migrations: number };
  integrityChecks: number;
  /** Hidden staging folders of killed exports left beside their destination (never a dataset). */
  stagingLeftovers: number;
  failures: string[];
  seconds: number;
}

/** Bundles the child once into dist/node (next to the built segmentation worker it starts). */
async function bundleChild(): Promise<string> {
  const out = join(root, 'dist', 'node', 'crash-child.js');
  if (!existsSync(join(root, 'dist', 'node', 'segment.worker.js'))) throw new Error('Run `npm run build` first: the crash test starts the built worker.');
  await build({ entryPoints: [join(root, 'test', 'crash', 'child.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', format: 'esm', outfile: out, logLevel: 'warning' });
  return out;
}

async function png(seed: number, size = 96): Promise<Uint8Array> {
  const r = seededRandom(seed);
  const px = Uint8Array.from({ length: size * size }, (_, i) => ((i % size) / size > r() * 0.2 + 0.4 ? 190 : 50) + r() * 20);
  return new Uint8Array(await sharp(px, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer());
}

/** Rows in the v1 project, so its migration (backup copy, table rewrites) takes long enough to be hit. */
const V1_SEGMENTS = 30_000;

function makeV1Project(dir: string): void {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  migrate(db, file, 1);
  const ins = db.prepare(`INSERT INTO segments (image_id, id, source, area, bbox_x, bbox_y, bbox_w, bbox_h) VALUES (1, ?, 'auto', 5, 0, 0, 2, 3)`);
  db.prepare(`INSERT INTO images (name, file, hash, width, height, channels, bit_depth) VALUES ('a.png', 'images/a.png', 'h1', 10, 8, 1, 8)`).run();
  db.transaction(() => {
    for (let i = 1; i <= V1_SEGMENTS; i++) ins.run(i);
  })();
  db.close();
}

function integrityOk(db: Database.Database): boolean {
  return (db.pragma('integrity_check', { simple: true }) as string) === 'ok';
}

interface ChildRun {
  acks: string[];
  errors: string[];
  killed: boolean;
}

async function runChild(bundle: string, args: string[], delayMs: number): Promise<ChildRun> {
  const proc = spawn(process.execPath, [bundle, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: string[] = [];
  const errors: string[] = [];
  let killed = false;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  const lines = createInterface({ input: proc.stdout! });
  let timer: NodeJS.Timeout | null = null;
  const kill = () => {
    killed = true;
    proc.kill('SIGKILL');
  };
  const safety = setTimeout(kill, 30_000);
  for await (const line of lines) {
    if (line === 'ready') timer = setTimeout(kill, delayMs);
    else if (line.startsWith('ack ')) acks.push(line.slice(4));
    else if (line.startsWith('error ')) errors.push(line.slice(6));
  }
  await exited;
  if (timer) clearTimeout(timer);
  clearTimeout(safety);
  if (!killed && errors.length === 0 && !acks.includes('migrated')) errors.push(`the child ended by itself${stderr ? `: ${stderr.slice(-300)}` : ''}`);
  return { acks, errors, killed };
}

export async function runCrashTest(options: { kills?: number; seed?: number; log?: (s: string) => void } = {}): Promise<CrashReport> {
  const kills = options.kills ?? 200;
  const rand = seededRandom(options.seed ?? 1);
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  const bundle = await bundleChild();
  const base = mkdtempSync(join(tmpdir(), 'gl-crash-'));
  const dir = join(base, 'project');
  const exportRoot = join(base, 'exports');
  mkdirSync(exportRoot);
  const svc = new GrainLabService({ userDataDir: join(base, 'user'), binding: 'web' });
  await svc.call('project.create', { path: dir, name: 'crash test' });
  const files = await Promise.all([1, 2, 3].map(async (k) => ({ name: `start-${k}.png`, bytes: await png(k) })));
  await svc.call('images.importFiles', { files });
  const { jobId } = await svc.call('segment.auto', { imageIds: (await svc.call('images.list', {})).map((i) => i.id) });
  await new Promise<void>((res) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        res();
      }
    });
  });
  await svc.dispose();

  const report: CrashReport = {
    kills: 0,
    perPhase: Object.fromEntries(PHASES.map((p) => [p, { kills: 0, acknowledged: 0 }])) as CrashReport['perPhase'],
    checked: { edits: 0, segmentations: 0, imports: 0, exports: 0, migrations: 0 },
    integrityChecks: 0,
    stagingLeftovers: 0,
    failures: [],
    seconds: 0,
  };
  const ackedExports: string[] = [];
  // Until `kills` kills happened (a migration may finish before its kill moment; then it is checked but not counted).
  for (let i = 0; report.kills < kills && i < kills * 2; i++) {
    const phase = PHASES[i % PHASES.length]!;
    const v1 = join(base, `v1-${i}`);
    if (phase === 'migration') makeV1Project(v1);
    // Kill points spread over the first second of work, where every phase is mid-write.
    const delay = phase === 'migration' ? Math.round(rand() * 60) : Math.round(5 + rand() * 900);
    const run = await runChild(bundle, [dir, phase, String(i + 1), exportRoot, v1], delay);
    report.kills += run.killed ? 1 : 0;
    report.perPhase[phase].kills += run.killed ? 1 : 0;
    report.perPhase[phase].acknowledged += run.acks.length;
    for (const e of run.errors) report.failures.push(`kill ${i} (${phase}): child error: ${e}`);
    const fail = (what: string) => report.failures.push(`kill ${i} (${phase}, after ${delay} ms): ${what}`);

    if (phase === 'migration') {
      // The half-migrated (or untouched, or finished) v1 project opens and migrates, with its data.
      try {
        const store = ProjectStore.open(v1);
        report.integrityChecks++;
        if (!integrityOk(store.db)) fail('integrity_check failed on the migrated project');
        if (store.schemaVersion !== latestVersion) fail(`schema v${store.schemaVersion} after reopening`);
        const n = (store.db.prepare('SELECT count(*) AS n FROM segments').get() as { n: number }).n;
        if (n !== V1_SEGMENTS) fail(`${n} of ${V1_SEGMENTS} segment rows after the migration`);
        store.close();
        if (run.acks.includes('migrated')) report.checked.migrations++;
      } catch (e) {
        fail(`the v1 project does not open: ${(e as Error).message}`);
      }
      continue;
    }

    let store: ProjectStore;
    try {
      store = ProjectStore.open(dir);
    } catch (e) {
      fail(`the project does not open: ${(e as Error).message}`);
      break;
    }
    try {
      report.integrityChecks++;
      if (!integrityOk(store.db)) fail('integrity_check failed');
      const edits = new EditStore(store);
      for (const a of run.acks) {
        const [kind, x, y] = a.split(' ');
        if (kind === 'edit') {
          const row = store.db.prepare('SELECT undone FROM edit_log WHERE seq = ? AND image_id = ?').get(Number(y), Number(x)) as { undone: number } | undefined;
          // Beyond the undo history limit, old entries are dropped once a checkpoint contains them.
          const seg = store.db.prepare('SELECT checkpoint_seq, base_seq FROM segmentations WHERE image_id = ?').get(Number(x)) as { checkpoint_seq: number; base_seq: number } | undefined;
          const inCheckpoint = !row && seg !== undefined && Number(y) <= seg.base_seq && Number(y) <= seg.checkpoint_seq;
          if (!inCheckpoint && (!row || row.undone !== 0)) fail(`acknowledged edit ${y} of image ${x} is missing`);
          else report.checked.edits++;
        } else if (kind === 'segment') {
          for (const id of x!.split(',').map(Number)) {
            if (!store.db.prepare('SELECT 1 FROM segmentations WHERE image_id = ?').get(id)) fail(`acknowledged segmentation of image ${id} is missing`);
            else report.checked.segmentations++;
          }
        } else if (kind === 'import') {
          if (!store.db.prepare('SELECT 1 FROM images WHERE id = ?').get(Number(x))) fail(`acknowledged import ${x} is missing`);
          else report.checked.imports++;
        } else if (kind === 'export') {
          ackedExports.push(x!);
        }
      }
      // Every image row points to a complete file, and every edited map replays from its log.
      for (const im of store.listImages()) {
        const abs = join(dir, im.file);
        if (!existsSync(abs) || statSync(abs).size === 0) fail(`image ${im.id} has no file (${im.file})`);
        else {
          const meta = await sharp(abs).metadata().catch(() => null);
          if (!meta || meta.width !== im.width) fail(`image file ${im.file} is damaged`);
        }
        try {
          await edits.current(im.id);
        } catch (e) {
          fail(`the label map of image ${im.id} does not load: ${(e as Error).message}`);
        }
      }
      for (const f of readdirSync(join(dir, 'images'))) if (f.endsWith('.part')) fail(`half-written image ${f} left under images/`);
      // An import killed between writing its file and committing its row leaves a file that opening removes.
      const rowFiles = new Set(store.listImages().map((im) => im.file.replace(/^images\//, '')));
      for (const f of readdirSync(join(dir, 'images'))) if (!rowFiles.has(f)) fail(`image file ${f} has no row (orphan of a killed import)`);
      // A dataset folder is complete or absent.
      for (const f of readdirSync(exportRoot)) {
        if (f.startsWith('.')) {
          report.stagingLeftovers++;
          continue;
        }
        if (!existsSync(join(exportRoot, f, 'dataset-card.json'))) fail(`dataset ${f} is half-written`);
      }
      for (const d of ackedExports.splice(0)) {
        if (!existsSync(join(d, 'dataset-card.json'))) fail(`acknowledged export ${d} is missing`);
        else report.checked.exports++;
      }
    } finally {
      store.close();
    }
    if ((i + 1) % 25 === 0) log(`${report.kills} kills, ${report.failures.length} failures`);
  }
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(n);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const r = await runCrashTest({ kills: arg('--kills') ?? 200, seed: arg('--seed') ?? 1, log: (s) => console.error(s) });
  console.log(JSON.stringify(r, null, 2));
  process.exitCode = r.failures.length ? 1 : 0;
}
