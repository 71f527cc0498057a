// Tests of the synthetic micrograph generators: determinism, exact ground truth (coverage, ids,
// connectivity, volume fraction), bit depths, and the geometry helpers they rest on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FractalNoise,
  PowerDiagram,
  Random,
  generateGrains,
  generatePhases,
  inverseNormal,
  keepSeedRegions,
  labelComponents,
  placeSeeds,
} from './index';
import { boundaryMask } from '../metrics/boundary';
import { withinDistance } from '../metrics/distance';

const equalArrays = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Number of 4-connected regions of equal label (independent of the code under test). */
function countRegions(labels: Uint32Array, w: number, h: number): number {
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  let regions = 0;
  for (let s = 0; s < labels.length; s++) {
    if (seen[s]) continue;
    regions++;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % w;
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, i - w, i + w]) {
        if (j < 0 || j >= labels.length || seen[j] || labels[j] !== labels[i]) continue;
        seen[j] = 1;
        stack.push(j);
      }
    }
  }
  return regions;
}

test('random streams are deterministic and the normal quantiles are right', () => {
  const a = new Random(42);
  const b = new Random(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Random(43).next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(inverseNormal(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(inverseNormal(0.001) + 3.090232306) < 1e-8);
  assert.equal(inverseNormal(0.5), 0);
});

test('noise rows agree with point evaluation, paired rows with single rows', () => {
  const w = 97;
  const a = new FractalNoise(new Random(1), 20, 2, w, 50);
  const b = new FractalNoise(new Random(2), 20, 2, w, 50);
  for (const y of [0, 13, 49]) {
    const ra = new Float32Array(w);
    const rb = new Float32Array(w);
    a.addRow(y, ra, 3);
    b.addRow(y, rb, 3);
    const pa = new Float32Array(w);
    const pb = new Float32Array(w);
    a.addRowPair(b, y, pa, pb, 3);
    for (let x = 0; x < w; x++) {
      assert.ok(Math.abs(ra[x]! - 3 * a.at(x, y)) < 1e-5, `row vs point at ${x},${y}`);
      assert.ok(Math.abs(pa[x]! - ra[x]!) < 1e-5 && Math.abs(pb[x]! - rb[x]!) < 1e-5, `paired row at ${x},${y}`);
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let x = 0; x < 400; x += 0.7) {
    const v = a.at(x % w, (x * 0.37) % 50);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo < -0.2 && hi > 0.2 && lo >= -1.5 && hi <= 1.5, `range ${lo}..${hi}`);
});

test('grains: the same seed gives identical output, another seed a different one', () => {
  const opts = { width: 200, height: 160, grainCount: 40 };
  const a = generateGrains({ ...opts, seed: 7 });
  const b = generateGrains({ ...opts, seed: 7 });
  const c = generateGrains({ ...opts, seed: 8 });
  assert.ok(equalArrays(a.image.data, b.image.data));
  assert.ok(equalArrays(a.labels.data, b.labels.data));
  assert.ok(equalArrays(a.boundaries, b.boundaries));
  assert.ok(!equalArrays(a.image.data, c.image.data));
  assert.ok(!equalArrays(a.labels.data, c.labels.data));
});

test('grains: every pixel labelled, ids exactly 1..n, one connected region per grain', () => {
  for (const opts of [
    { width: 256, height: 256, grainCount: 60, seed: 1 },
    { width: 300, height: 180, grainCount: 400, seed: 2, waviness: 0.4, sizeSpread: 1 },
    { width: 128, height: 128, grainCount: 1, seed: 3 },
  ]) {
    const r = generateGrains(opts);
    const { data } = r.labels;
    assert.equal(r.grainCount, opts.grainCount);
    const present = new Uint8Array(opts.grainCount + 1);
    for (let i = 0; i < data.length; i++) {
      const id = data[i]!;
      assert.ok(id >= 1 && id <= opts.grainCount, `pixel ${i} has id ${id}`);
      present[id] = 1;
    }
    assert.equal(present.reduce((s, v) => s + v, 0), opts.grainCount, 'no gaps in ids');
    assert.equal(countRegions(data, opts.width, opts.height), opts.grainCount, 'each grain is one region');
    for (let g = 0; g < opts.grainCount; g++) {
      const x = r.seeds[2 * g]!;
      const y = r.seeds[2 * g + 1]!;
      assert.equal(data[y * opts.width + x], g + 1, `seed pixel of grain ${g + 1}`);
    }
  }
});

test('grains: default grain count follows the image area', () => {
  const r = generateGrains({ width: 480, height: 480 });
  assert.equal(r.grainCount, 100);
  assert.equal(new Set(r.labels.data).size, 100);
});

test('grains: boundary mask follows label changes and grooves are dark', () => {
  const w = 256;
  const r = generateGrains({ width: w, height: w, grainCount: 50, seed: 4, missingBoundaryFraction: 0, noiseSigma: 0, scratchCount: 0, pitDensity: 0 });
  const changes = boundaryMask(r.labels);
  let changed = 0;
  let covered = 0;
  for (let i = 0; i < changes.length; i++) {
    if (!changes[i]) continue;
    changed++;
    if (r.boundaries[i]) covered++;
  }
  assert.ok(covered / changed > 0.95, `label changes inside the boundary mask: ${covered}/${changed}`);
  const near = withinDistance(changes, w, w, 2.5);
  let inBand = 0;
  let maskPixels = 0;
  let sumIn = 0;
  let sumOut = 0;
  let nOut = 0;
  for (let i = 0; i < changes.length; i++) {
    if (r.boundaries[i]) {
      maskPixels++;
      if (near[i]) inBand++;
      sumIn += r.image.data[i]!;
    } else if (!near[i]) {
      sumOut += r.image.data[i]!;
      nOut++;
    }
  }
  assert.equal(inBand, maskPixels, 'boundary mask lies within 2.5 px of a label change');
  assert.ok(sumIn / maskPixels < sumOut / nOut - 20, `grooves darker: ${sumIn / maskPixels} vs ${sumOut / nOut}`);
});

test('grains: 16-bit output uses the wide range and matches the 8-bit image', () => {
  const opts = { width: 128, height: 128, grainCount: 20, seed: 5 };
  const a = generateGrains({ ...opts, bitDepth: 8 });
  const b = generateGrains({ ...opts, bitDepth: 16 });
  assert.ok(a.image.data instanceof Uint8Array);
  assert.ok(b.image.data instanceof Uint16Array);
  assert.ok(equalArrays(a.labels.data, b.labels.data));
  let max = 0;
  for (let i = 0; i < b.image.data.length; i++) {
    max = Math.max(max, b.image.data[i]!);
    assert.ok(Math.abs(b.image.data[i]! / 257 - a.image.data[i]!) <= 1, `pixel ${i}`);
  }
  assert.ok(max > 255 * 64, `16-bit maximum ${max}`);
});

test('grains: artefact options change the image, never the truth', () => {
  const base = { width: 160, height: 160, grainCount: 30, seed: 6 };
  const plain = generateGrains({ ...base, scratchCount: 0, pitDensity: 0, noiseSigma: 0 });
  const busy = generateGrains({ ...base, scratchCount: 6, pitDensity: 5, noiseSigma: 0.05 });
  assert.ok(equalArrays(plain.labels.data, busy.labels.data));
  assert.ok(equalArrays(plain.boundaries, busy.boundaries));
  assert.ok(!equalArrays(plain.image.data, busy.image.data));
});

test('grains: invalid options are refused', () => {
  assert.throws(() => generateGrains({ width: 64, height: 64, grainCount: 1000 }), RangeError);
  assert.throws(() => generateGrains({ width: 8 }), RangeError);
  assert.throws(() => generateGrains({ bitDepth: 12 as 8 }), RangeError);
  assert.throws(() => generateGrains({ waviness: 2 }), RangeError);
});

test('placeSeeds: exactly the requested count, distinct, inside the image', () => {
  const w = 300;
  const h = 200;
  const seeds = placeSeeds(new Random(9), { width: w, height: h, count: 500, minDistance: 0.7, densityVariation: 0.5 });
  assert.equal(seeds.length, 1000);
  const keys = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const x = seeds[2 * i]!;
    const y = seeds[2 * i + 1]!;
    assert.ok(x >= 0 && x < w && y >= 0 && y < h);
    keys.add(y * w + x);
  }
  assert.equal(keys.size, 500);
});

test('PowerDiagram: first and second site agree with brute force', () => {
  const rng = new Random(11);
  const n = 300;
  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  const wt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sx[i] = rng.range(-5, 405);
    sy[i] = rng.range(-5, 305);
    wt[i] = rng.range(0, 150);
  }
  for (const subdivide of [1, 3]) {
    const d = new PowerDiagram(sx, sy, wt, -10, -10, 410, 310, 24 / subdivide, subdivide);
    for (let k = 0; k < 800; k++) {
      const x = rng.range(-10, 410);
      const y = rng.range(-10, 310);
      d.query(x, y);
      let i1 = -1;
      let i2 = -1;
      for (let i = 0; i < n; i++) {
        const f = (sx[i]! - x) ** 2 + (sy[i]! - y) ** 2 - wt[i]!;
        const f1 = i1 < 0 ? Infinity : (sx[i1]! - x) ** 2 + (sy[i1]! - y) ** 2 - wt[i1]!;
        const f2 = i2 < 0 ? Infinity : (sx[i2]! - x) ** 2 + (sy[i2]! - y) ** 2 - wt[i2]!;
        if (f < f1) {
          i2 = i1;
          i1 = i;
        } else if (f < f2) i2 = i;
      }
      assert.equal(d.first, i1, `first at ${x},${y}`);
      assert.equal(d.second, i2, `second at ${x},${y}`);
      // Clearance: inside that distance, within the same bucket, the first site cannot change.
      const c = d.clearance(x, y);
      for (let t = 0; t < 4 && c > 0; t++) {
        const ang = rng.range(0, 2 * Math.PI);
        const rad = c * Math.sqrt(rng.next()) * 0.999;
        const px = x + rad * Math.cos(ang);
        const py = y + rad * Math.sin(ang);
        if (d.bucketOf(px, py) !== d.bucketOf(x, y)) continue;
        let best = -1;
        let bf = Infinity;
        for (let i = 0; i < n; i++) {
          const v = (sx[i]! - px) ** 2 + (sy[i]! - py) ** 2 - wt[i]!;
          if (v < bf) {
            bf = v;
            best = i;
          }
        }
        assert.equal(best, i1, `first site changed within clearance at ${px},${py}`);
      }
    }
  }
});

test('keepSeedRegions: a detached piece of a grain joins its neighbour', () => {
  // 6 x 3 map: grain 1 has its seed at (0, 0) and a stray piece at (4, 1) inside grain 2.
  const w = 6;
  const labels = new Uint32Array([
    1, 1, 2, 2, 2, 2,
    1, 1, 2, 2, 1, 2,
    1, 1, 2, 2, 2, 2,
  ]);
  const changed = keepSeedRegions(labels, w, 3, new Int32Array([0, 0, 3, 1]));
  assert.equal(changed, 1);
  assert.equal(labels[w + 4], 2);
  assert.equal(countRegions(labels, w, 3), 2);
});

test('labelComponents matches a flood fill for 4- and 8-connectivity', () => {
  const w = 40;
  const h = 30;
  const rng = new Random(12);
  const mask = new Uint8Array(w * h).map(() => (rng.next() < 0.45 ? 1 : 0));
  for (const conn of [4, 8] as const) {
    const { labels, count } = labelComponents(mask, w, h, conn);
    // Reference: flood fill with the same connectivity.
    const ref = new Int32Array(w * h).fill(-1);
    let n = 0;
    for (let s = 0; s < w * h; s++) {
      if (!mask[s] || ref[s]! >= 0) continue;
      const stack = [s];
      ref[s] = n;
      while (stack.length) {
        const i = stack.pop()!;
        const x = i % w;
        const y = (i - x) / w;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if ((dx === 0 && dy === 0) || (conn === 4 && dx !== 0 && dy !== 0)) continue;
            const nx = x + dx;
            const ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            const j = ny * w + nx;
            if (mask[j] && ref[j]! < 0) {
              ref[j] = n;
              stack.push(j);
            }
          }
        }
      }
      n++;
    }
    assert.equal(count, n);
    // Same partition: a bijection between reference and produced ids.
    const map = new Map<number, number>();
    for (let i = 0; i < w * h; i++) {
      if (!mask[i]) {
        assert.equal(labels[i], 0);
        continue;
      }
      const prev = map.get(ref[i]!);
      if (prev === undefined) map.set(ref[i]!, labels[i]!);
      else assert.equal(labels[i], prev);
    }
    assert.equal(new Set(map.values()).size, n);
  }
});

