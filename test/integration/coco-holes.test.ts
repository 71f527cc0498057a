// COCO polygon export of segments with holes: written as RLE (or left out, or filled, by choice),
// counted on the dataset card, and every annotation's area equal to its mask, checked here with
// GrainLab's decoder and, where python3 with numpy is present, with an independent Python
// re-implementation of pycocotools (test/support/coco_check.py). YOLO says the same on its card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, newService, runToEnd, tempDir, voronoi, type KitImage } from './export-kit';
import { decodeMask, fromCocoRle, polygonsToRle, segmentHasHoles, type CocoDataset, type CocoRle, type Polygon } from '../../app/export';
import type { DatasetCardJson } from '../../app/export/card';

/** A grain map where some grains hold other grains (holes filled by a neighbour), rings around nothing, and split grains. */
function holedMap(w: number, h: number, seed: number): Uint32Array {
  const d = voronoi(w, h, 24, seed);
  let next = Math.max(...d) + 1;
  const disc = (cx: number, cy: number, r: number, v: number) => {
    for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++)
      for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) d[y * w + x] = v;
  };
  // Inclusions: a small grain inside a big one (the big one now has a hole).
  for (let k = 0; k < 6; k++) disc(20 + k * 30, 30 + (k % 2) * 40, 4, next++);
  // Rings around background (holes of 0).
  for (let k = 0; k < 3; k++) {
    const id = next++;
    disc(40 + k * 50, 110, 7, id);
    disc(40 + k * 50, 110, 3, 0);
  }
  // A grain in two parts, and one touching itself diagonally.
  const split = next++;
  disc(10, 130, 3, split);
  disc(60, 135, 3, split);
  const diag = next++;
  d[140 * w + 100] = diag;
  d[141 * w + 101] = diag;
  d[142 * w + 100] = diag;
  return d;
}

function images(): KitImage[] {
  return [1, 2].map((seed) => ({ name: `holes-${seed}.png`, width: 180, height: 150, labels: holedMap(180, 150, seed), classOf: (id: number) => (id % 3 === 0 ? 'gamma' : 'matrix') }));
}

/** Decodes every annotation with GrainLab's own code and compares with the truth map. */
function checkInTypeScript(ds: CocoDataset, truth: Map<string, Uint32Array>): { annotations: number; areaMismatch: number; maskMismatch: number; overlap: number; polygons: number; rle: number } {
  const r = { annotations: 0, areaMismatch: 0, maskMismatch: 0, overlap: 0, polygons: 0, rle: 0 };
  for (const im of ds.images) {
    const t = truth.get(im.file_name)!;
    const cover = new Uint8Array(im.width * im.height);
    for (const a of ds.annotations.filter((x) => x.image_id === im.id)) {
      r.annotations++;
      const rle = Array.isArray(a.segmentation) ? polygonsToRle(a.segmentation as Polygon[], im.height, im.width) : fromCocoRle(a.segmentation as CocoRle);
      if (Array.isArray(a.segmentation)) r.polygons++;
      else r.rle++;
      const m = decodeMask(rle);
      let n = 0;
      let bad = 0;
      for (let i = 0; i < m.data.length; i++) {
        const on = m.data[i] !== 0;
        if (on) {
          n++;
          if (cover[i]) r.overlap++;
          cover[i] = 1;
        }
        if (on !== (t[i] === a.grainlab!.segmentId)) bad++;
      }
      if (n !== a.area) r.areaMismatch++;
      if (bad) r.maskMismatch++;
    }
  }
  return r;
}

function pythonHasNumpy(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
}

