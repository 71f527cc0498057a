// Correction effort: operations a person needs (simulated oracle, app/eval) to bring each starting
// point to the truth: ARI >= 0.95 for grain maps, IoU >= 0.90 for every phase of phase maps.
// Run: node --import tsx test/bench/effort.bench.ts [--data DIR] [--model DIR] [--synthetic N]
//      [--real N] [--phase-images N] [--size PX] [--quick] [--learn-n 10] [--no-learn]
//      [--learn-min-confidence 0.9] (a second learn start keeping only segments at least this
//      sure, as grainlab predict --min-confidence does; 0 = no such row)
//      [--sets uhcs,super_ni] [--starts learn,empty] [--max-images N] (only these real phase
//      sets / starts whose name contains one of the words / the first N of the picked images, the
//      learn start trained as in the full run; development runs on few images)
// Synthetic images always; real ones from DIR (default ../shared/data when it exists).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { segmentClassic, segmentClassicDetailed } from '../../app/classic';
import { autoKMeans, pointsOf, segmentFeatures, zScore } from '../../app/cluster';
import { phaseObjects, simulateCorrection, type SimulationOptions, type SimulationResult } from '../../app/eval';
import { generateGrains, generatePhases } from '../../app/synth';
import type { GreyImage, LabelMap, RasterImage } from '../../app/types';
import { learnClassifier, learnPhaseStart } from '../../app/eval/simulation-learn';
import { normalizedGrey } from '../../app/learn/features';
import type { Classifier } from '../../app/learn/pipeline';
import { peakRssMiB, round, writeResult, type BenchRow } from './common';

// ----- options -----------------------------------------------------------------------------

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const size = Number(arg('size') ?? (quick ? 384 : 768));
const syntheticCount = Number(arg('synthetic') ?? (quick ? 2 : 5));
const realCount = Number(arg('real') ?? (quick ? 3 : 10));
const phaseCount = Number(arg('phase-images') ?? (quick ? 2 : 6));
const defaultData = resolve(process.cwd(), '../shared/data');
const dataDir = arg('data') ?? (existsSync(defaultData) ? defaultData : undefined);
const modelDir = arg('model');
/** Learn start: strokes per class on 3 training images of the set (not among the corrected ones). */
const learnN = Number(arg('learn-n') ?? 10);
const withLearn = !process.argv.includes('--no-learn');
/** Only these real phase sets (uhcs, super_ni) and starts whose name contains one of these words; default all. */
const setFilter = arg('sets')?.split(',');
const startFilter = arg('starts')?.split(',');
const maxImages = Number(arg('max-images') ?? Infinity);
const LEARN_START = `learn (3 images, ${learnN} strokes/class)`;
const learnMinConfidence = Number(arg('learn-min-confidence') ?? 0.9);
const LEARN_SURE_START = `learn, segments with confidence >= ${learnMinConfidence}`;
const NO_SAM = modelDir ? 'n/a (SAM start points not wired into this benchmark yet)' : 'n/a (no SAM model)';

// ----- cases -------------------------------------------------------------------------------

interface Case {
  set: string;
  name: string;
  kind: 'grains' | 'phases';
  truth: LabelMap;
  truthClasses?: Uint8Array;
  /** Starting points: label map, plus clusters and a per-segment class variant for phases. */
  starts: {
    start: string;
    labels: LabelMap;
    clusters?: (id: number) => number | undefined;
    classAssign?: 'cluster' | 'segment';
    startClasses?: (id: number) => number | null;
    /** Operations paid before this start exists (training strokes), counted once per set. */
    extraOps?: number;
  }[];
}

const empty = (w: number, h: number): LabelMap => ({ width: w, height: h, data: new Uint32Array(w * h) });

/** k-means clusters of segments on appearance, as the app's cluster panel makes them. */
function clustersOf(image: GreyImage, labels: LabelMap): (id: number) => number | undefined {
  const features = segmentFeatures(image, labels, { unitIntensity: true });
  if (features.segmentIds.length < 3) return () => 0;
  const { matrix } = zScore(features);
  const { result } = autoKMeans(pointsOf(matrix), { seed: 1 });
  const of = new Map<number, number>();
  features.segmentIds.forEach((id, r) => of.set(id, result.assignments[r]!));
  return (id) => of.get(id);
}

