// Self-training (app/learn/self-train.ts) on synthetic two-texture images: with a person's labels
// on one corner of one image only, pseudo-labels from other images keep or raise the score there;
// a person's labels are never replaced (even where the classifier disagrees); same seed, same result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxClasses, predict, train, type TrainImage, type TrainOptions } from './pipeline';
import { selfTrain } from './self-train';
import { twoTextureImage } from './synthetic';

const W = 96;
const OPTS: TrainOptions = { features: { sigmas: [0.7, 1.6, 3.5], kinds: ['gauss', 'gradient', 'hessian', 'structure'] }, nClasses: 2, forest: { trees: 8 } };

function image(seed: number) {
  const t = twoTextureImage(W, W, seed, 10, 10);
  return { grey: Float32Array.from(t.data, (v) => v / 255), width: W, height: W, classes: t.classes };
}

/** Labels only in the left quarter of the image, every third row (strokes that cover part of it). */
function cornerLabels(classes: Uint8Array): Uint8Array {
  const out = new Uint8Array(classes.length);
  for (let y = 0; y < W; y += 3) for (let x = 0; x < W / 4; x++) out[y * W + x] = classes[y * W + x]! + 1;
  return out;
}

function discIoU(clf: ReturnType<typeof train>, ims: ReturnType<typeof image>[]): number {
  let i = 0;
  let u = 0;
  for (const im of ims) {
    const pred = argmaxClasses(predict(clf, im.grey, W, W), 2, W * W);
    for (let k = 0; k < pred.length; k++) {
      const a = pred[k] === 1;
      const b = im.classes[k] === 1;
      if (a && b) i++;
      if (a || b) u++;
    }
  }
  return i / u;
}

test('self-training keeps or raises the score when the labels cover only part of the variation', () => {
  const lab = image(41);
  const labelled: TrainImage[] = [{ grey: lab.grey, width: W, height: W, labels: cornerLabels(lab.classes) }];
  const others = [image(42), image(43), image(44)];
  const base = train(labelled, OPTS);
  const st = selfTrain(labelled, others.map((o) => ({ grey: o.grey, width: W, height: W })), OPTS, { rounds: 2 });
  assert.ok(st.pseudoLabelled > 0, 'some pixels were pseudo-labelled');
  assert.ok(st.rounds >= 1);
  const before = discIoU(base, others);
  const after = discIoU(st.classifier, others);
  assert.ok(after >= before - 0.02, `self-trained disc IoU ${after.toFixed(3)} vs ${before.toFixed(3)} without`);
  assert.ok(after > 0.7, `self-trained disc IoU ${after.toFixed(3)}`);
  // Each class got at most as many pseudo-labels as the person gave it.
  const person = [0, 0];
  for (const v of labelled[0]!.labels) if (v) person[v - 1]!++;
  st.perClass.forEach((c, k) => assert.ok(c <= person[k]!, `class ${k}: ${c} pseudo vs ${person[k]} person`));
});

test('a person\'s labels are never replaced by pseudo-labels, even where the classifier disagrees', () => {
  const lab = image(51);
  const labels = cornerLabels(lab.classes);
  // A deliberately odd label: a block of the matrix painted as disc, that the classifier will call matrix.
  let odd = 0;
  for (let y = 60; y < 66; y++) {
    for (let x = 60; x < 66; x++) {
      if (lab.classes[y * W + x] === 0) {
        labels[y * W + x] = 2;
        odd++;
      }
    }
  }
  assert.ok(odd > 0);
  const given = labels.slice();
  const other = image(52);
  const st = selfTrain([{ grey: lab.grey, width: W, height: W, labels }], [{ grey: other.grey, width: W, height: W }], OPTS, { rounds: 2, samplePerImage: W * W });
  assert.deepEqual(labels, given, 'the caller\'s labels are not changed');
  const map = st.maps[0]!;
  let pseudoHere = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) assert.equal(map[i], labels[i], `pixel ${i}: the person's label ${labels[i]} stays`);
    else if (map[i]) pseudoHere++;
  }
  assert.ok(pseudoHere > 0, 'unlabelled pixels of the labelled image were pseudo-labelled too');
  assert.ok(st.maps[1]!.some((v) => v > 0), 'the unlabelled image got pseudo-labels');
});

test('self-training is deterministic for a seed', () => {
  const lab = image(61);
  const other = image(62);
  const run = (seed: number) => selfTrain([{ grey: lab.grey, width: W, height: W, labels: cornerLabels(lab.classes) }], [{ grey: other.grey, width: W, height: W }], OPTS, { seed, rounds: 2 });
  const a = run(5);
  const b = run(5);
  assert.equal(a.pseudoLabelled, b.pseudoLabelled);
  assert.deepEqual(a.maps, b.maps);
  assert.deepEqual(predict(a.classifier, other.grey, W, W), predict(b.classifier, other.grey, W, W));
  const c = run(6);
  assert.notDeepEqual(c.maps[1], a.maps[1], 'another seed samples other pixels');
});

test('self-training reports progress that only goes forward and ends at its total', () => {
  const lab = image(71);
  const other = image(72);
  const seen: [number, number][] = [];
  selfTrain([{ grey: lab.grey, width: W, height: W, labels: cornerLabels(lab.classes) }], [{ grey: other.grey, width: W, height: W }], { ...OPTS, onProgress: (d, t) => void seen.push([d, t]) }, { rounds: 2 });
  assert.ok(seen.length > 4);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0], `step ${i}: ${seen[i]![0]} after ${seen[i - 1]![0]}`);
  const [last, total] = seen[seen.length - 1]!;
  assert.equal(last, total);
});
