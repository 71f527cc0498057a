import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Box } from '../types';
import {
  boxFromMask,
  boxIoU,
  candidateFromLogits,
  maskFromLogits,
  nmsAcrossCrops,
  nmsWithinCrops,
  nonMaxSuppression,
  stabilityScore,
  suppressDuplicates,
} from './masks';
import type { CandidateMask } from './types';

interface MaskCase {
  k: number;
  width: number;
  height: number;
  crop: [number, number, number, number];
  image: [number, number];
  stability: number;
  stabilityOffset2: number;
  area: number;
  box: [number, number, number, number] | null;
  nearCropEdge: boolean | null;
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/sam_reference.json', import.meta.url), 'utf8')) as {
  masks: MaskCase[];
  nms: { boxes: [number, number, number, number][]; scores: number[]; keep05: number[]; keep07: number[] };
};

/** The generator's logits (fixtures/gen_sam_reference.py, logits_map), as float32. */
function logitsMap(w: number, h: number, k: number): Float32Array {
  const [cx, cy] = [[20, 20], [60, 30], [45, 40], [70, 52], [30, 10]][k]!;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - cx!, y - cy!);
      const v = 6 - 0.5 * r + 1.5 * Math.sin(0.9 * x + 0.4 * y * (k + 1) + k);
      out[y * w + x] = Math.round(v * 8) / 8 + 1 / 16;
    }
  }
  return out;
}

const xyxy = (b: Box) => [b.x, b.y, b.x + b.width - 1, b.y + b.height - 1];
const fromXyxy = ([x0, y0, x1, y1]: number[]): Box => ({ x: x0!, y: y0!, width: x1! - x0! + 1, height: y1! - y0! + 1 });

test('stability score: hand-computed counts above +-offset', () => {
  // > 1: {1.5, 3}; > -1: {-0.5, 0.5, 1.5, 3}.
  assert.equal(stabilityScore(Float32Array.from([-2, -0.5, 0.5, 1.5, 3])), 2 / 4);
  // Threshold 1, offset 0.5: > 1.5: {3}; > 0.5: {1.5, 3} (0.5 itself is not above 0.5).
  assert.equal(stabilityScore(Float32Array.from([-2, -0.5, 0.5, 1.5, 3]), 1, 0.5), 1 / 2);
  assert.equal(stabilityScore(Float32Array.from([-5, -3])), 0, 'empty union gives 0');
  assert.equal(stabilityScore(Float32Array.from([4, 5])), 1);
});

test('stability score, area and box match the numpy re-implementation of SAM', () => {
  for (const c of reference.masks) {
    const logits = logitsMap(c.width, c.height, c.k);
    assert.ok(Math.abs(stabilityScore(logits) - c.stability) < 1e-12, `mask ${c.k} stability`);
    assert.ok(Math.abs(stabilityScore(logits, 0.5, 2) - c.stabilityOffset2) < 1e-12, `mask ${c.k} stability(0.5, 2)`);
    const m = maskFromLogits(logits, c.width, c.height);
    assert.equal(m.area, c.area);
    const imageBox = { ...m.box, x: m.box.x + c.crop[0], y: m.box.y + c.crop[1] };
    assert.deepEqual(xyxy(imageBox), c.box);
    const cand = candidateFromLogits(
      logits,
      0.99,
      { box: fromXyxy([c.crop[0], c.crop[1], c.crop[2] - 1, c.crop[3] - 1]), index: 1, imageWidth: c.image[0], imageHeight: c.image[1] },
      { stabilityScoreThresh: 0 },
    );
    assert.equal(cand === null, c.nearCropEdge, `mask ${c.k} crop-edge decision`);
    if (cand) {
      assert.deepEqual(xyxy(cand.box), c.box);
      assert.equal(cand.area, c.area);
      assert.ok(Math.abs(cand.stability - c.stability) < 1e-12, `mask ${c.k} candidate stability`);
    }
  }
});

test('boxFromMask uses inclusive pixel indices; empty mask gives null', () => {
  const w = 6, h = 5;
  const m = new Uint8Array(w * h);
  m[1 * w + 2] = 1;
  m[3 * w + 4] = 1;
  assert.deepEqual(boxFromMask(m, w, h), { x: 2, y: 1, width: 3, height: 3 });
  m.fill(0);
  m[4 * w + 5] = 1;
  assert.deepEqual(boxFromMask(m, w, h), { x: 5, y: 4, width: 1, height: 1 });
  assert.equal(boxFromMask(new Uint8Array(w * h), w, h), null);
});

