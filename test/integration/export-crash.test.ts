// A process killed (SIGKILL) in the middle of an export leaves no partial dataset: the destination
// is absent (or, killed after the final rename, complete); its staging folder is recognisable by
// name and the next export removes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stagingPattern } from '../../main/export/staging';
import { makeProject, newService, runToEnd, tempDir, voronoi } from './export-kit';

const ROOT = join(import.meta.dirname, '..', '..');
const IMAGES = 16;

function countFiles(dir: string): number {
  try {
    return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { isFile(): boolean }[]).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

/** Runs an export in a child process and SIGKILLs it once its staging folder holds `killAfterFiles` files. */
async function exportAndKill(project: string, dest: string, killAfterFiles: number): Promise<{ killedWith: number; staging: string[] }> {
  const tmp = tempDir('gl-crash-');
  const script = join(tmp, 'child.mts');
  writeFileSync(
    script,
    `import { GrainLabService } from ${JSON.stringify(pathToFileURL(join(ROOT, 'main', 'service.ts')).href)};
const svc = new GrainLabService({ userDataDir: ${JSON.stringify(join(tmp, 'user'))}, binding: 'web' });
await svc.call('project.open', { path: ${JSON.stringify(project)} });
svc.on('onDidProgress', (e) => { if (e.state !== 'running') { console.log('END ' + e.state); process.exit(0); } });
await svc.call('export.dataset', { dest: ${JSON.stringify(dest)}, format: 'png' });
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const re = stagingPattern(dest);
  const parent = join(dest, '..');
  const staged = () => (existsSync(parent) ? readdirSync(parent).filter((e) => re.test(e)) : []);
  const killedWith = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const s = staged();
      if (s.length && countFiles(join(parent, s[0]!)) >= killAfterFiles) {
        clearInterval(timer);
        child.kill('SIGKILL');
      }
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve(countFiles(join(parent, staged()[0] ?? 'none')));
      else reject(new Error(`the export ended before it could be killed (code ${code}): ${err}`));
    });
  });
  return { killedWith, staging: staged() };
}

test('SIGKILL during an export leaves no partial dataset; the next export cleans up and completes', { timeout: 120_000 }, async () => {
  const tmp = tempDir();
  const project = join(tmp, 'proj');
  await makeProject(project, Array.from({ length: IMAGES }, (_, k) => ({ name: `g${k}.png`, width: 384, height: 384, labels: voronoi(384, 384, 12, k + 1) })));
  const dest = join(tmp, 'exports', 'dataset');

  // Each image writes 5 files (image, instance, semantic, boundary, preview): kill early and late.
  for (const killAfter of [3, Math.floor(IMAGES * 5 * 0.75)]) {
    const { killedWith, staging } = await exportAndKill(project, dest, killAfter);
    assert.ok(killedWith >= killAfter && killedWith < IMAGES * 5, `killed mid-way (${killedWith} files staged)`);
    assert.equal(existsSync(dest), false, 'the destination does not exist after the crash');
    assert.equal(staging.length, 1, 'the half-written files sit in one hidden staging folder');
    assert.match(staging[0]!, /^\.dataset\.grainlab-partial-\d+-[0-9a-f]+$/);
  }

  const svc = newService();
  try {
    await svc.call('project.open', { path: project });
    await runToEnd(svc, () => svc.call('export.dataset', { dest, format: 'png' }));
  } finally {
    await svc.dispose();
  }
  const left = readdirSync(join(dest, '..')).filter((e) => stagingPattern(dest).test(e));
  assert.deepEqual(left, [], 'staging folders of dead processes are removed by the next export');
  const card = JSON.parse(readFileSync(join(dest, 'dataset-card.json'), 'utf8')) as { totals: { images: number } };
  assert.equal(card.totals.images, IMAGES);
  assert.equal(countFiles(dest), IMAGES * 5 + 4, 'a complete dataset: 5 files per image + card (2), classes.json, segments.csv');
});
