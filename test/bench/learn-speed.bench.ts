// Speed of the pixel classifier (issue 12): training time on 100k labelled pixels; prediction
// seconds per megapixel (wall and CPU) on a synthetic 2048x2048 image, through the previous
// whole-image JS path (app/learn/pipeline.predict) and through the tiled path with the forests in
// onnxruntime (what the app runs) or in JS (its fallback); the filter bank alone before and after
// its optimisation; a real micrograph when ../shared/data is there; an 8192x8192 image in a
// child process for its peak memory; and the peer (scikit-learn's random forest on
// scikit-image features, test/bench/learn_peer.py) on the same 2048x2048 image.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { computeFeatures, normalizedGrey, DEFAULT_FEATURES, featureCount } from '../../app/learn/features';
import { computeFeatures as featuresBefore } from '../../app/learn/testing/features-before';
import { predict, train, type Classifier, type TrainImage } from '../../app/learn/pipeline';
import { predictTiled, jsForest } from '../../app/learn/predict-tiled';
import { twoTextureImage } from '../../app/learn/synthetic';
import { seededRandom } from '../../app/random';
import { forestEngine } from '../../main/learn/forest-engine';
import { peakRssMiB, writeResult, type BenchRow } from './common';
import { GrainLabService } from '../../main/service';
import { ProjectStore } from '../../main/store/project-store';

/**
 * Retraining through the real service (learn worker, project folder) with and without the feature
 * cache: a project of three synthetic 1024x1024 images with scribbles on each, trained with the
 * cache off (GRAINLAB_FEATURE_CACHE_MB=0) twice, then with it on: the first training computes and
 * writes the maps, the retrain reads them. Also the live prediction of a 512x512 view.
 */
