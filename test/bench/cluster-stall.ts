// How long the service thread stalls while a large image is clustered (features and k-means run in
// workers), and how long edits made meanwhile take to be acknowledged. A figure of the cluster
// benchmark; the integration test only checks that edits are served at all (timing is not asserted
// in tests: a busy machine stretches it).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twoPhaseImage } from '../support/cluster-synthetic';
import { segmentStats } from '../../app/labelmap';
import { GrainLabService } from '../../main/service';
import { ProjectStore, compressLabels } from '../../main/store/project-store';
import { runToEnd } from '../integration/export-kit';
import { percentile, type BenchRow } from './common';

export async function clusterStallRows(side = 3072): Promise<BenchRow[]> {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-bench-stall-')), 'proj');
  const store = ProjectStore.create(dir, 'stall bench');
  const t = twoPhaseImage({ width: side, height: side, seed: 5 });
  writeFileSync(join(dir, 'images', 'two-phase.png'), await sharp(Buffer.from(t.image.data as Uint8Array), { raw: { width: side, height: side, channels: 1 } }).png().toBuffer());
  const [img] = store.insertImages([{ name: 'two-phase.png', file: 'images/two-phase.png', page: 0, hash: 'stall', width: side, height: side, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  const stats = segmentStats(t.labels);
  store.saveSegmentation(img!.id, t.labels, stats.map((s) => ({ ...s, source: 'auto' as const })), 'bench', await compressLabels(t.labels.data));
  store.close();
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-bench-user-')), binding: 'web' });
  await svc.call('project.open', { path: dir });
  const imageId = img!.id;
  let last = performance.now();
  let longestStall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestStall = Math.max(longestStall, now - last);
    last = now;
  }, 5);
  let done = false;
  const t0 = performance.now();
  const clustering = runToEnd(svc, () => svc.call('cluster.run', { imageId, groups: ['intensity', 'shape'] })).finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  for (let n = 0; !done; n++) {
    const e0 = performance.now();
    await svc.call('edit.apply', { imageId, op: { kind: 'setVerified', ids: [1 + (n % 40)], verified: n % 80 < 40 } });
    latencies.push(performance.now() - e0);
    await new Promise((r) => setTimeout(r, 20));
  }
  await clustering;
  const seconds = (performance.now() - t0) / 1000;
  longestStall = Math.max(longestStall, performance.now() - last);
  clearInterval(timer);
  await svc.dispose();
  const note = `${side}² two-phase image, ${stats.length} segments, clustered in ${seconds.toFixed(1)} s while edits went on`;
  return [
    { metric: 'service thread: longest stall while clustering a large image', value: longestStall, unit: 'ms', note },
    { metric: 'edits acknowledged while clustering: count / p95 / slowest', value: `${latencies.length} / ${percentile(latencies, 95).toFixed(0)} / ${Math.max(...latencies).toFixed(0)}`, unit: 'ms' },
  ];
}
