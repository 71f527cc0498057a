// Self-training (issue 12, item 5; SOURCES.md seed 003, pseudo-labels with self-correction): after
// training on a person's labels, the classifier predicts the pixels nobody labelled (a bounded,
// seeded sample of the project's unlabelled images and of the unlabelled pixels of the labelled
// ones), takes the confident ones (margin threshold, a per-class cap) as pseudo-labels and trains
// again with them; a next round drops the pseudo-labels its prediction disagrees with
// (self-correction). A person's labels always win: pseudo-labels only go where nobody painted, and
// each class gets at most as many pseudo-labelled pixels as the person gave it, so the person's
// labels weigh at least as much as the pseudo-labels of their class (the forest has no per-row
// weights; the weight is by count). Pure and deterministic for a seed. Defaults from the learn
// benchmark (margin 0.9 and share 1 beat 0.6 and 0.5 on all three sets).
import { seededRandom } from '../random';
import { margins, predict, train, type Classifier, type TrainImage, type TrainOptions } from './pipeline';

export interface SelfTrainOptions {
  /** Rounds of pseudo-labelling and retraining (1..3, default 2); the second corrects the first. */
  rounds?: number;
  /** Least margin between the two most probable classes for a pseudo-label (default 0.9). */
  minMargin?: number;
  /** Pseudo-labelled pixels per class at most this share of the person's pixels of that class (default 1). */
  ratio?: number;
  /** Candidate pixels sampled per image (default 20000). */
  samplePerImage?: number;
  /** Seed of the pixel sample (default 3). */
  seed?: number;
}

export interface SelfTrainResult {
  classifier: Classifier;
  /** Pseudo-labelled pixels the final classifier trained with, in all and per class. */
  pseudoLabelled: number;
  perClass: number[];
  /** Pseudo-labels dropped because a later round disagreed (self-correction). */
  dropped: number;
  /** Rounds that trained with pseudo-labels. */
  rounds: number;
  /** The label maps the final classifier trained with, labelled images first (person's labels + pseudo-labels). */
  maps: Uint8Array[];
}

/** An image nobody labelled: the pixels (and colour / extra maps) a TrainImage has, without labels. */
export type UnlabelledImage = Omit<TrainImage, 'labels'>;

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('Cancelled'), { name: 'AbortError' });
}

/**
 * Trains on `labelled` (the person's labels), then self-trains with `unlabelled` images and the
 * unlabelled pixels of the labelled ones. Progress counts whole trainings and predictions.
 */
