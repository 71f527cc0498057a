// Canvas benchmark (not a test): an 8192 x 8192 micrograph with 5,000 segments in headless
// Chromium through the real web binding. Measures frame time while panning and zooming, the
// latency from pointer-up / key-down to the redrawn overlay for brush, merge, split and undo,
// and the renderer's memory. Prints the figures and writes .bench/canvas.json.
// Run: node --import tsx test/bench/canvas.bench.ts   (needs `npm run build` first; ~2-4 minutes)
import { chromium, type Page } from 'playwright-core';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { segmentStats } from '../../app/labelmap';
import { GrainLabService } from '../../main/service';
import { startWebServer } from '../../main/server/web-server';
import { rendererDir } from '../../main/paths';
import { ProjectStore, compressLabels } from '../../main/store/project-store';
import { percentile, writeResult, type BenchRow } from './common';
import { CHROMIUM } from '../e2e/harness';

const SIZE = Number(process.env.CANVAS_BENCH_SIZE ?? 8192);
const CELLS = Number(process.env.CANVAS_BENCH_SEGMENTS ?? 5000);
const REPEAT = Number(process.env.CANVAS_BENCH_REPEAT ?? 20);

/** Voronoi cells on a jittered grid (3 x 3 neighbourhood search), ids 1..n, and their seed points. */
function voronoi(size: number, cells: number): { labels: Uint32Array; seeds: [number, number][]; cols: number } {
  const cols = Math.round(Math.sqrt(cells));
  const rows = Math.ceil(cells / cols);
  const cw = size / cols;
  const ch = size / rows;
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const sx = new Float64Array(cols * rows);
  const sy = new Float64Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      sx[r * cols + c] = (c + 0.2 + 0.6 * rnd()) * cw;
      sy[r * cols + c] = (r + 0.2 + 0.6 * rnd()) * ch;
    }
  }
  const labels = new Uint32Array(size * size);
  for (let y = 0; y < size; y++) {
    const r0 = Math.min(rows - 1, Math.floor(y / ch));
    for (let x = 0; x < size; x++) {
      const c0 = Math.min(cols - 1, Math.floor(x / cw));
      let best = Infinity;
      let id = 0;
      for (let r = Math.max(0, r0 - 1); r <= Math.min(rows - 1, r0 + 1); r++) {
        for (let c = Math.max(0, c0 - 1); c <= Math.min(cols - 1, c0 + 1); c++) {
          const k = r * cols + c;
          const d = (x + 0.5 - sx[k]!) ** 2 + (y + 0.5 - sy[k]!) ** 2;
          if (d < best) {
            best = d;
            id = k + 1;
          }
        }
      }
      labels[y * size + x] = id;
    }
  }
  const seeds: [number, number][] = [];
  for (let k = 0; k < cols * rows; k++) seeds.push([Math.floor(sx[k]!), Math.floor(sy[k]!)]);
  return { labels, seeds, cols };
}

/** A grain micrograph for the labels: per-grain grey level, dark boundaries, noise. */
function micrograph(labels: Uint32Array, size: number): Uint8Array {
  const px = new Uint8Array(size * size);
  let s = 99;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const id = labels[i]!;
      const edge = (x + 1 < size && labels[i + 1] !== id) || (y + 1 < size && labels[i + size] !== id);
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      px[i] = edge ? 30 + (s >>> 28) : 110 + ((id * 37) % 90) + (s >>> 28);
    }
  }
  return px;
}

