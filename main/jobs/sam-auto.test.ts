// The SAM auto-segmentation pipeline with a fast fake decoder (a mask = the pixels of the clicked
// colour), so prompt counts, filters, crops and assembly are checked without model time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SamAutoOptionsSchema, type SamAutoOptions } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import type { Box, LabelMap, RasterImage } from '../../app/types';
import { frameGeometry } from '../sam/preprocess';
import type { SamDecodeResult } from '../sam/runtime';
import { autoCropLayers, cropRaster, planCrops, samAutoSegment, type SamAutoBackend } from './sam-auto';

const COLOURS = [
  [220, 30, 30],
  [30, 220, 30],
  [30, 30, 220],
  [220, 220, 30],
  [30, 220, 220],
  [220, 30, 220],
];

/** Coloured squares of side `side` on black, laid out in a 3x2 grid; returns the image and the squares. */
function squares(width: number, height: number, side: number): { raster: RasterImage; boxes: Box[] } {
  const data = new Uint8Array(width * height * 3);
  const boxes: Box[] = [];
  COLOURS.forEach((c, k) => {
    const x0 = Math.round(((k % 3) + 0.5) * (width / 3) - side / 2);
    const y0 = Math.round((Math.floor(k / 3) + 0.5) * (height / 2) - side / 2);
    boxes.push({ x: x0, y: y0, width: side, height: side });
    for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) data.set(c, (y * width + x) * 3);
  });
  return { raster: { width, height, channels: 3, bitDepth: 8, data }, boxes };
}

/** Decoder stand-in: candidate 1 (IoU 0.95) = pixels of the clicked colour (+4 / -4 logits); 0 and 2 score low. */
function fakeBackend(): SamAutoBackend & { decodes: number; embeds: number; crops: Box[] } {
  const rasters = new Map<string, RasterImage>();
  const self = {
    decodes: 0,
    embeds: 0,
    crops: [] as Box[],
    async embed(crop: { box: Box }, index: number, raster: RasterImage) {
      self.embeds++;
      self.crops.push(crop.box);
      rasters.set(String(index), raster);
      const g = frameGeometry(raster.width, raster.height);
      return { handle: String(index), encoded: true, frame: { width: g.resizedWidth, height: g.resizedHeight } };
    },
    async decode(handle: string, prompts: { points?: readonly { x: number; y: number }[] }[], options: { resolution?: 'image' | 'frame'; best?: boolean }): Promise<SamDecodeResult[]> {
      const r = rasters.get(handle)!;
      const g = frameGeometry(r.width, r.height);
      const [w, h] = options.resolution === 'frame' ? [g.resizedWidth, g.resizedHeight] : [r.width, r.height];
      const col = Int32Array.from({ length: w }, (_, x) => Math.min(r.width - 1, Math.floor(((x + 0.5) * r.width) / w)));
      const k = options.best ? 1 : 3;
      return prompts.map((p) => {
        self.decodes++;
        const pt = p.points![0]!;
        const at = (Math.floor(pt.y) * r.width + Math.floor(pt.x)) * 3;
        const c0 = r.data[at]!, c1 = r.data[at + 1]!, c2 = r.data[at + 2]!;
        const plane = w * h;
        const target = k === 1 ? 0 : plane;
        const masks = new Float32Array(plane * k).fill(-4);
        for (let y = 0; y < h; y++) {
          const row = Math.min(r.height - 1, Math.floor(((y + 0.5) * r.height) / h)) * r.width;
          for (let x = 0; x < w; x++) {
            const i = (row + col[x]!) * 3;
            if (r.data[i] === c0 && r.data[i + 1] === c1 && r.data[i + 2] === c2) masks[target + y * w + x] = 4;
          }
        }
        const iou = k === 1 ? Float32Array.of(0.95) : Float32Array.of(0.5, 0.95, 0.6);
        return { output: 'logits', masks, width: w, height: h, count: k, iou, indices: k === 1 ? [1] : [0, 1, 2], lowRes: null, lowResExtent: { width: g.resizedWidth / 4, height: g.resizedHeight / 4 }, timing: { modelMs: 0, totalMs: 0 } };
      });
    },
  };
  return self;
}

function options(o: Partial<SamAutoOptions> = {}): SamAutoOptions {
  return SamAutoOptionsSchema.parse(o);
}

/** Best IoU of a box-shaped region with any segment of the label map. */
function bestIoU(labels: LabelMap, box: Box): number {
  let max = 0;
  for (const v of labels.data) if (v > max) max = v;
  const inside = new Uint32Array(max + 1);
  const total = new Uint32Array(max + 1);
  for (const v of labels.data) total[v]!++;
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) inside[labels.data[y * labels.width + x]!]!++;
  let best = 0;
  for (let id = 1; id <= max; id++) if (inside[id]! > 0) best = Math.max(best, inside[id]! / (box.width * box.height + total[id]! - inside[id]!));
  return best;
}

