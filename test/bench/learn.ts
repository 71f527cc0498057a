// Learn benchmark (issue 12): simulated brush strokes on K training images, the pixel classifier
// trained on them, the other images scored; beside it the peer (scikit-learn random forest on
// scikit-image features, test/bench/learn_peer.py) with the very same strokes.
//   node --import tsx test/bench/learn.ts ../shared/data [--sets uhcs,super_ni] [--k 1,3] [--n 1,3,10,30]
//        [--k1-n 10] [--max-test 6] [--radius 3] [--length 150] [--no-peer] [--peer-n 10,30] [--no-context]
//        [--no-colour] [--no-self-train] [--st-rounds 2] [--st-margin 0.9] [--st-ratio 1] [--dump-dir DIR] [--ceiling-px 300]
//        [--sigmas 0.7,1,...] [--kinds gauss,log,...] [--stroke-seed 1]
// Also run by `npm run bench` (section learn, via learn.bench.ts). Never part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listPairs, loadPair, PRESETS } from '../../main/eval/datasets';
import { decodeImage } from '../../main/images/io';
import { adjustedRandIndex } from '../../app/metrics/ari';
import { seededRandom } from '../../app/random';
import { DEFAULT_FEATURES, normalizedGrey, featureCount, type FeatureKind } from '../../app/learn/features';
import { argmaxClasses, predict, train, type Classifier } from '../../app/learn/pipeline';
import { grainSegments } from '../../app/learn/segments';
import { colourPlanes, DEFAULT_COLOUR_SIGMAS, isColour } from '../../app/learn/colour-features';
import { selfTrain, type SelfTrainOptions } from '../../app/learn/self-train';
import { correctiveRound, firstRound, paint, type SimStroke, type StrokeImage } from '../../app/learn/stroke-sim';
import { segmentClassic } from '../../app/classic';
import type { RasterImage } from '../../app/types';
import { peakRssMiB, writeResult, type BenchRow } from './common';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const positional = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--')));
const dataDir = resolve(opt('--data') ?? positional ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
const sets = (opt('--sets') ?? 'uhcs,super_ni,tbm_train').split(',');
const Ks = (opt('--k') ?? '1,3').split(',').map(Number);
const Ns = (opt('--n') ?? '1,3,10,30').split(',').map(Number);
/** Strokes per class for K = 1 (the learning curve over N is for K = 3). */
const k1Ns = (opt('--k1-n') ?? '10').split(',').map(Number);
/** Test images per set (the first of a fixed shuffle after the training images), to keep the run short. */
const maxTest = Number(opt('--max-test') ?? 6);
const radius = Number(opt('--radius') ?? 3);
const strokeLength = Number(opt('--length') ?? 150);
const withPeer = !argv.includes('--no-peer');
/** Strokes per class at which the peer runs too (it is the slow part of the run). */
const peerNs = (opt('--peer-n') ?? '10,30').split(',').map(Number);
const autoContext = !argv.includes('--no-context');
const firstShare = Number(opt('--first-share') ?? 0.5);
const randomPx = Number(opt('--random-px') ?? 0);
/** Random labelled px per class for the dense-label rows at K = 3 (0 = none). */
const ceilingPx = Number(opt('--ceiling-px') ?? 300);
/** Forest settings to compare (defaults: the app's). */
const forestOpts = {
  ...(opt('--trees') ? { trees: Number(opt('--trees')) } : {}),
  ...(opt('--depth') ? { maxDepth: Number(opt('--depth')) } : {}),
  ...(opt('--min-leaf') ? { minLeaf: Number(opt('--min-leaf')) } : {}),
  ...(opt('--balance') ? { balance: Number(opt('--balance')) } : {}),
  ...(opt('--per-class') ? { samplesPerClass: Number(opt('--per-class')) } : {}),
};
const sigmas = opt('--sigmas')?.split(',').map(Number);
const kinds = opt('--kinds')?.split(',') as FeatureKind[] | undefined;
const FEATURES = { ...DEFAULT_FEATURES, ...(sigmas ? { sigmas } : {}), ...(kinds ? { kinds } : {}) };
const PY = '/usr/bin/python3';
/** Development: --grey-q 0.01 stretches each image's grey from its 1st to 99th percentile, 0 = off. */
const greyQ: [number, number] | null | undefined = opt('--grey-q') === undefined ? undefined : Number(opt('--grey-q')) > 0 ? [Number(opt('--grey-q')), 1 - Number(opt('--grey-q'))] : null;
/** Colour features for colour images (on by default; --no-colour for grey only). */
const useColour = !argv.includes('--no-colour');
/** Seed of the fixed shuffle that picks training and test images (development: other draws). */
const shuffleSeed = Number(opt('--shuffle-seed') ?? 12);
/** Development: --stroke-seed S draws other strokes and dense labels (same images), to see how much a figure moves by chance. */
const strokeSeed = 1000 * Number(opt('--stroke-seed') ?? 0);
/**
 * Rows with self-training too (app/learn/self-train.ts) at K = 3, N = 10 (--no-self-train: none): the unlabelled images are the
 * test images (in a project: the images nobody labelled), predicted and pseudo-labelled without
 * their truth, as a person's project would be.
 */
const selfTrainRows = !argv.includes('--no-self-train');
const selfTrainOpts: SelfTrainOptions = {
  ...(opt('--st-rounds') ? { rounds: Number(opt('--st-rounds')) } : {}),
  ...(opt('--st-margin') ? { minMargin: Number(opt('--st-margin')) } : {}),
  ...(opt('--st-ratio') ? { ratio: Number(opt('--st-ratio')) } : {}),
};

interface SetData {
  name: string;
  kind: 'phases' | 'grains';
  C: number;
  target: number;
  images: { raw: RasterImage; stem: string; path: string; grey: Float32Array; colour?: Float32Array; w: number; h: number; classes: Uint8Array; grains?: Uint32Array }[];
}

async function loadSet(name: string): Promise<SetData> {
  const preset = PRESETS[name]!;
  const pairs = listPairs(join(dataDir, name));
  const images: SetData['images'] = [];
  for (const p of pairs) {
    const loaded = await loadPair(p, preset);
    const w = loaded.image.width;
    const h = loaded.image.height;
    const grey = normalizedGrey(loaded.image);
    const colour = useColour && isColour(loaded.image.data, loaded.image.channels) ? colourPlanes(loaded.image.data, loaded.image.channels, w, h) : undefined;
    let classes: Uint8Array;
    let grains: Uint32Array | undefined;
    if (preset.kind === 'grains') {
      const raw = await decodeImage(readFileSync(p.labelPath), p.labelPath);
      classes = new Uint8Array(w * h);
      for (let i = 0; i < classes.length; i++) classes[i] = raw.data[i * raw.channels]! > (raw.bitDepth === 16 ? 127 * 257 : 127) ? 1 : 0;
      grains = loaded.truth.data;
    } else if (name === 'super_ni') {
      // The person teaches two classes: matrix and gamma-prime (secondary + tertiary).
      classes = Uint8Array.from(loaded.truth.data, (v) => (v === 0 ? 0 : 1));
    } else {
      classes = Uint8Array.from(loaded.truth.data);
    }
    images.push({ raw: loaded.image, stem: p.stem, path: p.imagePath, grey, w, h, classes, ...(grains ? { grains } : {}), ...(colour ? { colour } : {}) });
  }
  const C = name === 'uhcs' ? 4 : 2;
  const target = name === 'uhcs' ? 2 : 1;
  return { name, kind: preset.kind, C, target, images };
}

/** True when the pixels have three channels that differ somewhere (not grey stored as RGB). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const r = seededRandom(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

interface Scores {
  iouPooled: number;
  iouMean: number;
  miou: number;
  ari?: number;
}

/** Scores class probabilities (class-major per image) against the truth. */
function score(set: SetData, test: SetData['images'], probsOf: (k: number) => Float32Array): Scores {
  let inter = 0;
  let union = 0;
  const perImage: number[] = [];
  const ci = new Float64Array(set.C);
  const cu = new Float64Array(set.C);
  const aris: number[] = [];
  test.forEach((im, k) => {
    const n = im.w * im.h;
    const probs = probsOf(k);
    const pred = argmaxClasses(probs, set.C, n);
    let i1 = 0;
    let u1 = 0;
    for (let i = 0; i < n; i++) {
      const t = im.classes[i] === set.target;
      const p = pred[i] === set.target;
      if (t && p) i1++;
      if (t || p) u1++;
      for (let c = 0; c < set.C; c++) {
        const tc = im.classes[i] === c;
        const pc = pred[i] === c;
        if (tc && pc) ci[c]!++;
        if (tc || pc) cu[c]!++;
      }
    }
    inter += i1;
    union += u1;
    perImage.push(u1 ? i1 / u1 : 1);
    if (argv.includes('--debug')) log(`  ${im.stem}: target IoU ${(u1 ? i1 / u1 : 1).toFixed(3)}`);
    if (set.kind === 'grains') {
      const grains = grainSegments(probs.subarray(set.target * n, (set.target + 1) * n), im.w, im.h, { minArea: 16 });
      aris.push(adjustedRandIndex({ width: im.w, height: im.h, data: im.grains! }, grains));
      if (argv.includes('--debug-grains')) {
        const row: string[] = [];
        const planes = im.colour ? [0, 1, 2].map((c) => im.colour!.subarray(c * n, (c + 1) * n)) : [im.grey];
        for (const threshold of [0.5, 0.7]) for (const md of [0, 0.06, 0.12, 0.2]) row.push(`${threshold}/${md}:${adjustedRandIndex({ width: im.w, height: im.h, data: im.grains! }, grainSegments(probs.subarray(set.target * n, (set.target + 1) * n), im.w, im.h, { minArea: 16, threshold, ...(md ? { similar: { planes, maxDifference: md } } : {}) })).toFixed(2)}`);
        log(`  ${im.stem} ${row.join(' ')}`);
      }
    }
  });
  let miou = 0;
  let present = 0;
  for (let c = 0; c < set.C; c++) {
    if (cu[c]! > 0) {
      miou += ci[c]! / cu[c]!;
      present++;
    }
  }
  return {
    iouPooled: union ? inter / union : 1,
    iouMean: perImage.reduce((a, b) => a + b, 0) / perImage.length,
    miou: miou / Math.max(1, present),
    ...(aris.length ? { ari: aris.reduce((a, b) => a + b, 0) / aris.length } : {}),
  };
}

function trainOn(set: SetData, imgs: SetData['images'], labels: Uint8Array[]): { clf: Classifier; seconds: number; samples: number } {
  const t0 = performance.now();
  const clf = train(
    imgs.map((im, k) => ({ grey: im.grey, width: im.w, height: im.h, labels: labels[k]!, ...(im.colour ? { colour: im.colour } : {}) })),
    { features: FEATURES, nClasses: set.C, autoContext, forest: forestOpts, ...(greyQ !== undefined ? { greyQuantiles: greyQ } : {}), ...(imgs.some((im) => im.colour) ? { colourSigmas: [...DEFAULT_COLOUR_SIGMAS] } : {}) },
  );
  let samples = 0;
  for (const l of labels) for (let i = 0; i < l.length; i++) if (l[i]) samples++;
  return { clf, seconds: (performance.now() - t0) / 1000, samples };
}

function selfTrainOn(set: SetData, imgs: SetData['images'], labels: Uint8Array[], unlabelled: SetData['images']): { clf: Classifier; seconds: number; pseudo: number; dropped: number } {
  const t0 = performance.now();
  const toImage = (im: SetData['images'][number]) => ({ grey: im.grey, width: im.w, height: im.h, ...(im.colour ? { colour: im.colour } : {}) });
  const r = selfTrain(
    imgs.map((im, k) => ({ ...toImage(im), labels: labels[k]! })),
    unlabelled.map(toImage),
    { features: FEATURES, nClasses: set.C, autoContext, forest: forestOpts, ...(greyQ !== undefined ? { greyQuantiles: greyQ } : {}), ...(imgs.some((im) => im.colour) ? { colourSigmas: [...DEFAULT_COLOUR_SIGMAS] } : {}) },
    selfTrainOpts,
  );
  return { clf: r.classifier, seconds: (performance.now() - t0) / 1000, pseudo: r.pseudoLabelled, dropped: r.dropped };
}

function saveNpy(file: string, data: Uint8Array): void {
  const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${data.length},), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = header + ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(h.length, 8);
  writeFileSync(file, Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data)]));
}

