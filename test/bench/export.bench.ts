// Export throughput on a synthetic project (default 20 images of 2048 x 2048 px, ~1800 grains each):
// images/s and MB/s written for COCO (compressed RLE, polygons), PNG masks and YOLO, with and
// without copying the micrographs; plus measurement time. Not a test: prints figures.
// Usage: node --import tsx test/bench/export.bench.ts [--images N] [--size PX]
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { makeProject, newService, runToEnd, tempDir, voronoi } from '../integration/export-kit';
import type { Args } from '../../app/contract';
import { peakRssMiB, writeResult, type BenchRow } from './common';

const argv = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const N = opt('--images', 20);
const S = opt('--size', 2048);

const tmp = tempDir('gl-export-bench-');
const dir = join(tmp, 'proj');
let t = performance.now();
await makeProject(
  dir,
  Array.from({ length: N }, (_, k) => ({
    name: `bench_${k}.png`,
    width: S,
    height: S,
    labels: voronoi(S, S, 48, k + 1),
    classOf: (id: number) => (id % 5 === 0 ? null : id % 2 ? 'ferrite' : 'pearlite'),
    verified: (id: number) => id % 4 === 0,
    pixelSizeUm: 0.2,
  })),
  [{ name: 'ferrite', color: '#ff0000' }, { name: 'pearlite', color: '#00ff00' }],
);
console.log(`synthetic project: ${N} images ${S}x${S} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const svc = newService();
await svc.call('project.open', { path: dir });
const rows: BenchRow[] = [];
// Warm-up (JIT, SQLite page cache) on two images, not measured.
await runToEnd(svc, async () => svc.call('export.dataset', { dest: join(tmp, 'warm'), format: 'png', imageIds: [1, 2], copyImages: false }));
await runToEnd(svc, async () => svc.call('export.dataset', { dest: join(tmp, 'warm2'), format: 'coco', imageIds: [1, 2], copyImages: false }));
const runs: { label: string; args: Omit<Args<'export.dataset'>, 'dest'> }[] = [
  { label: 'COCO compressed RLE', args: { format: 'coco', rle: 'compressed', copyImages: false } },
  { label: 'COCO polygons', args: { format: 'coco', rle: 'polygon', copyImages: false } },
  { label: 'PNG masks (instance, semantic, boundary, preview)', args: { format: 'png', copyImages: false } },
  { label: 'YOLO polygons', args: { format: 'yolo', copyImages: false } },
  { label: 'COCO compressed RLE + images', args: { format: 'coco', rle: 'compressed', copyImages: true } },
  { label: 'PNG masks + tiles 512/64 + images', args: { format: 'png', tile: { size: 512, overlap: 64 }, copyImages: true } },
];
for (const [k, r] of runs.entries()) {
  const dest = join(tmp, `out-${k}`);
  t = performance.now();
  const jobId = await runToEnd(svc, () => svc.call('export.dataset', { dest, ...r.args }));
  const s = (performance.now() - t) / 1000;
  const sum = (await svc.call('export.result', { jobId }))!;
  rows.push({ metric: `${r.label}: images/s`, value: N / s, unit: 'images/s', note: `${sum.segments} segments, ${sum.items} file sets` });
  rows.push({ metric: `${r.label}: MB/s written`, value: sum.bytes / 1e6 / s, unit: 'MB/s', note: `${(sum.bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s` });
  rmSync(dest, { recursive: true, force: true });
}
t = performance.now();
const stats = await svc.call('stats.compute', {});
const first = (performance.now() - t) / 1000;
t = performance.now();
await svc.call('stats.compute', {});
const cached = (performance.now() - t) / 1000;
rows.push({ metric: 'stats.compute, whole project, first call', value: first, unit: 's', note: `${stats.project.summary.grainCount} grains` });
rows.push({ metric: 'stats.compute, whole project, cached geometry', value: cached, unit: 's' });
rows.push({ metric: 'peak RSS', value: peakRssMiB(), unit: 'MiB' });
await svc.dispose();
rmSync(tmp, { recursive: true, force: true });
writeResult('export', rows);
