// grainlab batch / merge: shards run as separate processes and merged equal one process; merging
// keeps what a person made, reports it, and changes nothing when run twice; Ctrl+C leaves no result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import { runCli } from '../../main/cli/index';
import { writeSyntheticImages } from './scale-kit';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const tempDir = () => mkdtempSync(join(tmpdir(), 'gl-batch-'));

function env(tmp: string) {
  return { ...process.env, GRAINLAB_USER_DATA: join(tmp, 'user'), GRAINLAB_WORKERS: '1' };
}

function grainlabAsync(tmp: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(tmp) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Label maps of every image of a project, by image name. */
async function labelsByName(tmp: string, dir: string): Promise<Map<string, Buffer>> {
  const svc = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  await svc.call('project.open', { path: dir });
  const out = new Map<string, Buffer>();
  for (const im of await svc.call('images.list', {})) {
    const seg = await svc.call('segmentation.get', { imageId: im.id });
    out.set(im.name, Buffer.from(seg ? seg.labels.buffer : new ArrayBuffer(0)));
  }
  await svc.dispose();
  return out;
}

test('4 shards run as separate processes and merged equal one process segmenting everything', async () => {
  const tmp = tempDir();
  const input = join(tmp, 'in');
  await writeSyntheticImages(input, 14);
  const shards = [0, 1, 2, 3].map((i) => join(tmp, `shard${i}`));
  const runs = await Promise.all(shards.map((out, i) => grainlabAsync(tmp, 'batch', input, '--shard', `${i}/4`, '--out', out, '--quiet')));
  for (const r of runs) assert.equal(r.code, 0, r.err);
  const sizes = runs.map((r) => Number(/: (\d+) of 14 file/.exec(r.out)![1]));
  assert.equal(sizes.reduce((a, b) => a + b, 0), 14, 'every image in exactly one shard');
  const merged = join(tmp, 'merged');
  const m = spawnSync(process.execPath, [BIN, 'merge', ...shards, '--into', merged], { env: env(tmp), encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /14 image\(s\) added; segmentations 14 new, 0 replaced, 0 unchanged/);

  const single = join(tmp, 'single');
  const files = readdirSync(input).map((f) => join(input, f));
  for (const args of [['init', single], ['import', single, ...files], ['segment', single, '--all', '--quiet']]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: env(tmp), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const a = await labelsByName(tmp, merged);
  const b = await labelsByName(tmp, single);
  assert.equal(a.size, 14);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, labels] of b) {
    assert.ok(labels.length > 0, name);
    assert.ok(labels.equals(a.get(name)!), `${name}: the merged result equals the single-process one`);
  }
});

test("merging into the source project keeps a person's segments, says so, and a second merge changes nothing", async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'p');
  const paths = await writeSyntheticImages(join(tmp, 'in'), 6);
  const svc = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  await svc.call('project.create', { path: dir });
  const { imported } = await svc.call('images.importPaths', { paths });
  const { jobId } = await svc.call('segment.auto', { imageIds: imported.map((i) => i.id), engine: 'classic' });
  await svc.jobs.wait(jobId);
  const target = imported[0]!;
  const before = (await svc.call('segmentation.get', { imageId: target.id }))!;
  const mine = [...before.segments].sort((x, y) => y.area - x.area)[0]!;
  await svc.call('edit.apply', { imageId: target.id, op: { kind: 'setVerified', ids: [mine.id], verified: true } });
  const mask = (labels: Uint32Array, id: number) => labels.map((v) => (v === id ? 1 : 0));
  const mineMask = mask(before.labels, mine.id);
  await svc.dispose();

  // Two shards of the project, segmented with other settings (small grains dropped).
  for (const i of [0, 1]) assert.equal(await runCli(['batch', dir, '--shard', `${i}/2`, '--out', join(tmp, `s${i}`), '--min-area', '150', '--quiet']), 0);

  const svc2 = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  await svc2.call('project.open', { path: dir });
  const versionsBefore = (await svc2.call('versions.list', { imageId: target.id })).versions.length;
  const report = await svc2.call('batch.merge', { shards: [join(tmp, 's0'), join(tmp, 's1')], keep: 'person' });
  assert.equal(report.added, 0);
  assert.equal(report.created + report.replaced + report.unchanged, 6);
  assert.ok(report.replaced >= 1);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(report.conflicts.map((c) => [c.name, /1 segment\(s\) a person made were kept/.test(c.message)]), [[target.name, true]]);
  const after = (await svc2.call('segmentation.get', { imageId: target.id }))!;
  const kept = after.segments.find((s) => s.verified)!;
  assert.ok(kept, 'the verified segment is still there');
  assert.deepEqual(mask(after.labels, kept.id), mineMask, 'with exactly its pixels');
  const versionsAfter = (await svc2.call('versions.list', { imageId: target.id })).versions.length;
  assert.equal(versionsAfter, versionsBefore + 1, 'the replaced map is kept as a version');

  const again = await svc2.call('batch.merge', { shards: [join(tmp, 's0'), join(tmp, 's1')], keep: 'person' });
  assert.equal(again.unchanged, 6, 'merging twice is the same as once');
  assert.equal(again.created + again.replaced + again.added, 0);
  assert.equal((await svc2.call('versions.list', { imageId: target.id })).versions.length, versionsAfter);
  assert.deepEqual(Buffer.from((await svc2.call('segmentation.get', { imageId: target.id }))!.labels.buffer), Buffer.from(after.labels.buffer));
  await svc2.dispose();
});

test('Ctrl+C during a batch run exits 130 and leaves neither the result folder nor a partial one', async () => {
  const tmp = tempDir();
  const input = join(tmp, 'in');
  await writeSyntheticImages(input, 40, 96);
  const out = join(tmp, 'out');
  const child = spawn(process.execPath, [BIN, 'batch', input, '--out', out, '--workers', '1'], { env: env(tmp) });
  let err = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Segmenting 40 images/.test(err) && !child.killed) child.kill('SIGINT');
    });
    child.on('close', resolve);
  });
  assert.equal(code, 130, err);
  assert.match(err, /grainlab: Cancel/);
  assert.equal(existsSync(out), false);
  assert.equal(existsSync(`${out}.partial`), false);
});
