// Tests of slice stacks' pure parts: 3D linking by overlap, 3D statistics, classic propagation
// against the synthetic stack's truth, and the synthetic stack itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelMap } from '../types';
import { linkSlices, matchSlices, objectLabels } from './link';
import { sphereDiameter, stackStats } from './stats';
import { propagateClassic } from './propagate';
import { generateStack } from '../synth/stack';
import { naturalOrder } from './order';
import { imageJSpacingUm } from './imagej';

function map(w: number, h: number, rows: number[][]): LabelMap {
  return { width: w, height: h, data: Uint32Array.from(rows.flat()) };
}

function iou(a: Uint32Array, ida: number, b: Uint32Array, idb: number): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === ida;
    const y = b[i] === idb;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

test('segments that overlap on adjacent slices are one object; a segment with no partner starts a new one', () => {
  const s0 = map(4, 2, [
    [1, 1, 0, 2],
    [1, 1, 0, 2],
  ]);
  // Ids change between slices (as after re-segmenting); object 1 goes on as 7, 2 ends, 9 is new.
  const s1 = map(4, 2, [
    [7, 7, 0, 0],
    [7, 0, 9, 0],
  ]);
  const s2 = map(4, 2, [
    [3, 3, 5, 0],
    [3, 3, 5, 0],
  ]);
  const links = linkSlices([s0, s1, s2]);
  assert.equal(links.objectOf[0]!.get(1), links.objectOf[1]!.get(7));
  assert.equal(links.objectOf[1]!.get(7), links.objectOf[2]!.get(3));
  assert.equal(links.objectOf[1]!.get(9), links.objectOf[2]!.get(5));
  assert.notEqual(links.objectOf[0]!.get(2), links.objectOf[1]!.get(9));
  assert.equal(links.objectCount, 3);
  assert.deepEqual([...objectLabels(s2, links.objectOf[2]!)], [1, 1, 3, 0, 1, 1, 3, 0]);
});

test('matching is one-to-one by highest IoU among pairs overlapping enough of the smaller segment', () => {
  const a = map(6, 1, [[1, 1, 1, 1, 2, 2]]);
  const b = map(6, 1, [[5, 5, 5, 6, 6, 6]]);
  // 1~5 IoU 3/4 (overlap 3/3), 1~6 overlap 1/3, 2~6 IoU 2/4 (overlap 2/2): 1->5 and 2->6.
  assert.deepEqual([...matchSlices(a, b).entries()], [[1, 5], [2, 6]]);
  assert.deepEqual([...matchSlices(a, b, 0.5).entries()], [[1, 5], [2, 6]]);
  // A small section nested in a big one (a particle near its pole): IoU 1/8, still one object.
  const big = map(8, 1, [[3, 3, 3, 3, 3, 3, 3, 3]]);
  const small = map(8, 1, [[0, 0, 0, 4, 0, 0, 0, 0]]);
  assert.deepEqual([...matchSlices(big, small).entries()], [[3, 4]]);
  const apart = map(8, 1, [[0, 0, 0, 0, 0, 0, 7, 7]]);
  assert.deepEqual([...matchSlices(small, apart).entries()], []);
});

test('3D statistics: voxels, calibrated volume, equivalent sphere diameter and class fractions', () => {
  const s0 = map(3, 1, [[1, 1, 0]]);
  const s1 = map(3, 1, [[4, 4, 4]]);
  const links = linkSlices([s0, s1]);
  const st = stackStats(
    [
      { labels: s0, classOf: () => 2 },
      { labels: s1, classOf: () => 2 },
    ],
    links,
    { pixelSizeUm: 0.5, spacingUm: 2 },
  );
  assert.equal(st.objectCount, 1);
  assert.equal(st.objects[0]!.voxels, 5);
  assert.equal(st.objects[0]!.volumeUm3, 5 * 0.5 * 0.5 * 2);
  assert.ok(Math.abs(st.objects[0]!.esdUm! - Math.cbrt((6 * 2.5) / Math.PI)) < 1e-12);
  assert.deepEqual([st.objects[0]!.firstZ, st.objects[0]!.lastZ, st.objects[0]!.classId], [0, 1, 2]);
  assert.deepEqual(st.fractions.map((f) => [f.classId, f.voxels]), [[2, 5], ['none', 1]]);
  const bare = stackStats([{ labels: s0, classOf: () => null }], linkSlices([s0]), { pixelSizeUm: null, spacingUm: 3 });
  assert.equal(bare.objects[0]!.volumeUm3, null);
  assert.ok(Math.abs(bare.objects[0]!.esdVoxels - sphereDiameter(2)) < 1e-12);
});

