// The TIFF writer round-trips through sharp (libvips/libtiff): grey 8/16/32-bit and RGB, one strip
// and several (64 rows each), values exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodeTiff, encodeTiffPages } from './tiff';

const W = 37;
const H = 150; // three strips

test('grey 8, 16 and 32-bit TIFFs read back exactly with their depth', async () => {
  const cases = [
    { bitDepth: 8, data: Uint8Array.from({ length: W * H }, (_, i) => (i * 31) % 256), depth: 'uchar', cs: 'b-w' },
    { bitDepth: 16, data: Uint16Array.from({ length: W * H }, (_, i) => (i * 7919) % 65536), depth: 'ushort', cs: 'grey16' },
    { bitDepth: 32, data: Uint32Array.from({ length: W * H }, (_, i) => (i * 2_654_435_761) % 4_294_967_296), depth: 'uint', cs: 'b-w' },
  ] as const;
  for (const c of cases) {
    const tif = encodeTiff({ width: W, height: H, channels: 1, bitDepth: c.bitDepth, data: c.data });
    const meta = await sharp(tif).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.depth], [W, H, 1, c.depth]);
    const raw = await sharp(tif).toColourspace(c.cs).raw({ depth: c.depth }).toBuffer();
    const Ctor = c.data.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor;
    const back = new Ctor(raw.buffer, raw.byteOffset, raw.byteLength / Ctor.BYTES_PER_ELEMENT);
    assert.deepEqual(back, c.data, `${c.bitDepth}-bit`);
  }
});

test('RGB 8-bit TIFF reads back exactly', async () => {
  const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 13) % 251);
  const raw = await sharp(encodeTiff({ width: W, height: H, channels: 3, bitDepth: 8, data: rgb })).raw().toBuffer();
  assert.deepEqual(new Uint8Array(raw), rgb);
});

test('a raster of the wrong length is refused', () => {
  assert.throws(() => encodeTiff({ width: 4, height: 4, channels: 1, bitDepth: 8, data: new Uint8Array(15) }), /needs 16 samples, got 15/);
});

test('a multi-page TIFF (a stack of 32-bit label slices) reads back page by page', async () => {
  const pages = [0, 1, 2].map((z) => Uint32Array.from({ length: W * H }, (_, i) => (i % 5 === z ? 70_000 + z : 0)));
  const tif = encodeTiffPages(pages.map((data) => ({ width: W, height: H, channels: 1, bitDepth: 32, data })));
  assert.equal((await sharp(tif).metadata()).pages, 3);
  for (let z = 0; z < 3; z++) {
    const raw = await sharp(tif, { page: z }).toColourspace('b-w').raw({ depth: 'uint' }).toBuffer();
    assert.deepEqual(new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), pages[z], `page ${z}`);
  }
});
