// Tiled SAM (cropLayers 'tiles') end to end on the tiny SAM-signature models: the encoder runs per
// 1024 x 1024 crop, each crop is prompted, masks cut by an inner crop edge are dropped where another
// crop holds them whole and stitched from their pieces where none does, NMS across crops keeps one
// copy, one label map comes out. The tiny
// model is not SAM (a mask = the 16 px cells of the prompted colour), so this checks the tiling
// mechanics, not mask quality.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SamAutoOptionsSchema } from '../../app/contract/sam';
import type { Box, RasterImage } from '../../app/types';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { SamEngine } from '../sam/engine';
import { planCrops, samAutoSegment, type SamAutoBackend } from './sam-auto';

const W = 2048;
const H = 1536;
// Crops start at x = 0, 512, 1024 and y = 0, 512 (1024 px each, overlapping by >= 348 px).
const S = 160;
// The tiny model tells colours apart when a channel differs by 230 (its features follow the channels
// with positive gains); a colour is used twice only by objects that never share a crop.
const OBJECTS: { box: Box; colour: [number, number, number]; why: string }[] = [
  { box: { x: 96, y: 96, width: S, height: S }, colour: [230, 0, 0], why: 'only in the top-left crop' },
  { box: { x: 1792, y: 96, width: S, height: S }, colour: [0, 230, 0], why: 'only in the top-right crop' },
  { box: { x: 96, y: 1280, width: S, height: S }, colour: [0, 0, 230], why: 'only in the bottom-left crop' },
  { box: { x: 1792, y: 1280, width: S, height: S }, colour: [230, 0, 0], why: 'only in the bottom-right crop' },
  { box: { x: 944, y: 176, width: S, height: S }, colour: [230, 230, 0], why: 'on the edge x = 1024 of two crops: whole only in the top-middle crop' },
  { box: { x: 944, y: 1232, width: S, height: S }, colour: [0, 230, 230], why: 'on the edge x = 1024 of two crops: whole only in the bottom-middle crop' },
  { box: { x: 176, y: 944, width: S, height: S }, colour: [230, 0, 230], why: 'on the edge y = 1024 of the top-left crop: whole in the bottom-left one' },
  { box: { x: 1808, y: 432, width: S, height: S }, colour: [230, 230, 230], why: 'on the edge y = 512 of the bottom-right crop: whole in the top-right one' },
  { box: { x: 576, y: 576, width: S, height: S }, colour: [0, 230, 0], why: 'whole in four overlapping crops' },
];

function image(): RasterImage {
  const data = new Uint8Array(W * H * 3);
  for (const o of OBJECTS) for (let y = o.box.y; y < o.box.y + o.box.height; y++) for (let x = o.box.x; x < o.box.x + o.box.width; x++) data.set(o.colour, (y * W + x) * 3);
  return { width: W, height: H, channels: 3, bitDepth: 8, data };
}

