// Sparse contingency table of (truth label, predicted label) pixel counts, the basis of every
// label-comparison metric here. Typed-array hash table so 67 M pixels never allocate per pixel.

/** A map of indices (instance ids or class ids), one per pixel, row-major. `LabelMap` fits. */
export interface IndexMap {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array | Uint32Array;
}

const EMPTY = 0;

/**
 * Counts of label pairs in an open-addressing hash table (linear probing, grown at half load).
 * Keys are two uint32 values, so any pair of label ids is exact.
 */
export class PairCounter {
  private keysA: Uint32Array;
  private keysB: Uint32Array;
  private counts: Float64Array;
  private used: Uint8Array;
  private mask: number;
  private filled = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keysA = new Uint32Array(cap);
    this.keysB = new Uint32Array(cap);
    this.counts = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Number of distinct pairs counted. */
  get size(): number {
    return this.filled;
  }

  add(a: number, b: number, n: number): void {
    const mask = this.mask;
    let h = hashPair(a, b) & mask;
    const used = this.used;
    const ka = this.keysA;
    const kb = this.keysB;
    while (used[h] !== EMPTY) {
      if (ka[h] === a && kb[h] === b) {
        this.counts[h] += n;
        return;
      }
      h = (h + 1) & mask;
    }
    used[h] = 1;
    ka[h] = a;
    kb[h] = b;
    this.counts[h] = n;
    if (++this.filled * 2 > mask) this.grow();
  }

  /** Keys with b = 0 used as an id -> dense index table: the index is the insertion order. */
  addIfAbsent(a: number): void {
    if (this.indexOf(a) < 0) this.add(a, 0, this.filled);
  }

  /** Stored count of (a, 0), or -1 when absent (the dense index when filled by `addIfAbsent`). */
  indexOf(a: number): number {
    const mask = this.mask;
    let h = hashPair(a, 0) & mask;
    while (this.used[h] !== EMPTY) {
      if (this.keysA[h] === a && this.keysB[h] === 0) return this.counts[h]!;
      h = (h + 1) & mask;
    }
    return -1;
  }

  /** The pairs as parallel arrays (compact, in table order). */
  entries(): { a: Uint32Array; b: Uint32Array; count: Float64Array } {
    const n = this.filled;
    const a = new Uint32Array(n);
    const b = new Uint32Array(n);
    const count = new Float64Array(n);
    let k = 0;
    for (let i = 0; i <= this.mask; i++) {
      if (this.used[i] === EMPTY) continue;
      a[k] = this.keysA[i]!;
      b[k] = this.keysB[i]!;
      count[k] = this.counts[i]!;
      k++;
    }
    return { a, b, count };
  }

  private grow(): void {
    const { keysA, keysB, counts, used } = this;
    const cap = (this.mask + 1) * 2;
    this.keysA = new Uint32Array(cap);
    this.keysB = new Uint32Array(cap);
    this.counts = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.filled = 0;
    for (let i = 0; i < used.length; i++) if (used[i] !== EMPTY) this.add(keysA[i]!, keysB[i]!, counts[i]!);
  }
}

function hashPair(a: number, b: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(b ^ 0x6b43a9b5, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return h >>> 0;
}

export function assertSameSize(a: IndexMap, b: IndexMap): void {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) {
    throw new RangeError(`Label maps differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}.`);
  }
  if (a.data.length !== a.width * a.height) {
    throw new RangeError(`Label map data length ${a.data.length} does not match ${a.width}x${a.height}.`);
  }
}

export interface ContingencyOptions {
  /** Skip pixels whose truth value is this label (e.g. 0 for unlabelled, 255 for void). */
  ignoreTruth?: number;
  /** Skip pixels where truth or prediction is 0 (instance maps: count overlaps of objects only). */
  foregroundOnly?: boolean;
  /** Distinct pairs after which a dense table is tried (tuning and tests; default 2^21). */
  denseAfterPairs?: number;
}

/** What a contingency table offers its users: the non-zero (truth, pred, count) cells. */
export interface ContingencyTable {
  readonly size: number;
  entries(): { a: Uint32Array; b: Uint32Array; count: Float64Array };
}

