// LabelMe / X-AnyLabeling JSON, QuPath GeoJSON and CVAT XML: export then import gives back the same
// label maps (segments with holes and in several parts included), classes and verified flags;
// files made by the tools themselves import; damaged files fail with messages naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBareProject, makeProject, newService, runToEnd, tempDir, voronoi, type KitImage } from './export-kit';
import { decodeCvat, decodeGeoJson, decodeLabelMe } from '../../app/interchange';

/** Grains, one holding another (a hole), a ring around nothing, a grain in two parts. */
function kitImages(): KitImage[] {
  return [1, 2].map((seed) => {
    const w = 120;
    const h = 90;
    const d = voronoi(w, h, 20, seed);
    let next = Math.max(...d) + 1;
    const disc = (cx: number, cy: number, r: number, v: number) => {
      for (let y = cy - r; y <= cy + r; y++) for (let x = cx - r; x <= cx + r; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) d[y * w + x] = v;
    };
    disc(30, 30, 4, next++);
    const ring = next++;
    disc(80, 50, 8, ring);
    disc(80, 50, 3, 0);
    const split = next++;
    disc(10, 75, 3, split);
    disc(60, 80, 3, split);
    return { name: `grains-${seed}.png`, width: w, height: h, labels: d, classOf: (id: number) => (id % 3 === 0 ? 'gamma' : id % 3 === 1 ? 'matrix' : null), verified: (id: number) => id % 4 === 0 };
  });
}

async function roundTrip(format: 'labelme' | 'geojson' | 'cvat', pattern: RegExp): Promise<void> {
  const ims = kitImages();
  const src = join(tempDir(), 'src');
  await makeProject(src, ims, [{ name: 'matrix', color: '#4488cc' }, { name: 'gamma', color: '#ff0000' }]);
  const out = join(tempDir(), 'out');
  const a = newService();
  try {
    await a.call('project.open', { path: src });
    await runToEnd(a, () => a.call('export.dataset', { dest: out, format, ratios: [1, 0, 0] }));
  } finally {
    await a.dispose();
  }
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (pattern.test(join(d, e.name))) files.push(join(d, e.name));
    }
  };
  walk(out);
  assert.ok(files.length > 0, `${format} files written`);
  const dst = join(tempDir(), 'dst');
  await makeBareProject(dst, ims);
  const b = newService();
  try {
    await b.call('project.open', { path: dst });
    const jobId = await runToEnd(b, () => b.call('labels.import', { kind: format, paths: files }));
    const res = (await b.call('labels.importResult', { jobId }))!;
    assert.deepEqual(res.failed, []);
    assert.equal(res.imported.length, 2);
    const classes = new Map((await b.call('classes.list', {})).map((c) => [c.id, c.name]));
    for (const im of await b.call('images.list', {})) {
      const seg = (await b.call('segmentation.get', { imageId: im.id }))!;
      const kit = ims.find((k) => k.name === im.name)!;
      assert.deepEqual(seg.labels, kit.labels, `${format}: ${im.name} label map, pixel for pixel`);
      for (const s of seg.segments) {
        assert.equal(s.classId === null ? null : classes.get(s.classId), kit.classOf!(s.id), `${format}: class of segment ${s.id}`);
        assert.equal(s.verified, kit.verified!(s.id), `${format}: verified ${s.id}`);
      }
    }
  } finally {
    await b.dispose();
  }
}

test('LabelMe round trip: polygons, a mask shape for the segment with holes, parts grouped', async () => {
  await roundTrip('labelme', /images\/train\/.*\.json$/);
});

test('QuPath GeoJSON round trip: holes as inner rings, parts as MultiPolygon', async () => {
  await roundTrip('geojson', /\.geojson$/);
});

test('CVAT XML round trip: polygons, a mask for the segment with holes', async () => {
  await roundTrip('cvat', /\.xml$/);
});

