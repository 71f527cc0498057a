import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLocalStdRow, pixelKMeans } from './pixelkmeans';
import { seededRandom } from './random';

/** Two-level image: discs of `inner` on `outer`, plus Gaussian-like noise; truth 1 inside discs. */
function twoLevel(w: number, h: number, outer: number, inner: number, noise: number, seed: number, sixteen = false) {
  const rand = seededRandom(seed);
  const data = sixteen ? new Uint16Array(w * h) : new Uint8Array(w * h);
  const truth = new Uint8Array(w * h);
  const max = sixteen ? 65535 : 255;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = ((x % 40) - 20) ** 2 + ((y % 40) - 20) ** 2 < 144;
      const n = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3) * noise;
      data[y * w + x] = Math.max(0, Math.min(max, Math.round((inside ? inner : outer) + n)));
      truth[y * w + x] = inside ? 1 : 0;
    }
  }
  return { image: { width: w, height: h, data }, truth };
}

const accuracy = (a: Uint8Array, b: Uint8Array) => {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
};

test('two-level noisy image: > 95 % pixel accuracy, class 0 = darker level', () => {
  for (const [outer, inner] of [[60, 160], [170, 70]] as const) {
    const { image, truth } = twoLevel(200, 160, outer, inner, 22, 3);
    const r = pixelKMeans(image, { k: 2, sampleSize: 2000 });
    assert.equal(r.k, 2);
    const expected = inner > outer ? truth : truth.map((t) => 1 - t);
    const acc = accuracy(r.classes, expected);
    assert.ok(acc > 0.95, `accuracy ${acc}`);
    assert.ok(r.centreIntensity[0]! < r.centreIntensity[1]!, 'centres ascending');
    assert.ok(Math.abs(r.centreIntensity[0]! - Math.min(outer, inner)) < 8, `dark centre ${r.centreIntensity[0]}`);
  }
});

test('16-bit and float images; the result depends only on the seed', () => {
  const { image, truth } = twoLevel(120, 120, 10000, 30000, 3000, 8, true);
  const a = pixelKMeans(image, { k: 2, sampleSize: 2000, seed: 4 });
  const b = pixelKMeans(image, { k: 2, sampleSize: 2000, seed: 4 });
  assert.deepEqual(a, b);
  assert.ok(accuracy(a.classes, truth) > 0.95, '16-bit accuracy');
  const float = { ...image, data: Float32Array.from(image.data, (v) => v / 65535) };
  const f = pixelKMeans(float, { k: 2, sampleSize: 2000, seed: 4 });
  assert.ok(accuracy(f.classes, a.classes) > 0.999, 'float matches 16-bit');
  // Fewer distinct values than k: k is lowered.
  const flat = pixelKMeans({ width: 4, height: 4, data: new Uint8Array(16).fill(9) }, { k: 3 });
  assert.equal(flat.k, 1);
  assert.ok(flat.classes.every((c) => c === 0));
  assert.throws(() => pixelKMeans(image, { k: 0 }));
});

test('texture channel separates regions of equal mean and different roughness', () => {
  const w = 120;
  const h = 120;
  const rand = seededRandom(12);
  const data = new Uint8Array(w * h);
  const truth = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const rough = i % w >= w / 2;
    truth[i] = rough ? 1 : 0;
    data[i] = Math.round(128 + (rand() - 0.5) * (rough ? 160 : 10));
  }
  const image = { width: w, height: h, data };
  const plain = pixelKMeans(image, { k: 2, sampleSize: 2000 });
  const textured = pixelKMeans(image, { k: 2, texture: true, textureWeight: 3, sampleSize: 2000 });
  // Classes are ordered by intensity, which is equal here: compare up to renaming.
  const acc = (c: Uint8Array) => Math.max(accuracy(c, truth), 1 - accuracy(c, truth));
  assert.ok(acc(textured.classes) > 0.9, `texture accuracy ${acc(textured.classes)}`);
  assert.ok(acc(plain.classes) < acc(textured.classes), 'intensity alone does worse');
  assert.equal(textured.centreLocalStd.length, 2);
});

test('streamed 5x5 local std equals the direct window computation, borders included', () => {
  const w = 13;
  const h = 9;
  const rand = seededRandom(2);
  const data = Float32Array.from({ length: w * h }, () => rand() * 100);
  const rows: Float64Array[] = [];
  forEachLocalStdRow({ width: w, height: h, data }, (y, std) => { rows[y] = Float64Array.from(std); });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v: number[] = [];
      for (let yy = y - 2; yy <= y + 2; yy++) for (let xx = x - 2; xx <= x + 2; xx++) {
        if (xx >= 0 && yy >= 0 && xx < w && yy < h) v.push(data[yy * w + xx]!);
      }
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      assert.ok(Math.abs(rows[y]![x]! - sd) < 1e-6, `(${x}, ${y}): ${rows[y]![x]} vs ${sd}`);
    }
  }
});
