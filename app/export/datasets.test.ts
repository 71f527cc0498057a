import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../types';
import {
  boundaryMap,
  buildDatasetCard,
  cropLabelMap,
  cropRaster,
  grainsFromBoundaryMap,
  instanceMap16,
  instancePreviewRgb,
  semanticMap8,
  semanticPreviewRgb,
  splitDataset,
  splitSizes,
  tileBoxes,
  yoloClasses,
  yoloDataYaml,
  yoloSegmentationLabels,
  regionsByValue,
} from './index';
import { seededRandom as rng } from '../random';

/** Nearest-seed (Voronoi) grain map: every pixel belongs to a grain, like a polished section. */
function voronoi(w: number, h: number, n: number, seed: number): LabelMap {
  const r = rng(seed);
  const sx = Array.from({ length: n }, () => r() * w);
  const sy = Array.from({ length: n }, () => r() * h);
  const data = new Uint32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let best = 0;
      let bd = Infinity;
      for (let k = 0; k < n; k++) {
        const d = (x - sx[k]!) ** 2 + (y - sy[k]!) ** 2;
        if (d < bd) {
          bd = d;
          best = k;
        }
      }
      data[y * w + x] = best + 1;
    }
  return { width: w, height: h, data };
}

test('YOLO lines: class index and corner coordinates normalised by width and height', () => {
  const w = 10;
  const h = 5;
  const data = new Uint32Array(w * h);
  for (let y = 1; y < 3; y++) for (let x = 2; x < 6; x++) data[y * w + x] = 4;
  data[4 * w + 9] = 8;
  data[0] = 6;
  data[2 * w + 0] = 6;
  const map = { width: w, height: h, data };
  const { index, names } = yoloClasses([{ id: 7, name: 'b', color: '#000' }, { id: 3, name: 'a', color: '#fff' }]);
  assert.deepEqual(names, ['a', 'b']);
  const segs = [{ id: 4, classId: 7 }, { id: 8, classId: null }, { id: 6, classId: 3 }];
  const res = yoloSegmentationLabels(map, segs, index, { tolerance: 0 });
  assert.equal(res.skippedUnclassified, 1);
  const lines = res.text.trim().split('\n');
  assert.equal(lines[0], '1 0.2 0.2 0.6 0.2 0.6 0.6 0.2 0.6');
  // Segment 6 has two parts; 'largest' keeps one line, 'separate' writes both.
  assert.equal(lines.length, 2);
  assert.equal(yoloSegmentationLabels(map, segs, index, { multiPart: 'separate' }).lines, 3);
  assert.equal(yoloSegmentationLabels(map, segs, index, { edgeGrains: 'exclude' }).lines, 1);
  for (const l of lines) for (const v of l.split(' ').slice(1).map(Number)) assert.ok(v >= 0 && v <= 1);
  const yaml = yoloDataYaml({ train: 'images/train', val: 'images/val', test: 'images/test', names: ['ferrite', 'a "quoted" name'] });
  assert.match(yaml, /^nc: 2$/m);
  assert.match(yaml, /^ {2}1: "a \\"quoted\\" name"$/m);
  assert.match(yaml, /^test: "images\/test"$/m);
});

test('splits: exact sizes, disjoint, deterministic in any input order, every class in every split', () => {
  const r = rng(9);
  const items = Array.from({ length: 50 }, (_, i) => {
    const classIds = [1];
    if (r() < 0.3) classIds.push(2);
    if (i % 17 === 3) classIds.push(3); // 3 images only
    return { id: 100 + i, classIds };
  });
  const a = splitDataset(items, { seed: 5 });
  const b = splitDataset([...items].reverse(), { seed: 5 });
  assert.deepEqual(a, b);
  assert.deepEqual([a.train.length, a.val.length, a.test.length], [30, 10, 10]);
  const all = [...a.train, ...a.val, ...a.test].sort((x, y) => x - y);
  assert.deepEqual(all, items.map((i) => i.id));
  const classesIn = (ids: number[]) => new Set(ids.flatMap((id) => items.find((i) => i.id === id)!.classIds));
  for (const part of [a.train, a.val, a.test]) assert.deepEqual([...classesIn(part)].sort(), [1, 2, 3]);
  assert.notDeepEqual(splitDataset(items, { seed: 6 }).train, a.train);
  const noTest = splitDataset(items, { ratios: [8, 2, 0] });
  assert.deepEqual([noTest.train.length, noTest.val.length, noTest.test.length], [40, 10, 0]);
  assert.deepEqual(splitSizes(10, [6, 2, 2]), [6, 2, 2]);
  assert.deepEqual(splitSizes(7, [6, 2, 2]), [4, 2, 1]);
  assert.throws(() => splitDataset([{ id: 1, classIds: [] }, { id: 1, classIds: [] }]), /repeats item 1/);
});

