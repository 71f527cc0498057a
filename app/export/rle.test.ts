import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  decodeMask,
  encodeLabelMap,
  encodeMask,
  fromCocoRle,
  rleArea,
  rleCountsFromString,
  rleCountsToString,
  rleMerge,
  rleToBbox,
  toCocoRle,
  type BinaryMask,
} from './rle';
import { seededRandom as rng } from '../random';

interface MaskFixture {
  name: string;
  rows: string[];
  counts: number[];
  string: string;
  area: number;
  bbox: number[];
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/coco-rle.json', import.meta.url), 'utf8')) as {
  masks: MaskFixture[];
};

function maskFromRows(rows: string[]): BinaryMask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) data[y * width + x] = r.charCodeAt(x) - 48;
  });
  return { width, height, data };
}

test('encode matches pycocotools fixtures: counts, string, area, bbox', () => {
  assert.ok(fixtures.masks.length >= 10);
  for (const f of fixtures.masks) {
    const rle = encodeMask(maskFromRows(f.rows));
    assert.deepEqual(Array.from(rle.counts), f.counts, f.name);
    assert.equal(rleCountsToString(rle.counts), f.string, f.name);
    assert.equal(rleArea(rle), f.area, f.name);
    assert.deepEqual(rleToBbox(rle), f.bbox, f.name);
    const back = rleCountsFromString(f.string, rle.height, rle.width);
    assert.deepEqual(Array.from(back.counts), f.counts, f.name);
    assert.deepEqual(decodeMask(back).data, maskFromRows(f.rows).data, f.name);
  }
});

test('strings published by other pycocotools users decode and re-encode identically', () => {
  // CVAT's COCO RLE unit test pairs (counts -> string).
  const pairs: [number[], string][] = [
    [[0, 6, 1, 3], '061M'],
    [[0, 6, 1], '061'],
    [[0, 6, 1, 1], '061K'],
    [[0, 6, 1, 5], '061O'],
    [[0, 6, 1, 6], '0610'],
    [[0, 1, 1, 2, 1, 3, 1, 4, 1], '011101010'],
    [[0, 1024], '0PP1'],
  ];
  for (const [counts, s] of pairs) {
    assert.equal(rleCountsToString(counts), s);
    const total = counts.reduce((a, b) => a + b, 0);
    assert.deepEqual(Array.from(rleCountsFromString(s, 1, total).counts), counts);
  }
  // pixano's fixture: a 3x3 square at rows/cols 1..3 of a 10x10 mask.
  const sq = new Uint8Array(100);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) sq[y * 10 + x] = 1;
  assert.equal(toCocoRle(encodeMask({ width: 10, height: 10, data: sq }), 'compressed').counts, ';37000k1');
  // A 50x70 mask string written by pycocotools (armengot/COCOtoolsFORK README).
  const s =
    '0g05b08J4M2N2NA^O1`0OCO=0E090H080IO68DH;>@C>a0_O_O`0j0OWOF<:CM72I24NL43JM92FN;1ENKO72L0LO91J0MO92INO0NO122OO0M031O000NO31OO11MO40N011MO41MO21L06OL021L06OL021L06OL021L060J040L060J040L060J040L060J040L060J040L060J040L060KO31L060KO31L06OL021L06OL021L06OL021MO41MO21MO40N100NO310O00M0310O00NO1220NO92IONO91KOMO72M0<1EO:2GN63KM34OLM73JF<;=1G_O_Ob0=AC`07EH=1IO71H090F0:1DO>1_O1b0>2N2N3L6H]O';
  const mask = decodeMask(fromCocoRle({ size: [50, 70], counts: s }));
  assert.equal(toCocoRle(encodeMask(mask), 'compressed').counts, s);
});

test('random masks round trip through both COCO forms', () => {
  const r = rng(7);
  for (let t = 0; t < 200; t++) {
    const width = 1 + Math.floor(r() * 40);
    const height = 1 + Math.floor(r() * 40);
    const p = r();
    const data = new Uint8Array(width * height);
    // Blobby masks (runs) as well as salt-and-pepper ones.
    let on = r() < p;
    for (let i = 0; i < data.length; i++) {
      if (r() < (t % 2 ? 0.5 : 0.08)) on = r() < p;
      data[i] = on ? 1 : 0;
    }
    const mask = { width, height, data };
    const rle = encodeMask(mask);
    let area = 0;
    for (const v of data) area += v;
    assert.equal(rleArea(rle), area);
    for (const format of ['compressed', 'uncompressed'] as const) {
      const json = JSON.parse(JSON.stringify(toCocoRle(rle, format))) as Parameters<typeof fromCocoRle>[0];
      assert.deepEqual(decodeMask(fromCocoRle(json)).data, data);
    }
  }
});

