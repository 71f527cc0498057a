// Connectivity tools for synthetic ground truth: every grain must be one connected region, and
// phase instances are the connected components of a class mask.

/**
 * Makes each id one 4-connected region: the region holding the id's seed pixel is kept, other
 * pixels of that id (slivers cut off by pixel sampling) join a neighbouring region. Works on
 * horizontal runs (a union-find over runs that touch between rows), so the cost is one scan
 * of the map plus work per run, not per pixel. Returns how many pixels changed id.
 */
export function keepSeedRegions(labels: Uint32Array, width: number, height: number, seeds: Int32Array): number {
  // Runs: start x and label, row by row; rowFirst[y] = index of the first run of row y.
  let runX = new Int32Array(1 << 16);
  let runLabel = new Uint32Array(1 << 16);
  const rowFirst = new Int32Array(height + 1);
  let runs = 0;
  for (let y = 0; y < height; y++) {
    rowFirst[y] = runs;
    const row = y * width;
    let prev = -1;
    for (let x = 0; x < width; x++) {
      const l = labels[row + x]!;
      if (l === prev) continue;
      prev = l;
      if (runs === runX.length) {
        const bx = new Int32Array(runs * 2);
        bx.set(runX);
        runX = bx;
        const bl = new Uint32Array(runs * 2);
        bl.set(runLabel);
        runLabel = bl;
      }
      runX[runs] = x;
      runLabel[runs] = l;
      runs++;
    }
  }
  rowFirst[height] = runs;
  const runEnd = (r: number, y: number): number => (r + 1 < rowFirst[y + 1]! ? runX[r + 1]! : width);
  const parent = new Int32Array(runs);
  for (let r = 0; r < runs; r++) parent[r] = r;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  for (let y = 1; y < height; y++) {
    // Two-pointer walk over the runs of rows y - 1 and y; same label and overlapping x = touching.
    let a = rowFirst[y - 1]!;
    let b = rowFirst[y]!;
    const aEnd = rowFirst[y]!;
    const bEnd = rowFirst[y + 1]!;
    while (a < aEnd && b < bEnd) {
      if (runLabel[a] === runLabel[b]) {
        const ra = find(a);
        const rb = find(b);
        if (ra !== rb) parent[ra > rb ? ra : rb] = ra > rb ? rb : ra;
      }
      const ea = runEnd(a, y - 1);
      const eb = runEnd(b, y);
      if (ea <= eb) a++;
      if (eb <= ea) b++;
    }
  }
  // The run holding each seed pixel marks its label's main region.
  const runOf = (x: number, y: number): number => {
    let lo = rowFirst[y]!;
    let hi = rowFirst[y + 1]! - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runX[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const mainRoot = new Map<number, number>();
  for (let s = 0; s < seeds.length; s += 2) {
    const r = runOf(seeds[s]!, seeds[s + 1]!);
    if (!mainRoot.has(runLabel[r]!)) mainRoot.set(runLabel[r]!, find(r));
  }
  // Pixels of runs outside their label's main region are re-assigned from settled neighbours.
  let pending: number[] = [];
  const stray = new Set<number>();
  for (let y = 0; y < height; y++) {
    for (let r = rowFirst[y]!; r < rowFirst[y + 1]!; r++) {
      if (mainRoot.get(runLabel[r]!) === find(r)) continue;
      for (let x = runX[r]!; x < runEnd(r, y); x++) {
        pending.push(y * width + x);
        stray.add(y * width + x);
      }
    }
  }
  const changed = pending.length;
  while (pending.length > 0) {
    const still: number[] = [];
    const done: number[] = [];
    for (const i of pending) {
      const x = i % width;
      const y = (i - x) / width;
      let from = -1;
      if (x > 0 && !stray.has(i - 1)) from = i - 1;
      else if (x < width - 1 && !stray.has(i + 1)) from = i + 1;
      else if (y > 0 && !stray.has(i - width)) from = i - width;
      else if (y < height - 1 && !stray.has(i + width)) from = i + width;
      if (from < 0) still.push(i);
      else {
        labels[i] = labels[from]!;
        done.push(i);
      }
    }
    if (done.length === 0) break; // no seed reached this part of the image at all
    for (const i of done) stray.delete(i);
    pending = still;
  }
  return changed;
}

// Connected components (ids 1..count in raster order) come from the classic engine's labelling.
export { labelMaskComponents as labelComponents } from '../classic/components';
