// Elemental maps as pixel-classifier features: with them the classifier separates two phases of
// one grey level that the filter bank alone cannot; a classifier trained with maps needs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEds } from '../synth';
import { resampleToImage } from '../channels/registration';
import { channelFeatureMaps, CHANNEL_SIGMAS } from './channel-features';
import { normalizedGrey } from './features';
import { argmaxClasses, predict, train } from './pipeline';

test('maps as extra features separate two phases of one grey level', () => {
  const w = 160;
  const eds = generateEds({ size: w, seed: 6, mapScale: 4 });
  const grey = normalizedGrey({ width: w, height: w, channels: 1, bitDepth: 8, data: eds.image.data });
  const extra = channelFeatureMaps(eds.maps.map((m) => resampleToImage(m, eds.registration, w, w)), w, w);
  assert.equal(extra.length, eds.maps.length * CHANNEL_SIGMAS.length * w * w);
  // Every 9th pixel of each phase, away from nothing in particular: a sparse, even labelling.
  const labels = new Uint8Array(w * w);
  for (let i = 0; i < labels.length; i += 9) labels[i] = eds.classes[i]!;
  const features = { sigmas: [1, 3], kinds: ['gauss', 'gradient'] as ('gauss' | 'gradient')[] };
  const iouAB = (cls: Uint8Array) => {
    let s = 0;
    for (const p of [0, 1]) {
      let i = 0, u = 0;
      for (let q = 0; q < cls.length; q++) {
        const a = cls[q] === p;
        const b = eds.classes[q] === p + 1;
        if (a && b) i++;
        if (a || b) u++;
      }
      s += i / u / 2;
    }
    return s;
  };
  const plain = train([{ grey, width: w, height: w, labels }], { features, nClasses: 3, autoContext: false });
  const withMaps = train([{ grey, width: w, height: w, labels, extra }], { features, nClasses: 3, autoContext: false });
  assert.equal(withMaps.extraFeatures, extra.length / (w * w));
  const a = iouAB(argmaxClasses(predict(plain, grey, w, w), 3, w * w));
  const b = iouAB(argmaxClasses(predict(withMaps, grey, w, w, { extra }), 3, w * w));
  assert.ok(b > 0.75 && b > a + 0.2, `same-grey phases IoU: grey alone ${a}, with maps ${b}`);
  assert.throws(() => predict(withMaps, grey, w, w), /needs 9 extra feature maps/);
});
