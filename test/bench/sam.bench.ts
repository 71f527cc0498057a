// SAM benchmarks (figures, not a test), on the tiny SAM-signature models (scripts/build-tiny-sam.ts):
// 1. click-to-mask latency with a cached embedding through the service (sam.prompt) on 1024^2 and
//    4096^2 images: model time vs GrainLab's own overhead (prompt transform, worker round trip,
//    thresholding + upsampling around the mask, crop) and the label-map patch, p50/p95;
// 1b. the same click through the service for each family's tiny signature model (SAM 2 in both export
//    forms, EfficientSAM, EdgeSAM; scripts/build-tiny-sam-families.ts): GrainLab's overhead per family
//    (the tiny models' own time says nothing about the real ones);
// 2. on the labelled sets (--data DIR or first argument; default ../shared/data): decoder calls and
//    time of MatSAM prompts vs SAM's 32x32 grid, and the recall of ground-truth grains / particles
//    (IoU >= 0.5) with the classic engine.
// Prints a table and writes .bench/sam.json.
// Run: node --import tsx test/bench/sam.bench.ts [DATA] [--clicks 40] [--sam-images 2] [--limit N]
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { SamAutoOptionsSchema } from '../../app/contract/sam';
import { segmentClassic, connectedComponents } from '../../app/classic';
import { matchObjects } from '../../app/metrics';
import { gridPrompts, matsamPrompts } from '../../app/segment';
import { toGrey } from '../../app/image/display';
import type { LabelMap, RasterImage } from '../../app/types';
import { GrainLabService } from '../../main/service';
import { SamEngine } from '../../main/sam/engine';
import { maskFromDecoder, paintMask } from '../../main/sam/upsample';
import { samAutoSegment, type SamAutoBackend } from '../../main/jobs/sam-auto';
import { PRESETS } from '../../main/eval/datasets';
import { listPairs, loadPair } from '../../main/eval/datasets';
import { buildTinySamModels, tinyManifestFile, tinyManifestModel } from '../../scripts/build-tiny-sam';
import { buildTinyFamilyModels } from '../../scripts/build-tiny-sam-families';
import { machine, percentile, round, type BenchRow } from './common';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const positional = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--')));
const dataDir = resolve(opt('--data') ?? positional ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const clicks = Number(opt('--clicks') ?? 40);
const samImages = Number(opt('--sam-images') ?? 2);
const limit = Number(opt('--limit') ?? Infinity);

const rows: BenchRow[] = [];
const details: Record<string, unknown> = {};
const tmp = mkdtempSync(join(tmpdir(), 'gl-sam-bench-'));
process.env.GRAINLAB_MODELS_DIR = join(tmp, 'user-models');
const models = buildTinySamModels(join(tmp, 'models'));

const COLOURS = [
  [220, 30, 30],
  [30, 220, 30],
  [30, 30, 220],
  [220, 220, 30],
  [30, 220, 220],
  [220, 30, 220],
  [230, 230, 230],
];

/** Black image with 7 "grains" (squares of side/16, one per colour) on a diagonal band. */
function grainsImage(side: number): { raster: RasterImage; centres: { x: number; y: number }[] } {
  const data = new Uint8Array(side * side * 3);
  const g = Math.round(side / 16);
  const centres: { x: number; y: number }[] = [];
  COLOURS.forEach((c, k) => {
    const x0 = Math.round(((k + 0.5) / COLOURS.length) * side - g / 2);
    const y0 = Math.round((((k * 3) % COLOURS.length) + 0.5) / COLOURS.length * side - g / 2);
    centres.push({ x: x0 + g / 2, y: y0 + g / 2 });
    for (let y = y0; y < y0 + g; y++) for (let x = x0; x < x0 + g; x++) data.set(c, (y * side + x) * 3);
  });
  return { raster: { width: side, height: side, channels: 3, bitDepth: 8, data }, centres };
}

const f = (v: number) => round(v);
const p5095 = (xs: number[]) => `${f(percentile(xs, 50))} / ${f(percentile(xs, 95))}`;

// ---- 1. click-to-mask latency ----
async function clickLatency(): Promise<void> {
  const project = join(tmp, 'proj');
  const svc = new GrainLabService({ userDataDir: join(tmp, 'user'), binding: 'web' });
  await svc.call('project.create', { path: project });
  const dir = join(project, 'models');
  buildTinySamModels(dir);
  const file = (role: string, p: string) => ({ role, file: basename(p), url: `https://example.invalid/${basename(p)}`, size: statSync(p).size });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ version: 1, models: [{ id: 'tiny-sam', name: 'tiny', convention: { encoder: 'nchw-normalized', decoder: 'meta' }, files: [file('encoder', models.encoderNchw), file('decoder', models.decoder)] }] }),
  );
  const engine = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder });
  console.log(`provider: ${engine.doctor().summary}`);
  console.log('\nclick-to-mask with a cached embedding (tiny model), ms p50 / p95');
  console.log('size    | clicks | service total | model       | overhead (wall)  | worker, !run | upsample+crop | map patch   | own compute');
  try {
    for (const side of [1024, 4096]) {
      const { raster, centres } = grainsImage(side);
      const png = await sharp(raster.data, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
      const im = (await svc.call('images.importFiles', { files: [{ name: `grains-${side}.png`, bytes: new Uint8Array(png) }] })).imported[0]!;
      await svc.call('sam.prompt', { imageId: im.id, points: [centres[0]!] .map((c) => ({ ...c, label: 1 as const })) });
      const total: number[] = [];
      const model: number[] = [];
      const overhead: number[] = [];
      const patch: number[] = [];
      const labels = new Uint32Array(side * side);
      for (let i = 0; i < clicks + 3; i++) {
        const c = centres[i % centres.length]!;
        const jitter = side / 64;
        const x = c.x + (((i * 37) % 11) / 10 - 0.5) * jitter;
        const y = c.y + (((i * 53) % 13) / 12 - 0.5) * jitter;
        const r = await svc.call('sam.prompt', { imageId: im.id, points: [{ x, y, label: 1 }] });
        const t0 = performance.now();
        paintMask(labels, side, r.box, r.mask, i + 1);
        const dt = performance.now() - t0;
        if (i < 3) continue; // warm-up
        if (r.embedding !== 'memory') throw new Error(`expected a cached embedding, got ${r.embedding}`);
        total.push(r.timing.totalMs);
        model.push(r.timing.modelMs);
        overhead.push(r.timing.totalMs - r.timing.modelMs);
        patch.push(dt);
      }
      // The pipeline's own compute, outside the service: prompt tensors and output selection in the
      // worker (its time minus session.run), then the mask around its box; thread hand-offs excluded.
      const emb = await engine.embed(`bench-${side}`, raster);
      const ups: number[] = [];
      const worker: number[] = [];
      for (let i = 0; i < clicks + 3; i++) {
        const c = centres[i % centres.length]!;
        const d = await engine.decode(emb, { points: [{ ...c, label: 1 }] }, { best: true, resolution: side > 1024 ? 'frame' : 'image' });
        const t0 = performance.now();
        maskFromDecoder(d.masks as Float32Array, d.width, d.height, d.lowRes, d.lowResExtent, side, side, 0);
        const dt = performance.now() - t0;
        if (i < 3) continue; // warm-up: this thread has not run the upsampling code yet
        ups.push(dt);
        worker.push(d.timing.totalMs - d.timing.modelMs);
      }
      const both = overhead.map((v, i) => v + patch[i]!);
      const compute = ups.map((v, i) => v + worker[i]! + patch[i % patch.length]!);
      console.log(
        `${`${side}^2`.padEnd(7)} | ${String(total.length).padEnd(6)} | ${p5095(total).padEnd(13)} | ${p5095(model).padEnd(11)} | ${p5095(both).padEnd(16)} | ${p5095(worker).padEnd(12)} | ${p5095(ups).padEnd(13)} | ${p5095(patch).padEnd(11)} | ${p5095(compute)}`,
      );
      const tag = `${side}^2`;
      rows.push({ metric: `click ${tag}: model time p50`, value: percentile(model, 50), unit: 'ms' });
      rows.push({ metric: `click ${tag}: model time p95`, value: percentile(model, 95), unit: 'ms' });
      rows.push({ metric: `click ${tag}: overhead, wall clock p50 (service total - model + patch)`, value: percentile(both, 50), unit: 'ms' });
      rows.push({ metric: `click ${tag}: overhead, wall clock p95`, value: percentile(both, 95), unit: 'ms', note: 'includes thread hand-offs' });
      rows.push({ metric: `click ${tag}: overhead, own compute p50 (worker - run, upsample + crop, patch)`, value: percentile(compute, 50), unit: 'ms' });
      rows.push({ metric: `click ${tag}: overhead, own compute p95`, value: percentile(compute, 95), unit: 'ms', ...(side === 4096 ? { target: '<= 5 ms' } : {}) });
      rows.push({ metric: `click ${tag}: upsample + crop p95`, value: percentile(ups, 95), unit: 'ms' });
      rows.push({ metric: `click ${tag}: label-map patch p95`, value: percentile(patch, 95), unit: 'ms' });
      details[`click-${side}`] = { total, model, overhead, patch, upsample: ups, worker };
    }
  } finally {
    await engine.dispose();
    await svc.dispose();
  }
}