/**
 * Classic phase starts. Which side of the threshold is the phase depends on the material (gamma'
 * is dark in some superalloy images): a person flips `invert` after one look, so the setting whose
 * segments overlap the truth's phases better is used (a setting, not an edit).
 */
function phaseStarts(image: GreyImage, truthClasses: Uint8Array, classes: number): Case['starts'] {
  const run = (invert: boolean) => segmentClassicDetailed(image, { mode: 'phase', minArea: 16, invert, classes });
  const overlap = (labels: LabelMap) => {
    let inter = 0;
    let union = 0;
    for (let i = 0; i < labels.data.length; i++) {
      const p = labels.data[i] !== 0;
      const t = truthClasses[i] !== 0;
      if (p && t) inter++;
      if (p || t) union++;
    }
    return union ? inter / union : 1;
  };
  const plain = run(false);
  const inverted = run(true);
  const c = overlap(inverted.labels) > overlap(plain.labels) ? inverted : plain;
  const clusters = clustersOf(image, c.labels);
  return [
    { start: 'classic engine', labels: c.labels, clusters, classAssign: 'cluster' },
    { start: 'classic engine, classes per segment', labels: c.labels, clusters, classAssign: 'segment' },
    { start: 'empty (all by hand)', labels: empty(image.width, image.height) },
  ];
}

function* syntheticCases(): Generator<Case> {
  const counts = [150, 200, 250, 300, 180];
  for (let k = 0; k < syntheticCount; k++) {
    const g = generateGrains({ width: size, height: size, seed: k + 1, grainCount: Math.round((counts[k % counts.length]! * size * size) / (768 * 768)) });
    yield {
      set: 'synthetic grains',
      name: `seed ${k + 1}`,
      kind: 'grains',
      truth: g.labels,
      starts: [
        { start: 'classic engine', labels: segmentClassic(g.image, { mode: 'grain', minArea: 16, invert: false }) },
        { start: 'empty (all by hand)', labels: empty(size, size) },
      ],
    };
  }
  const ps = Math.min(size, 512);
  for (let k = 0; k < Math.min(2, syntheticCount); k++) {
    const g = generatePhases({ width: ps, height: ps, seed: k + 1, structure: 'particles' });
    yield { set: 'synthetic particles', name: `seed ${k + 1}`, kind: 'phases', truth: g.labels, truthClasses: g.classes, starts: phaseStarts(g.image, g.classes, 2) };
  }
}

async function readGrey(file: string): Promise<GreyImage> {
  const meta = await sharp(file).metadata();
  const deep = meta.depth === 'ushort';
  const { data, info } = await sharp(file).extractChannel(0).raw(deep ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
  const values = deep ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2).slice() : new Uint8Array(data);
  return { width: info.width, height: info.height, data: values };
}

async function readRgb(file: string): Promise<RasterImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, bitDepth: 8, data: new Uint8Array(data) };
}

/** Grey in 0..1 as the pixel classifier reads it. */
function greyOf(image: GreyImage): Float32Array {
  const deep = image.data instanceof Uint16Array;
  return normalizedGrey({ width: image.width, height: image.height, channels: 1, bitDepth: deep ? 16 : 8, data: image.data } as RasterImage);
}

/** The learn start's classifier: simulated strokes on the training images, then training. */
async function learnOn(root: string, files: string[], labelOf: (f: string) => string): Promise<{ classifier: Classifier; strokes: number }> {
  const images = [];
  let C = 2;
  for (const f of files) {
    const image = await readGrey(join(root, 'images', f));
    const classes = Uint8Array.from((await readGrey(labelOf(f))).data);
    for (const c of classes) C = Math.max(C, c + 1);
    images.push({ grey: greyOf(image), classes, width: image.width, height: image.height });
  }
  const { classifier, strokes } = learnClassifier(images, C, { strokes: learnN, seed: 1 });
  return { classifier, strokes: strokes.length };
}

/** `count` names spread evenly over the sorted list (deterministic). */
function pick(names: string[], count: number): string[] {
  const sorted = [...names].sort();
  if (count >= sorted.length) return sorted;
  return Array.from({ length: count }, (_, i) => sorted[Math.floor((i * sorted.length) / count)]!);
}

