import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from './io';

test('an unreadable header names the file and says what to do', async () => {
  await assert.rejects(decodeImage(new TextEncoder().encode('not an image at all'), 'scan 7.tif'), (e: Error) => {
    assert.match(e.message, /^scan 7\.tif: cannot read the image header/);
    assert.match(e.message, /copy it again from its source/);
    return true;
  });
});

test('a PNG whose header is intact but whose pixel data is cut short is refused by name', async () => {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png({ compressionLevel: 0 }).toBuffer();
  await assert.rejects(decodeImage(png.subarray(0, Math.floor(png.length / 2)), 'half.png'), /half\.png: /);
});
