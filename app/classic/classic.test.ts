import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentClassic, segmentClassicDetailed, otsuThreshold, connectedComponents, CancelledError } from './index';
import type { ClassicSettings } from './index';
import type { GreyImage, LabelMap } from '../types';

test('otsu separates a bimodal histogram between its modes', () => {
  const d = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) d[i] = i < 600 ? 40 + (i % 5) : 200 + (i % 7);
  const t = otsuThreshold(d);
  assert.ok(t >= 44 && t < 200, `threshold ${t}`);
});

test('connected components: 4- vs 8-connectivity on a diagonal', () => {
  const mask = { width: 3, height: 3, data: Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
  assert.equal(Math.max(...connectedComponents(mask, 8).data), 1);
  assert.equal(Math.max(...connectedComponents(mask, 4).data), 3);
});

test('segmentClassic finds bright blobs on a dark background and drops specks', () => {
  const w = 40, h = 30;
  const data = new Uint8Array(w * h).fill(20);
  const square = (x0: number, y0: number, s: number) => {
    for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) data[y * w + x] = 220;
  };
  square(2, 2, 8);
  square(20, 10, 10);
  square(35, 25, 1);
  const lm = segmentClassic({ width: w, height: h, data }, { mode: 'phase', minArea: 4, invert: false });
  const ids = new Set(lm.data);
  ids.delete(0);
  assert.equal(ids.size, 2);
  assert.notEqual(lm.data[3 * w + 3], lm.data[12 * w + 22]);
  assert.equal(lm.data[25 * w + 35], 0);
});

// ---- helpers -----------------------------------------------------------------------------

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** 0..3: position of seed k (on a grid gw wide) in a 2x2 tiling. */
function tile(k: number, gw: number): number {
  return ((k % gw) % 2) + 2 * (Math.floor(k / gw) % 2);
}

interface Synthetic {
  image: GreyImage;
  truth: Uint32Array;
  count: number;
}

/**
 * Voronoi grains with random brightness (seeds jittered on a grid). `line` = darkening of a
 * boundary line of about `lineWidth` px (0 = grains differ by shade only); noise is uniform.
 */
function grains(w: number, h: number, cell: number, opts: { seed: number; line: number; lineWidth?: number; noise: number }): Synthetic {
  const r = rng(opts.seed);
  const gw = Math.ceil(w / cell);
  const gh = Math.ceil(h / cell);
  const sx: number[] = [];
  const sy: number[] = [];
  const level: number[] = [];
  for (let k = 0; k < gw * gh; k++) {
    sx.push(((k % gw) + 0.15 + 0.7 * r()) * cell);
    sy.push((Math.floor(k / gw) + 0.15 + 0.7 * r()) * cell);
    level.push(90 + 140 * r());
  }
  // Four levels tiled 2x2 over the seed grid, so grains that touch (diagonals included) always
  // differ clearly and shade edges exist.
  for (let k = 0; k < level.length; k++) level[k] = 70 + 50 * tile(k, gw) + 15 * r();
  const truth = new Uint32Array(w * h);
  const data = new Uint8Array(w * h);
  const lw = opts.lineWidth ?? 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let d1 = Infinity;
      let d2 = Infinity;
      let k1 = 0;
      for (let k = 0; k < sx.length; k++) {
        const d = Math.hypot(sx[k]! - x, sy[k]! - y);
        if (d < d1) {
          d2 = d1;
          d1 = d;
          k1 = k;
        } else if (d < d2) d2 = d;
      }
      const edge = (d2 * d2 - d1 * d1) / (2 * (d1 + d2));
      const dark = opts.line * Math.exp(-(edge * edge) / (2 * (lw / 2) ** 2));
      const v = level[k1]! * (1 - dark) + (r() - 0.5) * 2 * opts.noise;
      data[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
      truth[y * w + x] = k1 + 1;
    }
  }
  return { image: { width: w, height: h, data }, truth, count: sx.length };
}

