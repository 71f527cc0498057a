// A large image's selected segment is marked tile by tile from the fetched label tile: its samples
// filled, its border opaque, nothing for a tile without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tileHighlight } from '../../renderer/viewer/remote-highlight';

test('a segment on a label tile: inside filled, border outlined, other ids and empty tiles untouched', () => {
  // 6 x 5 tile: segment 7 is the 4 x 3 block at (1..4, 1..3), segment 2 fills column 5.
  const W = 6;
  const H = 5;
  const data = new Uint32Array(W * H);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 4; x++) data[y * W + x] = 7;
  for (let y = 0; y < H; y++) data[y * W + 5] = 2;
  const FILL = 1;
  const EDGE = 9;
  const px = tileHighlight(data, W, H, 7, FILL, EDGE)!;
  const rows: string[] = [];
  for (let y = 0; y < H; y++) rows.push([...px.subarray(y * W, y * W + W)].join(''));
  assert.deepEqual(rows, ['000000', '099990', '091190', '099990', '000000']);
  assert.equal(tileHighlight(data, W, H, 3, FILL, EDGE), null, 'an id not in the tile marks nothing');
  // A segment filling the tile has no border inside it (its edge is another tile's business).
  assert.ok(tileHighlight(new Uint32Array(16).fill(4), 4, 4, 4, FILL, EDGE)!.every((v) => v === FILL));
});
