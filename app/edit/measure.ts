// What an applied patch did to the segment table: which ids appeared, vanished or changed, and
// their new area and bounding box, found from the patch and the segments' former boxes.
import type { SegmentStats } from '../labelmap';
import type { Box, LabelMap } from '../types';
import type { LabelPatch, PatchDirection } from './patch';
import { clipBox, statsFullScan, statsInRegion, unionBox } from './scan';

export interface SegmentChanges {
  /** Ids that had no pixels before and have some now. */
  created: number[];
  /** Ids that had pixels before and have none now. */
  removed: number[];
  /** Ids that kept some pixels but gained or lost others. */
  changed: number[];
  /** [newId, fromId]: created ids cut out of an existing segment (split pieces), so they can inherit its class. */
  derivedFrom: [number, number][];
  /** Area and tight box after the edit, for every created and changed id, ascending by id. */
  stats: SegmentStats[];
}

export interface MeasureOptions {
  /** Tight bounding box of a segment before the patch, undefined when it had no pixels. Without it: one full-map pass. */
  bboxes?: (id: number) => Box | undefined;
  /** Area of a segment before the patch. With bboxes, spares scanning the former boxes (only edges a loss touched are rescanned). */
  areas?: (id: number) => number | undefined;
}

export function noSegmentChanges(): SegmentChanges {
  return { created: [], removed: [], changed: [], derivedFrom: [], stats: [] };
}

const NO_BOX: Box = { x: 0, y: 0, width: 0, height: 0 };

class BoxAcc {
  x0 = Infinity;
  y0 = Infinity;
  x1 = -Infinity;
  y1 = -Infinity;
  /** Adds pixels x0..x1 of row y. */
  addRow(y: number, x0: number, x1: number): void {
    if (x0 < this.x0) this.x0 = x0;
    if (x1 > this.x1) this.x1 = x1;
    if (y < this.y0) this.y0 = y;
    if (y > this.y1) this.y1 = y;
  }
  box(): Box | null {
    return this.x1 < this.x0 ? null : { x: this.x0, y: this.y0, width: this.x1 - this.x0 + 1, height: this.y1 - this.y0 + 1 };
  }
}

interface Acc {
  delta: number;
  gain: BoxAcc;
  lost: BoxAcc;
  /** Indices (into the run quads) of runs that gave this id pixels. */
  gainRuns: number[];
}

/** Calls fn(y, x0, x1) for each box row a run covers. */
function forRunRows(box: Box, pos: number, len: number, fn: (y: number, x0: number, x1: number) => void): void {
  const bw = box.width;
  while (len > 0) {
    const row = Math.floor(pos / bw);
    const col = pos - row * bw;
    const n = Math.min(len, bw - col);
    fn(box.y + row, box.x + col, box.x + col + n - 1);
    pos += n;
    len -= n;
  }
}