test('maskFromLogits crops to the box (strictly above the threshold)', () => {
  const w = 5, h = 4;
  const logits = new Float32Array(w * h).fill(-3);
  logits[1 * w + 1] = 2;
  logits[2 * w + 3] = 0.5;
  logits[2 * w + 2] = 0; // exactly at the threshold: not in the mask
  const r = maskFromLogits(logits, w, h);
  assert.deepEqual(r.box, { x: 1, y: 1, width: 3, height: 2 });
  assert.deepEqual(Array.from(r.mask), [1, 0, 0, 0, 0, 1]);
  assert.equal(r.area, 2);
  const hi = maskFromLogits(logits, w, h, 1);
  assert.deepEqual(hi.box, { x: 1, y: 1, width: 1, height: 1 });
  assert.throws(() => maskFromLogits(new Float32Array(5), 3, 2), /5 logits for a 3x2 mask/);
  const empty = maskFromLogits(new Float32Array(6).fill(-1), 3, 2);
  assert.deepEqual(empty, { box: { x: 0, y: 0, width: 0, height: 0 }, mask: new Uint8Array(0), area: 0 });
});

test('candidateFromLogits applies SAM filters in order and maps the box to the image', () => {
  const w = 10, h = 8;
  const logits = new Float32Array(w * h).fill(-4);
  for (let y = 3; y <= 5; y++) for (let x = 4; x <= 7; x++) logits[y * w + x] = 4;
  const whole = { box: { x: 0, y: 0, width: w, height: h }, index: 0, imageWidth: w, imageHeight: h };
  const c = candidateFromLogits(logits, 0.9, whole, {}, { x: 5.5, y: 4.5 });
  assert.ok(c, 'a clean mask is a candidate');
  assert.deepEqual(c.box, { x: 4, y: 3, width: 4, height: 3 });
  assert.equal(c.mask.length, 12);
  assert.ok(c.mask.every((v) => v === 1), 'box-local mask is full');
  assert.equal(c.stability, 1);
  assert.deepEqual(c.point, { x: 5.5, y: 4.5 });
  // Predicted IoU must be strictly above 0.88.
  assert.equal(candidateFromLogits(logits, 0.88, whole), null);
  assert.ok(candidateFromLogits(logits, 0.88, whole, { predIouThresh: 0 }));
  // A soft mask: 12 pixels above 1, 28 above -1 -> stability 3/7 < 0.95.
  const soft = logits.slice();
  for (let y = 2; y <= 6; y++) for (let x = 4; x <= 7; x++) if (y === 2 || y === 6) soft[y * w + x] = 0.5;
  for (let y = 3; y <= 5; y++) soft[y * w + 8] = 0.5;
  for (let y = 3; y <= 5; y++) soft[y * w + 3] = 0.5;
  for (let i = 0; i < 2; i++) soft[i] = -0.5;
  assert.equal(stabilityScore(soft), 12 / 28);
  assert.equal(candidateFromLogits(soft, 0.95, whole), null);
  assert.ok(candidateFromLogits(soft, 0.95, whole, { stabilityScoreThresh: 0.4 }));
  // Same logits as a crop at (100, 50) of a 400 x 300 image: box moves, and since the crop's
  // left edge (x = 100) is within 20 px of the mask's left side (104) and is not an image edge,
  // the mask is dropped.
  const crop = { box: { x: 100, y: 50, width: w, height: h }, index: 3, imageWidth: 400, imageHeight: 300 };
  assert.equal(candidateFromLogits(logits, 0.9, crop), null);
  const kept = candidateFromLogits(logits, 0.9, crop, { cropEdgeTolerance: 2 });
  assert.ok(kept, 'kept with a 2 px tolerance');
  assert.deepEqual(kept.box, { x: 104, y: 53, width: 4, height: 3 });
  assert.equal(kept.cropIndex, 3);
  assert.throws(() => candidateFromLogits(new Float32Array(10), 0.99, whole), /10 logits for a 10x8 crop/);
  // An empty mask never becomes a candidate.
  assert.equal(candidateFromLogits(new Float32Array(w * h).fill(-1), 0.99, whole, { stabilityScoreThresh: 0 }), null);
});