function loadNpyF32(file: string): Float32Array {
  const b = readFileSync(file);
  const hl = b.readUInt16LE(8);
  const start = 10 + hl;
  return new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
}

function peerAvailable(): string | null {
  if (!existsSync(PY)) return `${PY} not found`;
  const r = spawnSync(PY, ['-c', 'import sklearn, skimage'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'python3-sklearn / python3-skimage missing';
}

function runPeer(set: SetData, trainImgs: SetData['images'], labels: Uint8Array[], test: SetData['images']): { scores: Scores; trainS: number; sPerMP: number; cpuPerMP: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'grainlab-learn-peer-'));
  try {
    const job = {
      nClasses: set.C,
      train: trainImgs.map((im, k) => {
        const f = join(dir, `train${k}.npy`);
        saveNpy(f, labels[k]!);
        return { image: im.path, labels: f };
      }),
      test: test.map((im, k) => ({ image: im.path, out: join(dir, `test${k}.npy`) })),
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const r = spawnSync(PY, [join(import.meta.dirname, 'learn_peer.py'), join(dir, 'job.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) return `peer failed: ${(r.stderr || '').trim().split('\n').pop()}`;
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_s: number; predict_s: number; predict_cpu_s: number; pixels: number; skipped?: string };
    if (out.skipped) return out.skipped;
    const scores = score(set, test, (k) => loadNpyF32(job.test[k]!.out));
    return { scores, trainS: out.train_s, sPerMP: out.predict_s / (out.pixels / 1e6), cpuPerMP: out.predict_cpu_s / (out.pixels / 1e6) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A class is visible in an image when it covers at least this share of its pixels. */
const VISIBLE_SHARE = 0.001;

/**
 * K training images from the pool (the first images of the shuffle): the first K that together
 * show every class the pool shows, as a person who teaches C classes on K images picks images
 * where each class is visible (a class that none of them shows cannot be painted, and the
 * classifier then never predicts it: with K = 1 on uhcs the first image has only matrix and
 * particles, a two-class problem not comparable with K = 3). Falls back to the first K.
 */
function trainingImages<T extends { classes: Uint8Array }>(pool: T[], K: number, C: number): T[] {
  const shows = pool.map((im) => {
    const counts = new Float64Array(C);
    for (const v of im.classes) if (v < C) counts[v]!++;
    return Array.from(counts, (n) => n >= VISIBLE_SHARE * im.classes.length);
  });
  const covered = (idx: number[]) => Array.from({ length: C }, (_, c) => idx.some((i) => shows[i]![c])).filter(Boolean).length;
  const all = covered(pool.map((_, i) => i));
  // K-subsets of the pool in lexicographic order (the first K first).
  const pick = (from: number, idx: number[]): number[] | null => {
    if (idx.length === K) return covered(idx) === all ? idx : null;
    for (let i = from; i < pool.length; i++) {
      const r = pick(i + 1, [...idx, i]);
      if (r) return r;
    }
    return null;
  };
  const idx = K <= pool.length ? pick(0, []) : null;
  return idx ? idx.map((i) => pool[i]!) : pool.slice(0, K);
}

/** perClass pixels of each class drawn at random over the images (dense, unbiased labels: no strokes). */
function randomLabels(images: StrokeImage[], C: number, perClass: number, seed: number): Uint8Array[] {
  const r = seededRandom(seed);
  const labels = images.map((im) => new Uint8Array(im.classes.length));
  for (let c = 0; c < C; c++) {
    const cand: [number, number][] = [];
    images.forEach((im, k) => im.classes.forEach((v, i) => v === c && cand.push([k, i])));
    for (let j = 0; j < perClass && cand.length; j++) {
      const [k, i] = cand[Math.floor(r() * cand.length)]!;
      labels[k]![i] = c + 1;
    }
  }
  return labels;
}

const rows: BenchRow[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  if (!existsSync(dataDir)) {
    writeResult('learn', [{ metric: 'learn benchmark', value: 'skipped', unit: '', note: `no labelled data at ${dataDir}` }]);
    return;
  }
  const peerMissing = withPeer ? peerAvailable() : 'turned off (--no-peer)';
  if (peerMissing) log(`learn: peer skipped: ${peerMissing}`);
  log(`learn: features ${featureCount(FEATURES)} maps, auto-context ${autoContext ? 'on' : 'off'}, brush radius ${radius}px, stroke length ${strokeLength}px`);
  for (const name of sets) {
    const set = await loadSet(name);
    const order = shuffled(set.images, shuffleSeed);
    if (argv.includes('--debug')) log(`train images: ${order.slice(0, 3).map((im) => im.stem).join(', ')}`);
    const test = order.slice(3, 3 + maxTest);
    const mp = test.reduce((a, im) => a + im.w * im.h, 0) / 1e6;
    const metric = set.kind === 'grains' ? 'ARI' : 'target IoU';
    if (set.kind === 'grains') {
      // The classic grain engine on the same test images, for comparison (no training).
      const aris = test.map((im) => adjustedRandIndex({ width: im.w, height: im.h, data: im.grains! }, segmentClassic(im.raw, PRESETS[name]!.classic)));
      const a = aris.reduce((x, y) => x + y, 0) / aris.length;
      log(`${name} classic engine: ARI ${a.toFixed(3)}`);
      rows.push({ metric: `${name} classic engine ARI`, value: a, unit: '', note: `the same ${test.length} test images, no training` });
    }
    for (const K of Ks) {
      const trainImgs = trainingImages(order.slice(0, Math.max(3, K)), K, set.C);
      if (argv.includes('--debug')) log(`K=${K} training images: ${trainImgs.map((im) => im.stem).join(', ')}`);
      const strokeImgs: StrokeImage[] = trainImgs.map((im) => ({ classes: im.classes, width: im.w, height: im.h }));
      for (const N of K === 1 ? k1Ns : Ns) {
        const n1 = N === 1 ? 1 : Math.max(1, Math.round(N * firstShare));
        let strokes: SimStroke[] = firstRound(strokeImgs, set.C, n1, { radius, length: strokeLength, seed: 100 + N + strokeSeed });
        let labels = paint(strokeImgs, strokes);
        if (randomPx) {
          // Development check: randomPx random pixels per class over the training images instead of strokes.
          labels = randomLabels(strokeImgs, set.C, randomPx, N);
          strokes = [];
        } else if (N > n1) {
          const first = trainOn(set, trainImgs, labels);
          const predicted = trainImgs.map((im) => argmaxClasses(predict(first.clf, im.grey, im.w, im.h, im.colour ? { colour: im.colour } : {}), set.C, im.w * im.h));
          const more = correctiveRound(strokeImgs, predicted, labels, set.C, N - n1, { radius, length: strokeLength, seed: 200 + N + strokeSeed });
          strokes = [...strokes, ...more];
          labels = paint(strokeImgs, more, labels);
        }
        const t = trainOn(set, trainImgs, labels);
        if (argv.includes('--debug')) {
          const per = new Array(set.C + 1).fill(0);
          for (const l of labels) for (const v of l) per[v]++;
          log(`labelled px per class: ${per.slice(1).join(' ')}`);
          labels.forEach((l, k) => {
            const pc = new Array(set.C + 1).fill(0);
            for (const v of l) pc[v]++;
            const sc = new Array(set.C).fill(0);
            for (const st of strokes) if (st.image === k) sc[st.cls]++;
            log(`  ${trainImgs[k]!.stem}: labelled px ${pc.slice(1).join(' ')}; strokes ${sc.join(' ')}`);
          });
        }
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const probs = test.map((im) => predict(t.clf, im.grey, im.w, im.h, im.colour ? { colour: im.colour } : {}));
        const sPerMP = (performance.now() - t0) / 1000 / mp;
        const cpu = process.cpuUsage(c0);
        const cpuPerMP = (cpu.user + cpu.system) / 1e6 / mp;
        const s = score(set, test, (k) => probs[k]!);
        if (opt('--dump-dir')) {
          // Development: grey | truth | prediction per test image, as PNG.
          const sharp = (await import('sharp')).default;
          const pal = [[40, 40, 40], [0, 120, 255], [255, 60, 60], [60, 220, 60]];
          for (const [k, im] of test.entries()) {
            const pred = argmaxClasses(probs[k]!, set.C, im.w * im.h);
            const out = Buffer.alloc(im.w * 3 * im.h * 3);
            for (let i = 0; i < im.w * im.h; i++) {
              const o = (Math.floor(i / im.w) * 3 * im.w + (i % im.w)) * 3;
              out.fill(Math.round(im.grey[i]! * 255), o, o + 3);
              out.set(pal[im.classes[i]!]!, o + im.w * 3);
              out.set(pal[pred[i]!]!, o + im.w * 6);
            }
            await sharp(out, { raw: { width: im.w * 3, height: im.h, channels: 3 } }).png().toFile(join(opt('--dump-dir')!, `${name}-K${K}-N${N}-${im.stem}.png`));
          }
        }
        if (argv.includes('--debug')) {
          const cm = Array.from({ length: set.C }, () => new Array(set.C).fill(0));
          test.forEach((im, k) => argmaxClasses(probs[k]!, set.C, im.w * im.h).forEach((p, i) => cm[im.classes[i]!]![p]++));
          log(`confusion (rows truth): ${cm.map((r) => r.join(',')).join(' | ')}`);
        }
        const tag = `${name} K=${K} N=${N}`;
        const main = set.kind === 'grains' ? s.ari! : s.iouPooled;
        log(`${tag}: ${strokes.length} strokes, ${t.samples} px; ${metric} ${main.toFixed(3)} (per image ${s.iouMean.toFixed(3)}), mIoU ${s.miou.toFixed(3)}; train ${t.seconds.toFixed(2)} s; predict ${sPerMP.toFixed(2)} s/MP (CPU ${cpuPerMP.toFixed(2)} s/MP)`);
        const target = set.kind === 'grains' ? (K === 3 && N <= 10 ? '>= 0.60' : undefined) : K === 3 && N <= 10 ? (name === 'uhcs' ? '>= 0.65 and >= peer' : '>= 0.85 and >= peer') : undefined;
        rows.push({ metric: `${tag} ${metric}${set.kind === 'grains' ? '' : ' (pooled)'}`, value: main, unit: '', ...(target ? { target } : {}), note: `${strokes.length} strokes, ${t.samples} px, ${test.length} test images` });
        if (set.kind !== 'grains') rows.push({ metric: `${tag} target IoU (mean per image)`, value: s.iouMean, unit: '' });
        rows.push({ metric: `${tag} mIoU`, value: s.miou, unit: '' });
        rows.push({ metric: `${tag} training`, value: t.seconds, unit: 's' });
        rows.push({ metric: `${tag} prediction`, value: sPerMP, unit: 's/MP', target: '<= 2 and 3x faster than peer', note: 'wall clock, one thread' });
        rows.push({ metric: `${tag} prediction CPU time`, value: cpuPerMP, unit: 's/MP', note: 'CPU seconds (the machine is shared; wall time depends on load)' });
        if (selfTrainRows && K === 3 && N === 10) {
          const st = selfTrainOn(set, trainImgs, labels, test);
          const sp = test.map((im) => predict(st.clf, im.grey, im.w, im.h, im.colour ? { colour: im.colour } : {}));
          const ss = score(set, test, (k) => sp[k]!);
          const sm = set.kind === 'grains' ? ss.ari! : ss.iouPooled;
          log(`${tag} self-trained: ${st.pseudo} pseudo-labelled px (${st.dropped} dropped); ${metric} ${sm.toFixed(3)} (per image ${ss.iouMean.toFixed(3)}), mIoU ${ss.miou.toFixed(3)}; train ${st.seconds.toFixed(2)} s`);
          rows.push({ metric: `${tag} self-trained ${metric}${set.kind === 'grains' ? '' : ' (pooled)'}`, value: sm, unit: '', note: `same strokes; ${st.pseudo} pseudo-labelled px on the ${test.length} unlabelled test images and the training images' unlabelled pixels, ${st.dropped} dropped by self-correction; vs ${main.toFixed(3)} without` });
          rows.push({ metric: `${tag} self-trained mIoU`, value: ss.miou, unit: '' });
          rows.push({ metric: `${tag} self-trained training`, value: st.seconds, unit: 's', note: 'with pseudo-labelling rounds' });
        }
        if (!peerMissing && peerNs.includes(N)) {
          const p = runPeer(set, trainImgs, labels, test);
          if (typeof p === 'string') {
            log(`${tag} peer: ${p}`);
            rows.push({ metric: `${tag} peer`, value: 'failed', unit: '', note: p });
          } else {
            const pm = set.kind === 'grains' ? p.scores.ari! : p.scores.iouPooled;
            log(`${tag} peer: ${metric} ${pm.toFixed(3)} (per image ${p.scores.iouMean.toFixed(3)}), mIoU ${p.scores.miou.toFixed(3)}; train ${p.trainS.toFixed(2)} s; predict ${p.sPerMP.toFixed(2)} s/MP (CPU ${p.cpuPerMP.toFixed(2)} s/MP)`);
            rows.push({ metric: `${tag} peer ${metric}${set.kind === 'grains' ? '' : ' (pooled)'}`, value: pm, unit: '', note: 'sklearn RF(100, balanced) on skimage multiscale_basic_features, same strokes' });
            rows.push({ metric: `${tag} peer mIoU`, value: p.scores.miou, unit: '' });
            rows.push({ metric: `${tag} peer training`, value: p.trainS, unit: 's' });
            rows.push({ metric: `${tag} peer prediction`, value: p.sPerMP, unit: 's/MP', note: 'wall clock, n_jobs=-1 (2 cores)' });
            rows.push({ metric: `${tag} peer prediction CPU time`, value: p.cpuPerMP, unit: 's/MP' });
          }
        }
      }
      if (K === 3 && ceilingPx > 0) {
        // Where the per-pixel filter bank itself stops: dense, unbiased labels (ceilingPx random
        // pixels of each class over the same three images) instead of strokes, ours and the peer.
        const labels = randomLabels(strokeImgs, set.C, ceilingPx, 7 + strokeSeed);
        const t = trainOn(set, trainImgs, labels);
        const probs = test.map((im) => predict(t.clf, im.grey, im.w, im.h, im.colour ? { colour: im.colour } : {}));
        const s = score(set, test, (k) => probs[k]!);
        const tag = `${name} K=3 ${ceilingPx} random px/class`;
        const main = set.kind === 'grains' ? s.ari! : s.iouPooled;
        log(`${tag}: ${metric} ${main.toFixed(3)}, mIoU ${s.miou.toFixed(3)}`);
        const note = `no strokes: ${ceilingPx} labelled px of each class drawn at random over the same ${trainImgs.length} training images (labels no person paints; what the features allow), ${test.length} test images`;
        rows.push({ metric: `${tag} ${metric}${set.kind === 'grains' ? '' : ' (pooled)'}`, value: main, unit: '', note });
        if (!peerMissing) {
          const p = runPeer(set, trainImgs, labels, test);
          if (typeof p === 'string') rows.push({ metric: `${tag} peer`, value: 'failed', unit: '', note: p });
          else {
            const pm = set.kind === 'grains' ? p.scores.ari! : p.scores.iouPooled;
            log(`${tag} peer: ${metric} ${pm.toFixed(3)}`);
            rows.push({ metric: `${tag} peer ${metric}${set.kind === 'grains' ? '' : ' (pooled)'}`, value: pm, unit: '', note: 'sklearn RF(100, balanced) on skimage multiscale_basic_features, the same random px' });
          }
        }
      }
    }
  }
  // Training speed on 100k labelled pixels (dense labels of uhcs training images, subsampled).
  if (sets.includes('uhcs') && !argv.includes('--no-100k')) {
    const set = await loadSet('uhcs');
    const imgs = shuffled(set.images, 12).slice(0, 3);
    const r = seededRandom(5);
    const labels = imgs.map((im) => Uint8Array.from(im.classes, (c) => (r() < 100_000 / (3 * im.w * im.h) ? c + 1 : 0)));
    const t = trainOn(set, imgs, labels);
    rows.push({ metric: `training on ${t.samples} labelled px (3 uhcs images, auto-context ${autoContext ? 'on' : 'off'})`, value: t.seconds, unit: 's', target: '<= 10 s for 100k px' });
    log(`train ${t.samples} px: ${t.seconds.toFixed(2)} s`);
  }
  rows.push({ metric: 'peak memory (this process)', value: peakRssMiB(), unit: 'MiB' });
  if (peerMissing) rows.push({ metric: 'peer', value: 'skipped', unit: '', note: peerMissing });
  writeResult('learn', rows);
}

await main();