test('MatSAM needs at least 4x fewer decoder calls than the 32x32 grid; both find every square', async () => {
  const { raster, boxes } = squares(120, 90, 16);
  const grid = fakeBackend();
  const g = await samAutoSegment(raster, options({ prompts: 'grid' }), grid);
  const mat = fakeBackend();
  const m = await samAutoSegment(raster, options({ prompts: 'matsam' }), mat);
  assert.equal(g.run.decoderCalls, 1024);
  assert.equal(grid.decodes, 1024);
  assert.equal(m.run.decoderCalls, mat.decodes);
  assert.ok(m.run.decoderCalls * 4 <= g.run.decoderCalls, `matsam ${m.run.decoderCalls} vs grid ${g.run.decoderCalls}`);
  assert.ok(m.run.matsam !== undefined && m.run.matsam.regionPoints >= boxes.length);
  for (const r of [g, m]) {
    assert.equal(r.run.crops, 1);
    assert.equal(r.run.masks, 3 * r.run.decoderCalls, 'three candidates per prompt');
    assert.equal(r.run.filtered, r.run.decoderCalls, 'only the 0.95 candidate passes the 0.88 IoU filter');
    assert.equal(r.run.segments, boxes.length + 1, 'six squares and the background');
    for (const b of boxes) assert.ok(bestIoU(r.labels, b) > 0.99, `square at ${b.x},${b.y}`);
  }
});

test('filters: a predicted-IoU threshold above every score keeps nothing; single-mask mode decodes one candidate per prompt', async () => {
  const { raster } = squares(120, 90, 20);
  const none = await samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 4, predIouThresh: 0.99 }), fakeBackend());
  assert.equal(none.run.filtered, 0);
  assert.equal(none.labels.data.some((v) => v !== 0), false);
  const single = fakeBackend();
  const one = await samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 4, multimask: false }), single);
  assert.equal(one.run.masks, one.run.decoderCalls);
  // minArea above the squares' area keeps only the background: the squares become gaps, which fillGaps closes.
  const gaps = await samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 8, minArea: 500 }), fakeBackend());
  assert.ok(gaps.labels.data.some((v) => v === 0));
  const filled = await samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 8, minArea: 500, fillGaps: true }), fakeBackend());
  assert.equal(filled.labels.data.some((v) => v === 0), false, 'no gaps');
  assert.equal(filled.run.segments, gaps.run.segments);
  assert.ok(one.run.segments > 0);
});

test('crops: auto layers grow with the image; the budget refuses with what to do', () => {
  const o = options();
  assert.equal(autoCropLayers(1000, 800), 0);
  assert.equal(autoCropLayers(2048, 1500), 0);
  assert.equal(autoCropLayers(3000, 2000), 1);
  assert.equal(autoCropLayers(4096, 4096), 1);
  assert.equal(planCrops(3000, 2000, o).length, 5);
  assert.equal(planCrops(8192, 8192, o).length, 21);
  assert.throws(
    () => planCrops(12000, 9000, o, 'big.tif'),
    (e: unknown) => e instanceof ServiceError && e.code === 'too-large' && /big\.tif \(12000x9000 px\) needs 85 SAM crops/.test(e.message) && /cropLayers to 2/.test(e.message),
  );
  assert.equal(planCrops(12000, 9000, options({ maxCrops: 85 })).length, 85);
  assert.equal(planCrops(12000, 9000, options({ cropLayers: 2 })).length, 21);
  const r = cropRaster(squares(30, 20, 6).raster, { x: 5, y: 4, width: 7, height: 3 });
  assert.deepEqual([r.width, r.height, r.data.length], [7, 3, 63]);
});

test('large image: frame-resolution masks upsampled per box match the squares; crop layers run and inner-edge masks are dropped', async () => {
  const { raster, boxes } = squares(2200, 1300, 260);
  const b = fakeBackend();
  const r = await samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 4, multimask: false }), b);
  assert.equal(r.run.crops, 5);
  assert.equal(b.embeds, 5);
  assert.equal(r.run.decoderCalls, 16 + 4 * 4, '4x4 on the whole image, 2x2 per layer-1 crop');
  assert.deepEqual(b.crops[0], { x: 0, y: 0, width: 2200, height: 1300 });
  for (const box of boxes) assert.ok(bestIoU(r.labels, box) > 0.98, `square at ${box.x},${box.y}: ${bestIoU(r.labels, box)}`);
  // The background mask of a layer-1 crop touches that crop's inner edges: dropped, so only the
  // whole-image background survives NMS (one segment per square plus one background).
  assert.equal(r.run.segments, boxes.length + 1);
});

test('cancellation stops between batches with a cancelled error', async () => {
  const { raster } = squares(120, 90, 20);
  let calls = 0;
  await assert.rejects(
    samAutoSegment(raster, options({ prompts: 'grid', pointsPerSide: 16, batchSize: 8 }), fakeBackend(), { progress: () => calls++, isCancelled: () => calls > 3 }),
    (e: unknown) => e instanceof ServiceError && e.code === 'cancelled',
  );
});
