// LabelMe / X-AnyLabeling JSON, QuPath GeoJSON and CVAT XML: export then import gives back the same
// label maps (segments with holes and in several parts included), classes and verified flags;
// files made by the tools themselves import; damaged files fail with messages naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBareProject, makeProject, newService, runToEnd, tempDir, voronoi, type KitImage } from './export-kit';
import { decodeCvat, decodeGeoJson, decodeLabelMe, decodeRoi, decodeRoiSet, encodeCvat, encodeGeoJson, encodeRoi, encodeRoiSet, shapesFromLabelMap } from '../../app/interchange';

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

async function roundTrip(format: 'labelme' | 'geojson' | 'cvat' | 'imagej', pattern: RegExp): Promise<void> {
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

test('ImageJ ROI set round trip: traced ROIs, composite ROIs for holes and parts', async () => {
  await roundTrip('imagej', /\.zip$/);
});

test('ImageJ ROIs: polygon with sub-pixel coordinates, rectangle and oval read; lines skipped; damaged and oversized sets refused', () => {
  // A polygon ROI as ImageJ writes one with sub-pixel resolution (options 128, floats after the shorts).
  const n = 3;
  const b = new Uint8Array(64 + 4 * n + 8 * n);
  const dv = new DataView(b.buffer);
  b.set([0x49, 0x6f, 0x75, 0x74]);
  dv.setUint16(4, 228);
  b[6] = 0;
  dv.setInt16(8, 1);
  dv.setInt16(10, 2);
  dv.setInt16(12, 9);
  dv.setInt16(14, 12);
  dv.setUint16(16, n);
  dv.setUint16(50, 128);
  [2.5, 11.5, 2.5].forEach((v, i) => dv.setFloat32(64 + 4 * n + 4 * i, v));
  [1.5, 1.5, 8.5].forEach((v, i) => dv.setFloat32(64 + 8 * n + 4 * i, v));
  const poly = decodeRoi(b, 'p.roi').shape!;
  assert.deepEqual(poly.polygons[0]!.outer, [2.5, 1.5, 11.5, 1.5, 2.5, 8.5]);
  assert.equal(poly.label, 'p');
  const rect = b.slice(0, 64);
  rect[6] = 1;
  assert.deepEqual(decodeRoi(rect, 'r.roi').shape!.polygons[0]!.outer, [2, 1, 12, 1, 12, 9, 2, 9]);
  const line = b.slice(0, 64);
  line[6] = 3;
  assert.equal(decodeRoi(line, 'l.roi').skippedKind, 'line');
  assert.throws(() => decodeRoi(new Uint8Array(80), 'z.roi'), /z\.roi is not an ImageJ ROI/);
  assert.throws(() => decodeRoi(b.slice(0, 70), 'cut.roi'), /cut\.roi is truncated/);
  const set = encodeRoiSet({ fileName: null, width: null, height: null, shapes: [{ label: 'a', polygons: [{ outer: [0, 0, 4, 0, 4, 4, 0, 4], holes: [] }], segmentId: 3 }] });
  assert.equal(decodeRoiSet(set, 'set.zip').image.shapes[0]!.segmentId, 3);
  assert.throws(() => decodeRoiSet(set, 'big.zip', { maxEntryBytes: 10 }), /big\.zip: the ROI set is larger/);
  assert.throws(() => decodeRoiSet(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), 'bad.zip'), /bad\.zip is not a readable zip/);
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

test('mutated files (bytes flipped, cut short) end in a result or an Error that names the file, never a crash', () => {
  const ims = kitImages();
  const map = { width: ims[0]!.width, height: ims[0]!.height, data: ims[0]!.labels };
  const { shapes } = shapesFromLabelMap(map, [...new Set(ims[0]!.labels)].filter((v) => v).map((id) => ({ id, label: 'g', verified: false })), 'mask');
  const image = { fileName: 'a.png', width: map.width, height: map.height, shapes };
  const sources: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    ['set.zip', encodeRoiSet({ ...image, shapes: shapesFromLabelMap(map, [1, 2, 3].map((id) => ({ id, label: 'g', verified: false })), 'keep').shapes }), (b) => decodeRoiSet(b, 'set.zip')],
    ['one.roi', encodeRoi(shapesFromLabelMap(map, [{ id: 2, label: 'g', verified: false }], 'keep').shapes[0]!), (b) => decodeRoi(b, 'one.roi')],
    ['t.xml', new TextEncoder().encode(encodeCvat([image], [{ name: 'g', color: null }], { name: 't', createdAt: 'now' })), (b) => decodeCvat(new TextDecoder().decode(b), 't.xml')],
    ['g.geojson', new TextEncoder().encode(JSON.stringify(encodeGeoJson(image, new Map()))), (b) => decodeGeoJson(JSON.parse(new TextDecoder().decode(b)), 'g.geojson')],
  ];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let errors = 0;
  for (const [name, good, decode] of sources) {
    for (let k = 0; k < 150; k++) {
      const b = k % 5 === 0 ? good.slice(0, Math.floor(rnd() * good.length)) : good.slice();
      if (k % 5 !== 0) for (let f = 0; f < 1 + Math.floor(rnd() * 4); f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        decode(b);
      } catch (e) {
        errors++;
        assert.ok(e instanceof Error);
        // JSON.parse errors are the caller's (main names the file there); every decoder error names it.
        if (!(e instanceof SyntaxError)) assert.ok(e.message.includes(name.split('.')[0]!), `${name}: ${e.message}`);
      }
    }
  }
  assert.ok(errors > 50, `${errors} of 600 mutated files refused`);
});
