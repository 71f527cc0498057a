// A random forest for pixel classification, written for this job: class-balanced (each tree
// draws the same number of samples from every class, with replacement), splits chosen on
// quantile-binned features (64 bins, like LightGBM / scikit-learn's HistGradientBoosting) so a
// node's best split costs one pass over its samples, and a flat typed-array layout whose
// evaluator walks every tree for a block of pixels with no allocation.
import { seededRandom } from '../random';

export interface ForestOptions {
  trees?: number;
  maxDepth?: number;
  /** Samples drawn per class for each tree (fewer when a class has fewer labelled pixels x 2). */
  samplesPerClass?: number;
  minLeaf?: number;
  /** Features tried at each split (default sqrt of the feature count). */
  mtry?: number;
  seed?: number;
  /**
   * Class balancing, 0..1: each class's total weight is proportional to (its labelled pixels)^(1 -
   * balance). 1 = every class counts the same (rare classes are over-predicted when a person
   * paints them less), 0 = as painted.
   */
  balance?: number;
}

export interface Forest {
  nFeatures: number;
  nClasses: number;
  nTrees: number;
  /** First node of each tree. */
  roots: Int32Array;
  /** Per node: split feature, or -1 for a leaf. */
  feature: Int16Array;
  /** Per node: go left when x < threshold. For a leaf: index of its class distribution in `leaf`. */
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** nClasses probabilities per leaf. */
  leaf: Float32Array;
}

const BINS = 64;

/** Cut points per feature from quantiles of (a sample of) the rows. */
function quantileCuts(X: Float32Array, n: number, F: number, rnd: () => number): Float32Array[] {
  const m = Math.min(n, 20000);
  const rows = new Int32Array(m);
  for (let i = 0; i < m; i++) rows[i] = m === n ? i : Math.floor(rnd() * n);
  const cuts: Float32Array[] = [];
  const vals = new Float32Array(m);
  for (let f = 0; f < F; f++) {
    for (let i = 0; i < m; i++) vals[i] = X[rows[i]! * F + f]!;
    vals.sort();
    const out: number[] = [];
    for (let b = 1; b < BINS; b++) {
      const v = vals[Math.min(m - 1, Math.floor((b * m) / BINS))]!;
      if (out.length === 0 ? v > vals[0]! : v > out[out.length - 1]!) out.push(v);
    }
    cuts.push(Float32Array.from(out));
  }
  return cuts;
}

