import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClassRecord, LabelMap } from '../types';
import { buildCocoDataset, parseCoco, validateCoco, rasterizeCocoImage, type CocoExportSegment, type CocoRle } from './index';
import { decodeMask, fromCocoRle } from './rle';
import { polygonsToRle } from './polygon';

const classes: ClassRecord[] = [
  { id: 1, name: 'ferrite', color: '#ff0000' },
  { id: 4, name: 'cementite', color: '#00ff00' },
];

/** 12x10 map: a ring (id 3) around a core (id 9), a block at the border (id 5), specks of id 7. */
function sampleMap(): LabelMap {
  const w = 12;
  const h = 10;
  const data = new Uint32Array(w * h);
  for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) data[y * w + x] = 3;
  for (let y = 3; y < 5; y++) for (let x = 3; x < 5; x++) data[y * w + x] = 9;
  for (let y = 5; y < 10; y++) for (let x = 8; x < 12; x++) data[y * w + x] = 5;
  data[1 * w + 9] = 7;
  data[2 * w + 10] = 7;
  return { width: w, height: h, data };
}

const segments: CocoExportSegment[] = [
  { id: 3, classId: 1, source: 'auto', verified: true, clusterId: 2, confidence: 0.93 },
  { id: 9, classId: 4, source: 'brush', verified: false, clusterId: null },
  { id: 5, classId: null, source: 'prompt', verified: true, clusterId: 1, confidence: 0.5 },
  { id: 7, classId: 1, source: 'import', verified: false, clusterId: null },
  { id: 42, classId: 1, source: 'auto', verified: false, clusterId: null },
];

function pixelsOf(map: LabelMap, id: number): Uint8Array {
  return Uint8Array.from(map.data, (v) => (v === id ? 1 : 0));
}

test('COCO export: RLE masks, area, bbox and provenance per segment', () => {
  const map = sampleMap();
  const { dataset, report } = buildCocoDataset([{ id: 17, fileName: 'a.png', labels: map, segments, pixelSizeUm: 0.5 }], classes, {
    info: { date_created: '2025-02-03T10:00:00Z', version: '0.1.0' },
  });
  assert.equal(report.annotations, 4);
  assert.equal(report.emptySegments, 1);
  assert.deepEqual(dataset.images, [{ id: 17, file_name: 'a.png', width: 12, height: 10, grainlab: { pixelSizeUm: 0.5 } }]);
  assert.deepEqual(dataset.categories.map((c) => [c.id, c.name]), [[1, 'ferrite'], [4, 'cementite'], [5, 'unclassified']]);
  assert.equal(dataset.info.year, 2025);
  assert.deepEqual(dataset.annotations.map((a) => [a.id, a.grainlab!.segmentId, a.category_id]), [[1, 3, 1], [2, 5, 5], [3, 7, 1], [4, 9, 4]]);
  for (const a of dataset.annotations) {
    const id = a.grainlab!.segmentId;
    const ref = pixelsOf(map, id);
    const mask = decodeMask(fromCocoRle(a.segmentation as CocoRle));
    assert.deepEqual(mask.data, ref);
    assert.equal(a.area, ref.reduce((s, v) => s + v, 0));
  }
  const ring = dataset.annotations[0]!;
  assert.deepEqual(ring.bbox, [1, 1, 6, 6]);
  assert.deepEqual(ring.grainlab, { segmentId: 3, source: 'auto', verified: true, cluster: 2, confidence: 0.93, edge: false });
  assert.equal(dataset.annotations[1]!.grainlab!.edge, true);
  assert.deepEqual(dataset.annotations[1]!.bbox, [8, 5, 4, 5]);
  assert.equal(typeof (ring.segmentation as CocoRle).counts, 'string');
});

test('COCO export options: exclude edge grains, unclassified and unverified; polygons and auto mode', () => {
  const map = sampleMap();
  const img = { id: 1, fileName: 'a.png', labels: map, segments };
  const ex = buildCocoDataset([img], classes, { edgeGrains: 'exclude', unclassified: 'exclude', verifiedOnly: true });
  assert.deepEqual(ex.dataset.annotations.map((a) => a.grainlab!.segmentId), [3]);
  assert.equal(ex.report.excludedUnverified, 3);
  assert.equal(ex.report.excludedUnclassified, 1);
  assert.equal(ex.dataset.categories.length, 2);
  assert.equal('edge' in ex.dataset.annotations[0]!.grainlab!, false);

  const auto = buildCocoDataset([img], classes, { segmentation: 'auto' });
  const ring = auto.dataset.annotations.find((a) => a.grainlab!.segmentId === 3)!;
  assert.ok(!Array.isArray(ring.segmentation), 'ring has a hole, so it stays RLE');
  assert.equal(auto.report.rleForHoles, 1);
  for (const a of auto.dataset.annotations.filter((x) => x.grainlab!.segmentId !== 3)) {
    assert.ok(Array.isArray(a.segmentation));
    const back = decodeMask(polygonsToRle(a.segmentation, 10, 12));
    assert.deepEqual(back.data, pixelsOf(map, a.grainlab!.segmentId));
  }
  const specks = auto.dataset.annotations.find((a) => a.grainlab!.segmentId === 7)!;
  assert.equal((specks.segmentation as number[][]).length, 1, 'diagonal pixels are one 8-connected part');

  const poly = buildCocoDataset([img], classes, { segmentation: 'polygon' });
  assert.equal(poly.report.polygonsWithHolesFilled, 1);
  assert.throws(
    () => buildCocoDataset([{ ...img, segments: [{ id: 3, classId: 99, source: 'auto', verified: false, clusterId: null }] }], classes),
    /class 99, which is not in the class list/,
  );
});