/** Past this many distinct pairs a hash table thrashes the cache; a dense table is tried instead. */
const DENSE_SWITCH_PAIRS = 1 << 21;
/** Largest dense table (cells of 4 bytes: 128 MiB). */
const DENSE_MAX_CELLS = 1 << 25;

/**
 * Counts (truth, pred) pairs over all pixels. Neighbouring pixels usually share a pair, so runs
 * are coalesced before touching the hash table; this keeps 67 M-pixel maps to a few hash updates
 * per object per row. Noise-like maps (millions of distinct pairs) switch to a dense table of
 * label indices when it fits.
 */
export function contingency(truth: IndexMap, pred: IndexMap, options: ContingencyOptions = {}): ContingencyTable {
  assertSameSize(truth, pred);
  const t = truth.data;
  const p = pred.data;
  const n = t.length;
  const ignore = options.ignoreTruth;
  const fgOnly = options.foregroundOnly === true;
  const counter = new PairCounter();
  let ca = -1;
  let cb = -1;
  let run = 0;
  let triedDense = false;
  const switchAt = options.denseAfterPairs ?? DENSE_SWITCH_PAIRS;
  for (let i = 0; i < n; i++) {
    const a = t[i]!;
    const b = p[i]!;
    if (a === ca && b === cb) {
      run++;
      continue;
    }
    if (run > 0) {
      counter.add(ca, cb, run);
      if (!triedDense && counter.size > switchAt) {
        triedDense = true;
        const dense = denseContingency(truth, pred, options);
        if (dense) return dense;
      }
    }
    if (a === ignore || (fgOnly && (a === 0 || b === 0))) {
      ca = -1;
      cb = -1;
      run = 0;
      continue;
    }
    ca = a;
    cb = b;
    run = 1;
  }
  if (run > 0) counter.add(ca, cb, run);
  return counter;
}

/** Dense ids 0..k-1 for the distinct values of a map, in order of first appearance. */
function denseIds(data: IndexMap['data']): PairCounter {
  const ids = new PairCounter(4096);
  let prev = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === prev) continue;
    prev = v;
    ids.addIfAbsent(v);
  }
  return ids;
}

function denseContingency(truth: IndexMap, pred: IndexMap, options: ContingencyOptions): ContingencyTable | null {
  const t = truth.data;
  const p = pred.data;
  const idsA = denseIds(t);
  const idsB = denseIds(p);
  const ka = idsA.size;
  const kb = idsB.size;
  if (ka * kb > DENSE_MAX_CELLS) return null;
  const cells = new Uint32Array(ka * kb);
  const ignore = options.ignoreTruth;
  const fgOnly = options.foregroundOnly === true;
  let pa = -1;
  let pb = -1;
  let ra = 0;
  let rb = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = p[i]!;
    if (a === ignore || (fgOnly && (a === 0 || b === 0))) continue;
    if (a !== pa) {
      pa = a;
      ra = idsA.indexOf(a) * kb;
    }
    if (b !== pb) {
      pb = b;
      rb = idsB.indexOf(b);
    }
    cells[ra + rb]++;
  }
  const ea = idsA.entries();
  const eb = idsB.entries();
  const valueA = new Uint32Array(ka);
  const valueB = new Uint32Array(kb);
  for (let i = 0; i < ka; i++) valueA[ea.count[i]!] = ea.a[i]!;
  for (let i = 0; i < kb; i++) valueB[eb.count[i]!] = eb.a[i]!;
  let size = 0;
  for (let i = 0; i < cells.length; i++) if (cells[i] !== 0) size++;
  return {
    size,
    entries() {
      const a = new Uint32Array(size);
      const b = new Uint32Array(size);
      const count = new Float64Array(size);
      let k = 0;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        if (c === 0) continue;
        a[k] = valueA[Math.floor(i / kb)]!;
        b[k] = valueB[i % kb]!;
        count[k] = c;
        k++;
      }
      return { a, b, count };
    },
  };
}

/** Sums counts per distinct key: the marginals of a contingency table (keys unsorted). */
export function marginal(keys: Uint32Array, count: Float64Array): { key: Uint32Array; count: Float64Array } {
  const c = new PairCounter(Math.min(keys.length, 1 << 16));
  for (let i = 0; i < keys.length; i++) c.add(keys[i]!, 0, count[i]!);
  const e = c.entries();
  return { key: e.a, count: e.count };
}