test('tiles cover the image with full-size tiles and at least the requested overlap', () => {
  const boxes = tileBoxes(100, 70, 32, 8);
  assert.deepEqual([...new Set(boxes.map((b) => b.x))], [0, 24, 48, 68]);
  assert.deepEqual([...new Set(boxes.map((b) => b.y))], [0, 24, 38]);
  const cover = new Uint8Array(100 * 70);
  for (const b of boxes) {
    assert.equal(b.width, 32);
    assert.equal(b.height, 32);
    for (let y = b.y; y < b.y + b.height; y++) for (let x = b.x; x < b.x + b.width; x++) cover[y * 100 + x] = 1;
  }
  assert.ok(cover.every((v) => v === 1));
  assert.deepEqual(tileBoxes(20, 10, 32, 4), [{ x: 0, y: 0, width: 20, height: 10 }]);
  assert.deepEqual(tileBoxes(64, 32, 32).map((b) => b.x), [0, 32]);
  assert.throws(() => tileBoxes(10, 10, 8, 8), /overlap/);
});

test('cropping a label map renumbers ids and maps them back', () => {
  const map = voronoi(40, 30, 12, 4);
  const box = { x: 7, y: 5, width: 20, height: 15 };
  const { labels, ids } = cropLabelMap(map, box);
  assert.equal(Math.max(...labels.data), ids.length);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) assert.equal(ids[labels.data[y * box.width + x]! - 1], map.data[(y + box.y) * 40 + x + box.x]);
  assert.deepEqual([...ids], [...ids].sort((a, b) => a - b));
  const raw = cropLabelMap(map, box, { renumber: false });
  assert.equal(raw.labels.data[0], map.data[5 * 40 + 7]);
  const img = { width: 4, height: 3, channels: 3 as const, bitDepth: 8 as const, data: Uint8Array.from({ length: 36 }, (_, i) => i) };
  assert.deepEqual([...cropRaster(img, { x: 1, y: 1, width: 2, height: 2 }).data], [15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  assert.throws(() => cropLabelMap(map, { x: 30, y: 0, width: 20, height: 5 }), /not inside/);
});

test('16-bit instance maps keep small ids, renumber large ones, refuse more than 65535 segments', () => {
  const small = instanceMap16({ width: 3, height: 1, data: Uint32Array.from([0, 5, 65535]) });
  assert.deepEqual([...small.data], [0, 5, 65535]);
  assert.equal(small.ids, null);
  const big = instanceMap16({ width: 4, height: 1, data: Uint32Array.from([100000, 0, 70000, 100000]) });
  assert.deepEqual([...big.data], [2, 0, 1, 2]);
  assert.deepEqual([...big.ids!], [70000, 100000]);
  const many = { width: 256, height: 257, data: Uint32Array.from({ length: 256 * 257 }, (_, i) => (i < 65536 ? i + 1 : 0)) };
  assert.throws(() => instanceMap16(many, 'big.tif'), /big.tif has 65536 segments.*tiles.*COCO RLE/);
});

test('semantic maps: class order gives values, palette carries class colours', () => {
  const map = { width: 4, height: 1, data: Uint32Array.from([0, 1, 2, 3]) };
  const classOf = new Map<number, number | null>([[1, 20], [2, 10], [3, null]]);
  const classes = [{ id: 10, name: 'matrix', color: '#102030' }, { id: 20, name: 'particle', color: '#ff8000' }];
  const sem = semanticMap8(map, classOf, classes);
  assert.deepEqual([...sem.data], [0, 2, 1, 255]);
  assert.deepEqual([...sem.palette.subarray(3, 9)], [16, 32, 48, 255, 128, 0]);
  assert.deepEqual([...semanticPreviewRgb(sem).data.subarray(3, 6)], [255, 128, 0]);
  assert.deepEqual([...semanticMap8(map, classOf, classes, { unclassifiedValue: 0 }).data], [0, 2, 1, 0]);
  assert.throws(() => semanticMap8(map, classOf, classes, { unclassifiedValue: 2 }), /not used by a class/);
  const prev = instancePreviewRgb(map);
  assert.deepEqual([...prev.data.subarray(0, 3)], [0, 0, 0]);
  assert.notDeepEqual([...prev.data.subarray(3, 6)], [...prev.data.subarray(6, 9)]);
});

test('boundary maps are 1 px on the left/top side and import back to the same grains', () => {
  const halves = { width: 6, height: 3, data: Uint32Array.from([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]) };
  const one = boundaryMap(halves);
  assert.deepEqual([...one.data.subarray(0, 6)], [0, 0, 255, 0, 0, 0]);
  assert.deepEqual([...boundaryMap(halves, { side: 'both-sides' }).data.subarray(0, 6)], [0, 0, 255, 255, 0, 0]);

  const map = voronoi(96, 80, 25, 12);
  const bmap = boundaryMap(map);
  // A 1-px line can cut a single pixel off at a corner; minArea folds such specks back in.
  assert.equal(Math.max(...grainsFromBoundaryMap(bmap).data), 26);
  const back = grainsFromBoundaryMap(bmap, { minArea: 4 });
  assert.equal(Math.max(...back.data), 25);
  // Each imported grain overlaps one original grain; boundary pixels may go to a neighbour.
  const votes = new Map<string, number>();
  for (let i = 0; i < map.data.length; i++) {
    const k = `${back.data[i]}:${map.data[i]}`;
    votes.set(k, (votes.get(k) ?? 0) + 1);
  }
  const best = new Map<number, number>();
  for (const [k, v] of votes) {
    const b = Number(k.split(':')[0]);
    best.set(b, Math.max(best.get(b) ?? 0, v));
  }
  const agree = [...best.values()].reduce((a, b) => a + b, 0);
  assert.ok(agree / map.data.length > 0.97, `agreement ${agree / map.data.length}`);
  // Interior pixels (not on a boundary) must match exactly.
  const open = grainsFromBoundaryMap(bmap, { assignBoundary: false });
  for (let i = 0; i < map.data.length; i++) {
    assert.equal(open.data[i] === 0, bmap.data[i] === 255);
  }
  // Soft map: only values above the threshold are boundary.
  const soft = { width: 5, height: 1, data: Uint8Array.from([0, 127, 128, 10, 0]) };
  assert.deepEqual([...grainsFromBoundaryMap(soft, { assignBoundary: false }).data], [1, 1, 0, 2, 2]);
  assert.deepEqual([...grainsFromBoundaryMap(soft).data], [1, 1, 1, 2, 2]);
});

test('dataset card sums splits and writes a readable table', () => {
  const { json, markdown } = buildDatasetCard({
    name: 'UHCS curated',
    format: 'coco',
    appVersion: '0.1.0',
    modelId: 'sam-vit-b',
    createdAt: '2025-01-02T03:04:05Z',
    pixelSizeUm: 0.25,
    classes: [{ id: 1, name: 'ferrite' }, { id: 2, name: 'cementite | network' }],
    splits: {
      train: { images: 6, segments: 120, perClass: { '1': 100, '2': 15, null: 5 } },
      val: { images: 2, segments: 30, perClass: { '1': 25, '2': 5 } },
    },
    verifiedSegments: 75,
    seed: 42,
    ratios: [6, 2, 2],
  });
  assert.deepEqual(json.totals, { images: 8, segments: 150, verifiedSegments: 75, unclassifiedSegments: 5 });
  assert.deepEqual(json.classes.map((c) => c.segments), [125, 20]);
  assert.match(markdown, /^\| train \| 6 \| 120 \| 100 \| 15 \|$/m);
  assert.match(markdown, /cementite \\\| network/);
  assert.match(markdown, /50\.0%/);
  assert.match(markdown, /0\.25 µm\/px/);
});

test('regions of equal value: touching regions of one class join, diagonal ones do not, 0 is background', () => {
  // 5 x 4 class map: a U of class 1 (one region), two diagonal 2s (two regions), a 3 inside the U.
  const v = Uint16Array.from([
    1, 0, 0, 0, 1,
    1, 3, 0, 2, 1,
    1, 1, 2, 0, 1,
    0, 1, 1, 1, 1,
  ]);
  const r = regionsByValue(v, 5, 4);
  assert.deepEqual(Array.from(r.values), [1, 3, 2, 2]);
  assert.deepEqual(Array.from(r.labels.data), [
    1, 0, 0, 0, 1,
    1, 2, 0, 3, 1,
    1, 1, 4, 0, 1,
    0, 1, 1, 1, 1,
  ]);
  assert.throws(() => regionsByValue(v, 4, 4), /expected 4x4/);
});
