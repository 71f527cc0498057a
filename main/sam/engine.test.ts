// End-to-end tests of the SAM engine (worker, sessions, caches) on the tiny SAM-signature models that
// scripts/build-tiny-sam.ts writes into a temp folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import { buildTinySamModels, TINY_DECODER_IOU, type TinySamModelPaths } from '../../scripts/build-tiny-sam';
import { MemoryEmbeddingStore } from './cache';
import { SamEngine, type SamDecodeResult } from './engine';
import { promptTensors, SamRuntime } from './runtime';

const W = 800;
const H = 600;
// Bright square on a dark background, in image pixels.
const SQ = { x0: 250, y0: 150, x1: 500, y1: 400 };
const inSquare = (x: number, y: number) => x >= SQ.x0 && x < SQ.x1 && y >= SQ.y0 && y < SQ.y1;

function squareImage(): RasterImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(inSquare(x, y) ? 220 : 20, (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { width: W, height: H, channels: 3, bitDepth: 8, data };
}

/** IoU of candidate `i` of a decode result (logit > 0 or byte 1) with a reference region. */
function iouWith(r: SamDecodeResult, i: number, region: (x: number, y: number) => boolean): number {
  let inter = 0;
  let union = 0;
  const plane = r.width * r.height;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const m = r.masks[i * plane + y * r.width + x]! > 0;
      const g = region(x, y);
      if (m && g) inter++;
      if (m || g) union++;
    }
  }
  return union === 0 ? 0 : inter / union;
}

let dir = '';
let models: TinySamModelPaths;
let nchw: SamEngine;
const store = new MemoryEmbeddingStore();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grainlab-sam-'));
  models = buildTinySamModels(dir);
  // Room for one embedding in memory, so the store is exercised.
  nchw = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder }, { threads: 1, store, cacheBytes: 4 * 1024 * 1024 });
});
after(async () => {
  await nchw?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('tiny models stay under 2 MB', () => {
  for (const p of Object.values(models)) assert.ok(readFileSync(p).length < 2 * 1024 * 1024, p);
});

test('a click inside the bright square returns the square; a click outside returns the background', async () => {
  assert.equal(nchw.info.encoder.convention, 'nchw-normalized');
  assert.equal(nchw.info.decoder.maskCount, 3);
  const emb = await nchw.embed('square-img', squareImage());
  assert.equal(emb.source, 'encoder');
  assert.deepEqual(emb.geometry, { imageWidth: W, imageHeight: H, resizedWidth: 1024, resizedHeight: 768 });

  const inside = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 1 }] });
  assert.equal(inside.output, 'logits');
  assert.equal(inside.count, 3);
  assert.deepEqual([inside.width, inside.height], [W, H]);
  assert.equal(inside.lowRes!.length, 3 * 256 * 256);
  assert.ok(iouWith(inside, 1, inSquare) > 0.8, `IoU ${iouWith(inside, 1, inSquare)}`);

  const outside = await nchw.decode(emb, { points: [{ x: 100, y: 500, label: 1 }] }, { best: true, output: 'binary' });
  assert.equal(outside.output, 'binary');
  assert.equal(outside.count, 1);
  assert.deepEqual(outside.indices, [TINY_DECODER_IOU.indexOf(Math.max(...TINY_DECODER_IOU))]);
  assert.equal(outside.masks.length, W * H);
  const background = (x: number, y: number) => !inSquare(x, y);
  assert.ok(iouWith(outside, 0, background) > 0.8, `IoU ${iouWith(outside, 0, background)}`);
  assert.ok(iouWith(outside, 0, inSquare) < 0.05);
});