/** Fraction of true regions that some predicted segment overlaps with IoU >= 0.5. */
function matchedFraction(truth: Uint32Array, count: number, pred: Uint32Array): number {
  let maxP = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i]! > maxP) maxP = pred[i]!;
  const tArea = new Float64Array(count + 1);
  const pArea = new Float64Array(maxP + 1);
  const overlap = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    tArea[truth[i]!]!++;
    pArea[pred[i]!]!++;
    const k = truth[i]! * (maxP + 1) + pred[i]!;
    overlap.set(k, (overlap.get(k) ?? 0) + 1);
  }
  const best = new Float64Array(count + 1);
  for (const [k, c] of overlap) {
    const t = Math.floor(k / (maxP + 1));
    const p = k % (maxP + 1);
    if (p === 0) continue;
    best[t] = Math.max(best[t]!, c / (tArea[t]! + pArea[p]! - c));
  }
  let m = 0;
  for (let t = 1; t <= count; t++) if (best[t]! >= 0.5) m++;
  return m / count;
}

function segmentIds(map: LabelMap): Set<number> {
  const s = new Set(map.data);
  s.delete(0);
  return s;
}

function assertConsecutive(map: LabelMap) {
  const ids = [...segmentIds(map)].sort((a, b) => a - b);
  assert.deepEqual(ids, ids.map((_, k) => k + 1), 'ids are 1..n');
}

const grainOpts: ClassicSettings = { mode: 'grain', minArea: 20, invert: false };

// ---- grain mode ---------------------------------------------------------------------------

test('grain mode: dark boundary lines give a gap-free map matching the true grains', () => {
  const s = grains(96, 96, 24, { seed: 3, line: 0.7, noise: 10 });
  const r = segmentClassicDetailed(s.image, grainOpts);
  assert.equal(r.boundaryStyle, 'lines');
  assert.ok(r.labels.data.every((v) => v !== 0), 'every pixel belongs to a grain');
  assertConsecutive(r.labels);
  const m = matchedFraction(s.truth, s.count, r.labels.data);
  assert.ok(m >= 0.9, `matched ${m}`);
  assert.ok(Math.abs(segmentIds(r.labels).size - s.count) <= 3, `${segmentIds(r.labels).size} grains for ${s.count}`);
});

test('grain mode: bright boundary lines with invert match as well', () => {
  const s = grains(96, 96, 24, { seed: 5, line: 0.7, noise: 8 });
  const inv = { ...s.image, data: s.image.data.map((v) => 255 - v) };
  const r = segmentClassicDetailed(inv, { ...grainOpts, invert: true });
  assert.equal(r.boundaryStyle, 'lines');
  assert.ok(matchedFraction(s.truth, s.count, r.labels.data) >= 0.9);
  assert.ok(r.labels.data.every((v) => v !== 0));
});

test('grain mode: grains that differ only by shade are separated along the shade edges', () => {
  const s = grains(96, 96, 24, { seed: 7, line: 0, noise: 6 });
  const r = segmentClassicDetailed(s.image, grainOpts);
  assert.equal(r.boundaryStyle, 'edges');
  assert.ok(r.labels.data.every((v) => v !== 0));
  const m = matchedFraction(s.truth, s.count, r.labels.data);
  assert.ok(m >= 0.8, `matched ${m}`);
});

test('grain mode: colour input separates grains of equal brightness but different hue', () => {
  const s = grains(72, 72, 24, { seed: 11, line: 0, noise: 0 });
  const n = 72 * 72;
  const rgb = new Uint8Array(n * 3);
  // Four hues tiled so touching grains differ; luminance (Rec. 601) is 116..122 everywhere.
  const hues = [[160, 100, 120], [100, 130, 139], [120, 120, 120], [100, 125, 160]];
  for (let i = 0; i < n; i++) rgb.set(hues[tile(s.truth[i]! - 1, 3)]!, 3 * i);
  const grey = segmentClassicDetailed({ width: 72, height: 72, data: new Uint8Array(n).fill(118) }, grainOpts);
  assert.equal(segmentIds(grey.labels).size, 1, 'a flat grey image is one grain');
  const colour = segmentClassicDetailed({ width: 72, height: 72, channels: 3, bitDepth: 8, data: rgb }, grainOpts);
  const m = matchedFraction(s.truth, s.count, colour.labels.data);
  assert.ok(m >= 0.8, `matched ${m}`);
});

