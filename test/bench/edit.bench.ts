// Timing script (not a test) for edits on a large label map: 8192x8192 with ~5,000 segments.
// Run: node --import tsx app/edit/edit.bench.ts   (about a minute; needs ~2 GB of memory)
import { segmentStats } from '../../app/labelmap';
import type { Box } from '../../app/types';
import { measurePatch } from '../../app/edit/measure';
import { applyEdit, type EditContext, type EditOp } from '../../app/edit/ops';
import { applyPatch, combinePatches, emptyPatch, encodePatch, isEmptyPatch, patchPixelCount, type LabelPatch } from '../../app/edit/patch';
import type { Point } from '../../app/edit/spans';
import { maxId, prng, voronoiMap } from '../support/edit-testkit';

const size = 8192;
const segments = 5000;

const t0 = performance.now();
const rng = prng(42);
const map = voronoiMap(rng, size, size, segments, 0.02);
const stats = segmentStats(map);
console.log(`map ${size}x${size}, ${stats.length} segments, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// The segment table main keeps: bbox and area, updated from each edit's segmentChanges.
const boxes = new Map<number, Box>(stats.map((s) => [s.id, s.bbox]));
const areas = new Map<number, number>(stats.map((s) => [s.id, s.area]));
let nextId = maxId(map) + 1;
type Knows = 'table' | 'bboxes' | 'nothing';
const lookups = (knows: Knows) => ({
  ...(knows !== 'nothing' ? { bboxes: (id: number) => boxes.get(id) } : {}),
  ...(knows === 'table' ? { areas: (id: number) => areas.get(id) } : {}),
});
const ctx = (knows: Knows = 'table'): EditContext => ({ nextId, ...lookups(knows) });
function updateTable(changes: ReturnType<typeof measurePatch>): void {
  for (const id of changes.removed) {
    boxes.delete(id);
    areas.delete(id);
  }
  for (const s of changes.stats) {
    boxes.set(s.id, s.bbox);
    areas.set(s.id, s.area);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function centreOf(id: number): Point {
  const b = boxes.get(id)!;
  return [b.x + b.width / 2, b.y + b.height / 2];
}

/**
 * Times an edit and its undo (inverse patch + re-measure) over several runs, restoring the map
 * each time. The first two runs warm the JIT up and are not counted.
 */
function bench(name: string, makeOp: (k: number) => EditOp, runs = 25, knows: Knows = 'table'): void {
  const edit: number[] = [];
  const undo: number[] = [];
  let pixels = 0;
  let bytes = 0;
  for (let k = 0; k < runs; k++) {
    const op = makeOp(k);
    const c = ctx(knows);
    const a = performance.now();
    const res = applyEdit(map, op, c);
    const b = performance.now();
    nextId = res.nextId;
    updateTable(res.segmentChanges);
    const patch: LabelPatch = res.patch;
    const u0 = performance.now();
    applyPatch(map, patch, 'inverse');
    const changes = measurePatch(map, patch, 'inverse', lookups(knows));
    const u1 = performance.now();
    updateTable(changes);
    if (k < 2 && runs > 3) continue;
    edit.push(b - a);
    undo.push(u1 - u0);
    pixels = patchPixelCount(patch);
    bytes = encodePatch(patch).length;
  }
  console.log(
    `${name.padEnd(44)} edit median ${median(edit).toFixed(2).padStart(7)} ms (max ${Math.max(...edit).toFixed(1)})` +
      `  undo median ${median(undo).toFixed(2).padStart(6)} ms  | ${pixels} px changed, patch ${bytes} B`,
  );
}

/** A wandering stroke starting inside segment `from` (users paint a grain from within it). */
function stroke(k: number, samples: number, step: number, from: number): Point[] {
  const r = prng(1000 + k);
  const pts: Point[] = [];
  let [x, y] = centreOf(from);
  let dir = r() * Math.PI * 2;
  for (let i = 0; i < samples; i++) {
    pts.push([x, y]);
    dir += (r() - 0.5) * 0.6;
    x += Math.cos(dir) * step;
    y += Math.sin(dir) * step;
  }
  return pts;
}

/** A neighbour of segment `id`: the id just right of its box. */
function neighbour(id: number): number {
  const b = boxes.get(id)!;
  const y = b.y + (b.height >> 1);
  for (let x = b.x + (b.width >> 1); x < size; x++) {
    const v = map.data[y * size + x]!;
    if (v !== id && v !== 0) return v;
  }
  return id;
}

const ids = stats.map((s) => s.id);
const pickId = (k: number) => ids[(k * 977 + 13) % ids.length]!;

bench('brush paint r=20, 200 samples, 8 px apart', (k) => ({ kind: 'brush', mode: 'paint', points: stroke(k, 200, 8, pickId(k)), radius: 20, target: pickId(k) }));
bench('brush paint r=40, 200 samples, 8 px apart', (k) => ({ kind: 'brush', mode: 'paint', points: stroke(k, 200, 8, pickId(k)), radius: 40, target: pickId(k) }));
bench('brush onlyInto r=20, 200 samples 1 px apart', (k) => {
  const id = pickId(k);
  const b = boxes.get(id)!;
  // From inside the grain across its right edge into the neighbour: moves the boundary.
  const y = b.y + b.height / 2;
  const pts: Point[] = [];
  for (let i = 0; i < 200; i++) pts.push([b.x + b.width / 2 + i * 0.5, y + Math.sin(i / 20) * 10]);
  return { kind: 'brush', mode: 'paint', points: pts, radius: 20, target: id, onlyInto: neighbour(id) };
});
bench('brush r=20, 200 samples 60 px apart (fast)', (k) => ({ kind: 'brush', mode: 'paint', points: stroke(k, 200, 60, pickId(k)), radius: 20, target: pickId(k) }));
bench('merge two neighbours', (k) => ({ kind: 'merge', ids: [pickId(k), neighbour(pickId(k))] }));
bench('split by a line through a segment', (k) => {
  const [cx, cy] = centreOf(pickId(k));
  return { kind: 'splitByLine', segmentId: pickId(k), points: [[cx - 200, cy - 37], [cx + 200, cy + 41]] };
});
bench('fill holes', (k) => ({ kind: 'fillHoles', id: pickId(k) }));
bench('delete one segment', (k) => ({ kind: 'delete', ids: [pickId(k)] }));
bench('polygon add (300 px triangle)', (k) => {
  const [cx, cy] = centreOf(pickId(k));
  return { kind: 'polygon', mode: 'add', points: [[cx, cy], [cx + 300, cy + 40], [cx + 90, cy + 280]], target: 'new' };
});
bench('brush r=20, 200 samples, bboxes but no areas', (k) => ({ kind: 'brush', mode: 'paint', points: stroke(k, 200, 8, pickId(k)), radius: 20, target: pickId(k) }), 25, 'bboxes');
bench('merge two neighbours, bboxes but no areas', (k) => ({ kind: 'merge', ids: [pickId(k), neighbour(pickId(k))] }), 25, 'bboxes');
bench('merge two neighbours, no table (full scans)', (k) => ({ kind: 'merge', ids: [pickId(k), neighbour(pickId(k))] }), 3, 'nothing');
bench('deleteSmallerThan(8000)', () => ({ kind: 'deleteSmallerThan', minArea: 8000 }), 3);

// The renderer's pattern: one pointer move = one 2-point brush op, combined into one history
// entry the way main's edit log (and the renderer's applyLocal) combine a gesture's patches.
for (const round of [0, 1, 2]) {
  const target = pickId(5 + round);
  const pts = stroke(99 + round, 200, 8, target);
  const before = map.data.slice();
  let perMove = 0;
  const patches: LabelPatch[] = [];
  for (let i = 1; i < pts.length; i++) {
    const op: EditOp = { kind: 'brush', mode: 'paint', points: [pts[i - 1]!, pts[i]!], radius: 20, target };
    const a = performance.now();
    const res = applyEdit(map, op, { ...ctx(), measure: false });
    perMove = Math.max(perMove, performance.now() - a);
    patches.push(res.patch);
  }
  const c0 = performance.now();
  let gesture = emptyPatch();
  for (const p of patches) if (!isEmptyPatch(p)) gesture = combinePatches(gesture, p);
  const c1 = performance.now();
  applyPatch(map, gesture, 'inverse');
  const c2 = performance.now();
  let same = true;
  for (let i = 0; i < before.length; i++) if (before[i] !== map.data[i]) same = false;
  if (round === 0) continue; // warm-up
  console.log(
    `gesture of 199 pointer moves (r=20): slowest move ${perMove.toFixed(2)} ms, combine ${(c1 - c0).toFixed(1)} ms, ` +
      `undo ${(c2 - c1).toFixed(2)} ms, restored: ${same}`,
  );
}
