// Segmentation quality and time: the classic engine on synthetic micrographs (exact truth) and on
// the labelled public sets (../shared/data or --data DIR), and GrainLab's watershed against
// scikit-image's on the same relief and markers (time and agreement).
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateGrains, generatePhases } from '../../app/synth';
import { segmentClassic, gaussianBlur, sobel, watershed, quantize, connectedComponents } from '../../app/classic';
import { adjustedRandIndex } from '../../app/metrics';
import { PRESETS } from '../../main/eval/datasets';
import { evaluateClassic, scoreGrains, scorePhase } from '../../main/eval/evaluate';
import { percentile, writeResult, type BenchRow } from './common';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataDir = resolve(arg('--data') ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const limit = Number(arg('--limit') ?? Infinity);
const rows: BenchRow[] = [];

// 1. Synthetic grains and particles with exact truth.
const grainScores: Record<string, number>[] = [];
const grainTimes: number[] = [];
for (let seed = 1; seed <= 4; seed++) {
  const g = generateGrains({ width: 1024, height: 1024, seed, grainCount: 250 });
  const t0 = performance.now();
  const pred = segmentClassic(g.image, { mode: 'grain', minArea: 16, invert: false });
  grainTimes.push(performance.now() - t0);
  grainScores.push(scoreGrains(g.labels, pred));
}
const mean = (xs: Record<string, number>[], k: string) => xs.reduce((s, x) => s + x[k]!, 0) / xs.length;
rows.push({ metric: 'synthetic grains 1024^2 (4 x 250): ARI, classic grain', value: mean(grainScores, 'ari'), unit: '' });
rows.push({ metric: 'synthetic grains: grain recall at IoU >= 0.5', value: mean(grainScores, 'objectRecall'), unit: '' });
rows.push({ metric: 'synthetic grains: time per image (p50)', value: percentile(grainTimes, 50), unit: 'ms' });
const phaseScoresList: Record<string, number>[] = [];
for (let seed = 1; seed <= 4; seed++) {
  const p = generatePhases({ width: 1024, height: 1024, seed, structure: 'particles' });
  const pred = segmentClassic(p.image, { mode: 'phase', minArea: 16, invert: false });
  phaseScoresList.push(scorePhase({ width: 1024, height: 1024, data: Uint32Array.from(p.classes) }, pred, [1, 2, 3, 4]));
}
rows.push({ metric: 'synthetic particles 1024^2 (4): particle IoU, classic phase', value: mean(phaseScoresList, 'iou'), unit: '' });

// 2. Real labelled sets.
for (const preset of Object.values(PRESETS)) {
  const dir = join(dataDir, preset.name);
  if (!existsSync(dir)) {
    rows.push({ metric: `${preset.name}: real data`, value: 'n/a', unit: '', note: `no data at ${dir}` });
    continue;
  }
  const s = await evaluateClassic(dir, preset, Number.isFinite(limit) ? { limit } : {});
  if (preset.kind === 'grains') {
    rows.push({ metric: `${preset.name} (${s.images.length}): ARI, classic grain`, value: s.mean.ari!, unit: '' });
    rows.push({ metric: `${preset.name}: grain recall at IoU >= 0.5`, value: s.mean.objectRecall!, unit: '' });
    rows.push({ metric: `${preset.name}: boundary F1 (2 px)`, value: s.mean.boundaryF1!, unit: '' });
  } else {
    rows.push({ metric: `${preset.name} (${s.images.length}): IoU ${preset.targetName}, classic`, value: s.mean.iou!, unit: '', note: s.reference ?? '' });
  }
  rows.push({ metric: `${preset.name}: time per image (mean)`, value: s.mean.ms!, unit: 'ms' });
}

// 3. Watershed: GrainLab vs scikit-image on the same relief and markers.
// Debian's python3-skimage lives under /usr/bin/python3, which a pyenv python3 may shadow.
const pythonExe = ['python3', '/usr/bin/python3'].find((exe) => spawnSync(exe, ['-c', 'import skimage'], { encoding: 'utf8' }).status === 0);
if (!pythonExe) {
  rows.push({ metric: 'watershed vs scikit-image', value: 'n/a', unit: '', note: 'python3-skimage not installed' });
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'gl-ws-'));
  const ratios: number[] = [];
  const agreement: number[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let seed = 1; seed <= 3; seed++) {
    const g = generateGrains({ width: 2048, height: 2048, seed, grainCount: 800 });
    const grad = sobel(gaussianBlur(g.image, 1.5));
    const relief = { width: 2048, height: 2048, data: quantize(grad.data, 256) as Uint8Array };
    // Markers: low-gradient basins, as a grain pipeline would seed them.
    const low = percentile(Array.from(relief.data.subarray(0, 200_000)), 20);
    const mask = new Uint8Array(relief.data.length);
    for (let i = 0; i < mask.length; i++) mask[i] = relief.data[i]! <= low ? 1 : 0;
    const markers = connectedComponents({ width: 2048, height: 2048, data: mask }, 8);
    const times: number[] = [];
    let result = watershed(relief, markers);
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      result = watershed(relief, markers);
      times.push(performance.now() - t0);
    }
    writeFileSync(join(tmp, 'relief.bin'), relief.data);
    writeFileSync(join(tmp, 'markers.bin'), new Uint8Array(markers.data.buffer));
    const py = spawnSync(pythonExe, [join(import.meta.dirname, 'skimage_watershed.py'), join(tmp, 'relief.bin'), join(tmp, 'markers.bin'), join(tmp, 'out.bin'), '2048', '2048'], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(py.stderr);
    const skMs = Number(py.stdout.trim());
    const sk = new Uint32Array(readFileSync(join(tmp, 'out.bin')).buffer.slice(0));
    const oursMs = Math.min(...times);
    ours.push(oursMs);
    theirs.push(skMs);
    ratios.push(oursMs / skMs);
    agreement.push(adjustedRandIndex(result, { width: 2048, height: 2048, data: sk }));
  }
  rows.push({ metric: 'watershed 2048^2: GrainLab (TypeScript), best of 3, median image', value: percentile(ours, 50), unit: 'ms' });
  rows.push({ metric: 'watershed 2048^2: scikit-image (C), same input', value: percentile(theirs, 50), unit: 'ms' });
  rows.push({ metric: 'watershed time ratio GrainLab / scikit-image', value: percentile(ratios, 50), unit: 'x' });
  rows.push({ metric: 'watershed agreement with scikit-image (ARI, min of 3)', value: Math.min(...agreement), unit: '' });
}
writeResult('quality', rows);
