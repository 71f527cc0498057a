import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePhases } from '../synth';
import { segmentClassicDetailed, type ClassicSettings } from './index';
import { segmentPhasesTiled } from './tiled';

/** Pixels where the tiled labels differ from the untiled ones (both are numbered in raster order). */
function differing(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const cases: [string, Parameters<typeof generatePhases>[0], ClassicSettings][] = [
  ['particles, Otsu', { width: 301, height: 257, seed: 3, structure: 'particles' }, { mode: 'phase', minArea: 16, invert: false }],
  ['network, smoothed, 3 classes', { width: 290, height: 260, seed: 5, structure: 'network' }, { mode: 'phase', minArea: 24, invert: false, sigma: 1.5, classes: 3 }],
  ['lamellae, adaptive, background labelled', { width: 260, height: 300, seed: 7, structure: 'lamellae' }, { mode: 'phase', minArea: 16, invert: true, threshold: 'adaptive', blockSize: 31, labelBackground: true }],
];

for (const [name, synth, settings] of cases) {
  test(`tiled phase segmentation equals the whole-image one: ${name}`, () => {
    const { image } = generatePhases(synth);
    const whole = segmentClassicDetailed(image, settings);
    // Small tiles, so many regions are cut by tile borders and must be joined back.
    const tiled = segmentPhasesTiled(image, settings, { tile: 64, overlap: 8 });
    assert.deepEqual(tiled.thresholds, whole.thresholds);
    const maxId = whole.labels.data.reduce((m, v) => Math.max(m, v), 0);
    assert.ok(maxId > 5, `the image has regions to cut (${maxId})`);
    let cut = 0;
    const { width, height } = image;
    for (let bx = 64; bx < width; bx += 64) for (let y = 0; y < height; y++) if (whole.labels.data[y * width + bx]! !== 0 && whole.labels.data[y * width + bx] === whole.labels.data[y * width + bx - 1]) cut++;
    assert.ok(cut > 50, `regions cross tile borders (${cut} border pixel pairs) and must be joined back`);
    const off = differing(tiled.labels.data, whole.labels.data);
    assert.equal(off, 0, `${off} of ${image.width * image.height} pixels differ`);
    assert.deepEqual(tiled.segmentClass, whole.segmentClass);
  });
}

test('grain mode is refused by the tiled path', () => {
  const { image } = generatePhases({ width: 40, height: 40 });
  assert.throws(() => segmentPhasesTiled(image, { mode: 'grain', minArea: 16, invert: false }), /phase mode/);
});
