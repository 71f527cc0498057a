// Clusters and propagation on the labelled phase maps (uhcs, super_ni): pixel accuracy and IoU per
// class of (a) pixel k-means pseudo-labels, (b) segment clustering with one class per cluster and
// (c) propagation after labelling 1, 3 and 10 segments per class on one image, applied to the
// others (the learning curve). MatSAM's zero-shot IoU on the same materials is the bar.
// Run: node --import tsx test/bench/cluster.bench.ts [--data DIR] [--quick]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { segmentClassic } from '../../app/classic';
import { applyZScore, autoKMeans, chooseClassifier, fitZScore, phaseMap, pixelKMeans, pointsOf, predictRows, segmentFeatures, type FeatureMatrix } from '../../app/cluster';
import { toGrey } from '../../app/image/display';
import { classScores } from '../../app/metrics';
import { seededRandom } from '../../app/random';
import type { GreyImage, LabelMap } from '../../app/types';
import { PRESETS, listPairs, loadPair } from '../../main/eval/datasets';
import { peakRssMiB, writeResult, type BenchRow } from './common';
import { clusterStallRows } from './cluster-stall';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const dataArg = argv.indexOf('--data');
const data = resolve(dataArg >= 0 ? argv[dataArg + 1]! : join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const MAX_IMAGES = quick ? 6 : 24;
const SEEDS = quick ? [1] : [1, 2, 3];
const SHOTS = [1, 3, 10];

interface Img {
  stem: string;
  grey: GreyImage;
  truth: Uint8Array;
  w: number;
  h: number;
}

let targetClasses: number[] = [];

/** Per-class IoU (over the truth classes), pixel accuracy, and the IoU of the target phase (the classes MatSAM scores, merged). */
function score(img: Img, pred: Uint8Array, classes: number[]) {
  const s = classScores({ width: img.w, height: img.h, data: img.truth }, { width: img.w, height: img.h, data: pred }, { labels: classes });
  let inter = 0;
  let union = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = targetClasses.includes(pred[i]!);
    const t = targetClasses.includes(img.truth[i]!);
    if (p && t) inter++;
    if (p || t) union++;
  }
  return { acc: s.pixelAccuracy, iou: s.perClass.map((c) => c.iou), miou: s.meanIoU, target: union ? inter / union : 1 };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

/** Majority true class of each segment and how clear it is (fraction of its pixels). */
function majority(labels: LabelMap, truth: Uint8Array, nClasses: number): Map<number, { cls: number; purity: number; area: number }> {
  const counts = new Map<number, Float64Array>();
  for (let i = 0; i < labels.data.length; i++) {
    const id = labels.data[i]!;
    if (!id) continue;
    let c = counts.get(id);
    if (!c) counts.set(id, (c = new Float64Array(nClasses)));
    c[truth[i]!]!++;
  }
  const out = new Map<number, { cls: number; purity: number; area: number }>();
  for (const [id, c] of counts) {
    let best = 0;
    for (let k = 1; k < nClasses; k++) if (c[k]! > c[best]!) best = k;
    const area = c.reduce((a, b) => a + b, 0);
    out.set(id, { cls: best, purity: c[best]! / area, area });
  }
  return out;
}

/** Class map from a class per segment; unlabelled pixels get `fill`. */
function paint(labels: LabelMap, classOf: (id: number) => number, fill: number): Uint8Array {
  const out = new Uint8Array(labels.data.length);
  for (let i = 0; i < out.length; i++) {
    const id = labels.data[i]!;
    out[i] = id ? classOf(id) : fill;
  }
  return out;
}

function subsetRows(m: FeatureMatrix, rows: number[]): { data: Float64Array; cols: number } {
  const cols = m.names.length;
  const d = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => d.set(m.data.subarray(r * cols, (r + 1) * cols), i * cols));
  return { data: d, cols };
}