test('COCO polygons: segments with holes go out as RLE by default; every area equals its mask, nothing overlaps', async () => {
  const dir = join(tempDir(), 'p');
  const ims = images();
  await makeProject(dir, ims, [{ name: 'matrix', color: '#888888' }, { name: 'gamma', color: '#ff0000' }]);
  const holed = ims.flatMap((im) => [...new Set(im.labels)].filter((id) => id !== 0 && segmentHasHoles({ width: im.width, height: im.height, data: im.labels }, id)));
  assert.ok(holed.length >= 12, `${holed.length} segments with holes in the fixture`);
  const truth = new Map(ims.map((im) => [im.name, im.labels]));
  const svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const out = join(tempDir(), 'coco');
    const jobId = await runToEnd(svc, () => svc.call('export.dataset', { dest: out, format: 'coco', rle: 'polygon', ratios: [1, 0, 0] }));
    const summary = (await svc.call('export.result', { jobId }))!;
    const ds = JSON.parse(readFileSync(join(out, 'annotations', 'instances_train.json'), 'utf8')) as CocoDataset;
    const r = checkInTypeScript(ds, truth);
    assert.equal(r.areaMismatch, 0);
    assert.equal(r.maskMismatch, 0);
    assert.equal(r.overlap, 0);
    assert.equal(r.rle, holed.length, 'exactly the holed segments are RLE');
    assert.ok(r.polygons > 50);
    const card = JSON.parse(readFileSync(join(out, 'dataset-card.json'), 'utf8')) as DatasetCardJson;
    assert.deepEqual(card.masks, { withHoles: holed.length, holes: 'rle', partsDropped: 0 });
    assert.match(readFileSync(join(out, 'dataset-card.md'), 'utf8'), new RegExp(`Segments with holes: ${holed.length}, written as RLE`));
    assert.ok(summary.warnings.some((w) => /with holes written as RLE/.test(w)));

    if (pythonHasNumpy()) {
      const tdir = join(tempDir(), 'truth');
      mkdirSync(tdir);
      for (const im of ims) writeFileSync(join(tdir, `${im.name}.u32`), new Uint8Array(im.labels.buffer));
      const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'support', 'coco_check.py'), join(out, 'annotations', 'instances_train.json'), tdir], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      assert.deepEqual(JSON.parse(py.stdout), { annotations: r.annotations, area_mismatch: 0, mask_mismatch: 0, overlap_pixels: 0 });
    }

    // Refused by choice: left out and counted; filled: area is the outline's, so it still matches the polygon.
    const skip = join(tempDir(), 'coco-skip');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: skip, format: 'coco', rle: 'polygon', holes: 'skip', ratios: [1, 0, 0] }));
    const dsSkip = JSON.parse(readFileSync(join(skip, 'annotations', 'instances_train.json'), 'utf8')) as CocoDataset;
    assert.equal(dsSkip.annotations.length, r.annotations - holed.length);
    assert.ok(dsSkip.annotations.every((a) => Array.isArray(a.segmentation)));
    assert.equal((JSON.parse(readFileSync(join(skip, 'dataset-card.json'), 'utf8')) as DatasetCardJson).masks!.holes, 'skip');
    const fill = join(tempDir(), 'coco-fill');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: fill, format: 'coco', rle: 'polygon', holes: 'fill', ratios: [1, 0, 0] }));
    const dsFill = JSON.parse(readFileSync(join(fill, 'annotations', 'instances_train.json'), 'utf8')) as CocoDataset;
    for (const a of dsFill.annotations) {
      const m = decodeMask(polygonsToRle(a.segmentation as Polygon[], 150, 180));
      assert.equal(m.data.reduce((s, v) => s + (v ? 1 : 0), 0), a.area);
    }

    // YOLO: cannot hold holes; the card says how many and what was done; 'rle' is refused.
    const yolo = join(tempDir(), 'yolo');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: yolo, format: 'yolo', ratios: [1, 0, 0] }));
    const yc = JSON.parse(readFileSync(join(yolo, 'dataset-card.json'), 'utf8')) as DatasetCardJson;
    assert.equal(yc.masks!.withHoles, holed.length);
    assert.equal(yc.masks!.holes, 'fill');
    assert.ok(yc.masks!.partsDropped >= 2, 'at least the split grain of each image');
    assert.match(readFileSync(join(yolo, 'dataset-card.md'), 'utf8'), /holes filled \(the format cannot hold holes\)/);
    const yskip = join(tempDir(), 'yolo-skip');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: yskip, format: 'yolo', holes: 'skip', ratios: [1, 0, 0] }));
    const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').length;
    assert.equal(lines(join(yskip, 'labels', 'train', 'holes-1.txt')) + lines(join(yskip, 'labels', 'train', 'holes-2.txt')), lines(join(yolo, 'labels', 'train', 'holes-1.txt')) + lines(join(yolo, 'labels', 'train', 'holes-2.txt')) - holed.length);
    await assert.rejects(svc.call('export.dataset', { dest: join(tempDir(), 'y3'), format: 'yolo', holes: 'rle' }), /polygons only/);
  } finally {
    await svc.dispose();
  }
});

test('dataset card: the mix of engines per image in words, hand corrections and segment origins', async () => {
  const dir = join(tempDir(), 'p');
  const base = images()[0]!;
  await makeProject(dir, [
    { ...base, name: 'a.png', engine: 'classic' },
    { ...base, name: 'b.png', engine: 'pixel-kmeans' },
    { ...base, name: 'c.png', engine: 'pixel-kmeans' },
    { ...base, name: 'd.png', engine: 'sam:sam-vit-b-quant:matsam' },
    { ...base, name: 'e.png', engine: 'import:coco' },
  ]);
  const svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const out = join(tempDir(), 'png');
    await runToEnd(svc, () => svc.call('export.dataset', { dest: out, format: 'png', ratios: [1, 0, 0], copyImages: false }));
    const md = readFileSync(join(out, 'dataset-card.md'), 'utf8');
    assert.match(md, /- Segmentation: classic pipeline \(1 image\), pixel k-means phase map \(2 images\), SAM sam-vit-b-quant \(matsam prompts\) \(1 image\), imported \(coco\) \(1 image\)/);
    assert.doesNotMatch(md, /Segmentation model: pixel-kmeans/);
    const card = JSON.parse(readFileSync(join(out, 'dataset-card.json'), 'utf8')) as DatasetCardJson;
    assert.equal(card.generator.modelId, 'sam-vit-b-quant', 'only SAM counts as a model');
    assert.equal(card.segmentation.engines.length, 4);
    assert.equal(card.segmentation.imagesEdited, 0);
    assert.ok(card.segmentation.segmentsBySource!.auto! > 0);
  } finally {
    await svc.dispose();
  }
});