async function* realCases(dir: string): AsyncGenerator<Case> {
  const tbm = join(dir, 'tbm_train');
  if (existsSync(tbm)) {
    for (const f of pick(readdirSync(join(tbm, 'images')), realCount)) {
      const image = await readRgb(join(tbm, 'images', f));
      const label = await readGrey(join(tbm, 'labels', f));
      // Grains = 4-connected components of the non-boundary pixels (label <= 127); boundary = 0, not scored.
      const inside = new Uint8Array(label.data.length);
      for (let i = 0; i < inside.length; i++) inside[i] = label.data[i]! <= 127 ? 1 : 0;
      const truth = phaseObjects(inside, label.width, label.height);
      yield {
        set: 'tbm_train grains',
        name: f,
        kind: 'grains',
        truth,
        starts: [
          { start: 'classic engine', labels: segmentClassic(image, { mode: 'grain', minArea: 16, invert: false }) },
          { start: 'empty (all by hand)', labels: empty(image.width, image.height) },
        ],
      };
    }
  }
  for (const set of ['uhcs', 'super_ni']) {
    if (setFilter && !setFilter.includes(set)) continue;
    const root = join(dir, set);
    if (!existsSync(root)) continue;
    const labelOf = (f: string) => {
      const stem = f.replace(/\.[^.]+$/, '');
      return join(root, 'labels', set === 'super_ni' ? `${stem}_mask.png` : `${stem}.png`);
    };
    const names = readdirSync(join(root, 'images')).filter((f) => existsSync(labelOf(f)));
    const picked = pick(names, phaseCount);
    const learned = withLearn ? await learnOn(root, pick(names.filter((f) => !picked.includes(f)), 3), labelOf) : null;
    let strokesPaid = false;
    for (const f of picked.slice(0, maxImages)) {
      const image = await readGrey(join(root, 'images', f));
      const label = await readGrey(labelOf(f));
      const truthClasses = Uint8Array.from(label.data);
      const starts = phaseStarts(image, truthClasses, 2);
      if (learned) {
        // Same correction rules as the classic start: the person may cluster the predicted
        // segments (the cluster panel works on any segmentation) and class or delete a cluster.
        const s = learnPhaseStart(learned.classifier, greyOf(image), image.width, image.height);
        starts.push({ start: LEARN_START, labels: s.labels, startClasses: s.startClasses, clusters: clustersOf(image, s.labels), extraOps: strokesPaid ? 0 : learned.strokes });
        if (learnMinConfidence > 0) {
          const sure = learnPhaseStart(learned.classifier, greyOf(image), image.width, image.height, { minConfidence: learnMinConfidence });
          starts.push({ start: LEARN_SURE_START, labels: sure.labels, startClasses: sure.startClasses, clusters: clustersOf(image, sure.labels), extraOps: strokesPaid ? 0 : learned.strokes });
        }
        strokesPaid = true;
      }
      yield { set: `${set} phases`, name: f, kind: 'phases', truth: phaseObjects(truthClasses, label.width, label.height), truthClasses, starts };
    }
  }
}

// ----- run ---------------------------------------------------------------------------------

interface Tally {
  images: number;
  grains: number;
  ops: number;
  reached: number;
  score: number;
  ms: number;
  byType: Map<string, number>;
}

const tallies = new Map<string, Tally>();
const kindOf = new Map<string, 'grains' | 'phases'>();
const order: string[] = [];

function record(set: string, kind: 'grains' | 'phases', start: string, r: SimulationResult, ms: number, extraOps = 0): void {
  kindOf.set(set, kind);
  const key = `${set}\t${start}`;
  let t = tallies.get(key);
  if (!t) {
    t = { images: 0, grains: 0, ops: 0, reached: 0, score: 0, ms: 0, byType: new Map() };
    tallies.set(key, t);
    order.push(key);
  }
  t.images++;
  t.grains += r.grains;
  t.ops += r.operations + extraOps;
  if (extraOps) t.byType.set('training stroke', (t.byType.get('training stroke') ?? 0) + extraOps);
  t.reached += r.reachedTarget ? 1 : 0;
  t.score += r.finalScore;
  t.ms += ms;
  for (const [g, n] of Object.entries(r.opsByType)) if (n > 0) t.byType.set(g, (t.byType.get(g) ?? 0) + n);
}

