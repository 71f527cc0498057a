// The hand-written PNG codec against sharp (libvips/libpng) in both directions: exact samples for
// 8/16-bit grey, RGB and indexed images, every filter type, low bit depths and damaged files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodePng, encodePng, pngHeader } from './png';

function pattern(n: number, mod: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + ((i / 13) | 0) * 31) % mod);
}

test('16-bit grey and 8-bit RGB written here read back identically, here and in sharp', async () => {
  const w = 67;
  const h = 41;
  const g16 = Uint16Array.from(pattern(w * h, 65536));
  const png16 = await encodePng({ width: w, height: h, channels: 1, bitDepth: 16, data: g16 });
  assert.deepEqual((await decodePng(png16)).data, g16);
  const viaSharp = await sharp(png16).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
  assert.deepEqual(new Uint16Array(viaSharp.buffer, viaSharp.byteOffset, viaSharp.length / 2), g16, 'sharp reads the same 16-bit values');
  // The fast mask settings (Up filter, run-length deflate) give the same samples.
  const fast = await encodePng({ width: w, height: h, channels: 1, bitDepth: 16, data: g16 }, { filter: 'up', strategy: 'rle' });
  assert.deepEqual((await decodePng(fast)).data, g16);
  const fastSharp = await sharp(fast).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
  assert.deepEqual(new Uint16Array(fastSharp.buffer, fastSharp.byteOffset, fastSharp.length / 2), g16);

  const rgb = Uint8Array.from(pattern(w * h * 3, 256));
  const pngRgb = await encodePng({ width: w, height: h, channels: 3, bitDepth: 8, data: rgb });
  assert.deepEqual((await decodePng(pngRgb)).data, rgb);
  assert.deepEqual(new Uint8Array(await sharp(pngRgb).raw().toBuffer()), rgb);
});

test('indexed PNG keeps its palette and indices; sharp sees the palette colours', async () => {
  const w = 20;
  const h = 9;
  const idx = Uint8Array.from(pattern(w * h, 4));
  const palette = Uint8Array.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const png = await encodePng({ width: w, height: h, channels: 1, bitDepth: 8, data: idx, palette });
  const back = await decodePng(png);
  assert.deepEqual(back.data, idx);
  assert.deepEqual(back.palette, palette);
  assert.equal(pngHeader(png)!.colourType, 3);
  const rgb = await sharp(png).raw().toBuffer();
  for (let i = 0; i < idx.length; i++) assert.deepEqual([...rgb.subarray(i * 3, i * 3 + 3)], [...palette.subarray(idx[i]! * 3, idx[i]! * 3 + 3)]);
});

test('reads what libpng writes: all filters, 16-bit grey, low-bit palettes', async () => {
  const w = 53;
  const h = 29;
  const grey = Uint8Array.from(pattern(w * h, 256));
  const adaptive = await sharp(grey, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer();
  assert.deepEqual((await decodePng(adaptive)).data, grey);
  const g16 = Uint16Array.from(pattern(w * h, 65536));
  const p16 = await sharp(g16, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  const d16 = await decodePng(p16);
  assert.equal(d16.bitDepth, 16);
  assert.deepEqual(d16.data, g16);
  // Four colours: libvips writes a 2-bit palette.
  const rgb = new Uint8Array(w * h * 3);
  const cols = [[10, 20, 30], [200, 0, 0], [0, 200, 0], [0, 0, 200]];
  for (let i = 0; i < w * h; i++) rgb.set(cols[(i >> 3) % 4]!, i * 3);
  const pal = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours: 4, dither: 0 }).toBuffer();
  const dp = await decodePng(pal);
  assert.ok(dp.palette && pngHeader(pal)!.bitDepth < 8);
  const pl: Uint8Array = dp.palette!;
  for (let i = 0; i < w * h; i++) {
    const c = pl.subarray(dp.data[i]! * 3, dp.data[i]! * 3 + 3);
    assert.deepEqual([...c], cols[(i >> 3) % 4], `pixel ${i}`);
  }
});

test('damaged files are refused with a reason', async () => {
  const png = await encodePng({ width: 8, height: 8, channels: 1, bitDepth: 8, data: new Uint8Array(64).fill(3) });
  await assert.rejects(decodePng(png.subarray(0, png.length - 20)), /truncated|damaged|runs past/);
  await assert.rejects(decodePng(new Uint8Array([1, 2, 3])), /not a PNG/);
  await assert.rejects(encodePng({ width: 4, height: 4, channels: 1, bitDepth: 8, data: new Uint8Array(3) }), /expected 4x4x1/);
});
