// The web folder browser's service (fs.list): it lists folders inside its roots and refuses every
// way out — '..', absolute paths elsewhere, symlinks to outside — and says clearly when a path is
// missing, a file, or unreadable. Through the service, as the WebSocket binding calls it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import { parseRoots } from '../../main/fs/browse';
import { ServiceError } from '../../app/errors';

function setup() {
  const tmp = mkdtempSync(join(tmpdir(), 'grainlab-browse-'));
  const root = join(tmp, 'root');
  const outside = join(tmp, 'outside');
  mkdirSync(join(root, 'alpha', 'deep'), { recursive: true });
  mkdirSync(join(root, 'beta'));
  mkdirSync(join(root, '.hidden'));
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.png'), 'x');
  writeFileSync(join(root, 'a.tif'), 'x');
  writeFileSync(join(root, 'notes.txt'), 'x');
  writeFileSync(join(root, 'beta', 'project.sqlite'), '');
  symlinkSync(outside, join(root, 'escape'));
  symlinkSync(join(root, 'alpha'), join(root, 'alias'));
  const service = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web', browseRoots: [root] });
  return { tmp, root, outside, service, close: async () => { await service.dispose(); rmSync(tmp, { recursive: true, force: true }); } };
}

async function refused(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('lists a root: folders first, projects and images marked, hidden entries and links out left out', async () => {
  const s = setup();
  try {
    const l = await s.service.call('fs.list', {});
    assert.equal(l.path, s.root);
    assert.equal(l.parent, null, 'nothing above a root');
    assert.deepEqual(l.roots, [s.root]);
    assert.deepEqual(l.entries.map((e) => `${e.kind}:${e.name}`), ['folder:alias', 'folder:alpha', 'folder:beta', 'file:a.tif', 'file:notes.txt']);
    assert.equal(l.entries.find((e) => e.name === 'beta')!.project, true);
    assert.equal(l.entries.find((e) => e.name === 'alpha')!.project, false);
    assert.equal(l.entries.find((e) => e.name === 'a.tif')!.image, true);
    assert.equal(l.entries.find((e) => e.name === 'notes.txt')!.image, false);
    const beta = await s.service.call('fs.list', { path: join(s.root, 'beta') });
    assert.equal(beta.project, true);
    assert.equal(beta.parent, s.root);
    const viaLink = await s.service.call('fs.list', { path: join(s.root, 'alias') });
    assert.deepEqual(viaLink.entries.map((e) => e.name), ['deep'], 'a link that stays inside is followed');
  } finally {
    await s.close();
  }
});

test('refuses every way out of the roots', async () => {
  const s = setup();
  try {
    await refused(s.service.call('fs.list', { path: s.outside }), 'invalid-argument', /outside the folders this server may browse/);
    await refused(s.service.call('fs.list', { path: join(s.root, '..') }), 'invalid-argument', /outside/);
    await refused(s.service.call('fs.list', { path: join(s.root, 'alpha', '..', '..', 'outside') }), 'invalid-argument', /outside/);
    await refused(s.service.call('fs.list', { path: join(s.root, 'escape') }), 'invalid-argument', /outside/);
    await refused(s.service.call('fs.list', { path: join(s.root, 'escape', 'sub') }), 'invalid-argument', /outside/);
    await refused(s.service.call('fs.list', { path: '/' }), 'invalid-argument', /outside/);
    await refused(s.service.call('fs.list', { path: 'alpha' }), 'invalid-argument', /not absolute/);
    await refused(s.service.call('fs.list', { path: `${s.root}/a\0b` }), 'invalid-argument', /NUL/);
    // A missing folder outside says "outside", not whether it exists.
    await refused(s.service.call('fs.list', { path: join(s.outside, 'nope') }), 'invalid-argument', /outside/);
  } finally {
    await s.close();
  }
});

test('missing folders, files and unreadable folders are said plainly', async () => {
  const s = setup();
  try {
    await refused(s.service.call('fs.list', { path: join(s.root, 'nope') }), 'not-found', /There is no folder/);
    await refused(s.service.call('fs.list', { path: join(s.root, 'a.tif') }), 'invalid-argument', /is a file, not a folder/);
    await refused(s.service.call('fs.list', { path: join(s.root, 'a.tif', 'x') }), 'not-found', /There is no folder/);
  } finally {
    await s.close();
  }
});

/** fs.list of `dir` (inside `root`) as this process, or, when it is root (which reads every folder), as nobody in a child. */
function listAsUnprivileged(root: string, dir: string): { code?: string; message?: string; listed?: boolean } {
  const script = `import('${new URL('../../main/fs/browse.ts', import.meta.url).pathname}').then(async (m) => {
    try { await new m.FolderBrowser([${JSON.stringify(root)}]).list(${JSON.stringify(dir)}); console.log(JSON.stringify({ listed: true })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); } });`;
  const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
  const [cmd, ...args] = [...asNobody, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const out = execFileSync(cmd!, args, { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });
  return JSON.parse(out.trim().split('\n').pop()!) as { code?: string; message?: string };
}

test('an unreadable folder is refused with "permission denied"', async () => {
  const s = setup();
  const locked = join(s.root, 'locked');
  mkdirSync(locked);
  writeFileSync(join(locked, 'inside.png'), 'x');
  // The unprivileged reader must reach the root (mkdtemp makes its folder private).
  chmodSync(s.tmp, 0o755);
  chmodSync(s.root, 0o755);
  chmodSync(locked, 0o000);
  try {
    const r = listAsUnprivileged(s.root, locked);
    assert.equal(r.code, 'io', JSON.stringify(r));
    assert.match(r.message!, /locked cannot be read \(permission denied\)/);
    const ok = listAsUnprivileged(s.root, s.root);
    assert.equal(ok.listed, true, 'the same reader lists the root itself');
  } finally {
    chmodSync(locked, 0o755);
    await s.close();
  }
});

test('roots: a comma list (from --roots or GRAINLAB_ROOTS), else the home folder; a missing root is said', async () => {
  assert.deepEqual(parseRoots('/a, /b/c ,', '/home/x'), ['/a', '/b/c']);
  assert.deepEqual(parseRoots(undefined, '/home/x'), ['/home/x']);
  assert.deepEqual(parseRoots('', '/home/x'), ['/home/x']);
  const tmp = mkdtempSync(join(tmpdir(), 'grainlab-browse-'));
  const service = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web', browseRoots: [join(tmp, 'gone')] });
  try {
    await refused(service.call('fs.list', {}), 'not-found', /None of the folders/);
  } finally {
    await service.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
});
