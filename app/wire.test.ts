import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, decodeMessage } from './wire';

test('typed arrays cross the wire as binary and come back with their type and values', () => {
  const labels = Uint32Array.from([0, 1, 2, 4294967295]);
  const px16 = Uint16Array.from([0, 65535, 1234]);
  const f32 = Float32Array.from([0.5, -1.25]);
  const bytes = Uint8Array.from([1, 2, 3]);
  const frame = encodeMessage({ t: 'reply', id: 7, reply: { ok: true, value: { labels, px16, f32, bytes, name: 'x' } } });
  // Binary, not JSON numbers: a large array costs its byte size plus a small header.
  const big = new Uint32Array(100_000).map((_, i) => i * 40_000);
  const bigFrame = encodeMessage({ t: 'reply', id: 1, reply: { ok: true, value: big } });
  assert.ok(bigFrame.byteLength < big.byteLength + 64, `frame ${bigFrame.byteLength} bytes`);
  const back = decodeMessage(frame) as { reply: { value: Record<string, unknown> } };
  const v = back.reply.value;
  assert.ok(v.labels instanceof Uint32Array);
  assert.deepEqual(Array.from(v.labels as Uint32Array), Array.from(labels));
  assert.ok(v.px16 instanceof Uint16Array);
  assert.deepEqual(Array.from(v.px16 as Uint16Array), [0, 65535, 1234]);
  assert.deepEqual(Array.from(v.f32 as Float32Array), [0.5, -1.25]);
  assert.ok(v.bytes instanceof Uint8Array);
  assert.equal(v.name, 'x');
});

test('a truncated frame is an error, not a hang', () => {
  const frame = encodeMessage({ t: 'call', id: 1, method: 'images.list', args: { a: 'x'.repeat(100) } });
  assert.throws(() => decodeMessage(frame.subarray(0, 20)));
});