test('a low-contrast 16-bit grey image is windowed so the click still finds the square', async () => {
  const data = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = inSquare(x, y) ? 1040 : 1000;
  const emb = await nchw.embed('grey16-img', { width: W, height: H, channels: 1, bitDepth: 16, data });
  const r = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true, output: 'binary' });
  assert.ok(iouWith(r, 0, inSquare) > 0.8, `IoU ${iouWith(r, 0, inSquare)}`);
  // Without the window (full 16-bit range) the two levels are nearly the same colour to the model.
  const flat = await nchw.embed('grey16-img', { width: W, height: H, channels: 1, bitDepth: 16, data }, { window: 'full' });
  assert.notEqual(flat.key, emb.key);
  const f = await nchw.decode(flat, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true, output: 'binary' });
  assert.ok(iouWith(f, 0, inSquare) < 0.5, `IoU ${iouWith(f, 0, inSquare)}`);
});

test("resolution 'frame' returns masks at the resized size", async () => {
  const emb = await nchw.embed('square-img', squareImage());
  const r = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true, resolution: 'frame' });
  assert.deepEqual([r.width, r.height], [1024, 768]);
  const s = 1024 / W;
  assert.ok(iouWith(r, 0, (x, y) => inSquare(x / s, y / s)) > 0.8);
});

test('a negative click inverts the mask; a previous low-res mask changes the result', async () => {
  const emb = await nchw.embed('square-img', squareImage());
  assert.equal(emb.source, 'memory');
  const neg = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 0 }] }, { best: true });
  assert.ok(iouWith(neg, 0, (x, y) => !inSquare(x, y)) > 0.8);
  const first = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true });
  // Refine with a strongly negative prior: the tiny decoder adds the pooled mask_input to its logits.
  const prior = new Float32Array(256 * 256).fill(-100);
  const refined = await nchw.decode(emb, { points: [{ x: 370, y: 260, label: 1 }], maskInput: prior }, { best: true });
  const count = (r: SamDecodeResult) => {
    let n = 0;
    for (let i = 0; i < r.masks.length; i++) if (r.masks[i]! > 0) n++;
    return n;
  };
  assert.ok(count(first) > 10_000);
  assert.equal(count(refined), 0);
});

test('both encoder conventions load through the same path and give the same embedding', async () => {
  const hwc = await SamEngine.load({ encoder: models.encoderHwc, decoder: models.decoder }, { threads: 1, workerEmbeddings: 1 });
  try {
    assert.equal(hwc.info.encoder.convention, 'hwc-0-255');
    assert.equal(hwc.info.encoder.fixedSize, null);
    const a = await nchw.embed('square-img', squareImage());
    const b = await hwc.embed('square-img', squareImage());
    assert.notEqual(a.key, b.key, 'different encoder files, different cache keys');
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
    assert.ok(worst < 1e-4, `max difference ${worst}`);
    // The worker holds one embedding: decoding the first image after a second one resends it.
    const other = squareImage();
    other.data.fill(20);
    await hwc.embed('dark-img', other);
    const r = await hwc.decode(b, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true });
    assert.ok(iouWith(r, 0, inSquare) > 0.8);
  } finally {
    await hwc.dispose();
  }
});

test('embeddings come back from the persistent store; the raster can be transferred', async () => {
  const raster = squareImage();
  raster.data.fill(120, 0, W * 3 * 10); // a different image
  const fresh = await nchw.embed('striped-img', raster, { transferRaster: true });
  assert.equal(fresh.source, 'encoder');
  assert.equal(raster.data.length, 0, 'buffer moved to the worker, not copied');
  assert.ok(store.entries.has(fresh.key));
  // The in-memory LRU holds one embedding here; the square image's pushed the striped one out.
  await nchw.embed('square-img', squareImage());
  const cached = await nchw.cachedEmbedding('striped-img', W, H);
  assert.equal(cached?.source, 'store');
  assert.deepEqual(cached.data, fresh.data);
  assert.equal(await nchw.cachedEmbedding('never-seen', W, H), undefined);
  const r = await nchw.decode(cached, { box: { x: 250, y: 150, width: 250, height: 250 }, points: [{ x: 370, y: 260, label: 1 }] });
  assert.equal(r.count, 3);
});