async function runCase(c: Case): Promise<void> {
  for (const s of c.starts) {
    if (startFilter && !startFilter.some((w) => s.start.includes(w))) continue;
    const opts: SimulationOptions = { kind: c.kind };
    if (c.truthClasses) opts.truthClasses = c.truthClasses;
    if (s.clusters) opts.clusters = s.clusters;
    if (s.classAssign) opts.classAssign = s.classAssign;
    if (s.startClasses) opts.startClasses = s.startClasses;
    const t0 = performance.now();
    const r = simulateCorrection(s.labels, c.truth, opts);
    const ms = performance.now() - t0;
    record(c.set, c.kind, s.start, r, ms, s.extraOps ?? 0);
    console.log(
      `  ${c.set} ${c.name} | ${s.start}: ${r.operations} ops for ${r.grains} objects, score ${r.startScore.toFixed(3)} -> ${r.finalScore.toFixed(3)} (${r.stoppedBy}), ${(ms / 1000).toFixed(1)} s; ${Object.entries(r.opsByType).filter(([, n]) => n > 0).map(([g, n]) => `${g} ${n}`).join(', ')}`,
    );
  }
}

const t0 = performance.now();
console.log(`effort: synthetic ${syntheticCount} x ${size}^2 grain images${dataDir ? `, real data from ${dataDir}` : ', no real data (pass --data DIR)'}`);
for (const c of syntheticCases()) await runCase(c);
if (dataDir) for await (const c of realCases(dataDir)) await runCase(c);

const sets = [...new Set(order.map((k) => k.split('\t')[0]!))];
const rows: BenchRow[] = [];
const table: string[][] = [['set', 'start point', 'images', 'grains', 'ops/100 grains', 'ops/image', 'reached', 'final', 's/image', 'gestures']];
for (const set of sets) {
  for (const key of order.filter((k) => k.startsWith(`${set}\t`))) {
    const start = key.split('\t')[1]!;
    const t = tallies.get(key)!;
    const per100 = (100 * t.ops) / Math.max(1, t.grains);
    const perImage = t.ops / t.images;
    const gestures = [...t.byType].map(([g, n]) => `${g} ${n}`).join(', ');
    table.push([set, start, String(t.images), String(t.grains), String(round(per100)), String(round(perImage)), `${t.reached}/${t.images}`, (t.score / t.images).toFixed(3), (t.ms / t.images / 1000).toFixed(1), gestures]);
    const note = `${t.images} images, ${t.grains} objects; ${gestures || 'no ops'}`;
    rows.push({ metric: `${set}, ${start}: ops per 100 grains`, value: per100, unit: 'ops', note });
    rows.push({ metric: `${set}, ${start}: ops per image`, value: perImage, unit: 'ops' });
    rows.push({ metric: `${set}, ${start}: reached target`, value: t.reached / t.images, unit: 'fraction', target: kindOf.get(set) === 'phases' ? 'IoU >= 0.90 per phase' : 'ARI >= 0.95' });
    rows.push({ metric: `${set}, ${start}: mean final score`, value: t.score / t.images, unit: kindOf.get(set) === 'phases' ? 'min IoU' : 'ARI' });
    rows.push({ metric: `${set}, ${start}: simulation time per image`, value: t.ms / t.images / 1000, unit: 's' });
  }
  // SAM-based starts need a model (main/sam); none is installed on the benchmark machine.
  {
    for (const start of ['MatSAM prompts', 'plain grid (SAM)']) {
      table.push([set, start, '-', '-', NO_SAM, '', '', '', '', '']);
      rows.push({ metric: `${set}, ${start}: ops per 100 grains`, value: NO_SAM, unit: 'ops' });
    }
  }
}
rows.push({ metric: 'total benchmark time', value: (performance.now() - t0) / 1000, unit: 's' });
rows.push({ metric: 'peak memory', value: peakRssMiB(), unit: 'MiB' });

const widths = table[0]!.map((_, j) => Math.max(...table.map((r) => r[j]!.length)));
console.log('');
for (const r of table) console.log(r.map((v, j) => (j >= 2 && j <= 8 ? v.padStart(widths[j]!) : v.padEnd(widths[j]!))).join('  '));
console.log('');
writeResult('effort', rows);
