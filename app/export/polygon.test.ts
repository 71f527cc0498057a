import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  hasHoles,
  maskToPolygons,
  polygonArea,
  polygonToRle,
  polygonsToMask,
  polygonsToRle,
  segmentHasHoles,
  segmentToPolygons,
  simplifyPolygon,
} from './polygon';
import { decodeMask, rleCountsToString, type BinaryMask } from './rle';
import { seededRandom as rng } from '../random';

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/coco-rle.json', import.meta.url), 'utf8')) as {
  polygons: { name: string; height: number; width: number; polygons: number[][]; counts: number[]; string: string; single: number[][] }[];
};

function fromRows(rows: string[]): BinaryMask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) data[y * width + x] = r[x] === '#' ? 1 : 0;
  });
  return { width, height, data };
}

function area(m: BinaryMask): number {
  let a = 0;
  for (const v of m.data) a += v ? 1 : 0;
  return a;
}

/** Random blobs: a few discs plus noise, so parts, pinches and holes all occur. */
function blobMask(r: () => number, width: number, height: number): BinaryMask {
  const data = new Uint8Array(width * height);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const cx = r() * width;
    const cy = r() * height;
    const rad = 1 + r() * Math.min(width, height) * 0.4;
    const v = k > 0 && r() < 0.25 ? 0 : 1;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= rad * rad) data[y * width + x] = v;
  }
  for (let i = 0; i < data.length; i++) if (r() < 0.03) data[i] = data[i] ? 0 : 1;
  return { width, height, data };
}

test('polygon rasterisation matches pycocotools fixtures', () => {
  for (const f of fixtures.polygons) {
    f.polygons.forEach((p, i) => {
      assert.deepEqual(Array.from(polygonToRle(p, f.height, f.width).counts), f.single[i], `${f.name} #${i}`);
    });
    const rle = polygonsToRle(f.polygons, f.height, f.width);
    assert.deepEqual(Array.from(rle.counts), f.counts, f.name);
    assert.equal(rleCountsToString(rle.counts), f.string, f.name);
  }
});

test('traced outlines rasterise back to the same pixels unless the mask has holes', () => {
  const r = rng(5);
  let withHoles = 0;
  let without = 0;
  for (let t = 0; t < 150; t++) {
    const w = 3 + Math.floor(r() * 30);
    const h = 3 + Math.floor(r() * 30);
    const mask = blobMask(r, w, h);
    const polys = maskToPolygons(mask);
    const back = decodeMask(polygonsToRle(polys, h, w));
    if (hasHoles(mask)) {
      withHoles++;
      for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) assert.equal(back.data[i], 1);
      assert.ok(area(back) > area(mask));
    } else {
      without++;
      assert.deepEqual(back.data, mask.data, `case ${t}`);
      // Parts do not overlap, so the outline areas add up to the pixel count.
      assert.equal(polys.reduce((s, p) => s + polygonArea(p), 0), area(mask));
    }
  }
  assert.ok(withHoles > 5 && without > 5, `${withHoles} with holes, ${without} without`);
});

test('a diagonal pinch is one polygon and both pixels survive', () => {
  const mask = fromRows(['#..', '.#.', '...']);
  const polys = maskToPolygons(mask);
  assert.equal(polys.length, 1);
  assert.deepEqual(polygonsToMask(polys, 3, 3).data, mask.data);
});

test('separate parts give separate polygons; minArea drops specks', () => {
  const mask = fromRows(['##....', '##..#.', '......', '...###']);
  assert.equal(maskToPolygons(mask).length, 3);
  assert.equal(maskToPolygons(mask, { minArea: 2 }).length, 2);
});

test('simplification keeps the area of a disc within tolerance', () => {
  const w = 64;
  const h = 64;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x + 0.5 - 32) ** 2 + (y + 0.5 - 30) ** 2 <= 400) data[y * w + x] = 1;
  const mask = { width: w, height: h, data };
  const exact = maskToPolygons(mask)[0]!;
  const simple = maskToPolygons(mask, { tolerance: 1 })[0]!;
  assert.ok(simple.length < exact.length / 2, `${simple.length} vs ${exact.length} numbers`);
  assert.ok(Math.abs(polygonArea(simple) - area(mask)) / area(mask) < 0.03);
  const back = decodeMask(polygonsToRle([simple], h, w));
  let inter = 0;
  let uni = 0;
  for (let i = 0; i < data.length; i++) {
    inter += data[i]! & back.data[i]!;
    uni += data[i]! | back.data[i]!;
  }
  assert.ok(inter / uni > 0.95, `IoU ${inter / uni}`);
  assert.deepEqual(simplifyPolygon([0, 0, 4, 0, 4, 4, 0, 4], 10), [0, 0, 4, 0, 4, 4, 0, 4]);
});

test('hole check: 4-connected background enclosed by an 8-connected segment', () => {
  assert.equal(hasHoles(fromRows(['###', '#.#', '###'])), true);
  assert.equal(hasHoles(fromRows(['.#.', '#.#', '.#.'])), true);
  assert.equal(hasHoles(fromRows(['###', '#..', '###'])), false);
  const map = { width: 4, height: 3, data: Uint32Array.from([7, 7, 7, 2, 7, 2, 7, 2, 7, 7, 7, 2]) };
  assert.equal(segmentHasHoles(map, 7), true);
  assert.equal(segmentHasHoles(map, 2), false);
  const polys = segmentToPolygons(map, 2);
  assert.deepEqual(polys.map(polygonArea).sort(), [1, 3]);
});

test('hostile polygons are rejected, not rasterised', () => {
  assert.throws(() => polygonToRle([0, 0, 1e12, 0, 5, 5], 10, 10), /not a finite coordinate near/);
  assert.throws(() => polygonToRle([0, 0, Number.NaN, 0, 5, 5], 10, 10), /not a finite coordinate/);
  assert.throws(() => polygonToRle([0, 0, 1, 1], 10, 10), /at least 3 points/);
  assert.throws(() => polygonToRle([0, 0, 40, 0, 40, 40], 10, 10, { maxUpsampledPoints: 100 }), /too long/);
});
