// Scoring one prediction against a person's verified truth: pixels outside verified segments are
// not scored on partly verified images, and classes go to predicted segments by majority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankEngines, scoreImage, type Truth } from './project';
import type { EvalEngineScore } from '../../app/contract/eval';

const W = 8;
const H = 4;
/** Left half segment 1 (class 10), right half segment 2 (class 20). */
function halves(): Uint32Array {
  const d = new Uint32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = x < W / 2 ? 1 : 2;
  return d;
}

test('partly verified image: only the verified segment is scored', () => {
  // Only segment 1 verified: the right half is unknown, so whatever the engine does there is not counted.
  const t = halves().map((v) => (v === 1 ? 1 : 0));
  const truth: Truth = { labels: { width: W, height: H, data: t }, whole: false, classOf: new Map([[1, 10]]), segments: 1 };
  const pred = halves().map((v) => (v === 1 ? 5 : 0)); // right half: nothing
  const s = scoreImage(truth, { width: W, height: H, data: pred });
  assert.equal(s.ari, 1);
  assert.equal(s.tp, 1);
  assert.equal(s.truthCount, 1);
  assert.equal(s.predCount, 1);
  assert.deepEqual(s.classes.get(10), { truth: 16, pred: 16, inter: 16 });
  // Reviewed as a whole, the same prediction misses the right half (there truth is "no segment", which it predicts too).
  const whole: Truth = { ...truth, labels: { width: W, height: H, data: halves() }, whole: true, classOf: new Map([[1, 10], [2, 20]]) };
  const w = scoreImage(whole, { width: W, height: H, data: pred });
  assert.equal(w.tp, 1);
  assert.equal(w.truthCount, 2);
  assert.deepEqual(w.classes.get(20), { truth: 16, pred: 0, inter: 0 });
});

test('one predicted segment over two classes takes the majority class', () => {
  const truth: Truth = { labels: { width: W, height: H, data: halves() }, whole: true, classOf: new Map([[1, 10], [2, 20]]), segments: 2 };
  // Segment 7 covers the left half and one column of the right.
  const pred = new Uint32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) pred[y * W + x] = x <= W / 2 ? 7 : 8;
  const s = scoreImage(truth, { width: W, height: H, data: pred });
  assert.deepEqual(s.classes.get(10), { truth: 16, pred: 20, inter: 16 });
  assert.deepEqual(s.classes.get(20), { truth: 16, pred: 12, inter: 12 });
  assert.ok(s.ari < 1 && s.ari > 0);
});

test('ranking: ARI first, near ties by effort, failed engines last without a rank', () => {
  const base = { label: '', kind: 'x', rank: null, images: 1, recall50: 0, precision50: 0, perClass: [], meanClassIoU: null, msPerImage: 0 };
  const e = (engine: string, ari: number, per100: number | null, failed?: string): EvalEngineScore => ({
    ...base,
    engine,
    ari,
    effort: per100 === null ? null : { operations: 0, per100, reached: 1, images: 1 },
    ...(failed ? { failed } : {}),
  });
  const r = rankEngines([e('a', 0.8, 30), e('b', 0.9, 50), e('c', 0.9004, 20), e('d', 0, null, 'broken')]);
  assert.deepEqual(r.map((x) => [x.engine, x.rank]), [
    ['c', 1],
    ['b', 2],
    ['a', 3],
    ['d', null],
  ]);
});