// ---- 1b. click-to-mask per family ----
async function familyClicks(): Promise<void> {
  const project = join(tmp, 'proj-families');
  const svc = new GrainLabService({ userDataDir: join(tmp, 'user-families'), binding: 'web' });
  await svc.call('project.create', { path: project });
  const fam = buildTinyFamilyModels(join(project, 'models'));
  const file = tinyManifestFile;
  const families: [string, string, string, string][] = [
    ['tiny-sam2', 'sam2', fam.sam2Encoder, fam.sam2Decoder],
    ['tiny-sam2-orig-size', 'sam2', fam.sam2Encoder, fam.sam2DecoderOrigSize],
    ['tiny-efficientsam', 'efficientsam', fam.efficientSamEncoder, fam.efficientSamDecoder],
    ['tiny-edgesam', 'edgesam', fam.edgeSamEncoder, fam.edgeSamDecoder],
  ];
  writeFileSync(
    join(project, 'models', 'manifest.json'),
    JSON.stringify({ version: 1, models: families.map(([id, family, e, d]) => tinyManifestModel(id, file('encoder', e), file('decoder', d), family)) }),
  );
  console.log('\nclick-to-mask per family, cached embedding (tiny signature models), ms p50 / p95');
  console.log('model               | size    | service total | model         | overhead (total - model)');
  try {
    const images = new Map<number, { id: number; centres: { x: number; y: number }[] }>();
    for (const side of [1024, 4096]) {
      const { raster, centres } = grainsImage(side);
      const png = await sharp(raster.data, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
      const im = (await svc.call('images.importFiles', { files: [{ name: `grains-${side}.png`, bytes: new Uint8Array(png) }] })).imported[0]!;
      images.set(side, { id: im.id, centres });
    }
    for (const [id] of families) {
      await svc.call('sam.select', { modelId: id });
      for (const [side, im] of images) {
        const total: number[] = [];
        const model: number[] = [];
        for (let i = 0; i < Math.min(clicks, 20) + 3; i++) {
          const c = im.centres[i % im.centres.length]!;
          const r = await svc.call('sam.prompt', { imageId: im.id, points: [{ x: c.x, y: c.y, label: 1 }] });
          if (i < 3) continue; // warm-up, and the first click computes the embedding
          total.push(r.timing.totalMs);
          model.push(r.timing.modelMs);
        }
        const over = total.map((v, i) => v - model[i]!);
        console.log(`${id.padEnd(19)} | ${`${side}^2`.padEnd(7)} | ${p5095(total).padEnd(13)} | ${p5095(model).padEnd(13)} | ${p5095(over)}`);
        rows.push({ metric: `click ${side}^2, ${id}: overhead p50 (service total - model)`, value: percentile(over, 50), unit: 'ms' });
        rows.push({ metric: `click ${side}^2, ${id}: overhead p95`, value: percentile(over, 95), unit: 'ms' });
        details[`click-${side}-${id}`] = { total, model };
      }
    }
  } finally {
    await svc.dispose();
  }
}

// ---- 2. real micrographs ----
function engineBackend(engine: SamEngine, key: string): SamAutoBackend {
  const handles = new Map<string, Awaited<ReturnType<SamEngine['embed']>>>();
  return {
    async embed(crop, index, raster, preprocess) {
      const emb = await engine.embed(`${key}#${index}@${crop.box.x},${crop.box.y}`, raster, preprocess);
      handles.set(emb.key, emb);
      return { handle: emb.key, encoded: emb.source === 'encoder', frame: engine.frameSize(emb.geometry) };
    },
    decode(handle, prompts, options) {
      return engine.decodeMany(handles.get(handle)!, prompts, options);
    },
  };
}

/** Connected components of the target classes, dropping specks below minArea. */
function instancesOf(classes: LabelMap, target: number[], minArea: number): LabelMap {
  const set = new Set(target);
  const mask = new Uint8Array(classes.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = set.has(classes.data[i]!) ? 1 : 0;
  return dropSmall(connectedComponents({ width: classes.width, height: classes.height, data: mask }, 8), minArea);
}

function dropSmall(map: LabelMap, minArea: number): LabelMap {
  let max = 0;
  for (const v of map.data) if (v > max) max = v;
  const area = new Uint32Array(max + 1);
  for (const v of map.data) area[v]!++;
  const data = map.data.map((v) => (area[v]! >= minArea ? v : 0));
  return { width: map.width, height: map.height, data };
}

async function realData(): Promise<void> {
  if (!existsSync(dataDir)) {
    console.log(`\nNo labelled data at ${dataDir}: real-data figures skipped.`);
    rows.push({ metric: 'real data', value: 'n/a', unit: '', note: `no data at ${dataDir}` });
    return;
  }
  const engine = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder });
  const tinyFilters = { stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85 };
  console.log(`\nlabelled data: ${dataDir}`);
  console.log('set        | images | MatSAM prompts mean (min-max) | grid | grid/MatSAM | SAM timed on | MatSAM s/img | grid s/img | classic recall (IoU>=0.5) | classic ms/img');
  try {
    for (const preset of Object.values(PRESETS)) {
      const dir = join(dataDir, preset.name);
      if (!existsSync(dir)) continue;
      const pairs = listPairs(dir).slice(0, limit);
      const promptCounts: number[] = [];
      const recalls: number[] = [];
      const classicMs: number[] = [];
      const matsamTimes: number[] = [];
      const gridTimes: number[] = [];
      const matsamCalls: number[] = [];
      let truthTotal = 0;
      let matched = 0;
      for (const [i, pair] of pairs.entries()) {
        const { image, truth } = await loadPair(pair, preset);
        // MatSAM prompt count on every image (no decoding needed).
        promptCounts.push(matsamPrompts(toGrey(image)).points.length);
        // Classic engine: recall of ground-truth objects.
        const t0 = performance.now();
        const pred = segmentClassic(image, preset.classic);
        classicMs.push(performance.now() - t0);
        const truthObjects = preset.kind === 'grains' ? dropSmall(truth, 16) : instancesOf(truth, preset.targetClasses ?? [1], 16);
        const m = matchObjects(truthObjects, pred, { iouThreshold: 0.5 });
        recalls.push(m.recall);
        truthTotal += m.truthCount;
        matched += Math.round(m.recall * m.truthCount);
        // SAM auto-segmentation with the tiny model on the first few images: calls and time.
        if (i < samImages) {
          for (const prompts of ['matsam', 'grid'] as const) {
            const o = SamAutoOptionsSchema.parse({ prompts, ...tinyFilters });
            const t1 = performance.now();
            const r = await samAutoSegment(image, o, engineBackend(engine, `${preset.name}/${pair.stem}`));
            const s = (performance.now() - t1) / 1000;
            if (prompts === 'matsam') {
              matsamTimes.push(s);
              matsamCalls.push(r.run.decoderCalls);
            } else gridTimes.push(s);
          }
        }
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const grid = gridPrompts(1, 1, 32).length;
      const recall = truthTotal > 0 ? matched / truthTotal : NaN;
      console.log(
        `${preset.name.padEnd(10)} | ${String(pairs.length).padEnd(6)} | ${`${f(mean(promptCounts))} (${Math.min(...promptCounts)}-${Math.max(...promptCounts)})`.padEnd(29)} | ${String(grid).padEnd(4)} | ${`${f(grid / mean(promptCounts))}x`.padEnd(11)} | ${`${matsamTimes.length} img`.padEnd(12)} | ${String(f(mean(matsamTimes))).padEnd(12)} | ${String(f(mean(gridTimes))).padEnd(10)} | ${`${f(recall)} (${matched}/${truthTotal})`.padEnd(25)} | ${f(mean(classicMs))}`,
      );
      rows.push({ metric: `${preset.name}: MatSAM decoder calls per image (mean of ${pairs.length})`, value: mean(promptCounts), unit: 'calls' });
      rows.push({ metric: `${preset.name}: 32x32 grid / MatSAM decoder calls`, value: grid / mean(promptCounts), unit: 'x', target: '>= 4x' });
      rows.push({ metric: `${preset.name}: MatSAM auto-seg time, tiny model (${matsamTimes.length} img)`, value: mean(matsamTimes), unit: 's/img' });
      rows.push({ metric: `${preset.name}: grid auto-seg time, tiny model (${gridTimes.length} img)`, value: mean(gridTimes), unit: 's/img' });
      rows.push({ metric: `${preset.name}: classic recall of ${preset.kind === 'grains' ? 'grains' : (preset.targetName ?? 'objects')} (IoU >= 0.5)`, value: recall, unit: '', note: `${matched}/${truthTotal} objects >= 16 px` });
      rows.push({ metric: `${preset.name}: classic time per image`, value: mean(classicMs), unit: 'ms' });
      details[preset.name] = { promptCounts, matsamCalls, matsamTimes, gridTimes, recalls, classicMs };
    }
  } finally {
    await engine.dispose();
  }
}

try {
  await clickLatency();
  await familyClicks();
  await realData();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
mkdirSync(join(process.cwd(), '.bench'), { recursive: true });
writeFileSync(join(process.cwd(), '.bench', 'sam.json'), JSON.stringify({ name: 'sam', machine: machine(), date: new Date().toISOString(), rows, details }, null, 2));
console.log('\nWritten: .bench/sam.json');