test('files the tools write themselves: LabelMe rectangle/circle/point, QuPath classes and holes, CVAT boxes, masks and tracks', async () => {
  const lm = decodeLabelMe(
    {
      version: '5.4.1',
      flags: {},
      shapes: [
        { label: 'pore', points: [[2, 2], [6, 5]], group_id: null, shape_type: 'rectangle', flags: {} },
        { label: 'grain', points: [[10, 10], [13, 10]], group_id: null, shape_type: 'circle', flags: {} },
        { label: 'tip', points: [[1, 1]], group_id: null, shape_type: 'point', flags: {} },
      ],
      imagePath: 'C:\\data\\micro 1.tif',
      imageData: null,
      imageHeight: 20,
      imageWidth: 20,
    },
    'micro 1.json',
  );
  assert.equal(lm.image.shapes.length, 2);
  assert.deepEqual(lm.skipped, { point: 1 });
  assert.equal(lm.image.fileName, 'C:\\data\\micro 1.tif');
  const gj = decodeGeoJson(
    [
      { type: 'Feature', id: 'a', geometry: { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[3, 3], [3, 6], [6, 6], [6, 3], [3, 3]]] }, properties: { objectType: 'annotation', classification: { name: 'Tumor', colorRGB: -3670016 } } },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [1, 1] }, properties: { objectType: 'annotation' } },
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[20, 20], [30, 20], [30, 30], [20, 20]]] }, properties: { classification: { names: ['Gamma', 'Prime'] } } },
    ],
    'x.geojson',
  );
  assert.equal(gj.image.shapes.length, 2);
  assert.equal(gj.image.shapes[0]!.label, 'Tumor');
  assert.equal(gj.image.shapes[0]!.polygons[0]!.holes.length, 1);
  assert.equal(gj.image.shapes[1]!.label, 'Gamma: Prime');
  assert.deepEqual(gj.skipped, { Point: 1 });
  const cv = decodeCvat(
    `<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
<meta><task><labels><label><name>grain</name><color>#33ddff</color></label></labels></task></meta>
<image id="0" name="folder/a.png" width="10" height="8">
  <box label="grain" source="manual" occluded="0" xtl="1" ytl="1" xbr="4" ybr="3" z_order="0"></box>
  <mask label="grain" source="auto" occluded="0" rle="3, 2, 2, 2" left="5" top="2" width="3" height="3" z_order="0"></mask>
  <polyline label="grain" points="0,0;5,5" occluded="0"></polyline>
</image>
<track id="0" label="grain"></track>
</annotations>`,
    'task.xml',
  );
  assert.equal(cv.images[0]!.shapes.length, 2);
  assert.deepEqual([...cv.images[0]!.shapes[1]!.mask!.data], [0, 0, 0, 1, 1, 0, 0, 1, 1]);
  assert.deepEqual(cv.skipped, { 'video track': 1, polyline: 1 });
  assert.equal(cv.labelColors.get('grain'), '#33ddff');
});

test('bad files: errors name the file and what is wrong; the import goes on with the other files', async () => {
  assert.throws(() => decodeLabelMe({ shapes: [{ label: 'a', points: [[0, 0], [1, 1]], shape_type: 'polygon' }] }, 'two.json'), /two\.json: shapes\[0\] \(a\) is a polygon with 2 point/);
  assert.throws(() => decodeLabelMe({ nothing: 1 }, 'x.json'), /x\.json is not a LabelMe file/);
  assert.throws(() => decodeGeoJson({ type: 'Topology' }, 'topo.geojson'), /topo\.geojson is not GeoJSON/);
  assert.throws(() => decodeGeoJson([{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], ['a', 1]]] } }], 'g.geojson'), /g\.geojson: feature 0/);
  assert.throws(() => decodeCvat('<annotations><image name="a" width="5" height="5"><mask label="x" rle="99" left="0" top="0" width="2" height="2"/></image></annotations>', 't.xml'), /t\.xml: <image> 1 \(a\) <mask> 1: mask run lengths overrun/);
  assert.throws(() => decodeCvat('<!DOCTYPE x [<!ENTITY a "aaaa">]><annotations></annotations>', 'bomb.xml'), /bomb\.xml declares a DOCTYPE/);
  assert.throws(() => decodeCvat('<annotations><image name="a" width="5"', 'cut.xml'), /cut\.xml/);

  const ims = kitImages();
  const dst = join(tempDir(), 'dst');
  await makeBareProject(dst, ims);
  const dir = tempDir();
  writeFileSync(join(dir, 'grains-1.json'), '{ not json');
  writeFileSync(join(dir, 'grains-2.json'), JSON.stringify({ shapes: [{ label: 'gamma', points: [[0, 0], [50, 0], [50, 40]], shape_type: 'polygon' }], imagePath: 'grains-2.png', imageWidth: 120, imageHeight: 90 }));
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ shapes: [], imagePath: 'nothing-like-it.png', imageWidth: 10, imageHeight: 10 }));
  const svc = newService();
  try {
    await svc.call('project.open', { path: dst });
    const jobId = await runToEnd(svc, () => svc.call('labels.import', { kind: 'labelme', paths: ['grains-1.json', 'grains-2.json', 'other.json'].map((f) => join(dir, f)) }));
    const res = (await svc.call('labels.importResult', { jobId }))!;
    assert.equal(res.imported.length, 1);
    assert.equal(res.imported[0]!.segments, 1);
    assert.equal(res.failed.length, 2);
    assert.match(res.failed[0]!.message, /grains-1\.json is not JSON/);
    assert.match(res.failed[1]!.file + res.failed[1]!.message, /other\.json/);
    assert.deepEqual(res.classesCreated, ['gamma']);
  } finally {
    await svc.dispose();
  }
  assert.ok(readFileSync(join(dir, 'grains-2.json')).length > 0);
});
