// Region merging on a region adjacency graph: joins neighbouring regions whose mean intensity or
// colour differ least, lowest difference first, until the smallest difference exceeds a limit.
// Used to undo the over-segmentation of a watershed where grains differ by shade, not by lines.

/** Growable binary min-heap of (weight, a, b, stamp) entries in typed arrays. */
class EdgeHeap {
  private w = new Float64Array(1024);
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private s = new Int32Array(1024);
  size = 0;
  push(weight: number, a: number, b: number, stamp: number): void {
    if (this.size === this.w.length) this.grow();
    let k = this.size++;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (this.w[p]! <= weight) break;
      this.w[k] = this.w[p]!;
      this.a[k] = this.a[p]!;
      this.b[k] = this.b[p]!;
      this.s[k] = this.s[p]!;
      k = p;
    }
    this.w[k] = weight;
    this.a[k] = a;
    this.b[k] = b;
    this.s[k] = stamp;
  }
  /** Moves the minimum into `top` and removes it. */
  pop(top: { w: number; a: number; b: number; s: number }): void {
    top.w = this.w[0]!;
    top.a = this.a[0]!;
    top.b = this.b[0]!;
    top.s = this.s[0]!;
    const last = --this.size;
    if (last === 0) return;
    const lw = this.w[last]!;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= last) break;
      const m = l + 1 < last && this.w[l + 1]! < this.w[l]! ? l + 1 : l;
      if (this.w[m]! >= lw) break;
      this.w[k] = this.w[m]!;
      this.a[k] = this.a[m]!;
      this.b[k] = this.b[m]!;
      this.s[k] = this.s[m]!;
      k = m;
    }
    this.w[k] = lw;
    this.a[k] = this.a[last]!;
    this.b[k] = this.b[last]!;
    this.s[k] = this.s[last]!;
  }
  private grow() {
    const n = this.w.length * 2;
    const w = new Float64Array(n);
    w.set(this.w);
    const a = new Int32Array(n);
    a.set(this.a);
    const b = new Int32Array(n);
    b.set(this.b);
    const s = new Int32Array(n);
    s.set(this.s);
    this.w = w;
    this.a = a;
    this.b = b;
    this.s = s;
  }
}

/**
 * Merges 4-adjacent regions of a label map (ids 1..max, 0 ignored) whose mean feature vectors
 * (one float image per channel) are closer than `maxDifference` (Euclidean distance), closest
 * pair first, updating the means as regions grow. Returns a new label array (ids not compacted).
 */
export function mergeSimilarRegions(
  width: number,
  height: number,
  labels: Uint32Array,
  features: readonly Float32Array[],
  maxDifference: number,
): Uint32Array {
  const n = width * height;
  let R = 0;
  for (let i = 0; i < n; i++) if (labels[i]! > R) R = labels[i]!;
  const C = features.length;
  const area = new Float64Array(R + 1);
  const sum = new Float64Array((R + 1) * C);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    area[l]!++;
    for (let c = 0; c < C; c++) sum[l * C + c] = sum[l * C + c]! + features[c]![i]!;
  }
  // Adjacency: one set of neighbours per region; merging folds the smaller set into the larger.
  const adj: Set<number>[] = new Array<Set<number>>(R + 1);
  for (let r = 0; r <= R; r++) adj[r] = new Set<number>();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const a = labels[i]!;
      if (a === 0) continue;
      if (x + 1 < width) {
        const b = labels[i + 1]!;
        if (b !== a && b !== 0) {
          adj[a]!.add(b);
          adj[b]!.add(a);
        }
      }
      if (y + 1 < height) {
        const b = labels[i + width]!;
        if (b !== a && b !== 0) {
          adj[a]!.add(b);
          adj[b]!.add(a);
        }
      }
    }
  }
  const diff = (a: number, b: number) => {
    let d = 0;
    for (let c = 0; c < C; c++) {
      const t = sum[a * C + c]! / area[a]! - sum[b * C + c]! / area[b]!;
      d += t * t;
    }
    return Math.sqrt(d);
  };
  // A heap entry is valid only while both regions keep the stamps they had when it was pushed.
  const stamp = new Int32Array(R + 1);
  const heap = new EdgeHeap();
  for (let a = 1; a <= R; a++) {
    for (const b of adj[a]!) if (a < b) heap.push(diff(a, b), a, b, 0);
  }
  const parent = new Int32Array(R + 1);
  for (let r = 0; r <= R; r++) parent[r] = r;
  const top = { w: 0, a: 0, b: 0, s: 0 };
  const pairStamp = (a: number, b: number) => (stamp[a]! * 65599 + stamp[b]!) | 0;
  while (heap.size > 0) {
    heap.pop(top);
    if (top.w > maxDifference) break;
    const { a, b } = top;
    if (parent[a] !== a || parent[b] !== b || top.s !== pairStamp(a, b)) continue;
    // Keep the region with more neighbours so the set union is cheap.
    const [keep, drop] = adj[a]!.size >= adj[b]!.size ? [a, b] : [b, a];
    parent[drop] = keep;
    area[keep] = area[keep]! + area[drop]!;
    for (let c = 0; c < C; c++) sum[keep * C + c] = sum[keep * C + c]! + sum[drop * C + c]!;
    const ka = adj[keep]!;
    ka.delete(drop);
    for (const c of adj[drop]!) {
      if (c === keep) continue;
      const ac = adj[c]!;
      ac.delete(drop);
      ac.add(keep);
      ka.add(c);
    }
    adj[drop]!.clear();
    stamp[keep] = stamp[keep]! + 1;
    for (const c of ka) {
      const [x, y] = keep < c ? [keep, c] : [c, keep];
      heap.push(diff(x, y), x, y, pairStamp(x, y));
    }
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = labels[i]!;
    while (parent[r] !== r) r = parent[r]!;
    out[i] = r;
  }
  return out;
}
