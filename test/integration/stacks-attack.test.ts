// Slice stacks attacked as a hostile user would: slices of different sizes, a one-page TIFF, a
// person's segments on a target slice, cancelling mid-propagation, slices removed under a stack and
// mid-propagation, and spacing strings that are not lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { generateStack } from '../../app/synth/stack';
import { encodeTiffPages } from '../../main/export/tiff';
import { encodePng } from '../../main/export/png';
import { runCli } from '../../main/cli/index';

process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-stack-attack-models-'));
const tempDir = () => mkdtempSync(join(tmpdir(), 'grainlab-stack-attack-'));

function waitJob(svc: GrainLabService, jobId: string, onProgress?: (e: ProgressEvent) => void): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId !== jobId) return;
      if (e.state !== 'running') {
        off();
        resolve(e);
      } else onProgress?.(e);
    });
  });
}

const ST = generateStack({ width: 96, height: 96, depth: 6, particles: 6, seed: 5, minRadius: 8, maxRadius: 12 });
const tiff = () => encodeTiffPages(ST.slices.map((data) => ({ width: 96, height: 96, channels: 1, bitDepth: 8, data })));

async function project() {
  const dir = tempDir();
  const svc = new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
  await svc.call('project.create', { path: join(dir, 'proj') });
  return { svc, dir };
}

test('slices of different sizes are refused by name, leaving the slices as single images; a one-page TIFF is a one-slice stack', async () => {
  const { svc, dir } = await project();
  try {
    const folder = join(dir, 'mixed');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a1.png'), await encodePng({ width: 96, height: 96, channels: 1, bitDepth: 8, data: ST.slices[0]! }));
    writeFileSync(join(folder, 'a2.png'), await encodePng({ width: 64, height: 96, channels: 1, bitDepth: 8, data: ST.slices[1]!.subarray(0, 64 * 96) }));
    await assert.rejects(svc.call('stacks.importPaths', { paths: [folder] }), (e: Error) => /a2\.png is 64x96.*a1\.png is 96x96/.test(e.message) && /single images/.test(e.message));
    assert.equal((await svc.call('images.list', {})).length, 2);
    assert.deepEqual(await svc.call('stacks.list', {}), []);
    const one = join(dir, 'one.tif');
    writeFileSync(one, encodeTiffPages([{ width: 96, height: 96, channels: 1, bitDepth: 8, data: ST.slices[2]! }]));
    const { stack } = await svc.call('stacks.importPaths', { paths: [one] });
    assert.equal(stack.imageIds.length, 1);
    await assert.rejects(svc.call('stacks.propagate', { imageId: stack.imageIds[0]!, count: 1, engine: 'classic' }), /last slice|no segmentation/);
  } finally {
    await svc.dispose();
  }
});

test('propagation keeps a person-made segment on the target slice exactly; cancelling mid-way leaves later slices as they were', async () => {
  const { svc, dir } = await project();
  try {
    const tif = join(dir, 's.tif');
    writeFileSync(tif, tiff());
    const { stack } = await svc.call('stacks.importPaths', { paths: [tif] });
    const ids = stack.imageIds;
    const seg = await svc.call('segment.auto', { imageIds: [ids[0]!, ids[1]!], engine: 'classic' });
    assert.equal((await waitJob(svc, seg.jobId)).state, 'done');
    // A person paints a segment by hand on slice 2 (edited, not verified) and gives another a class.
    await svc.call('edit.apply', { imageId: ids[1]!, op: { kind: 'brush', mode: 'paint', points: [[10, 10], [20, 14]], radius: 4, target: 'new', protect: true } });
    const painted = (await svc.call('segmentation.get', { imageId: ids[1]! }))!;
    const paintedId = Math.max(...painted.segments.map((s) => s.id));
    const cls = await svc.call('classes.create', { name: 'mine' });
    const classed = painted.segments.filter((s) => s.id !== paintedId).reduce((a, b) => (b.area > a.area ? b : a));
    await svc.call('edit.apply', { imageId: ids[1]!, op: { kind: 'setClass', ids: [classed.id], classId: cls.id } });
    const s2 = (await svc.call('segmentation.get', { imageId: ids[1]! }))!;
    const pixelsOf = (labels: Uint32Array, id: number) => [...labels.keys()].filter((i) => labels[i] === id);
    const mine = [paintedId, classed.id].map((id) => ({ row: s2.segments.find((s) => s.id === id)!, pixels: pixelsOf(s2.labels, id) }));
    assert.ok(mine.every((m) => m.pixels.length > 0));

    const job = await svc.call('stacks.propagate', { imageId: ids[0]!, count: 5, engine: 'classic' });
    let cancelled = false;
    const end = await waitJob(svc, job.jobId, (e) => {
      // Cancel as soon as the first slice is saved.
      if (!cancelled && (e.done ?? 0) >= 1) {
        cancelled = true;
        void svc.call('jobs.cancel', { jobId: job.jobId });
      }
    });
    assert.equal(end.state, 'cancelled', end.message);
    const after = (await svc.call('segmentation.get', { imageId: ids[1]! }))!;
    assert.equal(after.engine, 'propagate:classic');
    for (const m of mine) {
      const row = after.segments.find((s) => s.id === m.row.id)!;
      assert.deepEqual([row.classId, row.area, row.verified], [m.row.classId, m.row.area, m.row.verified]);
      assert.deepEqual(pixelsOf(after.labels, m.row.id), m.pixels);
    }
    // Cancelled after the first slice: the last slices were never touched.
    assert.equal(await svc.call('segmentation.get', { imageId: ids[5]! }), null);
  } finally {
    await svc.dispose();
  }
});

