// The built `grainlab` command as a user runs it: exit codes, one-line errors, --help everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngGrey8, tiffMultiPage } from '../fixtures/images';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');

function grainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GRAINLAB_USER_DATA: mkdtempSync(join(tmpdir(), 'gl-user-')) } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('init, import, segment --all, info: exit 0 and the project holds the result', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gl-cli-'));
  const dir = join(tmp, 'proj');
  writeFileSync(join(tmp, 'a.png'), await pngGrey8(120, 80));
  writeFileSync(join(tmp, 'stack.tif'), tiffMultiPage());

  const init = grainlab('init', dir, '--name', 'CLI test');
  assert.equal(init.code, 0, init.err);
  assert.ok(existsSync(join(dir, 'project.sqlite')));

  const imp = grainlab('import', dir, join(tmp, 'a.png'), join(tmp, 'stack.tif'));
  assert.equal(imp.code, 0, imp.err);
  assert.equal(imp.out.trim().split('\n').length, 3, 'one line per imported image (two TIFF pages)');

  const seg = grainlab('segment', dir, '--all', '--quiet');
  assert.equal(seg.code, 0, seg.err);

  const info = grainlab('info', dir, '--json');
  assert.equal(info.code, 0, info.err);
  const parsed = JSON.parse(info.out) as { project: { name: string }; images: { status: string; segmentCount: number }[] };
  assert.equal(parsed.project.name, 'CLI test');
  assert.equal(parsed.images.length, 3);
  assert.ok(parsed.images.every((i) => i.status === 'auto-segmented'));
  assert.equal(parsed.images[0]!.segmentCount, 3);
});

test('errors: non-zero exit and one line that says what to do', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gl-cli-'));
  const missing = grainlab('info', join(tmp, 'nope'));
  assert.notEqual(missing.code, 0);
  assert.equal(missing.err.trim().split('\n').length, 1);
  assert.match(missing.err, /^grainlab: No GrainLab project in .*nope/);

  const dir = join(tmp, 'p');
  assert.equal(grainlab('init', dir).code, 0);
  writeFileSync(join(tmp, 'bad.tif'), 'not an image');
  const bad = grainlab('import', dir, join(tmp, 'bad.tif'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /bad\.tif: not a readable/);

  const noTarget = grainlab('segment', dir);
  assert.notEqual(noTarget.code, 0);
  assert.match(noTarget.err, /--image <id\.\.\.> or --all/);

  const unknownImage = grainlab('segment', dir, '--image', '99');
  assert.match(unknownImage.err, /Image 99 is not in/);
});

test('--help works on the program and on each command', () => {
  for (const args of [['--help'], ['init', '--help'], ['import', '--help'], ['segment', '--help'], ['info', '--help']]) {
    const r = grainlab(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.match(r.out, /Usage: grainlab/);
  }
});