test('grain mode does not depend on bit depth (16-bit copy gives the same grains)', () => {
  const s = grains(64, 64, 20, { seed: 13, line: 0.6, noise: 6 });
  const wide = { ...s.image, data: Uint16Array.from(s.image.data, (v) => v * 257) };
  const a = segmentClassic(s.image, grainOpts).data;
  const b = segmentClassic(wide, grainOpts).data;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  assert.ok(same / a.length > 0.99);
});

// ---- phase mode ---------------------------------------------------------------------------

function blobsImage(w: number, h: number, background: number, blobs: { x: number; y: number; r: number; v: number }[], noise = 0, seed = 1): GreyImage {
  const r = rng(seed);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = background;
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 <= b.r * b.r) v = b.v;
      data[y * w + x] = Math.max(0, Math.min(255, Math.round(v + (r() - 0.5) * 2 * noise)));
    }
  }
  return { width: w, height: h, data };
}

test('phase mode: three classes by multi-Otsu, each segment tagged with its class', () => {
  const img = blobsImage(64, 64, 30, [
    { x: 15, y: 15, r: 8, v: 120 },
    { x: 45, y: 20, r: 9, v: 220 },
    { x: 30, y: 48, r: 10, v: 120 },
  ], 8);
  const r = segmentClassicDetailed(img, { mode: 'phase', minArea: 10, invert: false, classes: 3 });
  assert.equal(r.thresholds.length, 2);
  // Background 22..38, middle 112..128, bright 212..228 (noise +-8): thresholds fall between.
  assert.ok(r.thresholds[0]! >= 38 && r.thresholds[0]! < 112 && r.thresholds[1]! >= 128 && r.thresholds[1]! < 212, `${r.thresholds}`);
  assert.equal(segmentIds(r.labels).size, 3);
  const at = (x: number, y: number) => r.labels.data[y * 64 + x]!;
  assert.equal(r.segmentClass[at(15, 15)], 1);
  assert.equal(r.segmentClass[at(30, 48)], 1);
  assert.equal(r.segmentClass[at(45, 20)], 2);
  assert.equal(at(2, 2), 0, 'the darkest class is background');
});

test('phase mode: holes and specks below minArea are absorbed, not left as gaps', () => {
  const img = blobsImage(48, 48, 40, [{ x: 24, y: 24, r: 14, v: 200 }]);
  img.data[24 * 48 + 24] = 40; // a one-pixel dark hole in the particle
  img.data[23 * 48 + 24] = 40;
  img.data[3 * 48 + 3] = 200; // a bright speck in the matrix
  const r = segmentClassicDetailed(img, { mode: 'phase', minArea: 5, invert: false });
  assert.equal(segmentIds(r.labels).size, 1);
  assert.notEqual(r.labels.data[24 * 48 + 24], 0, 'hole filled by the particle');
  assert.equal(r.labels.data[3 * 48 + 3], 0, 'speck merged into the matrix');
});

test('phase mode: invert takes dark particles, labelBackground labels every pixel', () => {
  const img = blobsImage(48, 48, 200, [{ x: 12, y: 12, r: 6, v: 50 }, { x: 34, y: 30, r: 8, v: 50 }], 5);
  const dark = segmentClassicDetailed(img, { mode: 'phase', minArea: 10, invert: true });
  assert.equal(segmentIds(dark.labels).size, 2);
  assert.equal(dark.labels.data[0], 0);
  assert.deepEqual([...new Set(Array.from(dark.segmentClass.subarray(1)))], [0]);
  const all = segmentClassic(img, { mode: 'phase', minArea: 10, invert: true, labelBackground: true });
  assert.ok(all.data.every((v) => v !== 0));
  assert.equal(segmentIds(all).size, 3);
});