function binOf(cuts: Float32Array, v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v >= cuts[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Trains on n rows of F features (row-major X) with labels y in 0..C-1. Classes without samples
 * get zero probability everywhere.
 */
export function trainForest(X: Float32Array, y: Uint8Array, n: number, F: number, C: number, o: ForestOptions = {}): Forest {
  if (n === 0) throw new RangeError('no labelled pixels to train on');
  if (X.length < n * F) throw new RangeError('feature rows are shorter than n x F');
  const nTrees = o.trees ?? 16;
  const maxDepth = o.maxDepth ?? 16;
  const minLeaf = o.minLeaf ?? 2;
  const mtry = Math.max(1, Math.min(F, o.mtry ?? Math.round(Math.sqrt(F))));
  const rnd = seededRandom(o.seed ?? 1);
  const cuts = quantileCuts(X, n, F, rnd);
  // Binned features, feature-major so a node's histogram reads one column.
  const Xb = new Uint8Array(F * n);
  for (let f = 0; f < F; f++) {
    const c = cuts[f]!;
    for (let i = 0; i < n; i++) Xb[f * n + i] = binOf(c, X[i * F + f]!);
  }
  const byClass: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < n; i++) {
    if (y[i]! >= C) throw new RangeError(`label ${y[i]} is not below the class count ${C}`);
    byClass[y[i]!]!.push(i);
  }
  const present = byClass.map((l) => l.length > 0);
  const perClass = o.samplesPerClass ?? 4000;
  const balance = o.balance ?? 0.5;
  const mass = byClass.map((l) => (l.length ? Math.pow(l.length, 1 - balance) : 0));
  const massSum = mass.reduce((a, b) => a + b, 0);

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const leaf: number[] = [];
  const roots = new Int32Array(nTrees);
  const hist = new Float64Array(BINS * C);
  const tot = new Float64Array(C);
  const acc = new Float64Array(C);
  const feats = new Int32Array(F);
  for (let i = 0; i < F; i++) feats[i] = i;

  for (let t = 0; t < nTrees; t++) {
    // Balanced bootstrap: every present class draws the same count; weights make classes equal.
    const idx: number[] = [];
    const wt: number[] = [];
    for (let c = 0; c < C; c++) {
      const l = byClass[c]!;
      if (!l.length) continue;
      const m = Math.min(perClass, Math.max(2 * l.length, 50));
      for (let k = 0; k < m; k++) {
        idx.push(l[Math.floor(rnd() * l.length)]!);
        wt.push(mass[c]! / massSum / m);
      }
    }
    const order = Int32Array.from(idx.keys());
    const sample = Int32Array.from(idx);
    const weight = Float64Array.from(wt);
    roots[t] = feature.length;
    // Iterative growth: each stack entry is (node, start, end, depth) over `order`.
    const stack: number[] = [];
    const newNode = () => {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      return feature.length - 1;
    };
    stack.push(newNode(), 0, order.length, 0);
    while (stack.length) {
      const depth = stack.pop()!;
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      tot.fill(0);
      for (let k = start; k < end; k++) {
        const s = order[k]!;
        tot[y[sample[s]!]!]! += weight[s]!;
      }
      let totW = 0;
      let nonzero = 0;
      for (let c = 0; c < C; c++) {
        totW += tot[c]!;
        if (tot[c]! > 0) nonzero++;
      }
      let bestF = -1;
      let bestB = -1;
      if (depth < maxDepth && end - start >= 2 * minLeaf && nonzero > 1) {
        let parentImp = 0;
        for (let c = 0; c < C; c++) parentImp += tot[c]! * tot[c]!;
        parentImp = totW - parentImp / totW;
        let best = 1e-12;
        // Partial Fisher-Yates for mtry distinct features.
        for (let j = 0; j < mtry; j++) {
          const r = j + Math.floor(rnd() * (F - j));
          const tmp = feats[j]!;
          feats[j] = feats[r]!;
          feats[r] = tmp;
          const f = feats[j]!;
          hist.fill(0);
          const col = f * n;
          for (let k = start; k < end; k++) {
            const s = order[k]!;
            const row = sample[s]!;
            hist[Xb[col + row]! * C + y[row]!]! += weight[s]!;
          }
          acc.fill(0);
          let accW = 0;
          const nb = cuts[f]!.length;
          for (let b = 0; b < nb; b++) {
            for (let c = 0; c < C; c++) {
              acc[c]! += hist[b * C + c]!;
              accW += hist[b * C + c]!;
            }
            if (accW <= 0 || accW >= totW) continue;
            let sl = 0;
            let sr = 0;
            for (let c = 0; c < C; c++) {
              sl += acc[c]! * acc[c]!;
              const r = tot[c]! - acc[c]!;
              sr += r * r;
            }
            const rw = totW - accW;
            const gain = parentImp - (accW - sl / accW) - (rw - sr / rw);
            if (gain > best) {
              best = gain;
              bestF = f;
              bestB = b;
            }
          }
        }
      }
      if (bestF >= 0) {
        // Partition order[start, end) by bin <= bestB.
        const col = bestF * n;
        let i = start;
        let j = end - 1;
        while (i <= j) {
          if (Xb[col + sample[order[i]!]!]! <= bestB) i++;
          else {
            const tmp = order[i]!;
            order[i] = order[j]!;
            order[j] = tmp;
            j--;
          }
        }
        if (i - start < minLeaf || end - i < minLeaf) bestF = -1;
        else {
          feature[node] = bestF;
          threshold[node] = cuts[bestF]![bestB]!;
          const l = newNode();
          const r = newNode();
          left[node] = l;
          right[node] = r;
          stack.push(l, start, i, depth + 1, r, i, end, depth + 1);
          continue;
        }
      }
      threshold[node] = leaf.length / C;
      for (let c = 0; c < C; c++) leaf.push(totW > 0 ? tot[c]! / totW : present[c] ? 1 / C : 0);
    }
  }
  return {
    nFeatures: F,
    nClasses: C,
    nTrees,
    roots,
    feature: Int16Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leaf: Float32Array.from(leaf),
  };
}

/**
 * Class probabilities for npx pixels whose features are feature-major (x[f*npx + i]); written
 * class-major into `out` (out[c*npx + i]), the mean over trees. Pixels go in blocks whose
 * features are first gathered pixel-major, so a tree walk reads one pixel's features from a few
 * cache lines and each tree stays in cache for the whole block.
 */
export function predictForest(forest: Forest, x: Float32Array, npx: number, out = new Float32Array(forest.nClasses * npx)): Float32Array {
  const { roots, feature, threshold, left, right, leaf, nClasses: C, nTrees, nFeatures: F } = forest;
  if (x.length < F * npx) throw new RangeError('feature maps do not match the classifier');
  out.fill(0);
  const inv = 1 / nTrees;
  const B = 512;
  const block = new Float32Array(B * F);
  const acc = new Float32Array(B * C);
  for (let start = 0; start < npx; start += B) {
    const m = Math.min(B, npx - start);
    for (let f = 0; f < F; f++) {
      const src = f * npx + start;
      for (let i = 0; i < m; i++) block[i * F + f] = x[src + i]!;
    }
    acc.fill(0);
    for (let t = 0; t < nTrees; t++) {
      const root = roots[t]!;
      for (let i = 0; i < m; i++) {
        const row = i * F;
        let node = root;
        let f = feature[node]!;
        while (f >= 0) {
          node = block[row + f]! < threshold[node]! ? left[node]! : right[node]!;
          f = feature[node]!;
        }
        const l = threshold[node]! * C;
        const a = i * C;
        for (let c = 0; c < C; c++) acc[a + c]! += leaf[l + c]!;
      }
    }
    for (let i = 0; i < m; i++) for (let c = 0; c < C; c++) out[c * npx + start + i] = acc[i * C + c]! * inv;
  }
  return out;
}