for (const structure of ['particles', 'lamellae', 'network'] as const) {
  test(`phases (${structure}): deterministic, volume fraction on target, instances consistent`, () => {
    const opts = { width: 256, height: 192, structure, volumeFraction: 0.18 };
    const a = generatePhases({ ...opts, seed: 3 });
    const b = generatePhases({ ...opts, seed: 3 });
    const c = generatePhases({ ...opts, seed: 4 });
    assert.ok(equalArrays(a.image.data, b.image.data));
    assert.ok(equalArrays(a.classes, b.classes));
    assert.ok(!equalArrays(a.classes, c.classes));
    let phase = 0;
    const ids = new Set<number>();
    for (let i = 0; i < a.classes.length; i++) {
      assert.equal(a.classes[i] !== 0, a.labels.data[i] !== 0, `class and instance agree at ${i}`);
      if (a.classes[i]) phase++;
      if (a.labels.data[i]) ids.add(a.labels.data[i]!);
    }
    const vf = phase / a.classes.length;
    assert.equal(vf, a.volumeFraction);
    assert.ok(Math.abs(vf - 0.18) < 0.005, `volume fraction ${vf}`);
    assert.equal(ids.size, a.instanceCount);
    assert.equal(Math.max(...ids), a.instanceCount, 'instance ids 1..count without gaps');
    // Instances are exactly the 8-connected components of the phase.
    const mask = Uint8Array.from(a.classes, (v) => (v ? 1 : 0));
    assert.equal(labelComponents(mask, opts.width, opts.height, 8).count, a.instanceCount);
  });
}

test('phases: two particle families get their own classes in proportion', () => {
  const r = generatePhases({
    width: 256,
    height: 256,
    seed: 2,
    volumeFraction: 0.25,
    particles: [{ radius: 8, share: 0.7 }, { radius: 2.5, share: 0.3 }],
  });
  assert.equal(r.classCount, 3);
  const area = [0, 0, 0];
  for (const c of r.classes) area[c]!++;
  const share = area[1]! / (area[1]! + area[2]!);
  assert.ok(Math.abs(share - 0.7) < 0.05, `large-family share ${share}`);
  assert.ok(Math.abs(r.volumeFraction - 0.25) < 0.005);
});

test('phases: 16-bit output uses the wide range; bad options are refused', () => {
  const r = generatePhases({ width: 96, height: 96, bitDepth: 16, seed: 1 });
  assert.ok(r.image.data instanceof Uint16Array);
  let max = 0;
  for (let i = 0; i < r.image.data.length; i++) max = Math.max(max, r.image.data[i]!);
  assert.ok(max > 255 * 64, `16-bit maximum ${max}`);
  assert.throws(() => generatePhases({ volumeFraction: 0.8 }), RangeError);
  assert.throws(() => generatePhases({ structure: 'dendrites' as 'network' }), RangeError);
});
