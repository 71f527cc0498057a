// Marker-based watershed: floods a relief (gradient or boundary strength) from labelled markers
// with a bucket priority queue over integer levels, so the cost is linear in the pixel count.
import type { GreyImage, LabelMap } from '../types';
import type { Connectivity } from './components';

interface WatershedOptions {
  /** 4 (scikit-image's default, connectivity=1) or 8. */
  connectivity?: Connectivity;
  /** Only pixels where the mask is non-zero are flooded; the rest stay 0. */
  mask?: Uint8Array;
  /** Levels a float relief is quantised to (integer reliefs are used as they are). */
  levels?: number;
}

/**
 * Linearly maps a float image onto integer levels 0..levels-1 (min -> 0, max -> levels-1); bytes
 * when levels <= 256, which keeps the flood's random accesses in a smaller cache footprint.
 */
export function quantize(data: Float32Array, levels = 256): Uint8Array | Uint16Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(levels >= 2 && levels <= 65536)) throw new RangeError(`levels must be 2..65536, got ${levels}`);
  const out = levels <= 256 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  if (!(max > min)) return out;
  const scale = (levels - 1) / (max - min);
  for (let i = 0; i < data.length; i++) out[i] = Math.round((data[i]! - min) * scale);
  return out;
}

/**
 * Floods `relief` from the non-zero ids of `markers`. Pixels are taken lowest level first, in
 * first-come order within a level; a pixel takes the id of the neighbour that first reaches it.
 * This is the order of scikit-image's `segmentation.watershed` (a heap keyed on value then age),
 * so results agree with it on integer reliefs. Every pixel connected to a marker (within the
 * mask) gets an id.
 */
export function watershed(relief: GreyImage, markers: LabelMap, options: WatershedOptions = {}): LabelMap {
  const { width: w, height: h } = relief;
  const n = w * h;
  if (markers.width !== w || markers.height !== h) throw new RangeError('watershed: markers and relief differ in size');
  const levelsOf: Uint8Array | Uint16Array = relief.data instanceof Float32Array
    ? quantize(relief.data, options.levels ?? 256)
    : relief.data;
  let nLevels = 1;
  for (let i = 0; i < n; i++) if (levelsOf[i]! >= nLevels) nLevels = levelsOf[i]! + 1;
  const mask = options.mask;
  const eight = options.connectivity === 8;
  const out = new Uint32Array(n);

  const q = new LevelQueue(levelsOf, nLevels);
  for (let i = 0; i < n; i++) {
    const m = markers.data[i]!;
    if (m !== 0 && (!mask || mask[i] !== 0)) {
      out[i] = m;
      q.push(levelsOf[i]!, i);
    }
  }
  // Neighbours in scikit-image's order: up, left, right, down, then up-left, up-right,
  // down-left, down-right. Unrolled: this loop runs once per pixel.
  const hasMask = mask !== undefined;
  for (let i = q.pop(); i !== -1; i = q.pop()) {
    const label = out[i]!;
    const x = i % w;
    const up = i >= w;
    const down = i + w < n;
    const left = x > 0;
    const right = x < w - 1;
    let j = i - w;
    if (up && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i - 1;
    if (left && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i + 1;
    if (right && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i + w;
    if (down && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    if (!eight) continue;
    j = i - w - 1;
    if (up && left && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i - w + 1;
    if (up && right && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i + w - 1;
    if (down && left && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
    j = i + w + 1;
    if (down && right && out[j] === 0 && (!hasMask || mask[j] !== 0)) {
      out[j] = label;
      q.push(levelsOf[j]!, j);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Priority queue over integer levels for a flood where each pixel enters at most once, at its own
 * level: one array partitioned by the level histogram, each part a FIFO. Pushes and pops walk
 * memory in order (no per-pixel links to chase across a large image). Popping takes the oldest
 * entry of the lowest non-empty level; a push below the current level moves the scan back down.
 */
class LevelQueue {
  private readonly buf: Int32Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private lowest: number;
  constructor(levelsOf: Uint8Array | Uint16Array, private readonly levels: number) {
    const count = new Int32Array(levels + 1);
    for (let i = 0; i < levelsOf.length; i++) count[levelsOf[i]! + 1]!++;
    for (let l = 0; l < levels; l++) count[l + 1] = count[l + 1]! + count[l]!;
    this.head = count.slice(0, levels);
    this.tail = count.slice(0, levels);
    this.buf = new Int32Array(levelsOf.length);
    this.lowest = levels;
  }
  push(level: number, value: number): void {
    this.buf[this.tail[level]!++] = value;
    if (level < this.lowest) this.lowest = level;
  }
  /** Removes and returns the oldest entry of the lowest level, or -1 when empty. */
  pop(): number {
    while (this.lowest < this.levels) {
      const lv = this.lowest;
      if (this.head[lv]! < this.tail[lv]!) return this.buf[this.head[lv]!++]!;
      this.lowest++;
    }
    return -1;
  }
}
