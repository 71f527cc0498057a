import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { compressLabels, decompressLabels } from './labels-codec';

test('label maps round-trip through the checkpoint codec, including noisy ones', async () => {
  const blocks = new Uint32Array(300 * 200).map((_, i) => 1 + Math.floor((i % 300) / 37) + 9 * Math.floor(i / 300 / 50));
  const noise = new Uint32Array(5000).map((_, i) => (i * 2654435761) >>> 20);
  for (const m of [blocks, noise, new Uint32Array(10), new Uint32Array(0)]) {
    assert.deepEqual(await decompressLabels(await compressLabels(m), m.length), m);
  }
  assert.ok((await compressLabels(blocks)).byteLength < 2000, 'block maps compress to little');
});

test('damaged checkpoints fail with a clear message; legacy plain-deflate checkpoints still load', async () => {
  const m = new Uint32Array(100).map((_, i) => i % 7);
  const c = await compressLabels(m);
  await assert.rejects(decompressLabels(c.subarray(0, c.length - 5), m.length), /damaged/);
  await assert.rejects(decompressLabels(c, m.length + 1), /damaged/);
  const legacy = deflateSync(new Uint8Array(m.buffer));
  assert.deepEqual(await decompressLabels(new Uint8Array(legacy), m.length), m);
});
