// Large-image viewing benchmark (not a test): synthetic 8-bit grey mosaics of 8192^2 and 32768^2
// (written here by libvips: a 1024 px tile of grains repeated, deflate TIFF) imported by path,
// then: the tile pyramid build (main/tiles/pyramid.ts), main's memory, the tile fetch p95 (image
// and label tiles, in process), label edits in main's tiled map, and in headless Chromium through
// the web binding: time from opening the image to its first view drawn from tiles, and the page's
// JS heap. Prints the figures and writes .bench/large-view.json.
// Run: node --import tsx test/bench/large-view.bench.ts   (needs `npm run build`; ~3-6 minutes)
import { chromium } from 'playwright-core';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { startWebServer } from '../../main/server/web-server';
import { rendererDir } from '../../main/paths';
import { fitViewport } from '../../app/view/viewport';
import { levelFor, maxLevel, visibleTiles } from '../../renderer/viewer/tiles';
import { percentile, writeResult, type BenchRow } from './common';
import { CHROMIUM } from '../e2e/harness';

const SIZES = (process.env.LARGE_VIEW_SIZES ?? '8192,32768').split(',').map(Number);
const FETCHES = 200;
const MiB = 2 ** 20;

/** A 1024 px tile of bright discs on a darker gradient (so levels differ and it compresses). */
function grainTile(): Buffer {
  const n = 1024;
  const px = Buffer.alloc(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const cx = (x % 128) - 64;
      const cy = (y % 128) - 64;
      px[y * n + x] = cx * cx + cy * cy < 48 * 48 ? 190 + ((x >> 7) * 7) % 40 : 40 + ((x + y) >> 5);
    }
  }
  return px;
}

async function writeMosaic(file: string, size: number): Promise<void> {
  const tile = await sharp(grainTile(), { raw: { width: 1024, height: 1024, channels: 1 } }).png().toBuffer();
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: 0, g: 0, b: 0 } }, limitInputPixels: false })
    .composite([{ input: tile, tile: true, gravity: 'northwest' }])
    .toColourspace('b-w')
    .tiff({ compression: 'deflate', tile: true, tileWidth: 512, tileHeight: 512 })
    .toFile(file);
}