async function retrainRows(): Promise<BenchRow[]> {
  const side = 1024;
  const dir = join(mkdtempSync(join(tmpdir(), 'grainlab-retrain-')), 'proj');
  const store = ProjectStore.create(dir, 'retrain bench');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'images'), { recursive: true });
  const truths: { id: number; classes: Uint8Array }[] = [];
  for (let k = 0; k < 3; k++) {
    const s = twoTextureImage(side, side, 40 + k, 260, 18);
    const file = `images/syn-${k}.png`;
    await sharp(Buffer.from(s.data), { raw: { width: side, height: side, channels: 1 } }).png().toFile(join(dir, file));
    const [img] = store.insertImages([{ name: `syn-${k}.png`, file, page: 0, hash: `retrainbench${k}`, width: side, height: side, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
    truths.push({ id: img!.id, classes: s.classes });
  }
  store.close();
  const user = mkdtempSync(join(tmpdir(), 'grainlab-retrain-user-'));
  const svc = new GrainLabService({ userDataDir: user, binding: 'web' });
  const saved = process.env.GRAINLAB_FEATURE_CACHE_MB;
  try {
    await svc.call('project.open', { path: dir });
    const classes = await svc.call('classes.ensure', { count: 2 });
    // Horizontal strokes inside each class's regions, 40 per class and image.
    let strokes = 0;
    for (const t of truths) {
      for (const [cls, c] of classes.entries()) {
        let added = 0;
        for (let y = 8; y < side - 8 && added < 40; y += 23) {
          for (let x = 8; x < side - 8 && added < 40; x += 5) {
            if ([-6, 0, 6].every((d) => t.classes[y * side + x + d] === cls)) {
              await svc.call('learn.scribbles.add', { imageId: t.id, classId: c.id, radius: 2, points: [x - 6, y, x + 6, y] });
              added++;
              strokes++;
              x += 60;
            }
          }
        }
      }
    }
    const labelled = (await svc.call('learn.labels', {})).total;
    const cpuOf: number[] = [];
    const trainOnce = async () => {
      const t = performance.now();
      const c0 = cpuS();
      let off = () => {};
      const ended = new Promise<{ state: string; message?: string }>((resolve) => {
        off = svc.on('onDidProgress', (e) => {
          if (e.state !== 'running') resolve(e);
        });
      });
      await svc.call('learn.train', {});
      const e = await ended;
      off();
      if (e.state !== 'done') throw new Error(`training ${e.state}: ${e.message ?? ''}`);
      cpuOf.push(cpuS() - c0);
      return (performance.now() - t) / 1000;
    };
    const view = { imageId: truths[0]!.id, x: 256, y: 256, width: 512, height: 512 };
    const live = async () => {
      const t = performance.now();
      await svc.call('learn.predictRegion', view);
      return performance.now() - t;
    };
    // Cache off and cache on (hit) alternate, four times each, against the machine's drift; medians.
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
    const off = () => (process.env.GRAINLAB_FEATURE_CACHE_MB = '0');
    const on = () => delete process.env.GRAINLAB_FEATURE_CACHE_MB;
    off();
    const off1 = await trainOnce();
    on();
    const on1 = await trainOnce();
    // The maps are written after the reply: wait for them, so no later run pays for the writing.
    const cdir = join(dir, 'cache', 'features');
    const { readdirSync: ls, statSync: st, existsSync: there } = await import('node:fs');
    for (let k = 0; k < 600 && !(there(cdir) && ls(cdir).filter((f) => f.endsWith('.bin')).length === 3 && ls(cdir).every((f) => f.endsWith('.bin'))); k++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const offs: number[] = [];
    const ons: number[] = [];
    const offCpu: number[] = [];
    const onCpu: number[] = [];
    for (let k = 0; k < 4; k++) {
      off();
      offs.push(await trainOnce());
      offCpu.push(cpuOf.at(-1)!);
      on();
      ons.push(await trainOnce());
      onCpu.push(cpuOf.at(-1)!);
    }
    const off2 = median(offs);
    const on2 = median(ons);
    off();
    await live();
    const liveOff = median([await live(), await live(), await live()]);
    on();
    await live();
    const liveOn = median([await live(), await live(), await live()]);
    const bytes = ls(cdir).reduce((a, f) => a + st(join(cdir, f)).size, 0);
    const what = `3 synthetic ${side}x${side} images, ${labelled.toLocaleString('en')} scribbled px (${strokes} strokes), default 48 maps, auto-context on, through the service and learn worker`;
    log(`retrain: cache off ${off1.toFixed(1)} then ${offs.map((v) => v.toFixed(1)).join(', ')} s; cache on ${on1.toFixed(1)} (miss) then ${ons.map((v) => v.toFixed(1)).join(', ')} s (hit); live ${liveOff.toFixed(0)} / ${liveOn.toFixed(0)} ms`);
    return [
      { metric: 'retrain, feature cache off (each training computes the maps)', value: off2, unit: 's', note: `${what}; median of 4 (${offs.map((v) => v.toFixed(1)).join(', ')}); first training ${off1.toFixed(1)} s` },
      { metric: 'retrain CPU, feature cache off', value: median(offCpu), unit: 'CPU s', note: `all threads of the process; median of 4 (${offCpu.map((v) => v.toFixed(1)).join(', ')})` },
      { metric: 'retrain CPU, feature cache on (hit)', value: median(onCpu), unit: 'CPU s', note: `median of 4 (${onCpu.map((v) => v.toFixed(1)).join(', ')}); ${((1 - median(onCpu) / median(offCpu)) * 100).toFixed(0)} % less` },
      { metric: 'train, feature cache on, first time (computes and writes the maps)', value: on1, unit: 's', note: `${(bytes / 2 ** 20).toFixed(0)} MiB of float32 maps, written after the classifier is sent back` },
      { metric: 'retrain, feature cache on (maps read from the cache)', value: on2, unit: 's', note: `median of 4 (${ons.map((v) => v.toFixed(1)).join(', ')}), alternating with the cache-off runs; ${((1 - on2 / off2) * 100).toFixed(0)} % less than with the cache off` },
      { metric: 'live prediction of a 512x512 view, feature cache off', value: liveOff, unit: 'ms', note: 'learn.predictRegion, median of 3 after a first call (grey and classifier held)' },
      { metric: 'live prediction of a 512x512 view, feature cache on', value: liveOn, unit: 'ms', note: 'the image\'s cached maps cut to the view (held after the first call)' },
    ];
  } finally {
    if (saved === undefined) delete process.env.GRAINLAB_FEATURE_CACHE_MB;
    else process.env.GRAINLAB_FEATURE_CACHE_MB = saved;
    await svc.dispose();
    rmSync(join(dir, '..'), { recursive: true, force: true });
    rmSync(user, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const dataDir = argv.includes('--data') ? argv[argv.indexOf('--data') + 1]! : join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const PY = '/usr/bin/python3';
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const log = (s: string) => console.error(`learn-speed: ${s}`);

/** A synthetic two-texture image and labels on `labelled` of its pixels (strided, both classes). */
function synthetic(side: number, labelled: number) {
  const s = twoTextureImage(side, side, 11, Math.round((side * side) / 4000), 18);
  const grey = normalizedGrey({ width: side, height: side, channels: 1, bitDepth: 8, data: s.data } as never);
  const labels = new Uint8Array(side * side);
  const step = Math.max(1, Math.floor((side * side) / labelled));
  for (let i = 0; i < labels.length; i += step) labels[i] = s.classes[i]! + 1;
  return { ...s, grey, labels };
}

async function timed<T>(f: () => Promise<T> | T): Promise<{ v: T; wall: number; cpu: number }> {
  const c = cpuS();
  const t = performance.now();
  const v = await f();
  return { v, wall: (performance.now() - t) / 1000, cpu: cpuS() - c };
}

function accuracy(probs: Float32Array, truth: Uint8Array): number {
  const n = truth.length;
  let ok = 0;
  for (let i = 0; i < n; i++) if ((probs[n + i]! > probs[i]! ? 1 : 0) === truth[i]) ok++;
  return ok / n;
}

/** Child process: predicts one large synthetic image tiled with onnxruntime and prints figures. */
async function big(side: number): Promise<void> {
  const small = synthetic(512, 20_000);
  const clf = train([{ grey: small.grey, width: 512, height: 512, labels: small.labels }], { features: DEFAULT_FEATURES, nClasses: 2 });
  const img = synthetic(side, 1);
  const engine = await forestEngine(clf.stage1);
  const before = peakRssMiB();
  const r = await timed(() => predictTiled(clf, img.grey, side, side, engine.evaluate));
  console.log(JSON.stringify({ wall: r.wall, cpu: r.cpu, mp: (side * side) / 1e6, engine: engine.name, rssBefore: before, peak: peakRssMiB(), accuracy: accuracy(r.v, img.classes) }));
}

function saveNpy(file: string, data: Uint8Array): void {
  const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${data.length},), }`;
  const h = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  writeFileSync(file, Buffer.concat([pre, Buffer.from(h, 'latin1'), Buffer.from(data)]));
}

/** The peer on the same image and labels: its figures, or why it did not run. */
async function peer(img: ReturnType<typeof synthetic>, side: number): Promise<{ trainS: number; wall: number; cpu: number } | string> {
  if (!existsSync(PY)) return `${PY} not found`;
  if (spawnSync(PY, ['-c', 'import sklearn, skimage'], { encoding: 'utf8' }).status !== 0) return 'python3-sklearn / python3-skimage missing';
  const dir = mkdtempSync(join(tmpdir(), 'grainlab-learn-speed-'));
  try {
    const png = join(dir, 'image.png');
    await sharp(Buffer.from(img.data), { raw: { width: side, height: side, channels: 1 } }).png().toFile(png);
    saveNpy(join(dir, 'labels.npy'), img.labels);
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ nClasses: 2, train: [{ image: png, labels: join(dir, 'labels.npy') }], test: [{ image: png, out: join(dir, 'out.npy') }] }));
    const r = spawnSync(PY, [join(import.meta.dirname, 'learn_peer.py'), join(dir, 'job.json')], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) return `peer failed: ${(r.stderr || '').trim().split('\n').pop()}`;
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_s: number; predict_s: number; predict_cpu_s: number; pixels: number; skipped?: string };
    if (out.skipped) return out.skipped;
    return { trainS: out.train_s, wall: out.predict_s / (out.pixels / 1e6), cpu: out.predict_cpu_s / (out.pixels / 1e6) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `--parallel-only`: a 2048x2048 prediction (JS forest, the default engine) in one thread and with
 * its tiles shared among 2 helper threads (parallel-predict.ts, what the learn worker does on a
 * 2-core machine); training with the first stage predicted at every pixel (before) and only
 * within the context maps' reach of the labels (now), on 100k random pixels and on scribbles.
 * Each run `reps` times, alternating, medians reported.
 */
async function parallelRows(): Promise<BenchRow[]> {
  const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 2;
  const rows: BenchRow[] = [];
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
  const side = 2048;
  const mp = (side * side) / 1e6;
  const img = synthetic(side, 40_000);
  const clf = train([{ grey: img.grey, width: side, height: side, labels: img.labels }], { features: DEFAULT_FEATURES, nClasses: 2 });
  const { predictParallel, endPredictionThreads } = await import('../../main/learn/parallel-predict');
  // Start the helper threads first (the app keeps them after its first prediction).
  await predictParallel(clf, img.grey.subarray(0, 1100 * 200), 1100, 200, { workers: 2, engine: 'js' });
  const one: { wall: number; cpu: number }[] = [];
  const two: { wall: number; cpu: number }[] = [];
  let identical = true;
  let acc = 0;
  for (let k = 0; k < reps; k++) {
    const a = await timed(() => predictTiled(clf, img.grey, side, side, jsForest));
    acc = accuracy(a.v, img.classes);
    one.push({ wall: a.wall / mp, cpu: a.cpu / mp });
    const b = await timed(() => predictParallel(clf, img.grey, side, side, { workers: 2, engine: 'js' }));
    two.push({ wall: b.wall / mp, cpu: b.cpu / mp });
    identical &&= Buffer.compare(Buffer.from(a.v.buffer), Buffer.from(b.v.probs.buffer)) === 0;
    log(`prediction 1 thread ${(a.wall / mp).toFixed(2)} s/MP (CPU ${(a.cpu / mp).toFixed(2)}), 2 threads ${(b.wall / mp).toFixed(2)} s/MP (CPU ${(b.cpu / mp).toFixed(2)})`);
  }
  await endPredictionThreads();
  for (const [name, r] of [['1 worker', one], ['2 workers', two]] as const) {
    rows.push({ metric: `2048x2048 prediction wall, JS forest, ${name}`, value: med(r.map((x) => x.wall)), unit: 's/MP', target: '<= 2', note: `median of ${reps} (${list(r.map((x) => x.wall))}); CPU ${med(r.map((x) => x.cpu)).toFixed(2)} s/MP (all threads); accuracy ${(acc * 100).toFixed(1)} %; ${name === '2 workers' ? `probabilities ${identical ? 'bit-identical to' : 'DIFFERENT from'} 1 worker; ` : ''}machine shared with other sessions: wall is noisy` });
  }

  // `--peer`: the peer on the same image in this run, and the 2-thread speed-up over it.
  if (argv.includes('--peer')) {
    const p = await peer(img, side);
    if (typeof p === 'string') rows.push({ metric: 'peer', value: 'skipped', unit: '', note: p });
    else {
      const w2 = med(two.map((x) => x.wall));
      const c2 = med(two.map((x) => x.cpu));
      rows.push({ metric: '2048x2048 peer prediction (same run as the worker rows)', value: p.wall, unit: 's/MP', note: `CPU ${p.cpu.toFixed(2)} s/MP; training ${p.trainS.toFixed(1)} s` });
      rows.push({ metric: '2048x2048 speed-up over the peer, 2 workers (wall)', value: p.wall / w2, unit: 'x', target: '>= 3' });
      rows.push({ metric: '2048x2048 speed-up over the peer, 2 workers (CPU)', value: p.cpu / c2, unit: 'x', target: '>= 3' });
      log(`peer: ${p.wall.toFixed(2)} s/MP wall, ${p.cpu.toFixed(2)} CPU s/MP`);
    }
  }
  // `--no-train`: the prediction rows only.
  if (argv.includes('--no-train')) return rows;
  const trainRows = async (tag: string, imgs: TrainImage[]) => {
    const samples = imgs.reduce((a, im) => a + im.labels.filter((l) => l > 0).length, 0);
    const before: { wall: number; cpu: number }[] = [];
    const now: { wall: number; cpu: number }[] = [];
    let same = true;
    for (let k = 0; k < reps; k++) {
      const a = await timed(() => train(imgs, { features: DEFAULT_FEATURES, nClasses: 2, contextEverywhere: true }));
      before.push(a);
      const b = await timed(() => train(imgs, { features: DEFAULT_FEATURES, nClasses: 2 }));
      now.push(b);
      same &&= JSON.stringify(a.v) === JSON.stringify(b.v);
      log(`training ${tag}: before ${a.wall.toFixed(1)} s (CPU ${a.cpu.toFixed(1)}), now ${b.wall.toFixed(1)} s (CPU ${b.cpu.toFixed(1)})`);
    }
    for (const [name, r] of [['before (stage 1 at every pixel)', before], ['now (stage 1 within the context reach of the labels)', now]] as const) {
      rows.push({ metric: `training on ${samples} ${tag}, ${name}`, value: med(r.map((x) => x.cpu)), unit: 'CPU s', target: '<= 10 s for 100k px', note: `median of ${reps} (${list(r.map((x) => x.cpu))}); wall ${med(r.map((x) => x.wall)).toFixed(1)} s (${list(r.map((x) => x.wall))}), machine shared: wall is noisy${name.startsWith('now') ? `; classifier ${same ? 'identical to' : 'DIFFERENT from'} before` : ''}` });
    }
  };
  const textures = (k: number) => {
    const s = twoTextureImage(1024, 1024, 20 + k, 260, 18);
    return { s, grey: normalizedGrey({ width: 1024, height: 1024, channels: 1, bitDepth: 8, data: s.data } as never) };
  };
  await trainRows('random labelled px (3 synthetic 1024x1024 images)', [0, 1, 2].map((k) => {
    const { s, grey } = textures(k);
    const r = seededRandom(30 + k);
    return { grey, width: 1024, height: 1024, labels: Uint8Array.from(s.classes, (c) => (r() < 100_000 / (3 * 1024 * 1024) ? c + 1 : 0)) };
  }));
  // Scribbles as the retrain rows paint them: 13-pixel strokes 5 px wide inside each class, 40 per class and image.
  await trainRows('scribbled px (3 synthetic 1024x1024 images, 240 strokes)', [0, 1, 2].map((k) => {
    const { s, grey } = textures(40 + k - 20);
    const labels = new Uint8Array(1024 * 1024);
    for (const cls of [0, 1]) {
      let added = 0;
      for (let y = 8; y < 1016 && added < 40; y += 23) {
        for (let x = 8; x < 1016 && added < 40; x += 5) {
          if ([-6, 0, 6].every((d) => s.classes[y * 1024 + x + d] === cls)) {
            for (let dy = -2; dy <= 2; dy++) for (let dx = -6; dx <= 6; dx++) labels[(y + dy) * 1024 + x + dx] = cls + 1;
            added++;
            x += 60;
          }
        }
      }
    }
    return { grey, width: 1024, height: 1024, labels };
  }));
  return rows;
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  if (argv.includes('--parallel-only')) {
    writeResult('learn-speed-parallel', await parallelRows());
    return;
  }
  // `--retrain-only`: just the feature cache's rows (the whole section takes about half an hour here).
  rows.push(...(await retrainRows()));
  if (argv.includes('--retrain-only')) {
    writeResult('learn-speed-retrain', rows);
    return;
  }
  const perMP = (v: number, mp: number) => v / mp;

  // Training on 100k labelled pixels: three 1024x1024 synthetic images, auto-context on.
  {
    const imgs = [0, 1, 2].map((k) => {
      const s = twoTextureImage(1024, 1024, 20 + k, 260, 18);
      const grey = normalizedGrey({ width: 1024, height: 1024, channels: 1, bitDepth: 8, data: s.data } as never);
      const r = seededRandom(30 + k);
      const labels = Uint8Array.from(s.classes, (c) => (r() < 100_000 / (3 * 1024 * 1024) ? c + 1 : 0));
      return { grey, width: 1024, height: 1024, labels };
    });
    const samples = imgs.reduce((a, im) => a + im.labels.filter((l) => l > 0).length, 0);
    const t = await timed(() => train(imgs, { features: DEFAULT_FEATURES, nClasses: 2 }));
    rows.push({ metric: `training on ${samples} labelled px (3 synthetic 1024x1024 images, auto-context on)`, value: t.wall, unit: 's', target: '<= 10 s for 100k px', note: `CPU ${t.cpu.toFixed(1)} s` });
    log(`training ${samples} px: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`);
  }

  // 2048x2048: the filter bank alone, then the three prediction paths.
  const side = 2048;
  const mp = (side * side) / 1e6;
  const img = synthetic(side, 40_000);
  const clf: Classifier = train([{ grey: img.grey, width: side, height: side, labels: img.labels }], { features: DEFAULT_FEATURES, nClasses: 2 });
  {
    // The bank on one 1024x1024 tile (the tiled path's unit); before = the code before this work.
    const tile = img.grey.subarray(0, 1024 * 1024);
    // Warm both up first (the JIT), on a small piece.
    featuresBefore(tile, 256, 256, DEFAULT_FEATURES);
    computeFeatures(tile, 256, 256, DEFAULT_FEATURES);
    const b = await timed(() => featuresBefore(tile, 1024, 1024, DEFAULT_FEATURES));
    const a = await timed(() => computeFeatures(tile, 1024, 1024, DEFAULT_FEATURES));
    rows.push({ metric: `filter bank (${featureCount(DEFAULT_FEATURES)} maps), before`, value: perMP(b.cpu, 1.048576), unit: 'CPU s/MP', note: `wall ${perMP(b.wall, 1.048576).toFixed(2)} s/MP` });
    rows.push({ metric: 'filter bank, now', value: perMP(a.cpu, 1.048576), unit: 'CPU s/MP', note: `wall ${perMP(a.wall, 1.048576).toFixed(2)} s/MP` });
  }
  const engine = await forestEngine(clf.stage1);
  if (engine.fallback) log(engine.fallback);
  const paths: [string, () => Promise<Float32Array> | Float32Array][] = [
    ['previous path (whole-image context, JS forest)', () => predict(clf, img.grey, side, side)],
    [`tiled, forests in ${engine.name} (the app's path)`, () => predictTiled(clf, img.grey, side, side, engine.evaluate)],
    ['tiled, JS forest (fallback)', () => predictTiled(clf, img.grey, side, side, jsForest)],
  ];
  let ours = { wall: Infinity, cpu: Infinity };
  for (const [name, run] of paths) {
    const t = await timed(run);
    const acc = accuracy(t.v, img.classes);
    rows.push({ metric: `2048x2048 prediction, ${name}`, value: perMP(t.wall, mp), unit: 's/MP', target: name.includes("app's") ? '<= 2 and 3x faster than peer' : '', note: `CPU ${perMP(t.cpu, mp).toFixed(2)} s/MP; accuracy ${(acc * 100).toFixed(1)} %` });
    if (name.includes("app's")) ours = { wall: perMP(t.wall, mp), cpu: perMP(t.cpu, mp) };
    log(`${name}: ${perMP(t.wall, mp).toFixed(2)} s/MP wall, ${perMP(t.cpu, mp).toFixed(2)} CPU s/MP, accuracy ${acc.toFixed(3)}`);
  }
  const p = await peer(img, side);
  if (typeof p === 'string') rows.push({ metric: 'peer', value: 'skipped', unit: '', note: p });
  else {
    rows.push({ metric: '2048x2048 peer prediction', value: p.wall, unit: 's/MP', note: `CPU ${p.cpu.toFixed(2)} s/MP; sklearn RF(100, balanced, n_jobs=-1) on skimage multiscale_basic_features; training ${p.trainS.toFixed(1)} s` });
    rows.push({ metric: '2048x2048 speed-up over the peer (wall)', value: p.wall / ours.wall, unit: 'x', target: '>= 3' });
    rows.push({ metric: '2048x2048 speed-up over the peer (CPU)', value: p.cpu / ours.cpu, unit: 'x', target: '>= 3' });
    log(`peer: ${p.wall.toFixed(2)} s/MP wall, ${p.cpu.toFixed(2)} CPU s/MP`);
  }

  // A real micrograph (uhcs), when the data is there.
  const uhcs = join(dataDir, 'uhcs', 'images');
  if (existsSync(uhcs)) {
    const file = join(uhcs, readdirSync(uhcs).sort()[0]!);
    const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
    const grey = normalizedGrey({ width: info.width, height: info.height, channels: 1, bitDepth: 8, data } as never);
    const labels = new Uint8Array(info.width * info.height);
    for (let i = 0; i < labels.length; i += 29) labels[i] = grey[i]! > 0.55 ? 1 : grey[i]! > 0.3 ? 2 : 3;
    const c3 = train([{ grey, width: info.width, height: info.height, labels }], { features: DEFAULT_FEATURES, nClasses: 3 });
    const rmp = (info.width * info.height) / 1e6;
    const e3 = await forestEngine(c3.stage1);
    const f = await timed(() => computeFeatures(grey, info.width, info.height, DEFAULT_FEATURES));
    const a = await timed(() => predict(c3, grey, info.width, info.height));
    const b = await timed(() => predictTiled(c3, grey, info.width, info.height, e3.evaluate));
    const tag = `real ${info.width}x${info.height} (uhcs, 3 classes)`;
    rows.push({ metric: `${tag} filter bank`, value: perMP(f.wall, rmp), unit: 's/MP', note: `CPU ${perMP(f.cpu, rmp).toFixed(2)} s/MP` });
    rows.push({ metric: `${tag} prediction, previous path`, value: perMP(a.wall, rmp), unit: 's/MP', note: `CPU ${perMP(a.cpu, rmp).toFixed(2)} s/MP` });
    rows.push({ metric: `${tag} prediction, ${e3.name}`, value: perMP(b.wall, rmp), unit: 's/MP', note: `CPU ${perMP(b.cpu, rmp).toFixed(2)} s/MP` });
  }

  // 8192x8192 in its own process, so its peak memory is its own.
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--big', '8192'], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status === 0) {
    const b = JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall: number; cpu: number; mp: number; engine: string; rssBefore: number; peak: number; accuracy: number };
    rows.push({ metric: `8192x8192 prediction, tiled, ${b.engine}`, value: b.wall / b.mp, unit: 's/MP', target: '<= 2', note: `CPU ${(b.cpu / b.mp).toFixed(2)} s/MP; accuracy ${(b.accuracy * 100).toFixed(1)} %` });
    rows.push({ metric: '8192x8192 peak memory (whole process)', value: b.peak, unit: 'MiB', target: 'bounded (tile by tile)', note: `${b.rssBefore.toFixed(0)} MiB before predicting (image, its grey, the classifier); grey + 2 probability planes of 67 MP take 768 MiB` });
  } else rows.push({ metric: '8192x8192 prediction', value: 'failed', unit: '', note: `exit ${r.status}` });
  rows.push({ metric: 'peak memory (this process)', value: peakRssMiB(), unit: 'MiB' });
  writeResult('learn-speed', rows);
}

if (argv.includes('--big')) await big(Number(argv[argv.indexOf('--big') + 1]));
else await main();
