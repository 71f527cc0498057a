// The built `grainlab` command for corrections and classes, as a script would use it: a semantic
// label map imported and exported gives the same values back; classes and labels from the command
// line; re-segmenting images with corrections asks (refused in a script without --yes) and keeps
// them; versions; re-importing a known file; removing an image; and a killed import leaves no file
// behind once the project is opened again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { decodePng, encodePng } from '../../main/export/png';
import { ProjectStore } from '../../main/store/project-store';
import { pngGrey8 } from '../fixtures/images';
import { tempDir } from './export-kit';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const USER = tempDir('gl-cli-user-');

function grainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GRAINLAB_USER_DATA: USER } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(r: { code: number | null; out: string; err: string }): string {
  assert.equal(r.code, 0, r.err);
  return r.out;
}

test('import then PNG export of a semantic map gives the same values back, class 0 included', { timeout: 120_000 }, async () => {
  const tmp = tempDir('gl-sem-');
  const dir = join(tmp, 'proj');
  ok(grainlab('init', dir));
  writeFileSync(join(tmp, 'steel.png'), await pngGrey8(64, 48));
  ok(grainlab('import', dir, join(tmp, 'steel.png')));
  // Values 0..3 in bands and blocks: every pixel has a class, 0 is a class too.
  const values = new Uint8Array(64 * 48);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) values[y * 64 + x] = (x >> 4) ^ ((y >> 4) & 1);
  const masks = join(tmp, 'masks');
  mkdirSync(masks);
  writeFileSync(join(masks, 'steel.png'), await encodePng({ width: 64, height: 48, channels: 1, bitDepth: 8, data: values }));
  const imp = ok(grainlab('import-labels', dir, join(masks, 'steel.png'), '--kind', 'semantic', '--class-names', '0=matrix,2=cementite', '-q'));
  assert.match(imp, /created +steel\.png/);
  const classes = JSON.parse(ok(grainlab('classes', 'list', dir, '--json'))) as { name: string; value: number }[];
  assert.deepEqual(classes.sort((a, b) => a.value - b.value).map((c) => [c.name, c.value]), [['matrix', 0], ['class 1', 1], ['cementite', 2], ['class 3', 3]]);
  const out = join(tmp, 'export');
  ok(grainlab('export', dir, '--format', 'png', '--out', out, '--split', '1:0:0', '--quiet'));
  const sem = await decodePng(readFileSync(join(out, 'semantic', 'train', 'steel.png')));
  assert.deepEqual(Array.from(sem.data), Array.from(values), 'the exported semantic map has the source values');
  const table = JSON.parse(readFileSync(join(out, 'classes.json'), 'utf8')) as { values: { value: number; name: string }[] };
  assert.deepEqual(table.values.filter((v) => v.value <= 3).map((v) => [v.value, v.name]), [[0, 'matrix'], [1, 'class 1'], [2, 'cementite'], [3, 'class 3']]);
});

