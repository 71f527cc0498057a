// Tiling: large images segmented tile by tile versus whole. Classic grain mode on a synthetic
// 8192 x 8192 grain image (GRAINLAB_TILING_SIDE to change it), whole and in 2048 px tiles with a
// 256 px margin, each run in its own process so peak memory is its own; the tiled map is compared
// with the whole one. Then tiled SAM (cropLayers 'tiles', 1024 px crops) with the tiny SAM-signature
// models on a 2048 x 1536 image against the default whole-image pass: the tiny model is not SAM, so
// the figures are the tiling's overheads (encoder runs, prompts, time), not quality.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateGrains } from '../../app/synth';
import { segmentClassicDetailed } from '../../app/classic/index';
import { DEFAULT_GRAIN_TILING, segmentGrainsTiled } from '../../app/classic/tiled';
import { SamAutoOptionsSchema } from '../../app/contract/sam';
import type { RasterImage } from '../../app/types';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { SamEngine } from '../../main/sam/engine';
import { samAutoSegment, type SamAutoBackend } from '../../main/jobs/sam-auto';
import { peakRssMiB, writeResult, type BenchRow } from './common';

const side = Number(process.env.GRAINLAB_TILING_SIDE ?? 8192);
const grainSettings = { mode: 'grain' as const, minArea: 16, invert: false };

function grainImage() {
  // ~40 px grains, as in a typical optical micrograph at this size.
  return generateGrains({ width: side, height: side, seed: 11, grainCount: Math.round((side * side) / (40 * 40)) }).image;
}

// Child: one segmentation, its labels written to a file, figures on stdout.
const child = process.argv.indexOf('--child');
if (child >= 0) {
  const how = process.argv[child + 1]!;
  const out = process.argv[child + 2]!;
  const image = grainImage();
  globalThis.gc?.();
  const before = peakRssMiB();
  const t0 = performance.now();
  const r = how === 'whole' ? segmentClassicDetailed(image, grainSettings) : segmentGrainsTiled(image, grainSettings, DEFAULT_GRAIN_TILING);
  const ms = performance.now() - t0;
  writeFileSync(out, r.labels.data);
  console.log(JSON.stringify({ ms, peak: peakRssMiB(), before, grains: r.segmentClass.length - 1 }));
  process.exit(0);
}

const rows: BenchRow[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'gl-bench-tiling-'));
try {
  const runs: Record<string, { ms: number; peak: number; before: number; grains: number }> = {};
  for (const how of ['whole', 'tiled']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join('test', 'bench', 'tiling.bench.ts'), '--child', how, join(tmp, `${how}.bin`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`grain ${how} run exited with ${r.status}`);
    runs[how] = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const x = runs[how]!;
    console.log(`grain ${how}: ${(x.ms / 1000).toFixed(1)} s, peak RSS ${x.peak.toFixed(0)} MiB (image made: ${x.before.toFixed(0)} MiB), ${x.grains} grains`);
  }
  const a = new Uint32Array(readFileSync(join(tmp, 'whole.bin')).buffer.slice(0));
  const b = new Uint32Array(readFileSync(join(tmp, 'tiled.bin')).buffer.slice(0));
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  // Grains cut at a tile line: pixel pairs across it in one whole-image grain, in two tiled ones.
  let cut = 0;
  let crossing = 0;
  const t = DEFAULT_GRAIN_TILING.tile;
  const pair = (p: number, q: number) => {
    if (a[p] !== a[q]) return;
    crossing++;
    if (b[p] !== b[q]) cut++;
  };
  for (let bx = t; bx < side; bx += t) for (let y = 0; y < side; y++) pair(y * side + bx - 1, y * side + bx);
  for (let by = t; by < side; by += t) for (let x = 0; x < side; x++) pair((by - 1) * side + x, by * side + x);
  const w = runs.whole!;
  const tl = runs.tiled!;
  const px = `${side}x${side}`;
  rows.push({ metric: `grain mode ${px}, whole image: time`, value: w.ms / 1000, unit: 's', note: `${w.grains} grains` });
  rows.push({ metric: `grain mode ${px}, whole image: peak RSS`, value: w.peak, unit: 'MiB', note: `${w.before.toFixed(0)} MiB with the image made, before segmenting` });
  rows.push({ metric: `grain mode ${px}, ${t} px tiles (+${DEFAULT_GRAIN_TILING.overlap} px margin): time`, value: tl.ms / 1000, unit: 's', note: `${tl.grains} grains` });
  rows.push({ metric: `grain mode ${px}, tiles: peak RSS`, value: tl.peak, unit: 'MiB', note: `${tl.before.toFixed(0)} MiB before segmenting` });
  rows.push({ metric: `grain mode ${px}, tiles: pixels with the whole-image id`, value: (100 * same) / a.length, unit: '%', note: 'ids in raster order, so 100% = the same map' });
  rows.push({ metric: `grain mode ${px}, tiles: grains cut at a tile line`, value: cut, unit: 'pixel pairs', note: `of ${crossing} pairs across tile lines inside one whole-image grain` });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// Tiled SAM with the tiny models.
const dir = mkdtempSync(join(tmpdir(), 'gl-bench-tiling-sam-'));
try {
  const models = buildTinySamModels(dir);
  const engine = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder });
  try {
    const W = 2048;
    const H = 1536;
    const data = new Uint8Array(W * H * 3);
    // Coloured 160 px squares every 256 px, on crop edges and inside crops.
    for (let y0 = 48; y0 + 160 <= H; y0 += 256) {
      for (let x0 = 48; x0 + 160 <= W; x0 += 256) {
        const c = [((x0 / 256) & 1) * 230, ((y0 / 256) & 1) * 230, (((x0 + y0) / 256) & 2) * 115];
        for (let y = y0; y < y0 + 160; y++) for (let x = x0; x < x0 + 160; x++) data.set(c, (y * W + x) * 3);
      }
    }
    const raster: RasterImage = { width: W, height: H, channels: 3, bitDepth: 8, data };
    for (const [label, extra] of [
      ['whole image (cropLayers auto)', {}],
      ['1024 px tiles (cropLayers tiles)', { cropLayers: 'tiles' }],
    ] as const) {
      const handles = new Map<string, Awaited<ReturnType<SamEngine['embed']>>>();
      const backend: SamAutoBackend = {
        async embed(crop, index, r, preprocess) {
          const emb = await engine.embed(`${label}#${index}`, r, preprocess);
          handles.set(emb.key, emb);
          return { handle: emb.key, encoded: emb.source === 'encoder', frame: engine.frameSize(emb.geometry) };
        },
        decode: (handle, prompts, options) => engine.decodeMany(handles.get(handle)!, prompts, options),
      };
      const o = SamAutoOptionsSchema.parse({ stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85, maxCrops: 21, ...extra });
      const { run } = await samAutoSegment(raster, o, backend);
      console.log(`sam ${label}: ${JSON.stringify(run)}`);
      rows.push({
        metric: `tiny SAM ${W}x${H}, ${label}: time`,
        value: run.ms.total / 1000,
        unit: 's',
        note: `${run.crops} crop(s), ${run.encoderRuns} encoder run(s), ${run.decoderCalls} MatSAM prompts; embed ${(run.ms.embed / 1000).toFixed(1)} s, decode ${(run.ms.decode / 1000).toFixed(1)} s; ${run.afterNms} masks after NMS${run.stitched !== undefined ? `, ${run.stitched} stitched from crop pieces` : ''}, ${run.segments} segments`,
      });
    }
  } finally {
    await engine.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

writeResult('tiling', rows);