/** Shrinks `cand` (a superset of id's box) on the sides listed, scanning inward until a pixel of id. Null if none is found. */
function tighten(map: LabelMap, id: number, cand: Box, sides: { top: boolean; bottom: boolean; left: boolean; right: boolean }): Box | null {
  const { width: W, data } = map;
  let x0 = cand.x;
  let x1 = cand.x + cand.width - 1;
  let y0 = cand.y;
  let y1 = cand.y + cand.height - 1;
  if (sides.top) {
    let found = false;
    for (; y0 <= y1 && !found; y0++) {
      for (let i = y0 * W + x0, e = y0 * W + x1; i <= e; i++) {
        if (data[i] === id) {
          found = true;
          break;
        }
      }
    }
    if (!found) return null;
    y0--;
  }
  if (sides.bottom) {
    let found = false;
    for (; y1 >= y0 && !found; y1--) {
      for (let i = y1 * W + x0, e = y1 * W + x1; i <= e; i++) {
        if (data[i] === id) {
          found = true;
          break;
        }
      }
    }
    if (!found) return null;
    y1++;
  }
  // Left and right edges: walk rows (cache-friendly) looking only left of (right of) the best so far.
  if (sides.left) {
    let best = x1 + 1;
    for (let y = y0; y <= y1 && best > x0; y++) {
      const row = y * W;
      for (let x = x0; x < best; x++) {
        if (data[row + x] === id) {
          best = x;
          break;
        }
      }
    }
    if (best > x1) return null;
    x0 = best;
  }
  if (sides.right) {
    let best = x0 - 1;
    for (let y = y0; y <= y1 && best < x1; y++) {
      const row = y * W;
      for (let x = x1; x > best; x--) {
        if (data[row + x] === id) {
          best = x;
          break;
        }
      }
    }
    if (best < x0) return null;
    x1 = best;
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * Segment changes caused by `patch`, measured on `map` after the patch was applied in
 * `direction`. With bboxes the cost is the patch plus the touched segments' former boxes (with
 * areas too, only the rows/columns at edges that lost pixels); without, one full-map pass.
 */
export function measurePatch(map: LabelMap, patch: LabelPatch, direction: PatchDirection, options: MeasureOptions = {}): SegmentChanges {
  const { runs, box } = patch;
  if (runs.length === 0) return noSegmentChanges();
  const gi = direction === 'forward' ? 3 : 2;
  const li = direction === 'forward' ? 2 : 3;
  const acc = new Map<number, Acc>();
  const get = (id: number): Acc => {
    let a = acc.get(id);
    if (!a) {
      a = { delta: 0, gain: new BoxAcc(), lost: new BoxAcc(), gainRuns: [] };
      acc.set(id, a);
    }
    return a;
  };
  const runPos = new Float64Array(runs.length / 4);
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    runPos[r / 4] = pos;
    const len = runs[r + 1]!;
    const lost = runs[r + li]!;
    const gained = runs[r + gi]!;
    if (lost !== 0) {
      const a = get(lost);
      a.delta -= len;
      forRunRows(box, pos, len, (y, x0, x1) => a.lost.addRow(y, x0, x1));
    }
    if (gained !== 0) {
      const a = get(gained);
      a.delta += len;
      a.gainRuns.push(r);
      forRunRows(box, pos, len, (y, x0, x1) => a.gain.addRow(y, x0, x1));
    }
    pos += len;
  }
  const stats: SegmentStats[] = [];
  const fullScan: number[] = [];
  const { bboxes, areas } = options;
  for (const [id, a] of acc) {
    const before = bboxes?.(id);
    const beforeBox = before && clipBox(before, map);
    const lostBox = a.lost.box();
    const gainBox = a.gain.box();
    if (!bboxes || (lostBox && !beforeBox)) {
      // No table, or the table says the id had no pixels yet the patch took some from it.
      fullScan.push(id);
      continue;
    }
    if (!beforeBox) {
      // Created: all its pixels are the gained ones.
      stats.push({ id, area: a.delta, bbox: gainBox ?? NO_BOX });
      continue;
    }
    const oldArea = areas?.(id);
    if (oldArea !== undefined) {
      const area = oldArea + a.delta;
      if (area < 0) {
        fullScan.push(id);
        continue;
      }
      if (area === 0) {
        stats.push({ id, area: 0, bbox: NO_BOX });
        continue;
      }
      const cand = unionBox(beforeBox, gainBox)!;
      if (!lostBox) {
        stats.push({ id, area, bbox: cand });
        continue;
      }
      const bbox = tighten(map, id, cand, {
        top: lostBox.y === cand.y,
        bottom: lostBox.y + lostBox.height === cand.y + cand.height,
        left: lostBox.x === cand.x,
        right: lostBox.x + lostBox.width === cand.x + cand.width,
      });
      if (bbox) stats.push({ id, area, bbox });
      else fullScan.push(id);
      continue;
    }
    // Pixels now outside the former box can only be gained ones: count the box, add those.
    const inside = statsInRegion(map, id, beforeBox);
    const out = new BoxAcc();
    let outside = 0;
    const bx1 = beforeBox.x + beforeBox.width - 1;
    const by1 = beforeBox.y + beforeBox.height - 1;
    for (const r of a.gainRuns) {
      forRunRows(box, runPos[r / 4]!, runs[r + 1]!, (y, x0, x1) => {
        if (y < beforeBox.y || y > by1) {
          outside += x1 - x0 + 1;
          out.addRow(y, x0, x1);
          return;
        }
        if (x0 < beforeBox.x) {
          const e = Math.min(x1, beforeBox.x - 1);
          outside += e - x0 + 1;
          out.addRow(y, x0, e);
        }
        if (x1 > bx1) {
          const s = Math.max(x0, bx1 + 1);
          outside += x1 - s + 1;
          out.addRow(y, s, x1);
        }
      });
    }
    const area = inside.area + outside;
    stats.push({ id, area, bbox: area === 0 ? NO_BOX : unionBox(inside.area > 0 ? inside.bbox : null, out.box())! });
  }
  if (fullScan.length > 0) stats.push(...statsFullScan(map, fullScan));
  stats.sort((p, q) => p.id - q.id);
  const out = noSegmentChanges();
  for (const s of stats) {
    const a = acc.get(s.id)!;
    if (s.area === 0) {
      if (a.delta < 0) out.removed.push(s.id);
    } else {
      if (s.area === a.delta) out.created.push(s.id);
      else out.changed.push(s.id);
      out.stats.push(s);
    }
  }
  return out;
}
