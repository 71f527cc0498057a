// Registration of elemental maps: the estimate recovers a known scale and shift of synthetic EDS
// maps, two point pairs give scale and shift exactly, resampling puts map pixels where they belong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateRegistration, imageToMap, mapToImage, resampleToImage, solveTwoPoints } from './registration';
import { channelColour, elementFromFileName } from './elements';
import { generateEds } from '../synth';

test('the estimate recovers the scale and shift of synthetic EDS maps to within a pixel', () => {
  for (const [seed, shift] of [[1, { x: 13, y: -9 }], [2, { x: -22, y: 6 }], [3, { x: 0, y: 17 }]] as const) {
    const eds = generateEds({ size: 256, seed, mapScale: 4, shift });
    const est = estimateRegistration(eds.image, eds.maps);
    assert.equal(est.sx, 4);
    assert.equal(est.sy, 4);
    assert.ok(Math.abs(est.tx - shift.x) <= 1, `seed ${seed}: tx ${est.tx} vs ${shift.x}`);
    assert.ok(Math.abs(est.ty - shift.y) <= 1, `seed ${seed}: ty ${est.ty} vs ${shift.y}`);
    assert.ok(est.score > 0.2, `score ${est.score}`);
  }
});

test('the estimate works with maps larger than the coarse grid (two-level search)', () => {
  const eds = generateEds({ size: 600, seed: 5, mapScale: 2, shift: { x: 31, y: -18 } });
  const est = estimateRegistration(eds.image, eds.maps);
  assert.ok(Math.abs(est.tx - 31) <= 1 && Math.abs(est.ty + 18) <= 1, `got ${est.tx}, ${est.ty}`);
});

test('two point pairs give scale and translation; one axis may borrow the other scale', () => {
  const truth = { sx: 4, sy: 3.5, tx: 12.5, ty: -7 };
  const a = { map: { x: 10, y: 20 }, image: mapToImage(truth, 10, 20) };
  const b = { map: { x: 90, y: 70 }, image: mapToImage(truth, 90, 70) };
  const r = solveTwoPoints(a, b);
  for (const k of ['sx', 'sy', 'tx', 'ty'] as const) assert.ok(Math.abs(r[k] - truth[k]) < 1e-9, `${k}: ${r[k]}`);
  const back = imageToMap(r, a.image.x, a.image.y);
  assert.ok(Math.abs(back.x - 10) < 1e-9 && Math.abs(back.y - 20) < 1e-9);
  const flat = solveTwoPoints({ map: { x: 0, y: 5 }, image: { x: 3, y: 25 } }, { map: { x: 50, y: 5 }, image: { x: 203, y: 25 } });
  assert.deepEqual(flat, { sx: 4, sy: 4, tx: 3, ty: 5 });
  assert.throws(() => solveTwoPoints(a, { ...a }), /less than 2 px/);
  assert.throws(() => solveTwoPoints(a, { map: b.map, image: { x: a.image.x - 100, y: a.image.y - 100 } }), /opposite order/);
});

test('resampling puts each map pixel on its image cells and leaves uncovered pixels NaN', () => {
  const map = { width: 2, height: 1, data: [10, 30] };
  const out = resampleToImage(map, { sx: 4, sy: 4, tx: 2, ty: 0 }, 12, 4);
  // Map pixel 0 covers image x 2..5 (centre 4), pixel 1 covers 6..9 (centre 8); bilinear between.
  assert.ok(Number.isNaN(out[0]!) && Number.isNaN(out[1]!));
  assert.equal(out[2], 10);
  assert.equal(out[3], 10);
  assert.equal(out[5], 17.5);
  assert.equal(out[9], 30);
  assert.ok(Number.isNaN(out[10]!));
});

test('element names come from file names; colours differ between channels', () => {
  assert.equal(elementFromFileName('Fe Ka.png'), 'Fe');
  assert.equal(elementFromFileName('map_Ni.tif'), 'Ni');
  assert.equal(elementFromFileName('/data/EDS-CrKa.tiff'), 'Cr');
  assert.equal(elementFromFileName('site 3 Al K.png'), 'Al');
  assert.equal(elementFromFileName('backscatter.png'), 'backscatter');
  assert.notEqual(channelColour(0), channelColour(1));
});

test('synthetic EDS: alpha and beta share a grey level and differ in Fe and Ni', () => {
  const eds = generateEds({ size: 256, seed: 4 });
  const mean = (p: number) => {
    let s = 0, n = 0;
    for (let i = 0; i < eds.classes.length; i++) if (eds.classes[i] === p) { s += eds.image.data[i]!; n++; }
    return s / n;
  };
  assert.ok(Math.abs(mean(1) - mean(2)) < 4, `alpha ${mean(1)} beta ${mean(2)}`);
  assert.ok(mean(1) - mean(3) > 30);
  assert.deepEqual(eds.maps.map((m) => [m.element, m.width]), [['Fe', 64], ['Ni', 64], ['Cr', 64]]);
  const again = generateEds({ size: 256, seed: 4 });
  assert.deepEqual(again.maps[1]!.data, eds.maps[1]!.data);
});