async function runSet(name: 'uhcs' | 'super_ni', rows: BenchRow[]): Promise<void> {
  const preset = PRESETS[name]!;
  targetClasses = preset.targetClasses ?? [1];
  const dir = join(data, name);
  if (!existsSync(dir)) {
    rows.push({ metric: `${name}: cluster benchmarks`, value: 'n/a (no data)', unit: '' });
    return;
  }
  const pairs = listPairs(dir).slice(0, MAX_IMAGES);
  const imgs: Img[] = [];
  for (const p of pairs) {
    const l = await loadPair(p, preset);
    imgs.push({ stem: l.stem, grey: toGrey(l.image), truth: Uint8Array.from(l.truth.data), w: l.image.width, h: l.image.height });
  }
  let nClasses = 0;
  for (const im of imgs) for (const v of im.truth) if (v + 1 > nClasses) nClasses = v + 1;
  const classes = Array.from({ length: nClasses }, (_, i) => i);
  const ref = preset.reference ?? '';
  const t0 = performance.now();

  // (a) pixel k-means, each phase mapped to the true class it overlaps most (one click per phase):
  // raw, and as the app's phase map makes it with its default clean-up (smooth 1, merge < 16 px).
  const byOverlap = (im: Img, phases: Uint8Array, k: number) => {
    const overlap = new Float64Array(k * nClasses);
    for (let i = 0; i < phases.length; i++) overlap[phases[i]! * nClasses + im.truth[i]!]!++;
    const map = Array.from({ length: k }, (_, c) => {
      let best = 0;
      for (let t = 1; t < nClasses; t++) if (overlap[c * nClasses + t]! > overlap[c * nClasses + best]!) best = t;
      return best;
    });
    return score(im, Uint8Array.from(phases, (c) => map[c]!), classes);
  };
  const a: ReturnType<typeof score>[] = [];
  const aClean: ReturnType<typeof score>[] = [];
  for (const im of imgs) {
    const r = pixelKMeans(im.grey, { k: nClasses, seed: 1 });
    a.push(byOverlap(im, r.classes, r.k));
    const pm = phaseMap(im.grey, { k: nClasses, texture: false, seed: 1, smooth: 1, minArea: 16 });
    aClean.push(byOverlap(im, Uint8Array.from(pm.labels.data, (id) => pm.phaseOf[id]!), pm.k));
  }
  const tA = performance.now();

  // Segments covering every pixel: the classic phase engine with background regions labelled.
  const segs = imgs.map((im) => segmentClassic(im.grey, { ...preset.classic, classes: Math.min(5, Math.max(2, nClasses)), labelBackground: true, minArea: 16 }));
  const feats = imgs.map((im, i) => segmentFeatures(im.grey, segs[i]!, { unitIntensity: true }));
  const majors = imgs.map((im, i) => majority(segs[i]!, im.truth, nClasses));

  // (b) k-means on segment features (automatic k), one class per cluster = the cluster's majority class.
  const b: ReturnType<typeof score>[] = [];
  const clicks: number[] = [];
  imgs.forEach((im, i) => {
    const z = applyZScore(feats[i]!, fitZScore(feats[i]!, { balanceGroups: true }));
    const { result } = autoKMeans(pointsOf(z), { seed: 1 });
    const votes = new Float64Array(result.k * nClasses);
    z.segmentIds.forEach((id, r) => {
      const m = majors[i]!.get(id);
      if (m) votes[result.assignments[r]! * nClasses + m.cls]! += m.area;
    });
    const clsOf = Array.from({ length: result.k }, (_, c) => {
      let best = 0;
      for (let t = 1; t < nClasses; t++) if (votes[c * nClasses + t]! > votes[c * nClasses + best]!) best = t;
      return best;
    });
    const clusterOf = new Map<number, number>();
    z.segmentIds.forEach((id, r) => clusterOf.set(id, result.assignments[r]!));
    b.push(score(im, paint(segs[i]!, (id) => clsOf[clusterOf.get(id) ?? 0]!, 0), classes));
    clicks.push(result.k);
  });
  const tB = performance.now();

  // (c) propagation: label n segments per class on image 0, predict the rest of image 0 and the other images.
  const curve: { n: number; same: ReturnType<typeof score>[]; other: ReturnType<typeof score>[] }[] = [];
  // Each image normalised by its own segments (as the app does): SEM brightness and contrast
  // differ between images, the order of the phases within an image does not.
  const zf = feats.map((f) => applyZScore(f, fitZScore(f, { balanceGroups: true })));
  for (const n of SHOTS) {
    const same: ReturnType<typeof score>[] = [];
    const other: ReturnType<typeof score>[] = [];
    for (const seed of SEEDS) {
      const rand = seededRandom(seed * 7919 + n);
      const rowsOf = new Map<number, number[]>();
      zf[0]!.segmentIds.forEach((id, r) => {
        const m = majors[0]!.get(id);
        if (!m || m.purity < 0.7 || m.area < 16) return;
        const list = rowsOf.get(m.cls) ?? [];
        list.push(r);
        rowsOf.set(m.cls, list);
      });
      const train: number[] = [];
      const y: number[] = [];
      for (const [cls, list] of rowsOf) {
        for (let k = 0; k < n && list.length > 0; k++) {
          const j = Math.floor(rand() * list.length);
          train.push(list.splice(j, 1)[0]!);
          y.push(cls);
        }
      }
      if (new Set(y).size < 2) continue;
      const { classifier } = chooseClassifier(subsetRows(zf[0]!, train), y);
      const labelled = new Map(train.map((r, i) => [zf[0]!.segmentIds[r]!, y[i]!]));
      imgs.forEach((im, i) => {
        const m = zf[i]!;
        const pred = predictRows(classifier, { data: m.data, cols: m.names.length });
        const classOf = new Map<number, number>();
        m.segmentIds.forEach((id, r) => classOf.set(id, i === 0 && labelled.has(id) ? labelled.get(id)! : pred.classIds[r]!));
        const s = score(im, paint(segs[i]!, (id) => classOf.get(id) ?? 0, 0), classes);
        (i === 0 ? same : other).push(s);
      });
    }
    curve.push({ n, same, other });
  }
  const tC = performance.now();

  const iouText = (ss: ReturnType<typeof score>[]) => classes.map((c) => `${c}: ${mean(ss.map((s) => s.iou[c]!)).toFixed(3)}`).join(', ');
  const push = (label: string, ss: ReturnType<typeof score>[], note = '') => {
    rows.push({ metric: `${name} (${ss.length}): ${label}: pixel accuracy`, value: mean(ss.map((s) => s.acc)), unit: '', note });
    rows.push({ metric: `${name}: ${label}: mean IoU over classes`, value: mean(ss.map((s) => s.miou)), unit: '', note: `IoU per class ${iouText(ss)}` });
    rows.push({ metric: `${name}: ${label}: IoU of ${preset.targetName}`, value: mean(ss.map((s) => s.target)), unit: '', target: ref });
  };
  push('(a) pixel k-means, one click per phase', a, `k = ${nClasses}`);
  push('(a) same, app phase map with default clean-up (smooth 1, merge < 16 px)', aClean, `k = ${nClasses}`);
  push('(b) segment clusters, one class per cluster', b, `clicks per image (clusters): mean ${mean(clicks).toFixed(1)}`);
  for (const c of curve) {
    push(`(c) ${c.n} labelled per class, same image`, c.same, `${SEEDS.length} seed(s)`);
    push(`(c) ${c.n} labelled per class, other images`, c.other, `${imgs.length - 1} images x ${SEEDS.length} seed(s)`);
  }
  rows.push({ metric: `${name}: time (a) / (b) / (c)`, value: `${((tA - t0) / 1000).toFixed(1)} / ${((tB - tA) / 1000).toFixed(1)} / ${((tC - tB) / 1000).toFixed(1)}`, unit: 's' });

  console.log(`\n${name}: learning curve (pixel accuracy / mean IoU; MatSAM zero-shot: ${ref})`);
  console.log(`labelled per class | same image: accuracy / mIoU / ${preset.targetName} IoU | other images: the same`);
  const cell = (ss: ReturnType<typeof score>[]) => `${mean(ss.map((s) => s.acc)).toFixed(3)} / ${mean(ss.map((s) => s.miou)).toFixed(3)} / ${mean(ss.map((s) => s.target)).toFixed(3)}`;
  for (const c of curve) console.log(`${String(c.n).padStart(18)} | ${cell(c.same)} | ${cell(c.other)}`);
  console.log(`(a) pixel k-means: ${cell(a)}   (b) segment clusters: ${cell(b)}`);
}

const rows: BenchRow[] = [];
await runSet('uhcs', rows);
await runSet('super_ni', rows);
rows.push(...(await clusterStallRows()));
rows.push({ metric: 'peak memory', value: peakRssMiB(), unit: 'MiB' });
writeResult('cluster', rows);