async function makeProject(): Promise<{ dir: string; imageId: number; seeds: [number, number][]; cols: number; segments: number }> {
  const dir = join(mkdtempSync(join(tmpdir(), 'grainlab-canvas-bench-')), 'proj');
  const t0 = performance.now();
  const { labels, seeds, cols } = voronoi(SIZE, CELLS);
  const px = micrograph(labels, SIZE);
  const store = ProjectStore.create(dir, 'canvas bench');
  const file = 'images/big.png';
  await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 1 }, limitInputPixels: false }).png({ compressionLevel: 1 }).toFile(join(dir, file));
  const thumb = await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 1 }, limitInputPixels: false }).resize(128, 128).png().toBuffer();
  const [img] = store.insertImages([{ name: 'big.png', file, page: 0, hash: 'bench', width: SIZE, height: SIZE, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array(thumb) }]);
  const map = { width: SIZE, height: SIZE, data: labels };
  const segs = segmentStats(map).map((x) => ({ ...x, source: 'auto' as const }));
  store.saveSegmentation(img!.id, map, segs, 'bench', await compressLabels(labels));
  store.close();
  console.log(`project: ${SIZE}x${SIZE}, ${segs.length} segments, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, imageId: img!.id, seeds, cols, segments: segs.length };
}

async function until(page: Page, expr: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await page.evaluate(expr)) return;
    await page.waitForTimeout(100);
  }
  const dump = await page.evaluate('JSON.stringify({ commits: window.__grainlab.commits.slice(-5), log: window.__grainlab.session && window.__grainlab.session.log.slice(-5).map((e) => e.kind + ":" + e.status) })');
  throw new Error(`timed out waiting for ${expr}: ${String(dump)}`);
}

/** Frames driven in the page: each sets the view (the viewer draws it in its next animation frame); returns draw ms and rAF intervals. */
const FRAMES = `(async () => {
  const h = window.__grainlab.viewer;
  const size = h.size();
  const img = ${SIZE};
  const fit = Math.min((size.width - 32) / img, (size.height - 32) / img);
  const draws = [], gaps = [];
  let v = { scale: fit, x: (size.width - img * fit) / 2, y: (size.height - img * fit) / 2 };
  const steps = [];
  // Zoom in about the centre to 2x, pan at 1:1 in a loop, zoom back out.
  for (let k = 0; k < 90; k++) steps.push({ zoom: Math.pow(2 / fit, 1 / 90) });
  for (let k = 0; k < 160; k++) steps.push({ dx: 24 * Math.cos(k / 25), dy: 24 * Math.sin(k / 25) });
  for (let k = 0; k < 90; k++) steps.push({ zoom: Math.pow(fit / 2, 1 / 90) });
  let last = performance.now();
  const frames = window.__grainlab.frames;
  for (const st of steps) {
    const before = frames.length;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    if (frames.length > before) draws.push(frames[frames.length - 1]);
    if (st.zoom) {
      const cx = size.width / 2, cy = size.height / 2, s = v.scale * st.zoom;
      v = { scale: s, x: cx - (cx - v.x) * (s / v.scale), y: cy - (cy - v.y) * (s / v.scale) };
    } else v = { ...v, x: v.x + st.dx, y: v.y + st.dy };
    h.setView(v);
  }
  return { draws, gaps };
})()`;

/** rAF intervals of the same page with nothing to draw: the browser's own frame jitter here. */
const IDLE_FRAMES = `(async () => {
  const gaps = [];
  let last = performance.now();
  for (let k = 0; k < 150; k++) {
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }
  return gaps;
})()`;

async function main(): Promise<void> {
  if (!existsSync(join(rendererDir(), 'index.html'))) throw new Error('The renderer is not built: run `npm run build` first.');
  const p = await makeProject();
  const service = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'grainlab-user-')), binding: 'web' });
  await service.call('project.open', { path: p.dir });
  const server = await startWebServer({ service, staticDir: rendererDir(), port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage', '--enable-precise-memory-info', '--js-flags=--max-old-space-size=8192'] });
  const rows: BenchRow[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const tOpen = performance.now();
    await page.goto(`${server.url}&debug=1#image=${p.imageId}`);
    await until(page, `!!(window.__grainlab && window.__grainlab.session && window.__grainlab.viewer && window.__grainlab.session.doc.labels.data.length === ${SIZE * SIZE})`, 180_000);
    await page.getByTestId('statusbar').filter({ hasText: `${p.segments} segments` }).waitFor({ timeout: 60_000 });
    rows.push({ metric: 'open image (pixels + label map + first frame)', value: performance.now() - tOpen, unit: 'ms' });
    await page.waitForTimeout(1000);

    const f = (await page.evaluate(FRAMES)) as { draws: number[]; gaps: number[] };
    rows.push({ metric: 'pan/zoom frame: draw time p50', value: percentile(f.draws, 50), unit: 'ms' });
    rows.push({ metric: 'pan/zoom frame: draw time p95', value: percentile(f.draws, 95), unit: 'ms', target: '<= 16.7' });
    rows.push({ metric: 'pan/zoom frame: interval p50 (rAF)', value: percentile(f.gaps.slice(1), 50), unit: 'ms' });
    rows.push({ metric: 'pan/zoom frame: interval p95 (rAF)', value: percentile(f.gaps.slice(1), 95), unit: 'ms', note: 'includes Chromium compositing in software (--disable-gpu)' });
    // A frame counts as dropped when its interval is over 1.5 vsync periods (a missed vsync).
    const dropped = (gaps: number[]) => gaps.filter((g) => g > 25).length;
    rows.push({ metric: 'pan/zoom frame: dropped frames (interval > 25 ms)', value: `${dropped(f.gaps.slice(1))} of ${f.gaps.length - 1}`, unit: 'frames' });
    const idleGaps = ((await page.evaluate(IDLE_FRAMES)) as number[]).slice(1);
    rows.push({ metric: 'idle page, nothing drawn: interval p95 (rAF) / dropped', value: `${percentile(idleGaps, 95).toFixed(1)} / ${dropped(idleGaps)} of ${idleGaps.length}`, unit: 'ms / frames', note: "this browser's own frame jitter, for comparison" });
    const phase = (name: string, a: number, b: number) => {
      rows.push({ metric: `  ${name}: draw p95 / interval p95`, value: `${percentile(f.draws.slice(a, b), 95).toFixed(1)} / ${percentile(f.gaps.slice(Math.max(1, a), b), 95).toFixed(1)}`, unit: 'ms' });
    };
    phase('zoom in (fit to 2x)', 0, 90);
    phase('pan at 2x', 90, 250);
    phase('zoom out (2x to fit)', 250, 340);

    // Edits at 1:1 around the image centre, with real mouse and keyboard input.
    const centre = SIZE / 2;
    await page.evaluate(`(() => { const h = window.__grainlab.viewer; const s = h.size(); h.setView({ scale: 1, x: s.width / 2 - ${centre}, y: s.height / 2 - ${centre} }); h.drawAll(); })()`);
    await page.waitForTimeout(500);
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const view = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as { scale: number; x: number; y: number };
    const at = (x: number, y: number): [number, number] => [box.x + view.x + x * view.scale, box.y + view.y + y * view.scale];
    const visible = (x: number, y: number) => {
      const [sx, sy] = at(x, y);
      return sx > box.x + 120 && sx < box.x + box.width - 120 && sy > box.y + 120 && sy < box.y + box.height - 120;
    };
    const seedIds = p.seeds.map((s, k) => ({ s, id: k + 1 })).filter(({ s }) => visible(s[0], s[1]));
    const commits = async (): Promise<number> => (await page.evaluate('window.__grainlab.commits.length')) as number;
    const lastCommit = async (n: number, label: string): Promise<number> => {
      await until(page, `window.__grainlab.commits.length > ${n}`, 20_000);
      const c = (await page.evaluate(`window.__grainlab.commits[window.__grainlab.commits.length - 1]`)) as { label: string; ms: number };
      if (!c.label.toLowerCase().startsWith(label)) throw new Error(`expected a ${label} commit, got ${c.label}`);
      return c.ms;
    };
    const idle = () => until(page, 'window.__grainlab.session.pending === 0', 20_000);
    const t: Record<string, number[]> = { brush: [], merge: [], split: [], undo: [] };

    await page.keyboard.press('b');
    for (let k = 0; k < REPEAT; k++) {
      const [x, y] = seedIds[(k * 7) % seedIds.length]!.s;
      await page.keyboard.press('Escape');
      const n = await commits();
      const [ax, ay] = at(x - 40, y);
      const [bx, by] = at(x + 40, y + 15);
      await page.mouse.move(ax, ay);
      await page.mouse.down();
      await page.mouse.move(bx, by, { steps: 10 });
      await page.mouse.up();
      t.brush!.push(await lastCommit(n, 'brush'));
    }
    await idle();
    await page.keyboard.press('q');
    for (let k = 0; k < REPEAT; k++) {
      const a = seedIds[(k * 11 + 3) % seedIds.length]!;
      const b = p.seeds[a.id]; // the right-hand neighbour in the grid
      if (!b || !visible(b[0], b[1])) continue;
      await page.mouse.click(...at(a.s[0], a.s[1]));
      await page.keyboard.down('Shift');
      await page.mouse.click(...at(b[0], b[1]));
      await page.keyboard.up('Shift');
      const n = await commits();
      await page.keyboard.press('m');
      t.merge!.push(await lastCommit(n, 'merge'));
    }
    await idle();
    await page.keyboard.press('k');
    for (let k = 0; k < REPEAT; k++) {
      const [x, y] = seedIds[(k * 13 + 5) % seedIds.length]!.s;
      const n = await commits();
      const [ax, ay] = at(x + 0.5, y - 70);
      const [bx, by] = at(x + 1.5, y + 70);
      await page.mouse.move(ax, ay);
      await page.mouse.down();
      await page.mouse.move(bx, by, { steps: 10 });
      await page.mouse.up();
      t.split!.push(await lastCommit(n, 'split'));
    }
    await idle();
    for (let k = 0; k < REPEAT; k++) {
      const n = await commits();
      await page.keyboard.press('Control+z');
      t.undo!.push(await lastCommit(n, 'undo'));
    }
    for (const [name, list] of Object.entries(t)) {
      rows.push({ metric: `${name}: input to redrawn overlay p50 (n=${list.length})`, value: percentile(list, 50), unit: 'ms' });
      rows.push({ metric: `${name}: input to redrawn overlay p95`, value: percentile(list, 95), unit: 'ms', target: '<= 50', ...(name === 'undo' ? { note: 'includes the round trip to main (undo is main\u2019s)' } : {}) });
    }

    // Memory: JS heap, tile bitmaps, and the renderer processes' resident size.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = (await cdp.send('Performance.getMetrics')).metrics;
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    const tiles = (await page.evaluate('window.__grainlab.viewer.canvas.cacheBytes')) as number;
    rows.push({ metric: 'renderer JS heap used', value: heap / 2 ** 20, unit: 'MiB', note: 'label map 256 MiB + pixels 64 MiB' });
    rows.push({ metric: 'tile bitmaps cached', value: tiles / 2 ** 20, unit: 'MiB' });
    const bcdp = await browser.newBrowserCDPSession();
    const procs = ((await bcdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo;
    const rss = rendererRss(procs.filter((q) => q.type === 'renderer').map((q) => q.id));
    if (rss !== null) rows.push({ metric: 'renderer processes resident (RSS)', value: rss / 2 ** 20, unit: 'MiB' });
    if (errors.length) rows.push({ metric: 'page errors', value: errors.length, unit: '', note: errors.slice(0, 3).join(' | ') });
  } finally {
    await browser.close();
    await server.close();
    await service.dispose();
  }
  writeResult('canvas', rows);
}

/** Sum of VmRSS of the renderer processes (Linux /proc), or null. */
function rendererRss(pids: number[]): number | null {
  if (process.platform !== 'linux' || pids.length === 0) return null;
  let total = 0;
  for (const pid of pids) {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (kb) total += Number(kb[1]) * 1024;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total || null;
}

await main();
