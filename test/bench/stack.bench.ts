// Slice stacks on a synthetic stack with known 3D truth (app/synth/stack.ts: ellipsoidal
// particles in a matrix, 256 x 256 px x 24 slices): the middle slice is given its true labels (a
// corrected slice) and propagated up and down through the whole stack; IoU per slice against the
// truth, by distance from the corrected slice, for the classic fallback and the tiny SAM-signature
// test model (a feature-similarity decoder, not a real SAM: it shows the SAM path runs, not SAM's
// quality; it adds the mask prompt to its logits, so it mostly copies the slice before and drifts). 3D objects: linking the truth's own slices, and classic segmentation of every slice
// linked into objects, against the truth's particle count. Not a test: prints figures.
// Usage: node --import tsx test/bench/stack.bench.ts
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import type { ProgressEvent } from '../../app/contract';
import { generateStack } from '../../app/synth/stack';
import { linkSlices } from '../../app/stack/link';
import { encodeTiffPages } from '../../main/export/tiff';
import { encodePng } from '../../main/export/png';
import { buildTinySamModels, tinyManifestFile, tinyManifestModel } from '../../scripts/build-tiny-sam';
import { writeResult, type BenchRow } from './common';

process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-user-models-'));
const SIZE = 256;
const DEPTH = 24;
const SEED_Z = 12;
const st = generateStack({ width: SIZE, height: SIZE, depth: DEPTH, particles: 24, seed: 1 });
const tmp = mkdtempSync(join(tmpdir(), 'gl-stack-bench-'));
const tif = join(tmp, 'stack.tif');
writeFileSync(tif, encodeTiffPages(st.slices.map((data) => ({ width: SIZE, height: SIZE, channels: 1, bitDepth: 8, data }))));
const rows: BenchRow[] = [];

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

/** Per truth particle on the slice, the best IoU of any predicted segment; their mean and the share above 0.5. */
function sliceScore(truth: Uint32Array, pred: Uint32Array): { iou: number; recall: number; particles: number } {
  const ids = [...new Set(truth)].filter((v) => v !== 0);
  const predArea = new Map<number, number>();
  for (const p of pred) if (p) predArea.set(p, (predArea.get(p) ?? 0) + 1);
  let sum = 0;
  let hit = 0;
  for (const t of ids) {
    const inter = new Map<number, number>();
    let area = 0;
    for (let i = 0; i < truth.length; i++) {
      if (truth[i] !== t) continue;
      area++;
      const p = pred[i]!;
      if (p) inter.set(p, (inter.get(p) ?? 0) + 1);
    }
    let best = 0;
    for (const [p, n] of inter) best = Math.max(best, n / (area + predArea.get(p)! - n));
    sum += best;
    if (best >= 0.5) hit++;
  }
  return { iou: ids.length ? sum / ids.length : NaN, recall: ids.length ? hit / ids.length : NaN, particles: ids.length };
}

async function project(name: string, sam: boolean): Promise<{ svc: GrainLabService; ids: number[]; stackId: number }> {
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-ud-')), binding: 'web' });
  const dir = join(tmp, name);
  await svc.call('project.create', { path: dir });
  if (sam) {
    const m = buildTinySamModels(join(dir, 'models'));
    writeFileSync(join(dir, 'models', 'manifest.json'), JSON.stringify({ version: 1, models: [tinyManifestModel('tiny-sam', tinyManifestFile('encoder', m.encoderNchw), tinyManifestFile('decoder', m.decoder))] }));
    await svc.call('sam.select', { modelId: 'tiny-sam' });
  }
  const { stack } = await svc.call('stacks.importPaths', { paths: [tif], spacingUm: 1 });
  return { svc, ids: stack.imageIds, stackId: stack.id };
}

