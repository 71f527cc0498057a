// Big projects: 100, 1,000 and 10,000 small synthetic images (GRAINLAB_SCALE_MAX=1000 stops at 1,000;
// the whole section took 287 s on 2 cores)
// (64 x 64 discs, test/integration/scale-kit.ts) through import, segment --all, statistics and a
// COCO and PNG-mask export (each also on one worker), in-process through the service as the CLI runs them, with the worker pool at its
// default size. Per step: time, time per image, database size and memory. The point is the cost
// per image staying roughly constant as the project grows (no step worse than linear).
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import { defaultPoolSize } from '../../main/jobs/pool';
import type { ProgressEvent } from '../../app/contract';
import { writeSyntheticImages } from '../integration/scale-kit';
import { writeResult, peakRssMiB, type BenchRow } from './common';

const max = Number(process.env.GRAINLAB_SCALE_MAX ?? 10_000);
const sizes = [100, 1000, 10_000].filter((n) => n <= max);
const rows: BenchRow[] = [];
const root = mkdtempSync(join(tmpdir(), 'gl-bench-scale-'));

function waitJob(svc: GrainLabService, jobId: string): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

const mib = (bytes: number) => bytes / 2 ** 20;
function dbMiB(dir: string): number {
  let total = 0;
  for (const f of ['project.sqlite', 'project.sqlite-wal']) if (existsSync(join(dir, f))) total += statSync(join(dir, f)).size;
  return mib(total);
}

console.log(`scale: sizes ${sizes.join(', ')}; pool of ${defaultPoolSize()} worker(s); 64 x 64 px images`);
const images = await writeSyntheticImages(join(root, 'in'), Math.max(...sizes));

for (const n of sizes) {
  const dir = join(root, `p${n}`);
  const svc = new GrainLabService({ userDataDir: join(root, 'user'), binding: 'web' });
  await svc.call('project.create', { path: dir });
  const step = async (name: string, fn: () => Promise<void>) => {
    globalThis.gc?.();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const rss = mib(process.memoryUsage().rss);
    rows.push({ metric: `${n} images: ${name}`, value: ms / 1000, unit: 's', note: `${(ms / n).toFixed(2)} ms/image; db ${dbMiB(dir).toFixed(1)} MiB; RSS ${rss.toFixed(0)} MiB after, peak ${peakRssMiB().toFixed(0)} MiB` });
    console.log(`scale ${String(n).padStart(6)} ${name.padEnd(28)} ${(ms / 1000).toFixed(2).padStart(8)} s  ${(ms / n).toFixed(2).padStart(7)} ms/image  db ${dbMiB(dir).toFixed(1)} MiB  RSS ${rss.toFixed(0)} MiB`);
  };

  await step('import', async () => {
    const paths = images.slice(0, n);
    for (let k = 0; k < paths.length; k += 1000) {
      const r = await svc.call('images.importPaths', { paths: paths.slice(k, k + 1000) });
      if (r.imported.length !== Math.min(1000, paths.length - k)) throw new Error(`import: ${r.failed[0]?.message ?? 'images missing'}`);
    }
  });
  const ids = (await svc.call('images.list', {})).map((i) => i.id);
  await step('segment --all (classic)', async () => {
    const { jobId } = await svc.call('segment.auto', { imageIds: ids, engine: 'classic' });
    const end = await waitJob(svc, jobId);
    if (end.state !== 'done') throw new Error(`segment: ${end.state} ${end.message ?? ''}`);
  });
  await step('stats (first call)', async () => {
    const s = await svc.call('stats.compute', {});
    if (s.images.length !== n) throw new Error(`stats: ${s.images.length} images`);
  });
  // Exports prepare images in the worker pool (main/export/items.ts); the same export on one worker
  // (on the service thread, GRAINLAB_WORKERS=1) beside it shows what the pool brings.
  const exportStep = async (format: 'coco' | 'png', workers: number | null) => {
    const name = `export ${format === 'coco' ? 'COCO' : 'PNG masks'}${workers === 1 ? ' (1 worker)' : ''}`;
    const saved = process.env.GRAINLAB_WORKERS;
    if (workers !== null) process.env.GRAINLAB_WORKERS = String(workers);
    try {
      await step(name, async () => {
        const { jobId } = await svc.call('export.dataset', { dest: join(root, `${format}${n}-${workers ?? 'pool'}`), format });
        const end = await waitJob(svc, jobId);
        if (end.state !== 'done') throw new Error(`export: ${end.state} ${end.message ?? ''}`);
      });
    } finally {
      if (saved === undefined) delete process.env.GRAINLAB_WORKERS;
      else process.env.GRAINLAB_WORKERS = saved;
      rmSync(join(root, `${format}${n}-${workers ?? 'pool'}`), { recursive: true, force: true });
    }
  };
  await exportStep('coco', null);
  await exportStep('coco', 1);
  await exportStep('png', null);
  await exportStep('png', 1);
  // The image list: all of it (what the current renderer asks for) and one page from the middle.
  const t0 = performance.now();
  const all = await svc.call('images.list', {});
  const t1 = performance.now();
  const page = await svc.call('images.list', { afterId: all[Math.floor(n / 2)]!.id, limit: 100 });
  const t2 = performance.now();
  if (all.length !== n || page.length === 0) throw new Error('list');
  rows.push({ metric: `${n} images: images.list, all`, value: t1 - t0, unit: 'ms' });
  rows.push({ metric: `${n} images: images.list, a page of 100 (cursor)`, value: t2 - t1, unit: 'ms' });
  console.log(`scale ${String(n).padStart(6)} images.list all ${(t1 - t0).toFixed(1)} ms, page of 100 ${(t2 - t1).toFixed(2)} ms`);
  await svc.dispose();
}

rows.push({ metric: 'worker pool size', value: defaultPoolSize(), unit: 'workers', note: 'GRAINLAB_WORKERS, else one per core' });
if (max < 10_000) rows.push({ metric: '10,000 images', value: 'not run', unit: '', note: `GRAINLAB_SCALE_MAX=${max}; unset it to run 10,000` });
writeResult('scale', rows);
rmSync(root, { recursive: true, force: true });
