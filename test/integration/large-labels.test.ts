// Edits on a mosaic over the decode limit (16384²) are saved in the project's label tiles (schema
// 10): a stroke, an erase and an undone stroke survive closing and reopening, undo and redo go on
// across the reopen, tiles are read only when needed, and a process killed while editing leaves a
// consistent project with every acknowledged edit. The same file runs as the killed child when
// GRAINLAB_LARGE_KILL_CHILD is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { newService, tempDir } from './export-kit';
import { ProjectStore } from '../../main/store/project-store';
import { LABEL_TILE, LabelTileStore } from '../../main/tiles/label-tiles';
import { SqliteLabelTiles } from '../../main/tiles/label-tile-db';
import type { LargeEditOp } from '../../app/contract/tiles';
import { prng } from '../support/edit-testkit';

// 20000 x 14000 = 280 MP, over 16384² = 268 MP.
const W = 20000;
const H = 14000;

async function importMosaic(svc: ReturnType<typeof newService>): Promise<number> {
  // One grey level, deflate TIFF: cheap to make and to import (only the header and thumbnail are read).
  const tif = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 90, b: 90 } }, limitInputPixels: false })
    .toColourspace('b-w')
    .tiff({ compression: 'deflate' })
    .toBuffer();
  const r = await svc.call('images.importFiles', { files: [{ name: 'mosaic.tif', bytes: new Uint8Array(tif) }] });
  assert.deepEqual(r.failed, []);
  return r.imported[0]!.id;
}

