import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillPolygon, segmentPolygons, signedArea } from './geometry';
import { segmentBoxes } from '../export/polygon';
import { seededRandom } from '../random';

function redraw(map: { width: number; height: number; data: Uint32Array }): Uint32Array {
  const out = new Uint32Array(map.data.length);
  for (const [id, box] of segmentBoxes(map)) {
    for (const p of segmentPolygons(map, id, box)) fillPolygon(out, map.width, map.height, [p.outer, ...p.holes], id);
  }
  return out;
}

test('rings with holes redraw every segment exactly: random maps, rings, diagonal touches, image borders', () => {
  const rnd = seededRandom(5);
  for (let trial = 0; trial < 30; trial++) {
    const w = 5 + Math.floor(rnd() * 30);
    const h = 5 + Math.floor(rnd() * 30);
    const data = new Uint32Array(w * h);
    const k = 1 + Math.floor(rnd() * 5);
    for (let i = 0; i < data.length; i++) data[i] = rnd() < 0.3 ? 0 : 1 + Math.floor(rnd() * k);
    const map = { width: w, height: h, data };
    assert.deepEqual(redraw(map), data, `trial ${trial}`);
  }
  // A ring around a hole holding another segment; a checkerboard touching diagonally.
  const w = 9;
  const ring = new Uint32Array(81);
  for (let y = 1; y < 8; y++) for (let x = 1; x < 8; x++) ring[y * w + x] = x >= 3 && x <= 5 && y >= 3 && y <= 5 ? (x === 4 && y === 4 ? 2 : 0) : 1;
  const rm = { width: 9, height: 9, data: ring };
  const polys = segmentPolygons(rm, 1, { x: 1, y: 1, width: 7, height: 7 });
  assert.equal(polys.length, 1);
  assert.equal(polys[0]!.holes.length, 1);
  assert.ok(signedArea(polys[0]!.outer) > 0 && signedArea(polys[0]!.holes[0]!) < 0);
  assert.equal(signedArea(polys[0]!.outer) + signedArea(polys[0]!.holes[0]!), 40);
  assert.deepEqual(redraw(rm), ring);
  const cb = new Uint32Array(16).map((_, i) => ((i % 4) + Math.floor(i / 4)) % 2);
  assert.equal(segmentPolygons({ width: 4, height: 4, data: cb }, 1, { x: 0, y: 0, width: 4, height: 4 }).length, 1, '8-connected: one part');
  assert.deepEqual(redraw({ width: 4, height: 4, data: cb }), cb);
});

test('fillPolygon clips to the image and refuses non-finite coordinates', () => {
  const out = new Uint32Array(16);
  assert.equal(fillPolygon(out, 4, 4, [[-10, -10, 2, -10, 2, 2, -10, 2]], 7), 4);
  assert.deepEqual([...out.slice(0, 4)], [7, 7, 0, 0]);
  assert.throws(() => fillPolygon(out, 4, 4, [[0, 0, NaN, 1, 2, 2]], 1), /finite/);
});