test('COCO import reads an export back into the same segmentation and classes', () => {
  const map = sampleMap();
  for (const segmentation of ['rle', 'auto'] as const) {
    for (const rleFormat of ['compressed', 'uncompressed'] as const) {
      const { dataset } = buildCocoDataset([{ id: 1, fileName: 'a.png', labels: map, segments }], classes, { segmentation, rleFormat });
      const json = JSON.parse(JSON.stringify(dataset)) as unknown;
      const back = parseCoco(json);
      assert.deepEqual(back.classes.map((c) => [c.id, c.name, c.color]), [[1, 'ferrite', '#ff0000'], [4, 'cementite', '#00ff00'], [5, 'unclassified', null]]);
      const img = back.images[0]!;
      assert.equal(img.overlapPixels, 0);
      // Same partition of pixels, ids renumbered in annotation order.
      const toOld = new Map(img.segments.map((s) => [s.id, dataset.annotations.find((a) => a.id === s.annotationId)!.grainlab!.segmentId]));
      for (let i = 0; i < map.data.length; i++) {
        const v = img.labels.data[i]!;
        assert.equal(v === 0 ? 0 : toOld.get(v), map.data[i]);
      }
      assert.equal(img.segments.find((s) => toOld.get(s.id) === 3)!.grainlab!.verified, true);
    }
  }
});

test('COCO import resolves overlaps by file order or by area', () => {
  const json = {
    images: [{ id: 1, file_name: 'x.png', width: 6, height: 4 }],
    categories: [{ id: 1, name: 'grain' }],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, segmentation: [[0, 0, 2, 0, 2, 2, 0, 2]], iscrowd: 0 },
      { id: 11, image_id: 1, category_id: 1, segmentation: [[0, 0, 6, 0, 6, 4, 0, 4]], iscrowd: 0 },
      { id: 12, image_id: 1, category_id: 1, segmentation: [[5, 3, 6, 3, 6, 4, 5, 4]], iscrowd: 1 },
      { id: 13, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] },
    ],
  };
  const later = parseCoco(json).images[0]!;
  assert.deepEqual(later.segments.map((s) => [s.annotationId, s.area]), [[11, 24]]);
  assert.equal(later.overlapPixels, 4);
  assert.deepEqual(later.skipped.map((s) => [s.annotationId, s.reason]).sort(), [[10, 'covered'], [12, 'crowd'], [13, 'no-segmentation']]);
  const smaller = parseCoco(json, {}, { overlap: 'smaller-wins', crowd: 'include' }).images[0]!;
  assert.deepEqual(smaller.segments.map((s) => [s.annotationId, s.area]), [[10, 4], [11, 19], [12, 1]]);
});

test('COCO import errors name the offending entry', () => {
  const base = () => ({
    images: [{ id: 1, file_name: 'x.png', width: 4, height: 3 }],
    categories: [{ id: 1, name: 'grain' }],
    annotations: [{ id: 5, image_id: 1, category_id: 1, segmentation: { size: [3, 4], counts: [2, 3, 7] } }],
  });
  assert.equal(parseCoco(base()).images[0]!.segments[0]!.area, 3);
  assert.throws(() => parseCoco({ images: [] }), /Not a valid COCO file: categories: /);
  assert.throws(() => parseCoco({ ...base(), images: [{ id: 1, file_name: 'x.png', width: -4, height: 3 }] }), /images\[0\]\.width/);
  const b1 = base();
  b1.annotations[0]!.image_id = 2;
  assert.throws(() => parseCoco(b1), /annotations\[0\] \(id 5\) refers to image 2/);
  const b2 = base();
  b2.annotations[0]!.category_id = 3;
  assert.throws(() => parseCoco(b2), /refers to category 3/);
  const b3 = base();
  b3.annotations[0]!.segmentation = { size: [4, 3], counts: [2, 3, 7] };
  assert.throws(() => parseCoco(b3), /size \[4, 3\] but image x.png is 3x4/);
  const b4 = base();
  b4.annotations[0]!.segmentation = { size: [3, 4], counts: [2, 3, 8] };
  assert.throws(() => parseCoco(b4), /annotations\[0\] \(id 5\)\.segmentation: RLE counts cover more than the 12 pixels/);
  const b5 = base() as { annotations: { segmentation: unknown }[] };
  b5.annotations[0]!.segmentation = [[1, 2, 3, 4, 5]];
  assert.throws(() => parseCoco(b5), /segmentation\[0\]: a polygon needs at least 3 points/);
  const b6 = base();
  b6.annotations.push({ ...b6.annotations[0]! });
  assert.throws(() => parseCoco(b6), /repeats annotation id 5/);
  const huge = { ...base(), images: [{ id: 1, file_name: 'x.png', width: 100000, height: 100000 }] };
  assert.throws(() => parseCoco(huge), /more than the limit of/);
  const two = { ...base(), images: [{ id: 1, file_name: 'x.png', width: 4, height: 3 }, { id: 2, file_name: 'y.png', width: 4, height: 3 }] };
  assert.throws(() => parseCoco(two, { maxTotalPixels: 20 }), /image by image/);
  const v = validateCoco(two, { maxTotalPixels: 20 });
  assert.equal(rasterizeCocoImage(v, 2).segments.length, 0);
});
