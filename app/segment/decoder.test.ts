import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildDecoderPrompt, buildPointBatch, modelFrameSize, pickBestMask, toModelFrame } from './decoder';
import { batchPoints } from './prompts';

const reference = JSON.parse(readFileSync(new URL('./fixtures/sam_reference.json', import.meta.url), 'utf8')) as {
  modelFrame: { width: number; height: number; newWidth: number; newHeight: number; point: [number, number]; mapped: [number, number] }[];
};

test('model frame size: s = 1024 / long side, int(dim * s + 0.5)', () => {
  // 645 x 484: s = 1.5876; 484 * s = 768.4 -> 768.
  assert.deepEqual(modelFrameSize(645, 484), { width: 1024, height: 768, scale: 1024 / 645 });
  // 1000 x 333: s = 1.024; 333 * s = 340.99 -> 341.
  assert.equal(modelFrameSize(1000, 333).height, 341);
  assert.deepEqual(modelFrameSize(100, 50, 64), { width: 64, height: 32, scale: 0.64 });
});

test('toModelFrame matches ResizeLongestSide.apply_coords (numpy re-implementation)', () => {
  for (const f of reference.modelFrame) {
    const size = modelFrameSize(f.width, f.height);
    assert.deepEqual([size.width, size.height], [f.newWidth, f.newHeight]);
    const [p] = toModelFrame([{ x: f.point[0], y: f.point[1] }], f.width, f.height);
    assert.ok(Math.abs(p!.x - f.mapped[0]) < 1e-9 && Math.abs(p!.y - f.mapped[1]) < 1e-9, `${f.width}x${f.height}`);
  }
  // x and y scale separately: x * newW / W, y * newH / H.
  const [q] = toModelFrame([{ x: 645, y: 484 }], 645, 484);
  assert.deepEqual(q, { x: 1024, y: 768 });
});

test('decoder prompt without a box appends the padding point (0, 0) labelled -1', () => {
  const p = buildDecoderPrompt(
    [
      { x: 10, y: 20 },
      { x: 30, y: 40 },
    ],
    [1, 0],
  );
  assert.equal(p.count, 3);
  assert.deepEqual(Array.from(p.coords), [10, 20, 30, 40, 0, 0]);
  assert.deepEqual(Array.from(p.labels), [1, 0, -1]);
  assert.ok(p.coords instanceof Float32Array && p.labels instanceof Float32Array, 'float32 tensors');
});

test('decoder prompt with a box adds its corners labelled 2 and 3 and no padding', () => {
  const p = buildDecoderPrompt([{ x: 5, y: 6 }], [1], { x: 10, y: 20, width: 30, height: 40 });
  assert.deepEqual(Array.from(p.coords), [5, 6, 10, 20, 39, 59]);
  assert.deepEqual(Array.from(p.labels), [1, 2, 3]);
  const boxOnly = buildDecoderPrompt([], [], { x: 0, y: 0, width: 2, height: 2 });
  assert.deepEqual(Array.from(boxOnly.labels), [2, 3]);
});

test('decoder prompt maps every point but the padding into the model frame', () => {
  const frame = { origWidth: 2048, origHeight: 1024 }; // s = 0.5, frame 1024 x 512
  const p = buildDecoderPrompt([{ x: 100, y: 300 }], [1], undefined, frame);
  assert.deepEqual(Array.from(p.coords), [50, 150, 0, 0]);
  const b = buildDecoderPrompt([], [], { x: 200, y: 100, width: 401, height: 201 }, frame);
  assert.deepEqual(Array.from(b.coords), [100, 50, 300, 150]);
  assert.throws(() => buildDecoderPrompt([{ x: 1, y: 1 }], [1, 0]), /1 points but 2 labels/);
});

test('point batch: one foreground point plus padding per prompt', () => {
  const b = buildPointBatch(
    [
      { x: 1, y: 2 },
      { x: 3, y: 4 },
    ],
    { origWidth: 512, origHeight: 256 },
  );
  assert.equal(b.count, 2);
  assert.deepEqual(Array.from(b.coords), [2, 4, 0, 0, 6, 8, 0, 0]);
  assert.deepEqual(Array.from(b.labels), [1, -1, 1, -1]);
});

test('pickBestMask returns the index of the highest predicted IoU (first on ties)', () => {
  assert.equal(pickBestMask(Float32Array.from([0.5, 0.9, 0.7])), 1);
  assert.equal(pickBestMask([0.8, 0.8, 0.1]), 0);
  assert.equal(pickBestMask([]), -1);
});

test('batchPoints splits into chunks of at most batchSize', () => {
  const pts = Array.from({ length: 10 }, (_, i) => ({ x: i, y: i }));
  const b = batchPoints(pts, 4);
  assert.deepEqual(b.map((c) => c.length), [4, 4, 2]);
  assert.deepEqual(b.flat(), pts);
  assert.deepEqual(batchPoints([], 4), []);
  assert.deepEqual(batchPoints(pts, 0).length, 10, 'a batch holds at least one point');
});