test('a slice removed under a stack: the stack closes the gap; all removed, the stack goes; mid-propagation, the job stops cleanly', async () => {
  const { svc, dir } = await project();
  try {
    const tif = join(dir, 's.tif');
    writeFileSync(tif, tiff());
    const { stack } = await svc.call('stacks.importPaths', { paths: [tif], spacingUm: 1 });
    const ids = stack.imageIds;
    const seg = await svc.call('segment.auto', { imageIds: [ids[0]!], engine: 'classic' });
    assert.equal((await waitJob(svc, seg.jobId)).state, 'done');
    const job = await svc.call('stacks.propagate', { imageId: ids[0]!, count: 5, engine: 'classic' });
    let removed = false;
    const end = await waitJob(svc, job.jobId, (e) => {
      if (!removed && (e.done ?? 0) >= 1) {
        removed = true;
        void svc.call('images.remove', { ids: [ids[3]!] });
      }
    });
    assert.notEqual(end.state, 'running');
    assert.ok(end.state === 'done' || /removed/.test(end.message ?? ''), end.message);
    const now = (await svc.call('stacks.list', {}))[0]!;
    assert.deepEqual(now.imageIds, ids.filter((id) => id !== ids[3]));
    const stats = await svc.call('stacks.stats', { stackId: stack.id });
    assert.equal(stats.slices, 5);
    await svc.call('images.remove', { ids: now.imageIds });
    assert.deepEqual(await svc.call('stacks.list', {}), []);
    await assert.rejects(svc.call('stacks.stats', { stackId: stack.id }), /does not exist|not found|no stack/i);
  } finally {
    await svc.dispose();
  }
});

test("spacing strings that are not lengths ('-1', 'NaN', '1e9um', '0') are refused with the flag named", async () => {
  const dir = tempDir();
  const proj = join(dir, 'p');
  assert.equal(await runCli(['init', proj]), 0);
  const tif = join(dir, 's.tif');
  writeFileSync(tif, tiff());
  const errors: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => errors.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    for (const bad of ['-1', 'NaN', '1e9um', '0', 'Infinity']) {
      errors.length = 0;
      assert.notEqual(await runCli(['stack', 'import', proj, tif, `--spacing=${bad}`]), 0, bad);
      assert.ok(errors.some((l) => l.includes('--spacing') && l.includes(bad)), `${bad}: ${errors.join('\n')}`);
    }
  } finally {
    process.stderr.write = orig;
  }
  const svc = new GrainLabService({ userDataDir: tempDir(), binding: 'web' });
  try {
    await svc.call('project.open', { path: proj });
    assert.deepEqual(await svc.call('stacks.list', {}), [], 'no stack was made by a refused command');
    assert.deepEqual(await svc.call('images.list', {}), [], 'nor were its slices imported');
    for (const bad of [-1, Number.NaN, 1e9, 0, Number.POSITIVE_INFINITY]) {
      await assert.rejects(svc.call('stacks.create', { name: 'x', imageIds: [1], spacingUm: bad }), (e: Error & { code?: string }) => e.code === 'invalid-argument', String(bad));
    }
  } finally {
    await svc.dispose();
  }
});
