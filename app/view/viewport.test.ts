import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zoomAt, fitViewport, screenToImage, actualSize, scaleBar, MAX_SCALE } from './viewport';

test('zooming keeps the image point under the cursor fixed', () => {
  const v = { scale: 0.5, x: 10, y: 20 };
  const before = screenToImage(v, 300, 200);
  const z = zoomAt(v, 2.7, 300, 200);
  const after = screenToImage(z, 300, 200);
  assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
  assert.equal(z.scale, 1.35);
  assert.equal(zoomAt(v, 1e6, 0, 0).scale, MAX_SCALE);
});

test('fit centres the image inside the view; 1:1 gives scale 1', () => {
  const f = fitViewport(2000, 1000, 1032, 1032);
  assert.equal(f.scale, 0.5);
  assert.equal(f.x, 16);
  assert.equal(f.y, 266);
  assert.equal(actualSize(f, 1032, 1032).scale, 1);
});

test('fit keeps a top strip free for floating controls: the image fits and centres below it', () => {
  const tall = fitViewport(1000, 1000, 1032, 1032, 16, 44);
  assert.equal(tall.scale, (1032 - 44 - 32) / 1000);
  assert.equal(tall.y, 44 + 16);
  assert.equal(tall.x, (1032 - 1000 * tall.scale) / 2);
  const wide = fitViewport(2000, 1000, 1032, 1032, 16, 44);
  assert.equal(wide.scale, 0.5, 'width-limited: the strip changes nothing but the vertical centre');
  assert.equal(wide.y, 44 + (1032 - 44 - 500) / 2);
});

test('scale bar picks a 1-2-5 length near the target width', () => {
  const b = scaleBar(0.5, 1, 120); // 0.5 um per screen px -> 60 um raw
  assert.equal(b.um, 50);
  assert.equal(b.px, 100);
});
