// End-to-end tests of the SAM engine with the tiny signature models of the other families
// (scripts/build-tiny-sam-families.ts): SAM 2 in both export forms, EfficientSAM and EdgeSAM. The image
// is not square, so a letterbox/stretch mix-up in the preprocessing or in the prompt coordinates moves
// the click off the square: clicks near its top and bottom edges must still find it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SamFamily } from '../../app/contract/sam';
import type { RasterImage } from '../../app/types';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { buildTinyFamilyModels, TINY_EDGESAM_SCORES, TINY_FAMILY_IOU, type TinyFamilyModelPaths } from '../../scripts/build-tiny-sam-families';
import { MemoryEmbeddingStore } from './cache';
import { SamEngine, type SamDecodeResult } from './engine';

const W = 800;
const H = 600;
const SQ = { x0: 250, y0: 150, x1: 500, y1: 400 };
const inSquare = (x: number, y: number) => x >= SQ.x0 && x < SQ.x1 && y >= SQ.y0 && y < SQ.y1;

function squareImage(side = { w: W, h: H }): RasterImage {
  const { w, h } = side;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(inSquare(x, y) ? 220 : 20, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, channels: 3, bitDepth: 8, data };
}

/** IoU of candidate `i` (logit > 0 or byte 1) with a region given in image pixels, at any mask resolution. */
function iouWith(r: SamDecodeResult, i: number, region: (x: number, y: number) => boolean): number {
  let inter = 0;
  let union = 0;
  const plane = r.width * r.height;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const m = r.masks[i * plane + y * r.width + x]! > 0;
      const g = region(((x + 0.5) * W) / r.width, ((y + 0.5) * H) / r.height);
      if (m && g) inter++;
      if (m || g) union++;
    }
  }
  return union === 0 ? 0 : inter / union;
}

let dir = '';
let m: TinyFamilyModelPaths;
const engines = new Map<string, SamEngine>();
const store = new MemoryEmbeddingStore();