test('classes, labels, re-segmenting with corrections, versions, re-import and remove from the command line', { timeout: 180_000 }, async () => {
  const tmp = tempDir('gl-corr-');
  const dir = join(tmp, 'proj');
  ok(grainlab('init', dir));
  writeFileSync(join(tmp, 'a.png'), await pngGrey8(96, 64));
  writeFileSync(join(tmp, 'b.png'), await pngGrey8(80, 64));
  ok(grainlab('import', dir, join(tmp, 'a.png'), join(tmp, 'b.png')));
  assert.match(ok(grainlab('import', dir, join(tmp, 'a.png'))), /already +a\.png is in the project as #1 \(a\.png\)/);
  ok(grainlab('segment', dir, '--all', '-q'));

  assert.match(ok(grainlab('classes', 'add', dir, 'ferrite', '--color', '#ff0000')), /added class \d+ 'ferrite' #ff0000/);
  ok(grainlab('classes', 'add', dir, 'pearlite'));
  ok(grainlab('classes', 'rename', dir, 'pearlite', 'cementite'));
  assert.match(ok(grainlab('classes', 'list', dir)), /ferrite\n.*cementite/);
  const seg = JSON.parse(ok(grainlab('info', dir, '--json'))) as { images: { id: number; segmentCount: number }[] };
  assert.ok(seg.images[0]!.segmentCount >= 2);
  const store0 = ProjectStore.open(dir);
  const ids = store0.listSegments(1).slice(0, 2).map((s) => s.id);
  store0.close();
  assert.match(ok(grainlab('label', dir, '--image', '1', '--segments', ids.join(','), '--class', 'ferrite', '--verify')), /2 segment\(s\) -> ferrite, verified/);
  const bad = grainlab('label', dir, '--image', '1', '--segments', '99999', '--class', 'ferrite');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /has no segment 99999/);

  // Re-segmenting image 1 holds corrections: a script without --yes changes nothing.
  const refused = grainlab('segment', dir, '--all', '--mode', 'grain', '-q');
  assert.equal(refused.code, 1);
  assert.match(refused.out, /#1 a\.png: 1 edit, 2 segments you made; 1 segment replaced, 2 kept/);
  assert.match(refused.err, /grainlab: 1 image holds corrections a person made\. Nothing was changed: add --yes/);
  assert.equal(refused.err.trim().split('\n').length, 1, 'one line on stderr');
  let store = ProjectStore.open(dir);
  assert.equal(store.db.prepare("SELECT engine FROM segmentations WHERE image_id = 1").pluck().get(), 'classic');
  const before = store.listSegments(1).filter((s) => ids.includes(s.id));
  store.close();
  const yes = grainlab('segment', dir, '--all', '--mode', 'grain', '--yes', '-q');
  assert.equal(yes.code, 0, yes.err);
  assert.match(yes.out, /2 segments you made kept exactly/);
  store = ProjectStore.open(dir);
  assert.deepEqual(store.listSegments(1).filter((s) => ids.includes(s.id)), before, 'the labelled, verified segments are kept as they were');
  store.close();
  const versions = ok(grainlab('versions', dir, '--image', '1'));
  assert.match(versions, /current {2}classic/);
  assert.match(versions, /v\d+ +classic .* 2 yours, 1 edit\(s\).*replaced .* by classic/);
  const vid = /v(\d+)/.exec(versions)![1]!;
  assert.match(ok(grainlab('versions', dir, '--image', '1', '--restore', vid)), /version \d+ restored/);

  // Remove needs --yes; the file goes with the image.
  assert.equal(grainlab('remove', dir, '--image', '2').code, 1);
  const ro = new Database(join(dir, 'project.sqlite'), { readonly: true });
  const fileOf2 = ro.prepare('SELECT file FROM images WHERE id = 2').pluck().get() as string;
  ro.close();
  assert.match(ok(grainlab('remove', dir, '--image', '2', '--yes')), /removed 1 image\(s\), 1 file\(s\)/);
  assert.ok(!existsSync(join(dir, fileOf2)));
  assert.match(ok(grainlab('import', dir, join(tmp, 'b.png'))), /imported +3 +b\.png/, 'a removed id is never reused');
});

test('a killed import leaves no image file without its row once the project opens again', { timeout: 180_000 }, async () => {
  const tmp = tempDir('gl-orphans-');
  const dir = join(tmp, 'proj');
  ok(grainlab('init', dir));
  // Large enough that decoding and the thumbnail (between the file's rename and its row) take a while.
  const files: string[] = [];
  for (let k = 0; k < 12; k++) {
    const f = join(tmp, `m${k}.png`);
    const w = 2400 + k;
    const px = new Uint8Array(w * 1800);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7919 + k * 13) % 251;
    writeFileSync(f, await sharp(px, { raw: { width: w, height: 1800, channels: 1 } }).png().toBuffer());
    files.push(f);
  }
  let orphansSeen = 0;
  for (let kill = 0; kill < 8; kill++) {
    const child = spawn(process.execPath, [BIN, 'import', dir, ...files], { env: { ...process.env, GRAINLAB_USER_DATA: USER }, stdio: 'ignore' });
    // Listened for from the start: an import that ends before the kill has already exited.
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 700 + kill * 250));
    child.kill('SIGKILL');
    await exited;
    // What the kill left, read without opening the project (opening cleans up).
    const db = new Database(join(dir, 'project.sqlite'), { readonly: true });
    const known = new Set((db.prepare('SELECT file FROM images').pluck().all() as string[]).map((f) => f.replace(/^images\//, '')));
    db.close();
    orphansSeen += readdirSync(join(dir, 'images')).filter((f) => !known.has(f)).length;
    const store = ProjectStore.open(dir);
    const rows = new Set(store.listImages().map((i) => i.file.replace(/^images\//, '')));
    const left = readdirSync(join(dir, 'images')).filter((f) => !rows.has(f));
    store.close();
    assert.deepEqual(left, [], `after kill ${kill}: every file under images/ has its row`);
    // Start over so the next kill hits imports again.
    const svcStore = ProjectStore.open(dir);
    svcStore.removeImages(svcStore.listImages().map((i) => i.id));
    svcStore.close();
  }
  console.log(`import kill test: 8 kills, ${orphansSeen} orphaned file(s) left by the kills, all removed on open`);
});