// The truth linked slice to slice: linking alone, on perfect segmentations.
const truthLinks = linkSlices(st.labels.map((data) => ({ width: SIZE, height: SIZE, data })));
rows.push({ metric: 'truth particles in the stack', value: st.particles.length, unit: 'objects' });
rows.push({ metric: '3D objects linking the true slices (overlap >= 0.5 of the smaller section)', value: truthLinks.objectCount, unit: 'objects', note: 'linking alone; equal to the particle count when it is right' });

for (const engine of ['classic', 'sam'] as const) {
  const { svc, ids, stackId } = await project(engine, engine === 'sam');
  const truthPng = await encodePng({ width: SIZE, height: SIZE, channels: 1, bitDepth: 16, data: Uint16Array.from(st.labels[SEED_Z]!) });
  const imp = await svc.call('labels.import', { kind: 'instance', files: [{ name: 'truth.png', bytes: truthPng }], imageId: ids[SEED_Z]! });
  await waitJob(svc, imp.jobId);
  const t0 = performance.now();
  for (const direction of ['up', 'down'] as const) {
    const job = await svc.call('stacks.propagate', { imageId: ids[SEED_Z]!, count: DEPTH, direction, engine });
    const end = await waitJob(svc, job.jobId);
    if (end.state !== 'done') throw new Error(`${engine} ${direction}: ${end.message}`);
  }
  const msPerSlice = (performance.now() - t0) / (DEPTH - 1);
  const byDistance = new Map<number, { iou: number; recall: number }[]>();
  const all: number[] = [];
  for (let z = 0; z < DEPTH; z++) {
    if (z === SEED_Z) continue;
    const seg = await svc.call('segmentation.get', { imageId: ids[z]! });
    const s = sliceScore(st.labels[z]!, seg?.labels ?? new Uint32Array(SIZE * SIZE));
    if (s.particles === 0) continue;
    const d = Math.abs(z - SEED_Z);
    byDistance.set(d, [...(byDistance.get(d) ?? []), s]);
    all.push(s.iou);
    console.log(`${engine} slice ${z + 1} (distance ${d}): IoU ${s.iou.toFixed(3)}, recall ${s.recall.toFixed(2)} of ${s.particles}`);
  }
  const label = engine === 'sam' ? 'tiny SAM test model (box, point, mask)' : 'classic';
  rows.push({ metric: `${label}: mean IoU per particle, all slices`, value: all.reduce((a, b) => a + b, 0) / all.length, unit: 'IoU', note: `${all.length} slices; propagated from slice ${SEED_Z + 1} (its truth) up and down; particles that do not cut it count as 0` });
  for (const d of [1, 2, 4, 8, 11]) {
    const v = byDistance.get(d);
    if (!v) continue;
    const mean = (k: 'iou' | 'recall') => v.reduce((a, b) => a + b[k], 0) / v.length;
    rows.push({ metric: `${label}: IoU ${d} slice(s) from the corrected one`, value: mean('iou'), unit: 'IoU', note: `recall at IoU 0.5: ${mean('recall').toFixed(2)} (mean of ${v.length} slices)` });
  }
  rows.push({ metric: `${label}: propagation time per slice`, value: msPerSlice, unit: 'ms', note: `${SIZE}x${SIZE} px` });
  const stats = await svc.call('stacks.stats', { stackId });
  const onSeed = new Set(st.labels[SEED_Z]!).size - 1;
  rows.push({ metric: `${label}: 3D objects after propagation`, value: stats.objectCount, unit: 'objects', note: `${onSeed} particles cut the corrected slice (propagation finds no new ones)` });
  if (engine === 'classic') {
    // Every slice segmented on its own by the classic engine, then linked.
    const seg = await svc.call('segment.auto', { imageIds: ids, engine: 'classic', keep: 'none' });
    await waitJob(svc, seg.jobId);
    const auto = await svc.call('stacks.stats', { stackId });
    rows.push({ metric: 'classic segmentation of every slice, linked: 3D objects', value: auto.objectCount, unit: 'objects', note: `truth ${st.particles.length}` });
  }
  await svc.dispose();
}
writeResult('stack', rows);
