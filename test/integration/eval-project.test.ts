// `eval.project` / `grainlab eval --project`: every available engine (classic, the tiny SAM models
// with MatSAM and grid prompts, and engines registered through the registry) scored against the
// images a person verified; the table ranks the known-better engine first; the default engine is
// stored and segment.auto uses it when no engine is given.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discs, jobEnd, makeProject, newService, runToEnd, tempDir, voronoi } from './export-kit';
import { installTinySam } from '../../scripts/build-tiny-sam';
import { registerEngineProvider } from '../../main/eval/engines';
import { runCli } from '../../main/cli/index';
import type { LabelMap } from '../../app/types';

// Keep a developer's own user-level models out of these tests.
process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-user-models-'));

const W = 128;
const H = 96;
const TINY_SAM = { stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85, pointsPerSide: 8 };

/** The truth of each image by name, for the oracle engine below. */
const truthByName = new Map<string, Uint32Array>();

async function verifiedProject(): Promise<string> {
  const dir = join(tempDir('gl-evalp-'), 'proj');
  const images = [
    { name: 'discs.png', width: W, height: H, labels: discs(W, H, 32, 11), status: 'verified' as const, classOf: (id: number) => (id % 2 ? 'ferrite' : 'pearlite') },
    { name: 'grains.png', width: W, height: H, labels: voronoi(W, H, 24, 3), verified: (id: number) => id % 2 === 0, classOf: () => 'ferrite' },
    // Not verified at all: not scored.
    { name: 'raw.png', width: W, height: H, labels: voronoi(W, H, 24, 4) },
  ];
  for (const im of images) truthByName.set(im.name, im.labels);
  await makeProject(dir, images, [{ name: 'ferrite', color: '#aa0000' }, { name: 'pearlite', color: '#00aa00' }]);
  installTinySam(dir);
  return dir;
}

// The extension point: an engine that returns the truth (known to be best) and one that returns nothing.
const unregister = [
  registerEngineProvider({
    name: 'test-oracle',
    engines: () => [{ id: 'test:oracle', label: 'oracle (test)', kind: 'test', run: async ({ image }): Promise<LabelMap> => ({ width: W, height: H, data: truthByName.get(image.name)!.slice() }) }],
  }),
  registerEngineProvider({
    name: 'test-blank',
    engines: () => [{ id: 'test:blank', label: 'one segment (test)', kind: 'test', run: async (): Promise<LabelMap> => ({ width: W, height: H, data: new Uint32Array(W * H).fill(1) }) }],
  }),
];
after(() => unregister.forEach((u) => u()));

test('eval.project ranks every engine against the verified images; the default engine is stored and used by segment.auto', { timeout: 300_000 }, async () => {
  const dir = await verifiedProject();
  const svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const { engines, defaultEngine } = await svc.call('eval.engines', {});
    const ids = engines.map((e) => e.id);
    for (const id of ['classic', 'sam:tiny-sam:matsam', 'sam:tiny-sam:grid', 'test:oracle', 'test:blank']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.equal(defaultEngine.engine, null);

    const jobId = await runToEnd(svc, () => svc.call('eval.project', { sam: TINY_SAM }));
    const r = (await svc.call('eval.result', { jobId }))!;
    assert.deepEqual(
      r.images.map((i) => [i.name, i.truth]),
      [
        ['discs.png', 'image'],
        ['grains.png', 'segments'],
      ],
    );
    assert.equal(r.engines.length, ids.length);
    assert.ok(r.engines.every((e) => !e.failed), r.engines.filter((e) => e.failed).map((e) => `${e.engine}: ${e.failed}`).join('; '));
    // The known-better engine first, with perfect scores and nothing to correct; the blank one last.
    const top = r.engines[0]!;
    assert.equal(top.engine, 'test:oracle');
    assert.equal(r.best, 'test:oracle');
    assert.equal(top.rank, 1);
    assert.ok(Math.abs(top.ari - 1) < 1e-9);
    assert.equal(top.recall50, 1);
    assert.equal(top.effort?.operations, 0);
    assert.deepEqual(top.perClass.map((c) => [c.name, c.iou]), [
      ['ferrite', 1],
      ['pearlite', 1],
    ]);
    const last = r.engines.at(-1)!;
    assert.equal(last.engine, 'test:blank');
    assert.equal(last.recall50, 0);
    assert.ok(last.effort!.operations > 0);
    // Ranks follow ARI.
    for (let k = 1; k < r.engines.length; k++) assert.ok(r.engines[k - 1]!.ari >= r.engines[k]!.ari - 1e-3, `${r.engines[k - 1]!.engine} before ${r.engines[k]!.engine}`);
    assert.ok(r.engines.find((e) => e.engine === 'sam:tiny-sam:matsam')!.images === 2);

    // Only the named engines, and an unknown one is refused with the list.
    const only = await runToEnd(svc, () => svc.call('eval.project', { engines: ['test:blank', 'classic'], effort: false }));
    const r2 = (await svc.call('eval.result', { jobId: only }))!;
    assert.deepEqual(r2.engines.map((e) => e.engine).sort(), ['classic', 'test:blank']);
    assert.ok(r2.engines.every((e) => e.effort === null));
    await assert.rejects(svc.call('eval.project', { engines: ['sam:nope:grid'] }), /Unknown or unavailable engine\(s\): sam:nope:grid\. Available: classic/);

    // The default from the evaluation, then a SAM default that segment.auto uses when no engine is given.
    const d = await svc.call('eval.setDefault', { fromJob: jobId });
    assert.equal(d.engine, 'test:oracle');
    assert.equal(d.source, 'eval');
    await svc.call('eval.setDefault', { engine: 'sam:tiny-sam:grid' });
    assert.equal((await svc.call('eval.engines', {})).defaultEngine.engine, 'sam:tiny-sam:grid');
    const raw = (await svc.call('images.list', {})).find((i) => i.name === 'raw.png')!;
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [raw.id], keep: 'none' }));
    assert.equal((await svc.call('segmentation.get', { imageId: raw.id }))!.engine, 'sam:tiny-sam:grid');
    // An explicit engine still wins.
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [raw.id], engine: 'classic', keep: 'none' }));
    assert.equal((await svc.call('segmentation.get', { imageId: raw.id }))!.engine, 'classic');
    await assert.rejects(svc.call('eval.setDefault', { engine: 'nonsense' }), /Unknown or unavailable engine 'nonsense'/);
  } finally {
    await svc.dispose();
  }
});

