// Train/val/test splits of images: sizes by ratio, a fixed seed, and stratified so that every class
// reaches every split where it has enough images. Deterministic for the same items, in any order.
import { seededRandom } from '../random';

interface SplitItem {
  id: number;
  /** Classes present in the item (duplicates are ignored). */
  classIds: readonly number[];
}

interface SplitOptions {
  /** Relative sizes of train, val, test; default [6, 2, 2]. A zero gives an empty split. */
  ratios?: readonly [number, number, number];
  seed?: number;
}

interface DatasetSplit {
  train: number[];
  val: number[];
  test: number[];
}


function shuffle<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Lexicographic "a beats b" on preference keys; near-equal floats count as ties (earlier split wins). */
function better(a: readonly number[], b: readonly number[]): boolean {
  for (let k = 0; k < a.length; k++) {
    if (Math.abs(a[k]! - b[k]!) > 1e-9) return a[k]! > b[k]!;
  }
  return false;
}

/** Split sizes by largest remainder, so they add up to n and follow the ratios as closely as possible. */
export function splitSizes(n: number, ratios: readonly number[]): number[] {
  const total = ratios.reduce((a, b) => a + b, 0);
  if (!(total > 0) || ratios.some((r) => !(r >= 0))) throw new Error(`split ratios must be non-negative with a positive sum, got ${ratios.join(':')}`);
  const exact = ratios.map((r) => (n * r) / total);
  const sizes = exact.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) sizes[order[k % order.length]![1]]!++;
  return sizes;
}

/**
 * Greedy stratification, rarest class first: each image of a class goes to a split that has room
 * and (in this order of preference) lacks the class entirely, is furthest below its share of the
 * class, has the most room left. Images without classes fill the remaining room. Split sizes match
 * the ratios exactly (largest remainder). Ties are broken by the seeded shuffle, so the same items
 * and seed always give the same split.
 */
export function splitDataset(items: readonly SplitItem[], options: SplitOptions = {}): DatasetSplit {
  const ratios = options.ratios ?? [6, 2, 2];
  const rand = seededRandom(options.seed ?? 42);
  const ids = new Set<number>();
  for (const it of items) {
    if (ids.has(it.id)) throw new Error(`split input repeats item ${it.id}`);
    ids.add(it.id);
  }
  const sorted = [...items].sort((a, b) => a.id - b.id).map((it) => ({ id: it.id, classes: [...new Set(it.classIds)].sort((a, b) => a - b) }));
  shuffle(sorted, rand);
  const n = sorted.length;
  const cap = splitSizes(n, ratios);
  const size = [0, 0, 0];
  const ratioSum = ratios[0] + ratios[1] + ratios[2];

  const itemsOf = new Map<number, number[]>();
  sorted.forEach((it, i) => {
    for (const c of it.classes) {
      let l = itemsOf.get(c);
      if (!l) itemsOf.set(c, (l = []));
      l.push(i);
    }
  });
  const have = new Map<number, number[]>();
  for (const c of itemsOf.keys()) have.set(c, [0, 0, 0]);
  const assigned = new Int8Array(n).fill(-1);
  const assign = (i: number, s: number) => {
    assigned[i] = s;
    size[s]!++;
    for (const c of sorted[i]!.classes) have.get(c)![s]!++;
  };

  const classes = [...itemsOf.keys()].sort((a, b) => itemsOf.get(a)!.length - itemsOf.get(b)!.length || a - b);
  for (const c of classes) {
    const list = itemsOf.get(c)!;
    const total = list.length;
    for (const i of list) {
      if (assigned[i] !== -1) continue;
      const h = have.get(c)!;
      let best = -1;
      let bestKey: [number, number, number, number] | null = null;
      for (let s = 0; s < 3; s++) {
        const room = cap[s]! - size[s]!;
        if (room <= 0) continue;
        const lacks = h[s] === 0 && ratios[s]! > 0 ? 1 : 0;
        const deficit = (total * ratios[s]!) / ratioSum - h[s]!;
        const key: [number, number, number, number] = [lacks, deficit, room, ratios[s]!];
        if (!bestKey || better(key, bestKey)) {
          best = s;
          bestKey = key;
        }
      }
      if (best >= 0) assign(i, best);
    }
  }
  for (let i = 0; i < n; i++) {
    if (assigned[i] !== -1) continue;
    let best = 0;
    for (let s = 1; s < 3; s++) if (cap[s]! - size[s]! > cap[best]! - size[best]!) best = s;
    assign(i, best);
  }
  const out: DatasetSplit = { train: [], val: [], test: [] };
  const names = ['train', 'val', 'test'] as const;
  sorted.forEach((it, i) => out[names[assigned[i]!]!].push(it.id));
  for (const k of names) out[k].sort((a, b) => a - b);
  return out;
}
