// Picking point pairs on the canvas: four clicks (image, map, image, map) with the map drawn at a
// wrong registration solve to the true one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPick, NO_PICKS, pairsOf, pickPrompt, pickStep } from './pick';
import { mapToImage, solveTwoPoints } from './registration';

test('clicks on the image and on the map drawn at a wrong registration solve to the true registration', () => {
  const truth = { sx: 4, sy: 4, tx: 11, ty: -7 };
  const shown = { sx: 3.5, sy: 4.2, tx: 0, ty: 0 };
  const features = [{ x: 5.5, y: 9.5 }, { x: 50.5, y: 60.5 }];
  let p = NO_PICKS;
  assert.deepEqual(pickStep(p), { step: 'image', pair: 1 });
  assert.match(pickPrompt(p, 'Fe'), /Point 1 of 2: click .* on the image/);
  for (const f of features) {
    p = addPick(p, mapToImage(truth, f.x, f.y), shown); // the feature on the image
    assert.equal(pickStep(p).step, 'map');
    assert.match(pickPrompt(p, 'Fe'), /on the Fe map/);
    p = addPick(p, mapToImage(shown, f.x, f.y), shown); // the same feature where the map is drawn
  }
  assert.deepEqual(pickStep(p), { step: 'done', pair: 2 });
  assert.equal(addPick(p, { x: 1, y: 1 }, shown), p, 'a fifth click changes nothing');
  const pairs = pairsOf(p)!;
  const r = solveTwoPoints(pairs[0], pairs[1]);
  for (const k of ['sx', 'sy', 'tx', 'ty'] as const) assert.ok(Math.abs(r[k] - truth[k]) < 1e-9, `${k}: ${r[k]} vs ${truth[k]}`);
  assert.equal(pairsOf({ points: p.points.slice(0, 3) }), null);
});
