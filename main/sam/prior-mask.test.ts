// The mask prompt of stack propagation lands where the decoder reads it: over the letterboxed image
// for SAM's layout, over the whole plane for stretched models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRIOR_MASK_LOGIT, priorMaskInput } from './prior-mask';
import { frameGeometry } from './preprocess';

test('a mask covering the left half of a 512x256 image covers the left half of the letterboxed image in the 256x256 plane', () => {
  const mask = new Uint8Array(256 * 256).fill(1);
  const g = frameGeometry(512, 256);
  const m = priorMaskInput({ box: { x: 0, y: 0, width: 256, height: 256 }, mask }, g, 'letterbox');
  // The image fills 256 x 128 of the plane; its left half is columns 0..127.
  assert.equal(m[0], PRIOR_MASK_LOGIT);
  assert.equal(m[127 * 256 + 127], PRIOR_MASK_LOGIT);
  assert.equal(m[127 * 256 + 128], -PRIOR_MASK_LOGIT, 'right half of the image');
  assert.equal(m[128 * 256 + 0], -PRIOR_MASK_LOGIT, 'padding below the image');
  const st = priorMaskInput({ box: { x: 0, y: 0, width: 256, height: 256 }, mask }, g, 'stretch');
  assert.equal(st[255 * 256 + 127], PRIOR_MASK_LOGIT, 'stretched: the image fills the plane');
  assert.equal(st[255 * 256 + 128], -PRIOR_MASK_LOGIT);
});

test('only the mask\'s own pixels inside its box are positive', () => {
  const g = frameGeometry(256, 256);
  // A 2x2 box at (128, 64) with one pixel set: (129, 65).
  const m = priorMaskInput({ box: { x: 128, y: 64, width: 2, height: 2 }, mask: Uint8Array.from([0, 0, 0, 1]) }, g, 'letterbox');
  const positive = [...m.keys()].filter((i) => m[i]! > 0);
  assert.deepEqual(positive, [65 * 256 + 129]);
});
