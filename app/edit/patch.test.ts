// Patch tests: stale-edit detection, combining, and binary decoding of damaged input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../types';
import {
  PatchDecodeError,
  PatchMismatchError,
  applyPatch,
  combinePatches,
  decodePatch,
  diffToPatch,
  encodePatch,
  invertPatch,
  patchPixelCount,
} from './patch';
import { cloneMap, prng, randInt, voronoiMap } from '../../test/support/edit-testkit';

function mapOf(width: number, rows: number[][]): LabelMap {
  return { width, height: rows.length, data: Uint32Array.from(rows.flat()) };
}

test('diffToPatch has a tight box and compact runs; apply forward/inverse', () => {
  const before = mapOf(5, [
    [0, 0, 0, 0, 0],
    [0, 1, 1, 2, 0],
    [0, 1, 1, 2, 0],
    [0, 0, 0, 0, 0],
  ]);
  const after = mapOf(5, [
    [0, 0, 0, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0],
  ]);
  const p = diffToPatch(before, after);
  assert.deepEqual(p.box, { x: 3, y: 1, width: 1, height: 2 });
  // The two changed pixels are contiguous in box order, so they are one run.
  assert.deepEqual([...p.runs], [0, 2, 2, 1]);
  assert.equal(patchPixelCount(p), 2);
  const m = cloneMap(before);
  applyPatch(m, p, 'forward');
  assert.deepEqual(m.data, after.data);
  applyPatch(m, p, 'inverse');
  assert.deepEqual(m.data, before.data);
});

test('applying a stale patch throws PatchMismatchError and leaves the map untouched', () => {
  const rng = prng(3);
  const before = voronoiMap(rng, 40, 30, 12, 0);
  const after = cloneMap(before);
  for (let i = 100; i < 400; i++) after.data[i] = 999;
  const p = diffToPatch(before, after);
  const m = cloneMap(after);
  assert.throws(() => applyPatch(m, p, 'forward'), PatchMismatchError);
  assert.deepEqual(m.data, after.data);
  // One pixel changed behind the patch's back, late in its runs: nothing may be written.
  const m2 = cloneMap(before);
  m2.data[390] = 7777;
  const snapshot = m2.data.slice();
  assert.throws(() => applyPatch(m2, p, 'forward'), /pixel \(\d+, \d+\) holds segment 7777/);
  assert.deepEqual(m2.data, snapshot);
  // A patch for a bigger image is refused.
  assert.throws(() => applyPatch({ width: 10, height: 10, data: new Uint32Array(100) }, p, 'forward'), PatchMismatchError);
});

test('combinePatches equals the diff from the first map to the last, and undoes in one step', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = prng(seed);
    const maps = [voronoiMap(rng, randInt(rng, 20, 50), randInt(rng, 20, 50), 6, 0.2)];
    const patches = [];
    for (let k = 0; k < 5; k++) {
      const next = cloneMap(maps[maps.length - 1]!);
      const x0 = randInt(rng, 0, next.width - 5);
      const y0 = randInt(rng, 0, next.height - 5);
      const v = rng() < 0.3 ? 0 : randInt(rng, 1, 20);
      for (let y = y0; y < Math.min(next.height, y0 + randInt(rng, 1, 15)); y++) {
        for (let x = x0; x < Math.min(next.width, x0 + randInt(rng, 1, 15)); x++) next.data[y * next.width + x] = v;
      }
      patches.push(diffToPatch(maps[maps.length - 1]!, next));
      maps.push(next);
    }
    const combined = patches.reduce((a, b) => combinePatches(a, b));
    assert.deepEqual(combined, diffToPatch(maps[0]!, maps[maps.length - 1]!), `seed ${seed}`);
    const m = cloneMap(maps[maps.length - 1]!);
    applyPatch(m, combined, 'inverse');
    assert.deepEqual(m.data, maps[0]!.data);
  }
});

test('combinePatches refuses patches that do not chain', () => {
  const a = mapOf(3, [[1, 1, 1]]);
  const b = mapOf(3, [[1, 2, 1]]);
  const c = mapOf(3, [[1, 3, 1]]);
  const p1 = diffToPatch(a, b);
  const p2 = diffToPatch(a, c); // expects 1 where p1 leaves 2
  assert.throws(() => combinePatches(p1, p2), /do not chain/);
});

test('encode/decode round-trips, including empty patches and ids near 2^32', () => {
  const before = mapOf(4, [
    [0, 0xffffffff, 5, 5],
    [7, 7, 0, 0],
  ]);
  const after = mapOf(4, [
    [0xfffffffe, 0, 6, 5],
    [7, 8, 8, 8],
  ]);
  const p = diffToPatch(before, after);
  assert.deepEqual(decodePatch(encodePatch(p)), p);
  assert.deepEqual(decodePatch(encodePatch(invertPatch(p))), invertPatch(p));
  const empty = diffToPatch(before, before);
  assert.deepEqual(decodePatch(encodePatch(empty)), empty);
});

test('decodePatch rejects truncated, corrupted and foreign bytes without hanging', () => {
  const rng = prng(11);
  const before = voronoiMap(rng, 60, 40, 10, 0.1);
  const after = cloneMap(before);
  for (let i = 0; i < after.data.length; i += 7) after.data[i] = 3;
  const bytes = encodePatch(diffToPatch(before, after));
  assert.ok(bytes.length > 100);
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodePatch(bytes.subarray(0, n)), PatchDecodeError, `prefix of ${n} bytes`);
  }
  for (let k = 0; k < 300; k++) {
    const bad = bytes.slice();
    const at = randInt(rng, 0, bad.length - 1);
    bad[at] = bad[at]! ^ (1 << randInt(rng, 0, 7));
    assert.throws(() => decodePatch(bad), PatchDecodeError, `bit flip at ${at}`);
  }
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  assert.throws(() => decodePatch(longer), PatchDecodeError);
  assert.throws(() => decodePatch(new TextEncoder().encode('{"not":"a patch"}')), PatchDecodeError);
  for (let k = 0; k < 200; k++) {
    const junk = new Uint8Array(randInt(rng, 0, 64)).map(() => randInt(rng, 0, 255));
    junk.set([0x47, 0x4c, 0x50, 0x54, 1].slice(0, junk.length));
    assert.throws(() => decodePatch(junk), PatchDecodeError);
  }
});