test('the synthetic stack is deterministic and its truth is what its particles say', () => {
  const a = generateStack({ width: 96, height: 96, depth: 10, particles: 6, seed: 3 });
  const b = generateStack({ width: 96, height: 96, depth: 10, particles: 6, seed: 3 });
  assert.deepEqual(a.labels.map((l) => [...l]), b.labels.map((l) => [...l]));
  assert.ok(a.particles.length >= 3);
  for (const p of a.particles) {
    let voxels = 0;
    for (const l of a.labels) for (const v of l) if (v === p.id) voxels++;
    assert.equal(voxels, p.voxels);
  }
  // Particles are brighter than the matrix.
  const lab = a.labels[5]!;
  const img = a.slices[5]!;
  let inSum = 0, inN = 0, outSum = 0, outN = 0;
  lab.forEach((v, i) => (v ? ((inSum += img[i]!), inN++) : ((outSum += img[i]!), outN++)));
  if (inN > 0) assert.ok(inSum / inN > outSum / outN + 50);
});

test('classic propagation follows particles from a true slice to the next ones and drops those that end', () => {
  const st = generateStack({ width: 128, height: 128, depth: 8, particles: 10, seed: 5, minRadius: 8, maxRadius: 14 });
  const grey = (z: number) => ({ width: st.width, height: st.height, data: st.slices[z]! });
  let labels: LabelMap = { width: st.width, height: st.height, data: st.labels[3]! };
  for (let z = 4; z < 8; z++) {
    const next = propagateClassic(grey(z - 1), labels, grey(z));
    const truth = st.labels[z]!;
    // Every propagated segment carries the id of the particle it came from (ids are kept) and matches its truth.
    const ids = new Set(next.data);
    ids.delete(0);
    for (const id of ids) {
      const t = truth.includes(id);
      assert.ok(t, `particle ${id} ended before slice ${z} but was propagated`);
      assert.ok(iou(next.data, id, truth, id) > 0.7, `particle ${id} on slice ${z}: IoU ${iou(next.data, id, truth, id).toFixed(2)}`);
    }
    labels = next;
  }
});

test('a grain map (no matrix) is propagated onto the same slice unchanged', () => {
  const labels = map(8, 4, [
    [1, 1, 1, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 2, 2, 2, 2],
    [1, 1, 1, 1, 2, 2, 2, 2],
  ]);
  const img = { width: 8, height: 4, data: Uint8Array.from(labels.data, (v) => (v === 1 ? 60 : 180)) };
  const next = propagateClassic(img, labels, img, { margin: 1, minArea: 1 });
  assert.deepEqual([...next.data], [...labels.data]);
});

test('slice files are ordered naturally (2 before 10)', () => {
  assert.deepEqual(naturalOrder(['s10.tif', 's2.tif', 's1.tif']), ['s1.tif', 's2.tif', 's10.tif']);
});

test('a Fiji stack\'s description gives its slice spacing in µm', () => {
  assert.equal(imageJSpacingUm('ImageJ=1.54f\nimages=24\nslices=24\nunit=micron\nspacing=0.5\nloop=false\n'), 0.5);
  assert.equal(imageJSpacingUm('ImageJ=1.54f\nunit=nm\nspacing=250\n'), 0.25);
  assert.equal(imageJSpacingUm('ImageJ=1.54f\nunit=pixel\nspacing=2\n'), null, 'uncalibrated');
  assert.equal(imageJSpacingUm('unit=micron\nspacing=0.5\n'), null, 'not ImageJ');
});