test('a decoder of no supported family is refused with expected vs found inputs', async () => {
  await assert.rejects(SamRuntime.load({ encoder: models.encoderNchw, decoder: models.foreignDecoder }, { threads: 1 }), (e: unknown) => {
    assert.ok(e instanceof ServiceError, String(e));
    assert.equal(e.code, 'model');
    assert.equal(e.file, models.foreignDecoder);
    assert.match(e.message, /missing inputs mask_input, has_mask_input, orig_im_size/);
    assert.match(e.message, /SAM \(Meta decoder\): inputs image_embeddings \[1,256,64,64\], point_coords/);
    assert.match(e.message, /Found inputs: image_features_0 float32 \[1,32,256,256\]/);
    return true;
  });
});

test('errors raised in the worker arrive as typed errors', async () => {
  const emb = await nchw.embed('square-img', squareImage());
  await assert.rejects(nchw.decode(emb, { points: [] }), (e: unknown) => e instanceof ServiceError && e.code === 'invalid-argument' && /at least one point/.test(e.message));
  await assert.rejects(nchw.decode(emb, { points: [{ x: 1, y: 1, label: 1 }], maskInput: new Float32Array(10) }), /256x256/);
});

test('a truncated or garbage .onnx gives an error naming the file', async () => {
  const truncated = join(dir, 'truncated.encoder.onnx');
  writeFileSync(truncated, readFileSync(models.encoderNchw).subarray(0, 1500));
  await assert.rejects(SamRuntime.load({ encoder: truncated, decoder: models.decoder }, { providers: ['cpu'] }), (e: unknown) => {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.file, truncated);
    assert.match(e.message, /"truncated\.encoder\.onnx": the file is not a valid ONNX model/);
    return true;
  });
  const garbage = join(dir, 'garbage.decoder.onnx');
  writeFileSync(garbage, 'this is not a model');
  await assert.rejects(SamRuntime.load({ encoder: models.encoderNchw, decoder: garbage }, { providers: ['cpu'] }), /SAM decoder model "garbage\.decoder\.onnx"/);
  await assert.rejects(SamRuntime.load({ encoder: join(dir, 'absent.onnx'), decoder: models.decoder }), (e: unknown) => e instanceof ServiceError && e.code === 'not-found');
});

test('a CUDA request on a machine without CUDA falls back to CPU and says why', async () => {
  const rt = await SamRuntime.load({ encoder: models.encoderNchw, decoder: models.decoder }, { providers: ['cuda'], threads: 1 });
  try {
    const p = rt.info.encoder.provider;
    if (p.provider === 'cpu') {
      assert.deepEqual(p.attempts.map((a) => [a.provider, a.ok]), [['cuda', false], ['cpu', true]]);
      assert.match(p.reason, /^cpu: cuda unavailable \(.+\)$/);
    } else {
      assert.equal(p.provider, 'cuda');
    }
  } finally {
    await rt.release();
  }
  assert.match(nchw.doctor().summary, /^SAM runs on (cpu|cuda)/);
});

test('prompt tensors: image to model frame, box corners, padding point', () => {
  const g = { imageWidth: 800, imageHeight: 600, resizedWidth: 1024, resizedHeight: 768 };
  const p = promptTensors({ points: [{ x: 100, y: 50, label: 1 }] }, g);
  assert.deepEqual([...p.coords], [128, 64, 0, 0]);
  assert.deepEqual([...p.labels], [1, -1]);
  const b = promptTensors({ box: { x: 10, y: 20, width: 11, height: 21 } }, g);
  assert.deepEqual([...b.coords], [12.8, 25.6, 25.6, 51.2].map(Math.fround));
  assert.deepEqual([...b.labels], [2, 3]);
  assert.deepEqual([...promptTensors({ points: [{ x: 5, y: 6, label: 0 }], frame: 'model' }, g).coords], [5, 6, 0, 0]);
  assert.throws(() => promptTensors({}, g), /at least one point or a box/);
  assert.throws(() => promptTensors({ points: [{ x: Number.NaN, y: 0, label: 1 }] }, g), /invalid/);
});
