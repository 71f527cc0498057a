import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confidentSegments, phaseSegments, segmentConfidence } from './segments';
import { phaseObjects, simulateCorrection } from '../eval/simulator';

/** A 30x10 map with three class-1 squares; class-major probabilities, square k sure to p[k]. */
function scene(p: number[]) {
  const w = 30;
  const h = 10;
  const n = w * h;
  const cls = new Uint8Array(n);
  const probs = new Float32Array(2 * n).fill(0);
  for (let i = 0; i < n; i++) probs[i] = 0.9; // matrix, class 0
  for (let i = 0; i < n; i++) probs[n + i] = 0.1;
  p.forEach((q, k) => {
    for (let y = 2; y < 8; y++) {
      for (let x = 2 + 10 * k; x < 8 + 10 * k; x++) {
        const i = y * w + x;
        cls[i] = 1;
        probs[i] = 1 - q;
        probs[n + i] = q;
      }
    }
  });
  return { w, h, n, cls, probs };
}

test('segment confidence is the mean probability of its class; unsure segments are dropped, ids stay sequential', () => {
  const s = scene([0.95, 0.55, 0.85]);
  const seg = phaseSegments(s.cls, s.w, s.h, { minArea: 4, skip: [0] });
  const conf = segmentConfidence(seg.labels.data, seg.classOf, s.probs, s.n);
  assert.deepEqual([...conf].map((v) => Math.round(v * 100) / 100), [0, 0.95, 0.55, 0.85]);
  const sure = confidentSegments(seg, conf, 0.8);
  assert.deepEqual([...sure.oldId], [0, 1, 3]);
  assert.deepEqual([...sure.classOf], [0, 1, 1]);
  const at = (x: number, y: number) => sure.labels.data[y * s.w + x];
  assert.equal(at(4, 4), 1, 'the first square stays');
  assert.equal(at(14, 4), 0, 'the unsure square is left unlabelled');
  assert.equal(at(24, 4), 2, 'the third square is renumbered 2');
  assert.equal(confidentSegments(seg, conf, 0).classOf.length, 4, 'threshold 0 keeps all');
  assert.equal(confidentSegments(seg, conf, 0.99).labels.data.every((v) => v === 0), true);
});

test('dropping an unsure wrong segment saves the person the delete', () => {
  // Truth: squares 1 and 3 are particles; the classifier also (unsurely) calls square 2 one.
  const s = scene([0.95, 0.55, 0.85]);
  const truthClasses = s.cls.slice();
  for (let y = 2; y < 8; y++) for (let x = 12; x < 18; x++) truthClasses[y * s.w + x] = 0;
  const truth = phaseObjects(truthClasses, s.w, s.h);
  const seg = phaseSegments(s.cls, s.w, s.h, { minArea: 4, skip: [0] });
  const conf = segmentConfidence(seg.labels.data, seg.classOf, s.probs, s.n);
  const run = (x: { labels: typeof seg.labels; classOf: Uint8Array }) =>
    simulateCorrection(x.labels, truth, { kind: 'phases', truthClasses, startClasses: (id) => (id > 0 && id < x.classOf.length ? x.classOf[id]! : null) });
  const all = run(seg);
  const sure = run(confidentSegments(seg, conf, 0.8));
  assert.equal(sure.reachedTarget, true);
  assert.equal(sure.operations, 0, 'the sure segments are the truth');
  assert.ok(all.operations >= 1, `${all.operations} ops with the unsure segment`);
});
