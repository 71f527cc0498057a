// Classic phase-mode segmentation of a mosaic over the decode limit, tile by tile into its label
// tiles (main/tiles/segment-mosaic.ts), through the service: a 20000 x 14000 (280 MP) tiled
// deflate TIFF, blank or covered by a repeated 1000 px pattern of bright discs (about 45,000
// particles). Prints the job's wall time, the segments made and main's peak RSS; writes
// .bench/mosaic-segment.json.
// Run: npm run bench -- --only mosaic-segment   (~1-2 minutes)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { jobEnd } from '../integration/export-kit';
import { peakRssMiB, writeResult, type BenchRow } from './common';

const W = 20000;
const H = 14000;

/** A 1000 px square of 30 with about 160 bright discs (radius 6-20), seeded. */
function pattern(): Buffer {
  const s = 1000;
  const px = new Uint8Array(s * s).fill(30);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let k = 0; k < 160; k++) {
    const cx = Math.floor(rnd() * s);
    const cy = Math.floor(rnd() * s);
    const r = 6 + Math.floor(rnd() * 15);
    for (let y = Math.max(0, cy - r); y <= Math.min(s - 1, cy + r); y++) for (let x = Math.max(0, cx - r); x <= Math.min(s - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) px[y * s + x] = 220;
  }
  return Buffer.from(px);
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'gl-mosaic-seg-'));
  const service = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  try {
    await service.call('project.create', { path: join(tmp, 'project'), name: 'mosaic segment bench' });
    const tile = await sharp(pattern(), { raw: { width: 1000, height: 1000, channels: 1 } }).png().toBuffer();
    for (const kind of ['blank', 'particles'] as const) {
      let img = sharp({ create: { width: W, height: H, channels: 3, background: { r: 30, g: 30, b: 30 } }, limitInputPixels: false });
      if (kind === 'particles') img = img.composite([{ input: tile, tile: true, left: 0, top: 0 }]);
      const file = join(tmp, `${kind}.tif`);
      await img.toColourspace('b-w').tiff({ compression: 'deflate', tile: true, tileWidth: 512, tileHeight: 512 }).toFile(file);
      const imp = await service.call('images.importPaths', { paths: [file] });
      if (imp.failed.length) throw new Error(imp.failed[0]!.message);
      const id = imp.imported[0]!.id;
      const t0 = performance.now();
      const { jobId } = await service.call('segment.auto', { imageIds: [id], engine: 'classic' });
      const end = await jobEnd(service, jobId);
      if (end.state !== 'done') throw new Error(`${kind}: ${end.state} ${end.message ?? ''}`);
      const seconds = (performance.now() - t0) / 1000;
      rows.push({ metric: `${kind} 20000x14000: segment.auto (phase, tile by tile)`, value: seconds, unit: 's', note: end.message ?? '' });
      rows.push({ metric: `${kind} 20000x14000: throughput`, value: (W * H) / 1e6 / seconds, unit: 'MP/s' });
    }
    rows.push({ metric: 'main peak RSS (whole run)', value: peakRssMiB(), unit: 'MiB' });
  } finally {
    await service.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
  writeResult('mosaic-segment', rows);
}

await main();
