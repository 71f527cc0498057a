import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { segmentFeatures } from './features';
import { autoKMeans, clusterMembers, kmeansCluster, mergeClusters, pointsOf, silhouetteScore, splitCluster, type Points } from './kmeans';
import { zScore } from './normalise';
import { seededRandom } from './random';
import { twoPhaseImage } from '../../test/support/cluster-synthetic';

/** Gaussian blobs (sum of uniforms), `perBlob` points around each centre. */
function blobs(centres: number[][], perBlob: number, spread: number, seed: number): { points: Points; truth: Int32Array } {
  const rand = seededRandom(seed);
  const cols = centres[0]!.length;
  const data: number[] = [];
  const truth: number[] = [];
  for (let i = 0; i < perBlob; i++) {
    centres.forEach((c, k) => {
      for (let d = 0; d < cols; d++) data.push(c[d]! + spread * (rand() + rand() + rand() - 1.5) * 2);
      truth.push(k);
    });
  }
  return { points: { data: Float64Array.from(data), cols }, truth: Int32Array.from(truth) };
}

/** True when the two labelings are the same partition (up to renaming). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]) !== b[i] || (ba.get(b[i]!) ?? a[i]) !== a[i]) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

test('k = 2 on intensity features recovers the two kinds of discs exactly', () => {
  for (const sixteenBit of [false, true]) {
    const { image, labels, kindOf } = twoPhaseImage({ width: 192, height: 192, seed: 11, sixteenBit });
    const { matrix } = zScore(segmentFeatures(image, labels, { groups: ['intensity'] }));
    assert.ok(matrix.segmentIds.length >= 40, 'enough discs');
    const result = kmeansCluster(pointsOf(matrix), 2);
    assert.equal(result.k, 2);
    const truth = Array.from(matrix.segmentIds, (id) => kindOf[id]!);
    assert.ok(samePartition(result.assignments, truth), `clusters match kinds (${sixteenBit ? 16 : 8}-bit)`);
    assert.equal(result.sizes[0]! + result.sizes[1]!, truth.length);
  }
});

test('same seed, same clusters; labels numbered by first appearance', () => {
  const { points } = blobs([[0, 0], [4, 0], [0, 4], [4, 4]], 30, 1.2, 3);
  const a = kmeansCluster(points, 4, { seed: 5 });
  const b = kmeansCluster(points, 4, { seed: 5 });
  assert.deepEqual(a, b);
  assert.equal(a.assignments[0], 0);
  const firstSeen: number[] = [];
  for (const c of a.assignments) if (!firstSeen.includes(c)) firstSeen.push(c);
  assert.deepEqual(firstSeen, [0, 1, 2, 3]);
  // Centroids are the means of their members; inertia is their squared spread.
  let inertia = 0;
  for (let r = 0; r < a.assignments.length; r++) {
    const c = a.assignments[r]!;
    for (let d = 0; d < 2; d++) inertia += (points.data[r * 2 + d]! - a.centroids[c * 2 + d]!) ** 2;
  }
  assert.ok(Math.abs(inertia - a.inertia) < 1e-9 * inertia, 'inertia');
});

test('k is lowered when there are fewer distinct rows', () => {
  const points = { data: Float64Array.from([1, 1, 1, 2, 2, 2]), cols: 1 };
  const r = kmeansCluster(points, 4);
  assert.equal(r.k, 2);
  assert.ok(samePartition(r.assignments, [0, 0, 0, 1, 1, 1]), 'partition');
  assert.equal(kmeansCluster({ data: new Float64Array(5).fill(3), cols: 1 }, 3).k, 1);
  assert.throws(() => kmeansCluster({ data: new Float64Array(0), cols: 2 }, 2));
});

test('silhouette matches scikit-learn', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/silhouette.json', import.meta.url), 'utf8')) as {
    cases: { cols: number; points: number[]; labels: number[]; silhouette: number }[];
  };
  for (const c of fixture.cases) {
    const s = silhouetteScore({ data: Float64Array.from(c.points), cols: c.cols }, Int32Array.from(c.labels));
    assert.ok(Math.abs(s - c.silhouette) < 1e-6, `${s} vs ${c.silhouette}`);
  }
});

test('silhouette on a sample is deterministic and close to the full value', () => {
  const { points, truth } = blobs([[0, 0], [3, 0], [0, 3]], 400, 1, 9);
  const full = silhouetteScore(points, truth, { sampleSize: 1200 });
  const s1 = silhouetteScore(points, truth, { sampleSize: 400, seed: 2 });
  const s2 = silhouetteScore(points, truth, { sampleSize: 400, seed: 2 });
  assert.equal(s1, s2);
  assert.ok(Math.abs(s1 - full) < 0.05, `${s1} vs ${full}`);
});

test('automatic k picks 2 and 3 on clearly 2- and 3-cluster data', () => {
  const two = blobs([[0, 0, 0], [6, 6, 0]], 40, 1, 1);
  const three = blobs([[0, 0, 0], [8, 0, 0], [4, 7, 0]], 40, 1, 2);
  const a = autoKMeans(two.points);
  const b = autoKMeans(three.points);
  assert.equal(a.result.k, 2);
  assert.equal(b.result.k, 3);
  assert.ok(samePartition(b.result.assignments, three.truth), '3-cluster partition');
  assert.deepEqual(b.scores.map((s) => s.k), [2, 3, 4, 5, 6, 7, 8]);
  const best = Math.max(...b.scores.map((s) => s.silhouette));
  assert.equal(b.scores.find((s) => s.k === 3)!.silhouette, best);
});

test('automatic k on many rows chooses k on a sample, then clusters every row', () => {
  const { points, truth } = blobs([[0, 0], [7, 0], [3, 6]], 700, 1, 6);
  const r = autoKMeans(points, { sampleSize: 300, kMax: 5 });
  assert.equal(r.result.k, 3);
  assert.equal(r.result.assignments.length, truth.length);
  assert.ok(samePartition(r.result.assignments, truth), 'all rows clustered');
});

test('merge joins two clusters; split separates a merged cluster again', () => {
  const { points, truth } = blobs([[0, 0], [10, 0], [0, 10]], 20, 1, 4);
  const r3 = kmeansCluster(points, 3);
  assert.ok(samePartition(r3.assignments, truth), 'three blobs');
  const merged = mergeClusters(points, r3, 2, 0);
  assert.equal(merged.k, 2);
  assert.deepEqual([...merged.sizes], [r3.sizes[0]! + r3.sizes[2]!, r3.sizes[1]!]);
  // Former cluster 1 keeps its rows (now id 1); former 0 and 2 are one cluster (id 0).
  for (let r = 0; r < truth.length; r++) assert.equal(merged.assignments[r], r3.assignments[r] === 1 ? 1 : 0);
  for (let d = 0; d < 2; d++) {
    let s = 0;
    for (let r = 0; r < truth.length; r++) if (merged.assignments[r] === 0) s += points.data[r * 2 + d]!;
    assert.ok(Math.abs(merged.centroids[d]! - s / merged.sizes[0]!) < 1e-9, 'merged centroid');
  }
  const split = splitCluster(points, merged, 0);
  assert.equal(split.k, 3);
  assert.ok(samePartition(split.assignments, truth), 'split restores the blobs');
  assert.ok(split.inertia < merged.inertia, 'split lowers inertia');
  assert.throws(() => mergeClusters(points, r3, 0, 3));
});

test('clicking a segment returns every segment of its cluster', () => {
  const ids = Uint32Array.from([10, 20, 30, 40, 50]);
  const result = { k: 2, assignments: Int32Array.from([0, 1, 0, 1, 0]), centroids: new Float64Array(2), sizes: Int32Array.from([3, 2]), inertia: 0 };
  assert.deepEqual([...clusterMembers(result, ids, 30)], [10, 30, 50]);
  assert.deepEqual([...clusterMembers(result, ids, 40)], [20, 40]);
  assert.equal(clusterMembers(result, ids, 99).length, 0);
});