test('box IoU follows torchvision on inclusive corners (area = (w-1)(h-1))', () => {
  // Corners (0,0)-(10,10) and (5,5)-(15,15): areas 100, overlap 25.
  assert.equal(boxIoU({ x: 0, y: 0, width: 11, height: 11 }, { x: 5, y: 5, width: 11, height: 11 }), 25 / 175);
  assert.equal(boxIoU({ x: 0, y: 0, width: 11, height: 11 }, { x: 0, y: 0, width: 11, height: 11 }), 1);
  assert.equal(boxIoU({ x: 0, y: 0, width: 5, height: 5 }, { x: 10, y: 0, width: 5, height: 5 }), 0);
  assert.equal(boxIoU({ x: 3, y: 3, width: 1, height: 1 }, { x: 3, y: 3, width: 1, height: 1 }), 0, 'zero-area boxes');
});

test('NMS: hand-computed greedy suppression by score with a strict IoU threshold', () => {
  const boxes = [
    { x: 0, y: 0, width: 11, height: 11 }, // A
    { x: 1, y: 0, width: 11, height: 11 }, // B: IoU(A) = 90/110 = 0.818
    { x: 5, y: 5, width: 11, height: 11 }, // C: IoU(A) = 0.143
    { x: 30, y: 30, width: 4, height: 4 }, // D: alone
  ];
  assert.deepEqual(nonMaxSuppression(boxes, [0.9, 0.95, 0.8, 0.1], 0.7), [1, 2, 3]);
  assert.deepEqual(nonMaxSuppression(boxes, [0.9, 0.85, 0.8, 0.1], 0.7), [0, 2, 3]);
  assert.deepEqual(nonMaxSuppression(boxes, [0.9, 0.85, 0.8, 0.1], 0.9), [0, 1, 2, 3]);
  // IoU exactly at the threshold is kept (suppression needs IoU > threshold).
  assert.deepEqual(nonMaxSuppression(boxes, [0.9, 0.85, 0.8, 0.1], 90 / 110), [0, 1, 2, 3]);
  // Equal scores: the earlier index wins.
  assert.deepEqual(nonMaxSuppression(boxes.slice(0, 2), [0.5, 0.5], 0.7), [0]);
});

test('NMS matches the numpy re-implementation on 40 random boxes', () => {
  const boxes = reference.nms.boxes.map(fromXyxy);
  assert.deepEqual(nonMaxSuppression(boxes, reference.nms.scores, 0.5), reference.nms.keep05);
  assert.deepEqual(nonMaxSuppression(boxes, reference.nms.scores, 0.7), reference.nms.keep07);
  assert.ok(reference.nms.keep05.length < boxes.length, 'the fixture does suppress something');
});

const cand = (box: Box, score: number, cropIndex: number): CandidateMask => ({
  box,
  mask: new Uint8Array(box.width * box.height).fill(1),
  score,
  stability: 1,
  cropIndex,
  area: box.width * box.height,
});

test('NMS within crops never compares masks of different crops; across crops the smaller crop wins', () => {
  const b = { x: 10, y: 10, width: 20, height: 20 };
  const b2 = { x: 11, y: 10, width: 20, height: 20 };
  const list = [cand(b, 0.9, 0), cand(b2, 0.95, 0), cand(b, 0.91, 1), cand(b2, 0.5, 2)];
  const within = nmsWithinCrops(list);
  assert.deepEqual(within.map((c) => [c.cropIndex, c.score]), [[0, 0.95], [1, 0.91], [2, 0.5]]);
  const crops = [
    { x: 0, y: 0, width: 100, height: 100 },
    { x: 0, y: 0, width: 60, height: 60 },
    { x: 0, y: 0, width: 40, height: 40 },
  ];
  // The crop-2 mask has the lowest predicted IoU but the smallest crop: SAM keeps it.
  const across = nmsAcrossCrops(within, crops);
  assert.deepEqual(across.map((c) => c.cropIndex), [2]);
  assert.deepEqual(suppressDuplicates(list, crops).map((c) => c.cropIndex), [2]);
  // One crop only: no cross-crop pass.
  assert.equal(nmsAcrossCrops(within, crops.slice(0, 1)).length, 3);
});
