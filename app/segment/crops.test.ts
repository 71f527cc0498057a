import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateCropBoxes, layerPointsPerSide, pointsInCrop, shouldDropMaskAtCropEdge } from './crops';
import { gridPrompts } from './prompts';

const reference = JSON.parse(readFileSync(new URL('./fixtures/sam_reference.json', import.meta.url), 'utf8')) as {
  cropBoxes: { width: number; height: number; nLayers: number; overlapRatio: number; boxes: number[][]; layers: number[] }[];
  pointGrid: { n: number; width: number; height: number; points: number[][] }[];
};

test('crop boxes: hand-computed layer 1 of a 1500 x 1000 image', () => {
  // overlap = int(512/1500 * 1000) = 341; crop = ceil((341 + 1500) / 2) = 921 by ceil((341 + 1000) / 2) = 671;
  // origins 0 and 921 - 341 = 580 (x), 0 and 330 (y); x outer, y inner; clipped to the image.
  const crops = generateCropBoxes(1500, 1000, 1);
  assert.deepEqual(crops, [
    { box: { x: 0, y: 0, width: 1500, height: 1000 }, layer: 0 },
    { box: { x: 0, y: 0, width: 921, height: 671 }, layer: 1 },
    { box: { x: 0, y: 330, width: 921, height: 670 }, layer: 1 },
    { box: { x: 580, y: 0, width: 920, height: 671 }, layer: 1 },
    { box: { x: 580, y: 330, width: 920, height: 670 }, layer: 1 },
  ]);
  assert.deepEqual(generateCropBoxes(300, 200, 0), [{ box: { x: 0, y: 0, width: 300, height: 200 }, layer: 0 }]);
});

test('crop boxes match the numpy re-implementation of generate_crop_boxes', () => {
  for (const c of reference.cropBoxes) {
    const crops = generateCropBoxes(c.width, c.height, c.nLayers, c.overlapRatio);
    assert.deepEqual(
      crops.map(({ box }) => [box.x, box.y, box.x + box.width, box.y + box.height]),
      c.boxes,
      `${c.width}x${c.height}, ${c.nLayers} layers`,
    );
    assert.deepEqual(crops.map((k) => k.layer), c.layers);
  }
});

test('grid prompts match SAM build_point_grid scaled to the image', () => {
  for (const g of reference.pointGrid) {
    const pts = gridPrompts(g.width, g.height, g.n);
    assert.equal(pts.length, g.points.length);
    pts.forEach((p, i) => {
      assert.ok(Math.abs(p.x - g.points[i]![0]!) < 1e-9 && Math.abs(p.y - g.points[i]![1]!) < 1e-9, `point ${i}`);
    });
  }
});

test('layer points per side: int(n / scale^layer)', () => {
  assert.equal(layerPointsPerSide(32, 0), 32);
  assert.equal(layerPointsPerSide(32, 2, 2), 8);
  assert.equal(layerPointsPerSide(32, 1, 3), 10);
});

test('masks touching a crop edge inside the image are dropped, image edges are fine', () => {
  const crop = { x: 100, y: 100, width: 200, height: 200 }; // sides 100, 100, 300, 300
  const W = 300, H = 400;
  // Well inside the crop: kept.
  assert.equal(shouldDropMaskAtCropEdge({ x: 150, y: 150, width: 50, height: 50 }, crop, W, H), false);
  // Left side at 110: within 20 of the crop's left (100), which is not an image edge: dropped.
  assert.equal(shouldDropMaskAtCropEdge({ x: 110, y: 150, width: 50, height: 50 }, crop, W, H), true);
  assert.equal(shouldDropMaskAtCropEdge({ x: 110, y: 150, width: 50, height: 50 }, crop, W, H, 5), false);
  // Right side: last pixel 299 vs crop end 300 -- also the image's right edge (W = 300): kept.
  assert.equal(shouldDropMaskAtCropEdge({ x: 200, y: 150, width: 100, height: 50 }, crop, W, H), false);
  // Bottom: last pixel 285 vs crop end 300, image ends at 400: dropped.
  assert.equal(shouldDropMaskAtCropEdge({ x: 150, y: 250, width: 50, height: 36 }, crop, W, H), true);
  // The whole-image crop never drops anything.
  const whole = { x: 0, y: 0, width: W, height: H };
  assert.equal(shouldDropMaskAtCropEdge({ x: 0, y: 0, width: W, height: H }, whole, W, H), false);
});

test('points in a crop are moved into its frame; the far edges belong to the next crop', () => {
  const pts = [
    { x: 10, y: 10 },
    { x: 150.5, y: 120 },
    { x: 300, y: 150 },
    { x: 100, y: 99.9 },
  ];
  assert.deepEqual(pointsInCrop(pts, { x: 100, y: 100, width: 200, height: 200 }), [{ x: 50.5, y: 20 }]);
});