/** Samples main's RSS every 50 ms while `run` runs; returns its result and the peak. */
async function withPeakRss<T>(run: () => Promise<T>): Promise<{ value: T; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const value = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakMiB: peak / MiB };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'gl-large-view-'));
  const service = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  await service.call('project.create', { path: join(tmp, 'project'), name: 'large view bench' });
  const server = await startWebServer({ service, staticDir: rendererDir(), port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info', '--disable-dev-shm-usage'] });
  try {
    for (const size of SIZES) {
      const tag = `${size}^2`;
      const file = join(tmp, `mosaic-${size}.tif`);
      let t0 = performance.now();
      await writeMosaic(file, size);
      console.log(`${tag}: mosaic written in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(statSync(file).size / MiB).toFixed(0)} MiB)`);
      t0 = performance.now();
      const imp = await service.call('images.importPaths', { paths: [file] });
      if (imp.failed.length) throw new Error(imp.failed[0]!.message);
      const im = imp.imported[0]!;
      rows.push({ metric: `${tag}: import (header, hash, thumbnail)`, value: (performance.now() - t0) / 1000, unit: 's', note: `${(statSync(file).size / MiB).toFixed(0)} MiB deflate TIFF` });

      const rss0 = process.memoryUsage().rss / MiB;
      const built = await withPeakRss(() => service.call('tiles.pyramid', { imageId: im.id }));
      rows.push({ metric: `${tag}: pyramid build (libvips dzsave, PNG tiles)`, value: built.value.buildMs / 1000, unit: 's', note: `${built.value.levels} levels, ${(built.value.bytes / MiB).toFixed(0)} MiB on disk; main RSS ${rss0.toFixed(0)} MiB before, peak ${built.peakMiB.toFixed(0)} MiB` });

      // First view in process: the tiles a fitted 1360 x 780 view draws.
      const v = fitViewport(size, size, 1360, 780, 16, 44);
      const level = levelFor(v.scale, size, size);
      const first = visibleTiles(v, 1360, 780, size, size, level);
      t0 = performance.now();
      await Promise.all(first.map((k) => service.call('tiles.image', { imageId: im.id, ...k })));
      rows.push({ metric: `${tag}: first view's image tiles (pyramid cached, in process)`, value: performance.now() - t0, unit: 'ms', note: `${first.length} tiles of level ${level}` });

      // Tile fetch p95: random tiles of every level (image) and level 0 (labels, after strokes).
      let s = 99;
      const rnd = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
      const img: number[] = [];
      for (let i = 0; i < FETCHES; i++) {
        const L = rnd(maxLevel(size, size) + 1);
        const n = Math.ceil(size / (512 << L));
        const t = performance.now();
        await service.call('tiles.image', { imageId: im.id, level: L, tx: rnd(n), ty: rnd(n) });
        img.push(performance.now() - t);
      }
      rows.push({ metric: `${tag}: image tile fetch p50 / p95`, value: `${percentile(img, 50).toFixed(1)} / ${percentile(img, 95).toFixed(1)}`, unit: 'ms', note: `${FETCHES} random tiles of all levels, in process (decode of one 512 px PNG)` });

      const rssBeforeEdits = process.memoryUsage().rss / MiB;
      const edits: number[] = [];
      for (let i = 0; i < 100; i++) {
        const x = rnd(size - 400) + 200;
        const y = rnd(size - 400) + 200;
        const t = performance.now();
        await service.call('tiles.edit', { imageId: im.id, ops: [{ kind: 'brush', mode: 'paint', points: [[x, y], [x + 150, y + 60]], radius: 12, target: 'new' }] });
        edits.push(performance.now() - t);
      }
      rows.push({ metric: `${tag}: brush stroke applied in main (p50 / p95)`, value: `${percentile(edits, 50).toFixed(1)} / ${percentile(edits, 95).toFixed(1)}`, unit: 'ms', note: `100 strokes, radius 12, anywhere; main RSS +${(process.memoryUsage().rss / MiB - rssBeforeEdits).toFixed(0)} MiB for the label tiles${size * size <= 16384 * 16384 ? ' and the saved segmentation (its whole map in the edit store, each stroke logged)' : ' (saved in the project: changed tiles and the undo step in one transaction)'}` });
      const lab: number[] = [];
      for (let i = 0; i < FETCHES; i++) {
        const n = Math.ceil(size / 512);
        const t = performance.now();
        await service.call('tiles.labels', { imageId: im.id, level: 0, tx: rnd(n), ty: rnd(n) });
        lab.push(performance.now() - t);
      }
      rows.push({ metric: `${tag}: label tile fetch p50 / p95`, value: `${percentile(lab, 50).toFixed(2)} / ${percentile(lab, 95).toFixed(2)}`, unit: 'ms', note: `${FETCHES} random level-0 tiles, in process` });
      const undo0 = performance.now();
      await service.call('tiles.undo', { imageId: im.id });
      rows.push({ metric: `${tag}: undo of a stroke in main`, value: performance.now() - undo0, unit: 'ms' });
      if (size * size > 16384 * 16384) {
        // Saved label tiles: reopen the project, then the first pixel read and one segment's area (a scan of every saved tile).
        t0 = performance.now();
        await service.call('project.close', {});
        await service.call('project.open', { path: join(tmp, 'project') });
        const first = await service.call('tiles.labelAt', { imageId: im.id, x: 0, y: 0 });
        rows.push({ metric: `${tag}: reopen the project and read a label pixel`, value: performance.now() - t0, unit: 'ms', note: `label ${first}; the saved map reads its tile keys and step list, then one tile` });
        t0 = performance.now();
        const [seg] = await service.call('tiles.segments', { imageId: im.id, ids: [50] });
        rows.push({ metric: `${tag}: one segment's area from the saved tiles (tiles.segments)`, value: performance.now() - t0, unit: 'ms', note: `${seg?.area ?? 0} px; scans every labelled tile` });
        const canUndo = (await service.call('tiles.history', { imageId: im.id })).canUndo;
        t0 = performance.now();
        await service.call('tiles.undo', { imageId: im.id });
        rows.push({ metric: `${tag}: undo after reopening`, value: performance.now() - t0, unit: 'ms', note: `history kept: ${canUndo}` });
      }

      // In Chromium through the web binding: open the image, wait for the first view's tiles.
      const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
      await page.addInitScript('window.__grainlabDebug = true;');
      await page.goto(server.url);
      await page.getByTestId(`image-${im.id}`).waitFor();
      const heap0 = (await page.evaluate('performance.memory.usedJSHeapSize')) as number;
      const trace: string[] = [];
      const invoke = service.invoke.bind(service);
      if (process.env.LARGE_VIEW_TRACE) {
        service.invoke = (async (m: Parameters<typeof invoke>[0], a: unknown, c?: Parameters<typeof invoke>[2]) => {
          const s0 = performance.now();
          try {
            return await invoke(m, a, c);
          } finally {
            trace.push(`${m} at ${(s0 - t0).toFixed(0)} took ${(performance.now() - s0).toFixed(0)} ms`);
          }
        }) as typeof service.invoke;
      }
      t0 = performance.now();
      await page.getByTestId(`image-${im.id}`).click();
      const ready = `(() => { const v = window.__grainlab && window.__grainlab.viewer; return !!v && v.canvas.width === ${size} && v.canvas.fetches.done >= 2 && v.canvas.fetches.busy === 0; })()`;
      for (let k = 0; k < 1200 && !(await page.evaluate(ready)); k++) await page.waitForTimeout(25);
      const firstView = performance.now() - t0;
      service.invoke = invoke;
      if (trace.length) console.log(trace.join('\n'));
      const fetched = (await page.evaluate('window.__grainlab.viewer.canvas.fetches.done')) as number;
      const heap = (await page.evaluate('performance.memory.usedJSHeapSize')) as number;
      rows.push({ metric: `${tag}: Chromium, click to first view drawn from tiles`, value: firstView, unit: 'ms', note: `${fetched} tiles fetched over WebSocket (pyramid cached); page JS heap ${(heap0 / MiB).toFixed(0)} -> ${(heap / MiB).toFixed(0)} MiB` });
      await page.close();
      rows.push({ metric: `${tag}: main RSS after`, value: process.memoryUsage().rss / MiB, unit: 'MiB', note: `whole raster would be ${((size * size) / MiB).toFixed(0)} MiB (8-bit) + ${((4 * size * size) / MiB).toFixed(0)} MiB label map` });
      await service.call('images.remove', { ids: [im.id] });
    }
  } finally {
    await browser.close();
    await server.close();
    await service.dispose();
  }
  writeResult('large-view', rows);
}

await main();
