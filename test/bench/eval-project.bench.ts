// "Which engine fits this material" on real verified data: a project made from tbm_train (grain
// boundaries traced by experts, imported as labels and marked verified), every available engine
// scored with eval.project (classic with the project settings, a grain-mode preset, and any
// installed SAM model), plus the fine-tuning export of the same images. Without ../shared/data a
// synthetic grain project stands in. Not a test: prints figures.
// Usage: node --import tsx test/bench/eval-project.bench.ts [--data DIR] [--images N]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, newService, runToEnd, tempDir, voronoi } from '../integration/export-kit';
import { writeResult, type BenchRow } from './common';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const N = Number(opt('--images') ?? 8);
const data = opt('--data');
const set = data ? join(data, 'tbm_train') : '';
const real = !!set && existsSync(join(set, 'images'));

const tmp = tempDir('gl-evalp-bench-');
const dir = join(tmp, 'proj');
const svc = newService();
const rows: BenchRow[] = [];
let source: string;
if (real) {
  const names = readdirSync(join(set, 'images')).filter((f) => f.endsWith('.png')).sort().slice(0, N);
  await svc.call('project.create', { path: dir });
  await svc.call('images.importPaths', { paths: names.map((f) => join(set, 'images', f)) });
  await runToEnd(svc, () => svc.call('labels.import', { kind: 'boundary', paths: names.map((f) => join(set, 'labels', f)) }));
  for (const im of await svc.call('images.list', {})) await svc.call('images.setStatus', { imageId: im.id, status: 'verified' });
  source = `tbm_train, first ${names.length} images (expert boundaries imported, marked verified)`;
} else {
  const S = 512;
  await makeProject(dir, Array.from({ length: N }, (_, k) => ({ name: `g${k}.png`, width: S, height: S, labels: voronoi(S, S, 40, k + 1), status: 'verified' as const })));
  await svc.call('project.open', { path: dir });
  source = `synthetic ${N} x 512² grain maps (no ../shared/data)`;
}
await svc.call('presets.save', { name: 'grains', settings: { mode: 'grain', minArea: 16, invert: false } });
console.log(source);

let t = performance.now();
const jobId = await runToEnd(svc, () => svc.call('eval.project', {}));
const evalS = (performance.now() - t) / 1000;
const report = (await svc.call('eval.result', { jobId }))!;
for (const e of report.engines) {
  const note = `rank ${e.rank ?? '–'}; recall@0.5 ${e.recall50.toFixed(3)}; effort ${e.effort ? e.effort.per100.toFixed(1) : '–'} ops/100 (${e.effort?.reached ?? 0}/${e.images} reached); ${(e.msPerImage / 1000).toFixed(2)} s/image`;
  rows.push({ metric: `eval --project ${e.engine}: ARI`, value: e.ari, unit: 'ARI', note: e.failed ? `failed: ${e.failed}` : note });
}
rows.push({ metric: 'eval --project: whole evaluation', value: evalS, unit: 's', note: `${report.engines.length} engines x ${report.images.length} images, effort simulated; ${source}` });

t = performance.now();
const ft = await runToEnd(svc, () => svc.call('export.finetune', { dest: join(tmp, 'ft'), ratios: [8, 2, 0] }));
const ftS = (performance.now() - t) / 1000;
const sum = (await svc.call('export.finetuneResult', { jobId: ft }))!;
rows.push({ metric: 'export --format finetune: images/s', value: sum.images / ftS, unit: 'images/s', note: `${sum.segments} instances, ${(sum.bytes / 1e6).toFixed(1)} MB` });
await svc.dispose();
writeResult('eval-project', rows);
