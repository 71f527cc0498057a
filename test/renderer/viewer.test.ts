// The pure parts of the canvas: tile pyramid geometry and overlay tiles (fills and outlines)
// against a direct per-pixel definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, voronoiMap } from '../support/edit-testkit';
import { levelFor, maxLevel, tileRect, tilesInBox, visibleTiles, TILE } from '../../renderer/viewer/tiles';
import { Palette, renderOverlayTile, renderImageTile, displayLut } from '../../renderer/viewer/overlay';

test('tile pyramid: levels follow the zoom; tiles cover the view; a box maps to the tiles it touches', () => {
  assert.equal(maxLevel(8192, 8192), 4);
  assert.equal(maxLevel(512, 300), 0);
  assert.equal(levelFor(1, 8192, 8192), 0);
  assert.equal(levelFor(4, 8192, 8192), 0);
  assert.equal(levelFor(0.5, 8192, 8192), 1);
  assert.equal(levelFor(0.3, 8192, 8192), 1);
  assert.equal(levelFor(0.1, 8192, 8192), 3);
  assert.equal(levelFor(0.001, 8192, 8192), 4);
  const r = tileRect({ level: 2, tx: 3, ty: 3 }, 8000, 7000);
  assert.deepEqual([r.x, r.y, r.width, r.height, r.step, r.bw, r.bh], [6144, 6144, 1856, 856, 4, 464, 214]);
  assert.deepEqual(tilesInBox({ x: 500, y: 0, width: 30, height: 1 }, 0, 8192, 8192).map((k) => k.tx), [0, 1]);
  // A fitted 8192^2 image in a 1280x800 view: level 3, all 4 tiles of that level.
  const scale = 768 / 8192;
  const tiles = visibleTiles({ scale, x: 256, y: 16 }, 1280, 800, 8192, 8192, levelFor(scale, 8192, 8192));
  assert.equal(tiles.length, 4);
  // 1:1 in the middle: a handful of level-0 tiles, the centre tile first.
  const mid = visibleTiles({ scale: 1, x: -4096 + 640, y: -4096 + 400 }, 1280, 800, 8192, 8192, 0);
  assert.ok(mid.length >= 6 && mid.length <= 12, `${mid.length} tiles`);
  const first = tileRect(mid[0]!, 8192, 8192);
  assert.ok(Math.abs(first.x + TILE / 2 - 4096) <= TILE && Math.abs(first.y + TILE / 2 - 4096) <= TILE);
});

test('overlay tile: fills and outlines match the per-pixel definition, also across tile borders', () => {
  const map = voronoiMap(prng(3), 700, 600, 60, 0.2);
  const palette = new Palette();
  const style = { fillAlpha: 100, outlineAlpha: 255 };
  for (const k of [{ level: 0, tx: 1, ty: 1 }, { level: 0, tx: 0, ty: 0 }]) {
    const r = tileRect(k, map.width, map.height);
    const out = new Uint32Array(r.bw * r.bh);
    renderOverlayTile(map, r, style, palette, out);
    let mismatches = 0;
    for (let by = 0; by < r.bh; by++) {
      for (let bx = 0; bx < r.bw; bx++) {
        const x = r.x + bx;
        const y = r.y + by;
        const id = map.data[y * map.width + x]!;
        const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= map.width || yy >= map.height ? 0 : map.data[yy * map.width + xx]!);
        const edge = at(x - 1, y) !== id || at(x + 1, y) !== id || at(x, y - 1) !== id || at(x, y + 1) !== id;
        const v = out[by * r.bw + bx]!;
        const want = id === 0 ? 0 : (palette.colour(id) | ((edge ? 255 : 100) << 24)) >>> 0;
        if (v !== want) mismatches++;
      }
    }
    assert.equal(mismatches, 0, `tile ${k.tx},${k.ty}`);
  }
  // A coarser level samples every 2^L-th pixel.
  const r2 = tileRect({ level: 1, tx: 0, ty: 0 }, map.width, map.height);
  assert.deepEqual([r2.bw, r2.bh], [350, 300]);
  const out2 = new Uint32Array(r2.bw * r2.bh);
  renderOverlayTile(map, r2, { fillAlpha: 0, outlineAlpha: 200 }, palette, out2);
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= map.width || yy >= map.height ? 0 : map.data[yy * map.width + xx]!);
  let bad = 0;
  for (let by = 0; by < r2.bh; by += 7) {
    for (let bx = 0; bx < r2.bw; bx += 5) {
      const x = 2 * bx + 1;
      const y = 2 * by + 1;
      const id = at(x, y);
      const edge = at(x - 2, y) !== id || at(x + 2, y) !== id || at(x, y - 2) !== id || at(x, y + 2) !== id;
      const want = id === 0 || !edge ? 0 : (palette.colour(id) | (200 << 24)) >>> 0;
      if (out2[by * r2.bw + bx] !== want) bad++;
    }
  }
  assert.equal(bad, 0, 'outline-only at level 1: samples every 2nd pixel, fills transparent');
});

test('image tile: the display window maps raw values; coarse levels average', () => {
  const width = 1024;
  const height = 4;
  const data = new Uint16Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = 1000 + (i % 2) * 1000;
  const raster = { width, height, channels: 1 as const, bitDepth: 16 as const, data };
  const lut = displayLut(16, { low: 1000, high: 2000 });
  const r0 = tileRect({ level: 0, tx: 0, ty: 0 }, width, height);
  const out0 = new Uint32Array(r0.bw * r0.bh);
  renderImageTile(raster, lut, r0, out0);
  assert.equal(out0[0]! & 255, 0);
  assert.equal(out0[1]! & 255, 255);
  const r1 = tileRect({ level: 1, tx: 0, ty: 0 }, width, height);
  const out1 = new Uint32Array(r1.bw * r1.bh);
  renderImageTile(raster, lut, r1, out1);
  assert.equal(out1[0]! & 255, 128, 'a 2x2 block of black and white averages to grey (rounded)');
  assert.equal(out1[0]! >>> 24, 255);
});
