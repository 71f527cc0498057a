// SAM-embedding features: the PCA finds the embedding's directions of variance (and no more than it
// has), and the maps have the image's size, come from the unpadded part of the grid only and are
// the same on every call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddingRows, fitSamPca, samComponentCount, samFeatureMaps, SAM_EMBED_CHANNELS as D, SAM_EMBED_GRID as G } from './sam-features';

/** A [256,64,64] embedding whose channel d at cell (x, y) is f(d, x, y). */
function embedding(f: (d: number, x: number, y: number) => number): Float32Array {
  const e = new Float32Array(D * G * G);
  for (let d = 0; d < D; d++) for (let y = 0; y < G; y++) for (let x = 0; x < G; x++) e[d * G * G + y * G + x] = f(d, x, y);
  return e;
}

test('PCA: two directions of variance give two unit-variance components along them', () => {
  const u = Array.from({ length: D }, (_, d) => (d % 2 ? 1 : -1) / Math.sqrt(D));
  const v = Array.from({ length: D }, (_, d) => (d < D / 2 ? 1 : -1) / Math.sqrt(D));
  // Cell x drives u strongly, cell y drives v weakly; a constant offset everywhere.
  const e = embedding((d, x, y) => 3 + 4 * (x / G - 0.5) * u[d]! + 1 * (y / G - 0.5) * v[d]!);
  const rows = embeddingRows(e, { cellsX: G, cellsY: G });
  const { mean, components } = fitSamPca(rows, 8);
  assert.equal(components.length / D, 2, 'a rank-2 embedding has two components');
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>, o = 0) => Array.from(b).reduce((s, bv, i) => s + a[o + i]! * bv, 0);
  const norm = (o: number) => Math.sqrt(dot(components, components.slice(o, o + D), o));
  // The first axis is u (most variance), the second v; scaled by 1/sd, signed so the largest entry is positive.
  assert.ok(Math.abs(dot(components, u) / norm(0)) > 0.999);
  assert.ok(Math.abs(dot(components, v, D) / norm(D)) > 0.999);
  assert.ok(Math.abs(mean[0]! - 3) < 0.1);
  // Projected onto the first axis, the rows have unit variance.
  const p = [];
  for (let r = 0; r < rows.length / D; r++) p.push(dot(components, Array.from(rows.subarray(r * D, (r + 1) * D), (x, d) => x - mean[d]!)));
  const m = p.reduce((a, b) => a + b, 0) / p.length;
  const varP = p.reduce((a, b) => a + (b - m) ** 2, 0) / (p.length - 1);
  assert.ok(Math.abs(varP - 1) < 1e-3, `variance ${varP}`);
  assert.throws(() => fitSamPca(embeddingRows(embedding(() => 1), { cellsX: G, cellsY: G })), /do not vary/);
});

test('maps: the image size, from the covered cells only, bilinear between cell centres, deterministic', () => {
  // A 300 x 150 image covers 64 x 32 cells (SAM pads below); the padding holds wild values.
  const w = 300;
  const h = 150;
  const extent = { cellsX: 64, cellsY: 32 };
  const e = embedding((d, x, y) => (y >= 32 ? 1e6 : d === 0 ? x : d === 1 ? y : 0));
  const recipe = { mean: new Array<number>(D).fill(0), components: [...Array.from({ length: D }, (_, d) => (d === 0 ? 1 : 0)), ...Array.from({ length: D }, (_, d) => (d === 1 ? 1 : 0))] };
  assert.equal(samComponentCount({ model: 'm', ...recipe }), 2);
  const maps = samFeatureMaps(e, extent, recipe, w, h);
  assert.equal(maps.length, 2 * w * h);
  assert.deepEqual(samFeatureMaps(e, extent, recipe, w, h), maps);
  const n = w * h;
  let worst = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Pixel centre in cells, clamped to the outer cell centres: the ramp's value there.
      const cx = Math.min(63, Math.max(0, ((x + 0.5) * 64) / w - 0.5));
      const cy = Math.min(31, Math.max(0, ((y + 0.5) * 32) / h - 0.5));
      worst = Math.max(worst, Math.abs(maps[y * w + x]! - cx), Math.abs(maps[n + y * w + x]! - cy));
    }
  }
  assert.ok(worst < 1e-3, `largest error ${worst}`);
  // No pixel reads the padding.
  assert.ok(Math.max(...maps) < 64);
});