export function selfTrain(labelled: TrainImage[], unlabelled: UnlabelledImage[], o: TrainOptions, s: SelfTrainOptions = {}): SelfTrainResult {
  const rounds = Math.max(1, Math.min(3, Math.round(s.rounds ?? 2)));
  const minMargin = s.minMargin ?? 0.9;
  const ratio = s.ratio ?? 1;
  const perImage = s.samplePerImage ?? 20_000;
  const C = o.nClasses;
  const all: UnlabelledImage[] = [...labelled, ...unlabelled];
  const total = (rounds + 1) * 10 + rounds * all.length;
  let base = 0;
  const progress = (done: number, what: string) => o.onProgress?.(Math.min(total, done), total, what);
  const trainWith = (images: TrainImage[], what: string): Classifier => {
    const start = base;
    const clf = train(images, { ...o, onProgress: (d, t) => progress(start + Math.round((10 * d) / t), what) });
    base += 10;
    return clf;
  };

  // The person's pixels per class: the cap of each class's pseudo-labels.
  const personCount = new Float64Array(C);
  for (const im of labelled) for (let i = 0; i < im.labels.length; i++) if (im.labels[i]) personCount[im.labels[i]! - 1]!++;
  const cap = Array.from(personCount, (c) => Math.floor(c * ratio));

  // A fixed sample of candidate pixels per image (the same in every round): unlabelled pixels only.
  const rnd = seededRandom(s.seed ?? 3);
  const candidates: Int32Array[] = all.map((im, k) => {
    const n = im.width * im.height;
    const own = k < labelled.length ? labelled[k]!.labels : null;
    const m = Math.min(n, perImage);
    const out: number[] = [];
    const seen = new Uint8Array(n);
    for (let j = 0; j < m; j++) {
      const i = m === n ? j : Math.floor(rnd() * n);
      if (seen[i] || (own && own[i])) continue;
      seen[i] = 1;
      out.push(i);
    }
    return Int32Array.from(out);
  });
  // The random rank of every candidate, for drawing the capped share of each class without bias.
  const rank = candidates.map((c) => Float32Array.from(c, () => rnd()));

  let clf = trainWith(labelled, 'training on your labels');
  /** Pseudo class + 1 per candidate of the last round (0 = none). */
  let previous: Uint8Array[] | null = null;
  let dropped = 0;
  let perClass = new Array<number>(C).fill(0);
  let finalMaps: Uint8Array[] = labelled.map((im) => im.labels);
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    // Predict, keep confident candidates; drop those that disagree with the previous round.
    const pick: { img: number; j: number; cls: number; rank: number }[] = [];
    const current: Uint8Array[] = [];
    all.forEach((im, k) => {
      aborted(o.signal);
      const n = im.width * im.height;
      const probs = predict(clf, im.grey, im.width, im.height, { ...(o.signal ? { signal: o.signal } : {}), ...(im.extra ? { extra: im.extra } : {}), ...(im.colour ? { colour: im.colour } : {}) });
      const cand = candidates[k]!;
      // Margins and argmax of the candidates only.
      const sub = new Float32Array(C * cand.length);
      for (let c = 0; c < C; c++) for (let j = 0; j < cand.length; j++) sub[c * cand.length + j] = probs[c * n + cand[j]!]!;
      const m = margins(sub, C, cand.length);
      const cur = new Uint8Array(cand.length);
      for (let j = 0; j < cand.length; j++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (sub[c * cand.length + j]! > sub[best * cand.length + j]!) best = c;
        const prev = previous?.[k]![j] ?? 0;
        if (prev && prev !== best + 1) {
          dropped++;
          continue;
        }
        if (m[j]! < minMargin) continue;
        cur[j] = best + 1;
        pick.push({ img: k, j, cls: best, rank: rank[k]![j]! });
      }
      current.push(cur);
      progress(base + k + 1, 'pseudo-labelling unlabelled pixels');
    });
    base += all.length;
    // Per-class balance: at most cap[c] per class, drawn by the fixed random rank.
    pick.sort((a, b) => a.rank - b.rank);
    const taken = new Array<number>(C).fill(0);
    const maps: Uint8Array[] = all.map((im, k) => (k < labelled.length ? labelled[k]!.labels.slice() : new Uint8Array(im.width * im.height)));
    const kept = current.map((c) => new Uint8Array(c.length));
    for (const p of pick) {
      if (taken[p.cls]! >= cap[p.cls]!) continue;
      taken[p.cls]!++;
      const i = candidates[p.img]![p.j]!;
      // A person's label is never replaced (candidates exclude labelled pixels; checked again).
      if (maps[p.img]![i]) continue;
      maps[p.img]![i] = p.cls + 1;
      kept[p.img]![p.j] = p.cls + 1;
    }
    // Self-correction compares the next round with every confident pseudo-label of this one.
    previous = current;
    if (taken.every((t) => t === 0)) break;
    const images: TrainImage[] = all.map((im, k) => ({ ...im, labels: maps[k]! })).filter((im, k) => k < labelled.length || kept[k]!.some((v) => v > 0));
    aborted(o.signal);
    clf = trainWith(images, `training with ${taken.reduce((a, b) => a + b, 0)} pseudo-labelled pixels (round ${r + 1})`);
    finalMaps = maps;
    perClass = taken;
    done++;
  }
  return { classifier: clf, pseudoLabelled: perClass.reduce((a, b) => a + b, 0), perClass, dropped, rounds: done, maps: finalMaps };
}
