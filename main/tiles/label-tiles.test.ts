import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LABEL_TILE, LabelTileStore } from './label-tiles';
import { applyEdit } from '../../app/edit';

test('a 32768^2 label map allocates tiles only where painted, and keeps few decompressed', () => {
  const s = new LabelTileStore(32768, 32768, 4);
  assert.equal(s.sample(0, 0, 64, 512, 512), null, 'an empty map answers no tile');
  // Strokes in 10 far-apart places: 10 tiles, not 1024.
  for (let i = 0; i < 10; i++) s.apply([{ kind: 'brush', mode: 'paint', points: [[i * 3000 + 300, i * 3000 + 300], [i * 3000 + 340, i * 3000 + 300]], radius: 8, target: 'new' }]);
  assert.equal(s.tileCount, 10);
  assert.ok(s.decompressedCount <= 4, `at most 4 decompressed, got ${s.decompressedCount}`);
  assert.ok(s.bytes < 5 * 4 * LABEL_TILE * LABEL_TILE, `bytes ${s.bytes}`);
  // Every stroke kept its pixels after packing and unpacking.
  for (let i = 0; i < 10; i++) assert.equal(s.labelAt(i * 3000 + 320, i * 3000 + 300), i + 1);
  assert.equal(s.labelAt(50, 50), 0);
  // A level-0 view tile at the first stroke, and the level-6 tile (every 64th pixel) over all of them.
  assert.equal(s.sample(0, 0, 1, 512, 512)![300 * 512 + 320], 1);
  s.apply([{ kind: 'brush', mode: 'paint', points: [[20000, 20000]], radius: 100, target: 'new' }]);
  const top = s.sample(0, 0, 64, 512, 512)!;
  assert.equal(top[312 * 512 + 312], 11);
  assert.equal(top[100 * 512 + 100], 0);
});

test('brush paint, erase (only into a segment), protect, delete and merge, each undone and redone', () => {
  const s = new LabelTileStore(3000, 2000, 2);
  const a = s.apply([{ kind: 'brush', mode: 'paint', points: [[1000, 1000], [1100, 1000]], radius: 10, target: 'new' }]);
  assert.equal(a.created, 1);
  assert.deepEqual(a.box, { x: 990, y: 990, width: 120, height: 20 });
  assert.equal(s.labelAt(1050, 1000), 1);
  assert.equal(s.labelAt(1050, 1011), 0);
  // Crosses the tile border at x = 1024: both tiles hold it.
  assert.equal(s.labelAt(1023, 1000), 1);
  assert.equal(s.labelAt(1024, 1000), 1);
  const b = s.apply([{ kind: 'brush', mode: 'paint', points: [[1050, 980], [1050, 1020]], radius: 4, target: 'new', protect: true }]);
  assert.equal(b.created, 2);
  assert.equal(s.labelAt(1050, 1000), 1, 'protect leaves other segments alone');
  assert.equal(s.labelAt(1050, 985), 2);
  s.apply([{ kind: 'brush', mode: 'erase', points: [[1050, 985], [1050, 1000]], radius: 3, onlyInto: 2 }]);
  assert.equal(s.labelAt(1050, 985), 0);
  assert.equal(s.labelAt(1050, 1000), 1, 'erasing only into 2 keeps 1');
  s.undo();
  assert.equal(s.labelAt(1050, 985), 2);
  s.apply([{ kind: 'merge', ids: [1, 2] }]);
  assert.equal(s.labelAt(1050, 985), 1);
  s.apply([{ kind: 'delete', ids: [1] }]);
  assert.equal(s.labelAt(1000, 1000), 0);
  assert.equal(s.tileCount, 0, 'tiles left empty are dropped');
  s.undo();
  assert.equal(s.labelAt(1000, 1000), 1);
  s.undo();
  assert.equal(s.labelAt(1050, 985), 2, 'merge undone');
  assert.equal(s.canRedo, true);
  s.redo();
  assert.equal(s.labelAt(1050, 985), 1, 'merge redone');
  assert.equal(s.nextId, 3);
});

test('a store seeded from a whole label map reads the same labels', () => {
  const w = 2100;
  const h = 1100;
  const data = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x > 1500 && y > 900 ? 7 : x < 30 ? 3 : 0;
  const s = LabelTileStore.fromLabels(w, h, data, 2);
  assert.equal(s.tileCount, 6, 'the left column tiles and the four the corner block touches');
  for (const [x, y] of [[0, 0], [29, 1099], [30, 5], [1501, 901], [2099, 1099], [1600, 500]] as const) assert.equal(s.labelAt(x, y), data[y * w + x]);
  assert.equal(s.nextId, 8);
  const v = s.sample(0, 0, 4, 512, 256)!;
  assert.equal(v[230 * 512 + 400], 7);
  assert.equal(v[0], 3);
  // Coarse views (read from each tile's subsample) equal pixel-by-pixel reads, before and after an edit.
  const check = () => {
    for (const step of [8, 16, 32]) {
      const bw = Math.ceil(w / step);
      const bh = Math.ceil(h / step);
      const c = s.sample(0, 0, step, bw, bh)!;
      for (let j = 0; j < bh; j++) for (let i = 0; i < bw; i++) assert.equal(c[j * bw + i], s.labelAt(i * step, j * step), `step ${step} at ${i},${j}`);
    }
  };
  check();
  s.apply([{ kind: 'brush', mode: 'paint', points: [[1000, 500], [1100, 520]], radius: 30, target: 'new' }]);
  assert.equal(s.sample(1024, 0, 8, 64, 128)![(504 / 8) * 64 + (1056 - 1024) / 8], 8, 'the stroke shows in the coarse view at once');
  check();
});