let dir = '';
let engine: SamEngine;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grainlab-sam-tiles-'));
  const models = buildTinySamModels(dir);
  engine = await SamEngine.load({ encoder: models.encoderNchw, decoder: models.decoder }, { threads: 1 });
});
after(async () => {
  await engine?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function backend(): SamAutoBackend & { encoded: Box[]; sizes: string[] } {
  const handles = new Map<string, Awaited<ReturnType<SamEngine['embed']>>>();
  const self = {
    encoded: [] as Box[],
    sizes: [] as string[],
    async embed(crop: { box: Box }, index: number, raster: RasterImage, preprocess: Parameters<SamEngine['embed']>[2]) {
      self.encoded.push(crop.box);
      self.sizes.push(`${raster.width}x${raster.height}`);
      const emb = await engine.embed(`tiles#${index}`, raster, preprocess);
      handles.set(emb.key, emb);
      return { handle: emb.key, encoded: emb.source === 'encoder', frame: engine.frameSize(emb.geometry) };
    },
    decode(handle: string, prompts: Parameters<SamEngine['decodeMany']>[1], options: Parameters<SamEngine['decodeMany']>[2]) {
      return engine.decodeMany(handles.get(handle)!, prompts, options);
    },
  };
  return self;
}

test('tiled SAM: 1024 px crops at full resolution, each object once, from every crop, unique ids', async () => {
  // The tiny model's logits are flat (distance in 16 px cells): a looser stability filter, as the SAM
  // benchmark uses. An 8 x 8 grid per crop (every 128 px) hits each 160 px object in every crop that
  // holds it whole, with few decodes (MatSAM's per-crop prompts are the default; the grid keeps this fast).
  const o = SamAutoOptionsSchema.parse({ cropLayers: 'tiles', maxCrops: 6, prompts: 'grid', pointsPerSide: 8, multimask: false, stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85 });
  const crops = planCrops(W, H, o);
  assert.deepEqual(crops.map((c) => `${c.box.x},${c.box.y} ${c.box.width}x${c.box.height}`), ['0,0 1024x1024', '512,0 1024x1024', '1024,0 1024x1024', '0,512 1024x1024', '512,512 1024x1024', '1024,512 1024x1024']);
  const b = backend();
  const { labels, run } = await samAutoSegment(image(), o, b);
  assert.equal(run.crops, 6);
  assert.equal(run.encoderRuns, 6);
  assert.deepEqual(b.sizes, Array(6).fill('1024x1024'), 'the encoder sees each crop at full resolution');
  assert.equal(run.decoderCalls, 6 * 64, 'the full grid on every crop');
  assert.equal(run.afterNms, OBJECTS.length, 'one whole mask per object survives the crop-edge filter and NMS across crops');

  let maxId = 0;
  for (const v of labels.data) if (v > maxId) maxId = v;
  const area = new Uint32Array(maxId + 1);
  for (const v of labels.data) area[v]!++;
  // The background is larger than any crop: every crop cuts it, so it comes back stitched from its pieces, as one segment.
  const inObject = new Uint8Array(W * H);
  for (const obj of OBJECTS) for (let y = obj.box.y; y < obj.box.y + obj.box.height; y++) inObject.fill(1, y * W + obj.box.x, y * W + obj.box.x + obj.box.width);
  const bgCount = new Uint32Array(maxId + 1);
  let bgPixels = 0;
  for (let i = 0; i < W * H; i++) {
    if (inObject[i]) continue;
    bgPixels++;
    bgCount[labels.data[i]!]!++;
  }
  const bg = bgCount.indexOf(Math.max(...bgCount.subarray(1)), 1);
  assert.ok(bg > 0 && bgCount[bg]! >= 0.95 * bgPixels, `the background is one segment (${bgCount[bg]} of ${bgPixels} px)`);
  assert.equal(run.stitched, 1, 'one object stitched across crops: the background');

  const seen = new Set<number>([bg]);
  for (const obj of OBJECTS) {
    const inside = new Map<number, number>();
    for (let y = obj.box.y; y < obj.box.y + obj.box.height; y++) {
      for (let x = obj.box.x; x < obj.box.x + obj.box.width; x++) {
        const v = labels.data[y * W + x]!;
        inside.set(v, (inside.get(v) ?? 0) + 1);
      }
    }
    // One segment of its own covers the object (the tiny model's 16 px cells blur its outline; the background may reach in a little).
    const ids = [...inside.keys()].filter((v) => v !== 0 && v !== bg);
    assert.equal(ids.length, 1, `${obj.why}: one segment (ids ${[...inside.entries()].map(([k, n]) => `${k}:${n}`).join(', ')})`);
    const id = ids[0]!;
    const px = obj.box.width * obj.box.height;
    assert.ok(inside.get(id)! >= 0.85 * px, `${obj.why}: covered (${inside.get(id)} of ${px} px)`);
    assert.ok((inside.get(bg) ?? 0) <= 0.05 * px, `${obj.why}: the background reaches in by ${inside.get(bg) ?? 0} px only`);
    assert.equal(area[id], inside.get(id), `${obj.why}: its segment holds nothing else`);
    assert.ok(!seen.has(id), `${obj.why}: an id of its own`);
    seen.add(id);
  }
  assert.equal(run.segments, OBJECTS.length + 1, 'the objects and the background, nothing else');
  assert.equal(maxId, OBJECTS.length + 1, 'ids are consecutive');
});

test('tiled SAM: small images are encoded whole; too many tiles are refused with what to do', () => {
  const o = SamAutoOptionsSchema.parse({ cropLayers: 'tiles' });
  assert.deepEqual(planCrops(1536, 1200, o).map((c) => c.layer), [0]);
  assert.equal(planCrops(2048, 1536, o).length, 6);
  assert.throws(() => planCrops(8192, 8192, o, 'big.tif'), /big\.tif \(8192x8192 px\) needs 144 SAM tiles.*Raise maxCrops to 144/);
});
