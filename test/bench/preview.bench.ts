// Latency of the live segmentation preview (segment.preview): the classic engine on the visible
// region of an image, as the settings panel calls it while a person moves sliders or pans. A
// 4096 x 4096 synthetic grain micrograph; regions of 512 px (full resolution) and 2048 px
// (reduced 4x to 512 px); phase and grain mode. Wall time through the service (worker start,
// region cut, engine, labels back), after a first call that decodes the image.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { generateGrains } from '../../app/synth';
import { percentile, writeResult, type BenchRow } from './common';

const size = 4096;
const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-bench-user-')), binding: 'web' });
const rows: BenchRow[] = [];
try {
  await svc.call('project.create', { path: join(mkdtempSync(join(tmpdir(), 'gl-bench-preview-')), 'p') });
  const g = generateGrains({ width: size, height: size, seed: 3, grainCount: 4000 });
  const png = new Uint8Array(await sharp(g.image.data as Uint8Array, { raw: { width: size, height: size, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer());
  const [im] = (await svc.call('images.importFiles', { files: [{ name: 'grains-4096.png', bytes: png }] })).imported;
  const id = im!.id;

  const t0 = performance.now();
  await svc.call('segment.preview', { imageId: id, region: { x: 0, y: 0, width: 512, height: 512 }, classic: { mode: 'phase', minArea: 16, invert: false } });
  rows.push({ metric: 'first preview of the image (decode 4096² + 512² region, phase)', value: performance.now() - t0, unit: 'ms' });

  for (const mode of ['phase', 'grain'] as const) {
    for (const side of [512, 2048]) {
      const wall: number[] = [];
      const engine: number[] = [];
      // The first two runs of each configuration warm the worker's JIT and are not counted.
      for (let k = -2; k < 12; k++) {
        // Panning: a new region each call; settings change too (min area).
        const x = ((k + 2) * 173) % (size - side);
        const y = ((k + 2) * 311) % (size - side);
        const t = performance.now();
        const r = await svc.call('segment.preview', { imageId: id, region: { x, y, width: side, height: side }, classic: { mode, minArea: 16 + k, invert: false }, maxSide: 512 });
        if (k < 0) continue;
        wall.push(performance.now() - t);
        engine.push(r.ms);
      }
      const label = `${mode}, ${side}² region${side > 512 ? ' (reduced to 512²)' : ''}`;
      rows.push({ metric: `preview ${label}: wall p50`, value: percentile(wall, 50), unit: 'ms' });
      rows.push({ metric: `preview ${label}: wall p95`, value: percentile(wall, 95), unit: 'ms', target: '≤ 250 ms (interactive)' });
      rows.push({ metric: `preview ${label}: in the worker p50`, value: percentile(engine, 50), unit: 'ms' });
    }
  }
} finally {
  await svc.dispose();
}
writeResult('preview', rows);