test('grainlab eval --project: table best first, --json, --set-default; a project without verified images is refused', { timeout: 300_000 }, async () => {
  const dir = await verifiedProject();
  const out: string[] = [];
  const errs: string[] = [];
  const log = console.log;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['eval', '--project', dir, '--engines', 'classic', 'test:oracle', 'test:blank', '--quiet']), 0, errs.join(''));
    const text = out.join('\n');
    assert.match(text, /Which engine fits this material: 2 verified image\(s\)/);
    const rows = text.split('\n').filter((l) => /^\s+\d\s/.test(l));
    assert.equal(rows.length, 3, text);
    assert.match(rows[0]!, /^\s+1\s+test:oracle\s+1\.000\s+1\.000/);
    assert.match(rows[2]!, /^\s+3\s+test:blank/);
    assert.match(text, /Best fit: test:oracle\./);

    out.length = 0;
    assert.equal(await runCli(['eval', '--project', dir, '--engines', 'classic,test:blank', '--no-effort', '--json', '--set-default']), 0, errs.join(''));
    const report = JSON.parse(out.join('\n')) as { best: string; defaultEngine: string; engines: { engine: string }[] };
    assert.equal(report.engines.length, 2);
    assert.equal(report.defaultEngine, report.best);
    out.length = 0;
    assert.equal(await runCli(['eval', '--project', dir, '--set-default', 'sam:tiny-sam:matsam']), 0, errs.join(''));
    assert.match(out.join('\n'), /Default engine of .*: sam:tiny-sam:matsam \(SAM tiny-sam \(matsam prompts\)\)/);
    // `grainlab segment` without --engine uses it; with --engine the flag wins.
    out.length = 0;
    assert.equal(await runCli(['segment', dir, '--image', '3', '--replace', '-y', '--quiet']), 0, errs.join(''));
    assert.match(out.join('\n'), /raw\.png.*\[sam tiny-sam, matsam: /);
    out.length = 0;
    assert.equal(await runCli(['segment', dir, '--image', '3', '--engine', 'classic', '--replace', '-y', '--quiet']), 0, errs.join(''));
    assert.doesNotMatch(out.join('\n'), /\[sam /);

    const bare = join(tempDir('gl-evalp-bare-'), 'proj');
    await makeProject(bare, [{ name: 'a.png', width: W, height: H, labels: voronoi(W, H, 24, 1) }]);
    errs.length = 0;
    assert.equal(await runCli(['eval', '--project', bare]), 1);
    assert.match(errs.join(''), /Nothing to evaluate: none of the 1 image\(s\) has a segmentation a person verified/);
    errs.length = 0;
    assert.equal(await runCli(['eval', dir, '--project', dir]), 1);
    assert.match(errs.join(''), /either a labelled folder .* or --project/);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
});

test('eval.project is a job: progress, and a cancel leaves no report and no change', { timeout: 120_000 }, async () => {
  const dir = await verifiedProject();
  const svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const before = await svc.call('images.list', {});
    const messages: string[] = [];
    let jobId = '';
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId !== jobId || e.state !== 'running') return;
      messages.push(e.message ?? '');
      // Cancel once the second engine has started.
      if (/tiny-sam/.test(e.message ?? '')) void svc.call('jobs.cancel', { jobId });
    });
    ({ jobId } = await svc.call('eval.project', { engines: ['classic', 'sam:tiny-sam:grid', 'sam:tiny-sam:matsam'], sam: TINY_SAM, effort: false }));
    const end = await jobEnd(svc, jobId);
    off();
    assert.equal(end.state, 'cancelled');
    // Progress is throttled to ~20 events a second, so a fast engine's own message may be skipped;
    // the ones that arrive name the engine and the image.
    assert.ok(messages.some((m) => /(classic pipeline|tiny-sam).*discs\.png/.test(m)), messages.join(' | '));
    assert.equal(await svc.call('eval.result', { jobId }), null);
    assert.deepEqual(await svc.call('images.list', {}), before);
  } finally {
    await svc.dispose();
  }
});