test('edits on a mosaic over 16384² are kept across closing and reopening, with their undo history', { timeout: 180_000 }, async () => {
  const svc = newService();
  try {
    const dir = join(tempDir(), 'p');
    await svc.call('project.create', { path: dir });
    const id = await importMosaic(svc);
    const at = (x: number, y: number) => svc.call('tiles.labelAt', { imageId: id, x, y });
    const paint = (points: [number, number][], radius = 6) => svc.call('tiles.edit', { imageId: id, ops: [{ kind: 'brush', mode: 'paint', points, radius, target: 'new' }] });
    assert.equal((await paint([[100, 100], [300, 100]])).created, 1);
    // Far corner, across a tile border (x 18431 | 18432).
    assert.equal((await paint([[18400, 13500], [18500, 13500]])).created, 2);
    await svc.call('tiles.edit', { imageId: id, ops: [{ kind: 'brush', mode: 'erase', points: [[200, 100]], radius: 8 }] });
    assert.equal((await paint([[5000, 5000]], 20)).created, 3);
    await svc.call('tiles.undo', { imageId: id });
    assert.equal(await at(5000, 5000), 0);

    await svc.call('project.close', {});
    await svc.call('project.open', { path: dir });
    assert.equal(await at(150, 100), 1, 'the first stroke was kept');
    assert.equal(await at(200, 100), 0, 'and so was the erase');
    assert.equal(await at(18420, 13500), 2, 'the far stroke, left of the tile border');
    assert.equal(await at(18450, 13500), 2, 'and right of it');
    assert.equal(await at(5000, 5000), 0, 'the undone stroke stays undone');
    assert.deepEqual(await svc.call('tiles.history', { imageId: id }), { canUndo: true, canRedo: true }, 'the history came back with the project');
    const lt = await svc.call('tiles.labels', { imageId: id, level: 0, tx: 0, ty: 0 });
    assert.equal(lt.data![100 * lt.width + 150], 1);
    // Undo and redo go on where they were: undo the erase, redo it, redo the undone stroke.
    const u = await svc.call('tiles.undo', { imageId: id });
    assert.equal(u.canRedo, true);
    assert.equal(await at(200, 100), 1, 'undo after reopening brought the erased pixels back');
    await svc.call('tiles.redo', { imageId: id });
    assert.equal(await at(200, 100), 0);
    const r = await svc.call('tiles.redo', { imageId: id });
    assert.equal(r.canRedo, false);
    assert.equal(await at(5000, 5000), 3, 'the stroke undone before closing was redone after');
    // Ids are not handed out twice: the largest id was saved.
    assert.equal((await paint([[9000, 9000]])).created, 4);
    // Delete and merge are saved too.
    await svc.call('tiles.edit', { imageId: id, ops: [{ kind: 'merge', ids: [2, 4] }] });
    await svc.call('tiles.edit', { imageId: id, ops: [{ kind: 'delete', ids: [3] }] });
    await svc.call('project.close', {});
    await svc.call('project.open', { path: dir });
    assert.equal(await at(9000, 9000), 2, 'merged into 2');
    // The merged segment's area and box span both strokes (counted from the label tiles).
    const [seg, ...rest] = await svc.call('tiles.segments', { imageId: id, ids: [2, 3] });
    assert.ok(seg);
    assert.equal(seg.id, 2);
    assert.deepEqual(rest, [], 'a deleted segment has no pixel');
    // Expected: the pixels read one by one around the two strokes (radius 6, 2 px to spare).
    let area = 0;
    let [bx0, by0, bx1, by1] = [Infinity, Infinity, -1, -1];
    for (const [xa, xb, ya, yb] of [[18392, 18508, 13492, 13508], [8992, 9008, 8992, 9008]] as const) {
      for (let y = ya; y <= yb; y++) {
        for (let x = xa; x <= xb; x++) {
          if ((await at(x, y)) !== 2) continue;
          area++;
          [bx0, by0, bx1, by1] = [Math.min(bx0, x), Math.min(by0, y), Math.max(bx1, x), Math.max(by1, y)];
        }
      }
    }
    assert.ok(area > 1000);
    assert.equal(seg.area, area);
    assert.deepEqual(seg.bbox, { x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 });
    assert.equal(await at(5000, 5000), 0, 'deleted');
    assert.equal(await at(150, 100), 1);

    // Removing the image removes its saved label tiles.
    await svc.call('images.remove', { ids: [id] });
    await svc.call('project.close', {});
    const db = new Database(join(dir, 'project.sqlite'), { readonly: true });
    try {
      for (const t of ['label_tiles', 'label_tile_steps', 'label_tile_step_tiles', 'label_tile_maps']) assert.equal((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, 0, t);
    } finally {
      db.close();
    }
  } finally {
    await svc.dispose();
  }
});

/** A project with one image row over the decode limit (its pixels are never read by label edits). */
function largeProject(): { dir: string; imageId: number } {
  const dir = join(tempDir(), 'p');
  const store = ProjectStore.create(dir);
  const [im] = store.insertImages([{ name: 'mosaic.tif', file: 'images/mosaic.tif', page: 0, hash: 'large-kill', width: W, height: H, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array([1]) }]);
  store.close();
  return { dir, imageId: im!.id };
}

function savedStore(store: ProjectStore, imageId: number, hotLimit?: number): LabelTileStore {
  return LabelTileStore.persisted(W, H, new SqliteLabelTiles(store, imageId, Math.ceil(W / LABEL_TILE), LABEL_TILE), hotLimit);
}

test('a reopened saved map reads only the tiles it is asked for, and keeps few decompressed', () => {
  const { dir, imageId } = largeProject();
  let store = ProjectStore.open(dir);
  let s = savedStore(store, imageId, 2);
  // Ten strokes in ten tiles, far apart.
  for (let i = 0; i < 10; i++) s.apply([{ kind: 'brush', mode: 'paint', points: [[i * 2048 + 500, i * 1024 + 500]], radius: 30, target: 'new' }]);
  assert.ok(s.decompressedCount <= 2);
  store.close();
  store = ProjectStore.open(dir);
  const saved = new SqliteLabelTiles(store, imageId, Math.ceil(W / LABEL_TILE), LABEL_TILE);
  let reads = 0;
  const read = saved.read.bind(saved);
  saved.read = (key: number) => {
    reads++;
    return read(key);
  };
  s = LabelTileStore.persisted(W, H, saved, 2);
  assert.equal(s.tileCount, 10);
  assert.equal(reads, 0, 'opening reads no tile');
  assert.equal(s.labelAt(7 * 2048 + 500, 7 * 1024 + 500), 8);
  assert.equal(reads, 1, 'one pixel, one tile');
  for (let i = 0; i < 10; i++) assert.equal(s.labelAt(i * 2048 + 500, i * 1024 + 500), i + 1);
  assert.ok(s.decompressedCount <= 2);
  // Settled tiles keep no packed copies once evicted: memory is the two decompressed tiles (with
  // the packed copies they were read from), not the ten saved ones.
  const packed = Math.max(...saved.keys().map((k) => read(k)!.length));
  assert.ok(s.bytes <= 2 * (4 * LABEL_TILE * LABEL_TILE + packed), `bytes ${s.bytes}`);
  assert.equal(s.nextId, 11);
  store.close();
});

// ---- Kill test ----

/** The k-th edit of the child's sequence (deterministic, so the parent can replay it). */
function nthOp(k: number): LargeEditOp {
  const rng = prng(2000 + k);
  // Strokes in the 2048² corner past 16384 in both axes (tiles 16..19 x 12..13), crossing tile borders.
  const x = 17952 + rng() * 2000;
  const y = 11952 + rng() * 2000;
  return { kind: 'brush', mode: k % 3 === 2 ? 'erase' : 'paint', points: [[x, y], [x + (rng() - 0.5) * 200, y + (rng() - 0.5) * 200]], radius: 4 + rng() * 30, target: 'new' };
}

function isUndo(k: number): boolean {
  return k % 4 === 3;
}

function step(s: LabelTileStore, k: number): void {
  if (isUndo(k)) s.undo();
  else s.apply([nthOp(k)]);
}

function child(dir: string, imageId: number): void {
  const store = ProjectStore.open(dir);
  const s = savedStore(store, imageId, 4);
  for (let k = 0; ; k++) {
    step(s, k);
    process.stdout.write(`ack ${k}\n`);
  }
}

/** The corner the strokes fall in, as labels. */
function corner(s: LabelTileStore): Uint32Array {
  return s.sample(17952 - 256, 11952 - 256, 1, 2048 + 512, 2000 + 48)!;
}

if (process.env.GRAINLAB_LARGE_KILL_CHILD) {
  // The child edits in a synchronous loop until killed, so the tests of this file never start in it.
  const [dir, id] = process.env.GRAINLAB_LARGE_KILL_CHILD.split('|');
  child(dir!, Number(id));
} else {
  test('a process killed while editing a large map leaves a consistent project with every acknowledged edit', { timeout: 120_000 }, async () => {
    const { dir, imageId } = largeProject();
    const self = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, ['--import', 'tsx', self], { env: { ...process.env, GRAINLAB_LARGE_KILL_CHILD: `${dir}|${imageId}` }, stdio: ['ignore', 'pipe', 'inherit'] });
    const target = 14;
    let last = -1;
    const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
    for await (const line of createInterface({ input: proc.stdout! })) {
      const m = /^ack (\d+)$/.exec(line);
      if (!m) continue;
      last = Number(m[1]);
      if (last >= target) {
        proc.kill('SIGKILL');
        break;
      }
    }
    await exited;
    assert.ok(last >= target, 'the child acknowledged edits before it was killed');

    const store = ProjectStore.open(dir);
    try {
      assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(store.db.pragma('foreign_key_check'), []);
      const reopened = savedStore(store, imageId);
      const got = corner(reopened);
      // Replay in memory: the saved map is the state after the last acknowledged step or after one
      // of the steps the child made before the signal landed.
      const mem = new LabelTileStore(W, H);
      let match = -1;
      for (let k = 0; k <= last + 200 && match < 0; k++) {
        step(mem, k);
        if (k >= last && Buffer.compare(Buffer.from(corner(mem).buffer), Buffer.from(got.buffer)) === 0) match = k;
      }
      assert.ok(match >= last, `the reopened map is the state after step ${last} or a later one`);
      assert.ok(got.some((v) => v !== 0), 'the corner holds labels');
      // Undo still works on the reopened map, and the undo history matches the replayed one.
      assert.equal(reopened.canUndo, mem.canUndo);
      reopened.undo();
      mem.undo();
      assert.equal(Buffer.compare(Buffer.from(corner(mem).buffer), Buffer.from(corner(reopened).buffer)), 0, 'undo after the kill gives the replayed state');
    } finally {
      store.close();
    }
  });
}

test('an edit the project could not save is taken back: the map shows what the project holds', () => {
  const { dir, imageId } = largeProject();
  const store = ProjectStore.open(dir);
  try {
    const saved = new SqliteLabelTiles(store, imageId, Math.ceil(W / LABEL_TILE), LABEL_TILE);
    const s = LabelTileStore.persisted(W, H, saved);
    s.apply([{ kind: 'brush', mode: 'paint', points: [[17000, 13000]], radius: 10, target: 'new' }]);
    saved.saveEdit = () => {
      throw new Error('disk full');
    };
    assert.throws(() => s.apply([{ kind: 'brush', mode: 'paint', points: [[17005, 13000], [18000, 13000]], radius: 10, target: 'new' }]), /disk full/);
    assert.equal(s.labelAt(17500, 13000), 0, 'the unsaved stroke is gone');
    assert.equal(s.labelAt(17000, 13000), 1, 'the saved one is intact');
    assert.equal(s.labelAt(17005, 13000), 1, 'including where the unsaved stroke overlapped it');
    s.undo();
    assert.equal(s.labelAt(17000, 13000), 0, 'undo takes back the saved stroke, not the failed one');
    assert.equal(s.canUndo, false);
  } finally {
    store.close();
  }
});
