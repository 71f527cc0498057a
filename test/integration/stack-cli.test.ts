// `grainlab synth --stack` and `grainlab stack …` as a user runs them (the built command): a
// synthetic stack with its truth, imported as one stack with a spacing, propagated, measured and
// exported; mistakes end with a one-line error and a non-zero exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const USER = mkdtempSync(join(tmpdir(), 'gl-user-'));

function grainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GRAINLAB_USER_DATA: USER } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('synth --stack, stack import / list / propagate / stats / export', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gl-stack-cli-'));
  const syn = grainlab('synth', join(tmp, 'syn'), '--stack', '--size', '96', '--depth', '6', '--particles', '5', '--seed', '3');
  assert.equal(syn.code, 0, syn.err);
  const both = grainlab('synth', join(tmp, 'both'), '--stack', '--eds');
  assert.notEqual(both.code, 0);
  assert.match(both.err, /--stack and --eds make different data sets/);
  assert.ok(!existsSync(join(tmp, 'both')), 'nothing written for contradictory options');
  const stem = join(tmp, 'syn', 'stack-96x96x6-s3');
  for (const f of ['.tif', '-truth.tif', '-truth.json']) assert.ok(existsSync(stem + f), stem + f);
  const truth = JSON.parse(readFileSync(`${stem}-truth.json`, 'utf8')) as { depth: number; particles: { id: number; voxels: number }[] };
  assert.equal(truth.depth, 6);
  assert.ok(truth.particles.length >= 1 && truth.particles.every((p) => p.voxels > 0));

  const dir = join(tmp, 'proj');
  assert.equal(grainlab('init', dir).code, 0);
  const imp = grainlab('stack', 'import', dir, `${stem}.tif`, '--spacing', '500nm', '--name', 'synthetic');
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /^stack 1 {2}synthetic {2}6 slices \(images 1\.\.6\) {2}spacing 0\.5 um/);
  const list = JSON.parse(grainlab('stack', 'list', dir, '--json').out) as { id: number; imageIds: number[]; spacingUm: number }[];
  assert.deepEqual(list.map((s) => [s.id, s.imageIds, s.spacingUm]), [[1, [1, 2, 3, 4, 5, 6], 0.5]]);

  assert.equal(grainlab('segment', dir, '--image', '3', '--quiet').code, 0);
  const prop = grainlab('stack', 'propagate', dir, '--image', '3', '--count', '3', '--quiet');
  assert.equal(prop.code, 0, prop.err);
  assert.match(prop.out, /Propagating slice 3 of synthetic to 3 slice\(s\) \(classic\)/);
  const down = grainlab('stack', 'propagate', dir, '--image', '3', '--down', '--count', '5', '--engine', 'classic', '--quiet');
  assert.equal(down.code, 0, down.err);
  assert.match(down.out, /to 2 slice\(s\)/, 'only two slices lie below slice 3');

  const stats = JSON.parse(grainlab('stack', 'stats', dir, '--stack', '1', '--json').out) as { objectCount: number; slices: number; spacingUm: number; objects: { voxels: number }[] };
  assert.equal(stats.slices, 6);
  assert.ok(stats.objectCount >= 1);
  assert.equal(stats.objects.length, stats.objectCount);
  const csv = grainlab('stack', 'stats', dir, '--stack', '1', '--csv').out.trim().split('\n');
  assert.equal(csv[0], 'object_id,voxels,volume_um3,esd_um,esd_voxels,first_slice,last_slice,class_id');
  assert.equal(csv.length, stats.objectCount + 1);

  const ex = grainlab('stack', 'export', dir, '--stack', '1', '--out', join(tmp, 'out'));
  assert.equal(ex.code, 0, ex.err);
  assert.ok(existsSync(join(tmp, 'out', 'synthetic-objects.tif')));
  const coco = JSON.parse(readFileSync(join(tmp, 'out', 'synthetic-coco.json'), 'utf8')) as { images: unknown[]; annotations: { track_id: number }[] };
  assert.equal(coco.images.length, 6);
  assert.ok(coco.annotations.every((a) => a.track_id >= 1 && a.track_id <= stats.objectCount));

  // Mistakes: one line, non-zero exit.
  const bad = grainlab('stack', 'stats', dir, '--stack', '1', '--min-overlap', '2');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err.trim(), /^[^\n]*--min-overlap must be above 0 and at most 1/);
  const none = grainlab('stack', 'stats', dir, '--stack', '9');
  assert.notEqual(none.code, 0);
  assert.match(none.err, /There is no stack #9/);
  const last = grainlab('stack', 'propagate', dir, '--image', '6');
  assert.notEqual(last.code, 0);
  assert.match(last.err, /Slice 6 is the last slice of 'synthetic'/);
});