test('large counts and negative deltas survive the string form', () => {
  const counts = [0, 3_000_000, 1, 2_999_999, 5, 17, 123_456, 2, 1];
  const total = counts.reduce((a, b) => a + b, 0);
  const s = rleCountsToString(counts);
  assert.deepEqual(Array.from(rleCountsFromString(s, 1, total).counts), counts);
});

test('encodeLabelMap gives each id the same RLE as encoding its mask alone', () => {
  const r = rng(3);
  const width = 37;
  const height = 29;
  const data = new Uint32Array(width * height);
  let id = 0;
  for (let i = 0; i < data.length; i++) {
    if (r() < 0.15) id = r() < 0.2 ? 0 : 1 + Math.floor(r() * 9) * 1000;
    data[i] = id;
  }
  const map = { width, height, data };
  const all = encodeLabelMap(map);
  const ids = [...new Set(data)].filter((v) => v !== 0).sort((a, b) => a - b);
  assert.deepEqual([...all.keys()], ids);
  for (const k of ids) {
    const mask = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) mask[i] = data[i] === k ? 1 : 0;
    assert.deepEqual(Array.from(all.get(k)!.counts), Array.from(encodeMask({ width, height, data: mask }).counts));
  }
  const some = encodeLabelMap(map, { ids: [ids[1]!, 424242] });
  assert.deepEqual([...some.keys()], [ids[1]]);
});

test('encodeLabelMap handles a segment that ends on the last pixel and spans many columns', () => {
  const width = 600;
  const height = 3;
  const data = new Uint32Array(width * height).fill(5);
  data[0] = 0;
  const rle = encodeLabelMap({ width, height, data }).get(5)!;
  assert.deepEqual(Array.from(rle.counts), [1, width * height - 1]);
});

test('merge: union and intersection agree with pixelwise logic', () => {
  const r = rng(11);
  const width = 13;
  const height = 9;
  const masks = [0, 1, 2].map(() => {
    const d = new Uint8Array(width * height);
    for (let i = 0; i < d.length; i++) d[i] = r() < 0.4 ? 1 : 0;
    return d;
  });
  const rles = masks.map((d) => encodeMask({ width, height, data: d }));
  const or = new Uint8Array(width * height);
  const and = new Uint8Array(width * height).fill(1);
  for (const d of masks) for (let i = 0; i < d.length; i++) {
    or[i] = or[i]! | d[i]!;
    and[i] = and[i]! & d[i]!;
  }
  const u = rleMerge(rles);
  assert.deepEqual(Array.from(u.counts), Array.from(encodeMask({ width, height, data: or }).counts));
  const x = rleMerge(rles, true);
  assert.deepEqual(Array.from(x.counts), Array.from(encodeMask({ width, height, data: and }).counts));
});

test('decoders reject damaged input with a clear message and never allocate for absurd sizes', () => {
  // 10^10 pixels would need 10 GB if it were allocated; the size check must come first.
  assert.throws(() => fromCocoRle({ size: [100000, 100000], counts: '0' }), /exceeds the limit/);
  assert.throws(() => fromCocoRle({ size: [100000, 100000], counts: [0, 10_000_000_000] }), /exceeds the limit/);
  assert.throws(() => fromCocoRle({ size: [4, 4], counts: [3, 2] }), /cover 5 pixels/);
  assert.throws(() => fromCocoRle({ size: [4, 4], counts: [3, 20] }), /more than the 16 pixels/);
  assert.throws(() => fromCocoRle({ size: [4, 4], counts: [3, -1, 14] }), /non-negative integers/);
  assert.throws(() => fromCocoRle({ size: [4, 4], counts: [3.5, 12.5] }), /non-negative integers/);
  assert.throws(() => rleCountsFromString('0 1', 1, 2), /invalid character/);
  assert.throws(() => rleCountsFromString('0P', 1, 2), /ends in the middle/);
  assert.throws(() => rleCountsFromString('0PPPPPPPP1', 1, 2), /over-long|more than/);
  assert.throws(() => rleCountsFromString('2', 1, 3), /covers 2 pixels/);
  // A delta that makes a run negative.
  assert.throws(() => rleCountsFromString('111N', 1, 10), /negative run length/);
  assert.throws(() => fromCocoRle({ size: [20, 20], counts: '0' }, { maxPixels: 100 }), /400 pixels\) exceeds the limit of 100/);
});