test('brush strokes across tile borders paint exactly the pixels app/edit paints on a whole map', () => {
  const w = 2500;
  const h = 1300;
  const whole = { width: w, height: h, data: new Uint32Array(w * h) };
  const s = new LabelTileStore(w, h, 3);
  let seed = 5;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n;
  let nextId = 1;
  for (let k = 0; k < 12; k++) {
    const pts: [number, number][] = [[rnd(w), rnd(h)], [rnd(w), rnd(h)], [rnd(w), rnd(h)]];
    const op = k % 4 === 3 ? ({ kind: 'brush', mode: 'erase', points: pts, radius: 3 + rnd(20) } as const) : ({ kind: 'brush', mode: 'paint', points: pts, radius: 0.7 + rnd(30), target: 'new', protect: k % 3 === 1 } as const);
    nextId = applyEdit(whole, op, { nextId }).nextId;
    s.apply([op]);
  }
  let diff = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (s.labelAt(x, y) !== whole.data[y * w + x]) diff++;
  assert.equal(diff, 0);
  assert.equal(s.nextId, nextId);
});

test('segment areas and boxes from per-tile counts match a pixel count, also after edits since the last query', async () => {
  const W = 3000;
  const H = 2100;
  const s = new LabelTileStore(W, H);
  s.apply([{ kind: 'brush', mode: 'paint', points: [[1000, 1000], [1100, 1040]], radius: 30, target: 'new' }]);
  s.apply([{ kind: 'brush', mode: 'paint', points: [[2000, 100], [2100, 1500]], radius: 9, target: 'new' }]);
  const brute = (id: number) => {
    let area = 0;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
    const all = s.sample(0, 0, 1, W, H)!;
    for (let i = 0; i < all.length; i++) {
      if (all[i] !== id) continue;
      area++;
      const x = i % W;
      const y = (i / W) | 0;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
    return area ? { id, area, bbox: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } } : null;
  };
  assert.deepEqual(await s.segmentStats([1, 2, 9]), [brute(1), brute(2)]);
  // Paint 2 into 1 (across tiles), then erase a bit: the counts follow.
  s.apply([{ kind: 'brush', mode: 'paint', points: [[1050, 1020], [2050, 1020]], radius: 5, target: 2 }]);
  s.apply([{ kind: 'brush', mode: 'erase', points: [[2050, 600]], radius: 40 }]);
  assert.deepEqual(await s.segmentStats([1, 2]), [brute(1), brute(2)]);
  s.undo();
  assert.deepEqual(await s.segmentStats([2]), [brute(2)]);
  s.apply([{ kind: 'delete', ids: [1] }]);
  assert.deepEqual(await s.segmentStats([1, 2]), [brute(2)]);
});

test('fill writes an automatic result as one undoable step into empty pixels only; edits wait; a failure takes it back', async () => {
  const s = new LabelTileStore(3000, 2000, 2);
  s.apply([{ kind: 'brush', mode: 'paint', points: [[1500, 1000]], radius: 10, target: 'new' }]);
  // A 2000 x 1200 block across four label tiles, all id 7.
  const block = { x: 500, y: 500, width: 2000, height: 1200, data: new Uint32Array(2000 * 1200).fill(7) };
  let editWhileFilling: unknown = null;
  async function* one() {
    // An edit while the result is being written is refused.
    try {
      s.apply([{ kind: 'delete', ids: [1] }]);
    } catch (e) {
      editWhileFilling = e;
    }
    yield block;
  }
  const out = await s.fill(one(), 7);
  assert.match(String(editWhileFilling), /being segmented/);
  assert.deepEqual(out.box, { x: 500, y: 500, width: 2000, height: 1200 });
  assert.equal(s.labelAt(1500, 1000), 1, 'the stroke was kept');
  assert.equal(s.labelAt(1520, 1000), 7);
  assert.equal(s.labelAt(499, 1000), 0);
  assert.equal(s.nextId, 8);
  s.undo();
  assert.equal(s.labelAt(1520, 1000), 0);
  assert.equal(s.labelAt(1500, 1000), 1);
  // A fill that fails midway (a cancel) leaves nothing of it.
  async function* failing() {
    yield block;
    throw new Error('cancelled');
  }
  await assert.rejects(s.fill(failing(), 7), /cancelled/);
  assert.equal(s.labelAt(1520, 1000), 0);
  assert.equal(s.labelAt(1500, 1000), 1);
});
