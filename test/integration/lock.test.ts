// One process per project: a second GrainLab process is refused with a clear message; a killed
// holder leaves no stale lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from '../../main/store/project-store';

const holder = `
  const { ProjectStore } = await import(${JSON.stringify(new URL('../../main/store/project-store.ts', import.meta.url).href)});
  ProjectStore.open(process.argv[1]);
  process.stdout.write('holding\\n');
  setInterval(() => {}, 1000);
`;

test('a project held by another process is refused, and is free again once that process is killed', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-lock-')), 'p');
  ProjectStore.create(dir).close();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holder, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
    child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  assert.throws(() => ProjectStore.open(dir), (e: Error & { code?: string }) => e.code === 'locked' && /open in another GrainLab/.test(e.message));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const store = ProjectStore.open(dir);
  assert.equal(store.listImages().length, 0);
  store.close();
});