test('phase mode: the adaptive threshold finds blobs under uneven illumination', () => {
  const w = 96, h = 48;
  const data = new Uint8Array(w * h);
  const blobs: [number, number][] = [[12, 24], [36, 24], [60, 24], [84, 24]];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 20 + 2 * x; // ramp: the right background is brighter than the left blobs
      for (const [bx, by] of blobs) if ((x - bx) ** 2 + (y - by) ** 2 <= 36) v += 50;
      data[y * w + x] = Math.min(255, v);
    }
  }
  const img = { width: w, height: h, data };
  const global = segmentClassic(img, { mode: 'phase', minArea: 10, invert: false });
  const adaptive = segmentClassic(img, { mode: 'phase', minArea: 10, invert: false, threshold: 'adaptive', blockSize: 31, sigma: 1 });
  const hits = (m: LabelMap) => blobs.filter(([x, y]) => m.data[y * w + x] !== 0).length;
  const bgHit = (m: LabelMap) => m.data[24 * w + 90] !== 0 || m.data[5 * w + 80] !== 0;
  assert.ok(hits(global) < 4 || bgHit(global), 'a global threshold cannot get this right');
  assert.equal(hits(adaptive), 4);
  assert.equal(segmentIds(adaptive).size, 4);
});

// ---- robustness, progress and cancellation ------------------------------------------------

test('edge cases: empty, single pixel, constant and colour phase input', () => {
  assert.equal(segmentClassic({ width: 0, height: 0, data: new Uint8Array(0) }, grainOpts).data.length, 0);
  const one = segmentClassic({ width: 1, height: 1, data: Uint8Array.of(7) }, grainOpts);
  assert.deepEqual(Array.from(one.data), [1]);
  const flat = { width: 20, height: 10, data: new Uint8Array(200).fill(9) };
  assert.equal(segmentIds(segmentClassic(flat, { mode: 'phase', minArea: 1, invert: false })).size, 0);
  assert.equal(segmentIds(segmentClassic(flat, grainOpts)).size, 1);
  const g = blobsImage(32, 32, 30, [{ x: 16, y: 16, r: 7, v: 200 }]);
  const rgb = { width: 32, height: 32, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array(32 * 32 * 3) };
  for (let i = 0; i < 32 * 32; i++) rgb.data.fill(g.data[i]!, 3 * i, 3 * i + 3);
  assert.deepEqual(segmentClassic(rgb, { mode: 'phase', minArea: 4, invert: false }).data, segmentClassic(g, { mode: 'phase', minArea: 4, invert: false }).data);
  assert.throws(() => segmentClassic({ width: 4, height: 4, data: new Uint8Array(3) }, grainOpts), RangeError);
});

test('progress is reported per stage, in order, ending at total', () => {
  for (const mode of ['phase', 'grain'] as const) {
    const calls: [number, number, string][] = [];
    segmentClassic(blobsImage(32, 32, 30, [{ x: 16, y: 16, r: 7, v: 200 }]), { mode, minArea: 4, invert: false }, (d, t, s) => calls.push([d, t, s]));
    assert.ok(calls.length >= 4, mode);
    const total = calls[0]![1];
    calls.forEach(([d, t], k) => {
      assert.equal(t, total);
      assert.equal(d, k === calls.length - 1 ? total : k);
    });
    assert.equal(calls.at(-1)![2], 'done');
    assert.equal(new Set(calls.map((c) => c[2])).size, calls.length, 'stage names are distinct');
  }
});

test('isCancelled stops the run between stages with a CancelledError', () => {
  const img = blobsImage(32, 32, 30, [{ x: 16, y: 16, r: 7, v: 200 }]);
  for (const mode of ['phase', 'grain'] as const) {
    let polls = 0;
    const stages: string[] = [];
    assert.throws(
      () => segmentClassic(img, { mode, minArea: 4, invert: false }, (_d, _t, s) => stages.push(s), () => ++polls > 2),
      (e: unknown) => e instanceof CancelledError && e.name === 'CancelledError',
    );
    assert.equal(stages.length, 2, 'two stages ran before the cancel was seen');
  }
  assert.doesNotThrow(() => segmentClassic(img, { mode: 'grain', minArea: 4, invert: false }, undefined, () => false));
});