const CASES: { name: string; family: SamFamily; files: () => { encoder: string; decoder: string }; candidates: number; best: number; layout: string }[] = [
  { name: 'SAM 2 (samexporter / X-AnyLabeling)', family: 'sam2', files: () => ({ encoder: m.sam2Encoder, decoder: m.sam2Decoder }), candidates: 3, best: TINY_FAMILY_IOU.indexOf(0.9), layout: 'stretch' },
  { name: 'SAM 2 with orig_im_size', family: 'sam2', files: () => ({ encoder: m.sam2Encoder, decoder: m.sam2DecoderOrigSize }), candidates: 3, best: TINY_FAMILY_IOU.indexOf(0.9), layout: 'stretch' },
  { name: 'EfficientSAM', family: 'efficientsam', files: () => ({ encoder: m.efficientSamEncoder, decoder: m.efficientSamDecoder }), candidates: 3, best: TINY_FAMILY_IOU.indexOf(0.9), layout: 'stretch' },
  { name: 'EdgeSAM', family: 'edgesam', files: () => ({ encoder: m.edgeSamEncoder, decoder: m.edgeSamDecoder }), candidates: 4, best: TINY_EDGESAM_SCORES.indexOf(0.9), layout: 'letterbox' },
];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grainlab-sam-families-'));
  m = buildTinyFamilyModels(dir);
  for (const c of CASES) engines.set(c.name, await SamEngine.load(c.files(), { threads: 1, store, workerEmbeddings: 1 }));
});
after(async () => {
  for (const e of engines.values()) await e.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('tiny family models stay under 2 MB', () => {
  for (const p of Object.values(m)) assert.ok(readFileSync(p).length < 2 * 1024 * 1024, p);
});

for (const c of CASES) {
  test(`${c.name}: recognised; clicks near the square's edges find it at image and frame resolution; outside finds the background`, async () => {
    const e = engines.get(c.name)!;
    assert.equal(e.info.family, c.family);
    assert.equal(e.info.layout, c.layout);
    assert.equal(e.info.decoder.maskCount, c.candidates);
    const emb = await e.embed('square', squareImage());
    assert.equal(emb.data.length, e.info.encoder.embeddingLength);
    for (const click of [{ x: 370, y: 170 }, { x: 370, y: 385 }, { x: 265, y: 260 }, { x: 485, y: 260 }]) {
      const all = await e.decode(emb, { points: [{ ...click, label: 1 }] });
      assert.equal(all.count, c.candidates);
      assert.deepEqual([all.width, all.height], [W, H]);
      assert.ok(iouWith(all, c.best, inSquare) > 0.8, `${JSON.stringify(click)}: IoU ${iouWith(all, c.best, inSquare)}`);
      const best = await e.decode(emb, { points: [{ ...click, label: 1 }] }, { best: true, resolution: 'frame', output: 'binary' });
      assert.deepEqual(best.indices, [c.best]);
      assert.deepEqual([best.width, best.height], c.layout === 'stretch' ? [256, 256] : [1024, 768]);
      assert.ok(iouWith(best, 0, inSquare) > 0.8, `frame ${JSON.stringify(click)}: IoU ${iouWith(best, 0, inSquare)}`);
      assert.equal(best.lowRes!.length, 256 * 256);
      assert.deepEqual(best.lowResExtent, c.layout === 'stretch' ? { width: 256, height: 256 } : { width: 256, height: 192 });
    }
    const outside = await e.decode(emb, { points: [{ x: 100, y: 500, label: 1 }] }, { best: true });
    assert.ok(iouWith(outside, 0, (x, y) => !inSquare(x, y)) > 0.8);
    const negative = await e.decode(emb, { points: [{ x: 370, y: 260, label: 0 }] }, { best: true });
    assert.ok(iouWith(negative, 0, (x, y) => !inSquare(x, y)) > 0.8);
    const box = await e.decode(emb, { box: { x: 260, y: 160, width: 230, height: 230 } }, { best: true });
    assert.ok(iouWith(box, 0, inSquare) > 0.8, 'a box prompt alone (its top-left corner lies on the square)');
  });
}

test('SAM 2: the three encoder outputs are packed image_embed first, in a cache key of their own, and come back from the store', async () => {
  const e = engines.get(CASES[0]!.name)!;
  assert.deepEqual(e.info.encoder.parts.map((p) => [p.name, p.dims.join('x')]), [
    ['image_embed', '1x256x64x64'],
    ['high_res_feats_0', '1x32x256x256'],
    ['high_res_feats_1', '1x64x128x128'],
  ]);
  assert.equal(e.info.encoder.embeddingLength, 1_048_576 + 2_097_152 + 1_048_576);
  // On a square image stretching equals letterboxing, and the tiny SAM 2 encoder's image_embed is the tiny
  // SAM encoder's embedding: the first part of the packed embedding must be exactly that.
  const sam = await SamEngine.load({ encoder: buildTinySamModels(join(dir, 'sam')).encoderNchw, decoder: join(dir, 'sam', 'tiny-sam.decoder.onnx') }, { threads: 1 });
  try {
    const square = squareImage({ w: 600, h: 600 });
    const a = await e.embed('sq600', square);
    const b = await sam.embed('sq600', squareImage({ w: 600, h: 600 }));
    let worst = 0;
    for (let i = 0; i < b.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
    assert.ok(worst < 1e-4, `max difference ${worst}`);
    assert.match(a.key, /\|image_embed\[1x256x64x64\]\+high_res_feats_0\[1x32x256x256\]\+high_res_feats_1\[1x64x128x128\]\|/);
    assert.doesNotMatch(b.key, /image_embed/, 'single-output keys keep their earlier form');
  } finally {
    await sam.dispose();
  }
  // The worker holds one embedding; the 16 MiB one comes back from the store and is sent along.
  const fresh = await e.embed('square-store', squareImage());
  assert.equal(store.entries.get(fresh.key)!.length, e.info.encoder.embeddingLength);
  await e.embed('other', squareImage({ w: 300, h: 200 }));
  const r = await e.decode(fresh, { points: [{ x: 370, y: 170, label: 1 }] }, { best: true });
  assert.ok(iouWith(r, 0, inSquare) > 0.8);
});

test('SAM 2 refines with a previous low-res mask; EfficientSAM and EdgeSAM have no mask input and ignore it', async () => {
  const prior = new Float32Array(256 * 256).fill(-100);
  const count = (r: SamDecodeResult) => {
    let n = 0;
    for (let i = 0; i < r.masks.length; i++) if (r.masks[i]! > 0) n++;
    return n;
  };
  for (const c of CASES) {
    const e = engines.get(c.name)!;
    const emb = await e.embed('square', squareImage());
    const plain = await e.decode(emb, { points: [{ x: 370, y: 260, label: 1 }] }, { best: true });
    const refined = await e.decode(emb, { points: [{ x: 370, y: 260, label: 1 }], maskInput: prior }, { best: true });
    assert.equal(e.info.decoder.takesMaskInput, c.family === 'sam2', c.name);
    if (c.family === 'sam2') assert.equal(count(refined), 0, c.name);
    else assert.equal(count(refined), count(plain), c.name);
  }
});
