import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GreyImage } from '../types';
import { gridPrompts, matsamPrompts } from './prompts';
import type { Point } from './types';
import { seededRandom as rng } from '../random';

interface Disc {
  x: number;
  y: number;
  r: number;
}

/** Bright discs (about 190) on a darker noisy background (about 70); no two discs touch. */
function discImage(w: number, h: number, n: number, rMin: number, rMax: number, seed: number): { image: GreyImage; discs: Disc[] } {
  const rand = rng(seed);
  const discs: Disc[] = [];
  for (let tries = 0; discs.length < n && tries < n * 200; tries++) {
    const r = rMin + rand() * (rMax - rMin);
    const x = r + rand() * (w - 2 * r);
    const y = r + rand() * (h - 2 * r);
    if (discs.every((d) => Math.hypot(d.x - x, d.y - y) > d.r + r + 3)) discs.push({ x, y, r });
  }
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = 60 + Math.floor(rand() * 20);
  for (const d of discs) {
    for (let y = Math.floor(d.y - d.r); y <= Math.ceil(d.y + d.r); y++) {
      for (let x = Math.floor(d.x - d.r); x <= Math.ceil(d.x + d.r); x++) {
        if (x >= 0 && y >= 0 && x < w && y < h && (x + 0.5 - d.x) ** 2 + (y + 0.5 - d.y) ** 2 <= d.r * d.r) {
          data[y * w + x] = 180 + Math.floor(rand() * 20);
        }
      }
    }
  }
  return { image: { width: w, height: h, data }, discs };
}

const inDisc = (p: Point, d: Disc) => (Math.floor(p.x) + 0.5 - d.x) ** 2 + (Math.floor(p.y) + 0.5 - d.y) ** 2 <= d.r * d.r;

function assertInside(points: Point[], w: number, h: number) {
  for (const p of points) assert.ok(p.x >= 0 && p.y >= 0 && p.x < w && p.y < h, `point ${p.x},${p.y} outside ${w}x${h}`);
}

test('every disc gets a prompt, with far fewer points than the 32 x 32 grid', () => {
  const w = 480, h = 360;
  const { image, discs } = discImage(w, h, 60, 6, 22, 1);
  assert.ok(discs.length >= 50, `${discs.length} discs placed`);
  const { points, stats } = matsamPrompts(image);
  assert.equal(stats.mode, 'phase', `edge agreement ${stats.edgeAgreement}`);
  const missed = discs.filter((d) => !points.some((p) => inDisc(p, d)));
  assert.deepEqual(missed, []);
  assert.ok(points.length <= 256 && points.length * 4 <= gridPrompts(w, h).length, `${points.length} points`);
  assertInside(points, w, h);
  // The 32 x 32 grid, for contrast, misses some of the small discs.
  const grid = gridPrompts(w, h);
  assert.ok(discs.some((d) => !grid.some((p) => inDisc(p, d))));
});

test('the same image gives the same prompts, whatever its bit depth', () => {
  const { image } = discImage(200, 150, 12, 6, 15, 2);
  const a = matsamPrompts(image);
  const b = matsamPrompts(image);
  assert.deepEqual(a, b);
  const wide = { ...image, data: Uint16Array.from(image.data, (v) => v * 257) };
  assert.deepEqual(matsamPrompts(wide).points, a.points);
  const float = { ...image, data: Float32Array.from(image.data, (v) => v / 255) };
  assert.deepEqual(matsamPrompts(float).points, a.points);
  assert.throws(() => matsamPrompts({ width: 0, height: 10, data: new Uint8Array(0) }), /empty image/);
});

test('a blank image falls back to a grid that covers it, with a denser band along the border', () => {
  const w = 480, h = 480;
  const image = { width: w, height: h, data: new Uint8Array(w * h).fill(128) };
  const { points, stats } = matsamPrompts(image);
  assert.ok(stats.regionPoints <= 1, 'a blank image has at most one region');
  assert.ok(stats.gridPoints >= 64 && points.length <= 256, `${stats.gridPoints} grid points, ${points.length} in all`);
  // Every pixel is within one grid step of a prompt.
  let worst = 0;
  for (let y = 0; y < h; y += 4) {
    for (let x = 0; x < w; x += 4) {
      let best = Infinity;
      for (const p of points) best = Math.min(best, Math.hypot(p.x - x, p.y - y));
      worst = Math.max(worst, best);
    }
  }
  assert.ok(worst <= stats.spacing, `farthest pixel ${worst.toFixed(1)} px from a prompt, spacing ${stats.spacing.toFixed(1)}`);
  // Density (points per pixel) in the band of one spacing along the edges vs the rest.
  const band = stats.spacing;
  const inBand = points.filter((p) => Math.min(p.x, p.y, w - p.x, h - p.y) < band).length;
  const bandArea = w * h - (w - 2 * band) * (h - 2 * band);
  const bandDensity = inBand / bandArea;
  const innerDensity = (points.length - inBand) / (w * h - bandArea);
  assert.ok(bandDensity > 1.3 * innerDensity, `band ${bandDensity.toExponential(2)} vs inner ${innerDensity.toExponential(2)}`);
});

test('areas the pre-segmentation left empty get grid points; a disc-filled image needs none there', () => {
  // Discs only in the left half: the right half is featureless and must still be covered.
  const w = 400, h = 200;
  const { image, discs } = discImage(w / 2, h, 30, 5, 10, 3);
  const wide = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) wide[y * w + x] = x < w / 2 ? image.data[y * (w / 2) + x]! : 70;
  }
  const { points, stats } = matsamPrompts({ width: w, height: h, data: wide }, { mode: 'phase' });
  assert.ok(stats.gridPoints > 0, 'grid points added');
  for (const d of discs) assert.ok(points.some((p) => inDisc(p, d)), 'disc covered');
  const rightInterior = points.filter((p) => p.x > w / 2 + 20 && p.x < w - 20 && p.y > 20 && p.y < h - 20);
  assert.ok(rightInterior.length >= 2, `${rightInterior.length} prompts in the empty right half`);
});

test('a non-convex region whose centroid is outside it gets its deepest pixel', () => {
  // A thick ring: its centroid is the (background) hole in the middle.
  const w = 120, h = 120;
  const data = new Uint8Array(w * h).fill(40);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x + 0.5 - 60, y + 0.5 - 60);
      if (r >= 25 && r <= 45) data[y * w + x] = 200;
    }
  }
  const inRing = (p: Point) => {
    const r = Math.hypot(Math.floor(p.x) + 0.5 - 60, Math.floor(p.y) + 0.5 - 60);
    return r >= 25 && r <= 45;
  };
  const centroid = matsamPrompts({ width: w, height: h, data }, { mode: 'phase', placement: 'centroid' });
  assert.ok(centroid.stats.centroidFallbacks >= 1, 'the ring fell back to its deepest pixel');
  const ringPrompts = centroid.points.slice(0, centroid.stats.regionPoints).filter(inRing);
  assert.equal(ringPrompts.length, 1, 'the ring has exactly one region prompt, on the ring');
  // 'interior' puts it mid-way through the ring's thickness (radius ~35).
  const interior = matsamPrompts({ width: w, height: h, data }, { mode: 'phase', placement: 'interior' });
  const p = interior.points.slice(0, interior.stats.regionPoints).find(inRing)!;
  const r = Math.hypot(p.x - 60, p.y - 60);
  assert.ok(r > 31 && r < 39, `radius ${r.toFixed(1)}`);
});

test('the budget keeps the deepest regions and caps the total', () => {
  const w = 640, h = 480;
  const { image, discs } = discImage(w, h, 400, 4, 16, 4);
  const full = matsamPrompts(image, { maxPoints: Infinity });
  const capped = matsamPrompts(image, { maxPoints: 120 });
  assert.ok(full.points.length > 150, `${full.points.length} uncapped`);
  assert.ok(capped.points.length <= 120 && capped.points.length >= 100, `${capped.points.length} capped`);
  // The largest discs keep their prompts; the ones that lost theirs are the small ones.
  const hit = (pts: Point[], d: Disc) => pts.some((p) => inDisc(p, d));
  const bySize = discs.slice().sort((a, b) => b.r - a.r);
  const big = bySize.slice(0, 40);
  assert.ok(big.every((d) => hit(capped.points, d)), 'the 40 largest discs keep a prompt');
  const lost = discs.filter((d) => hit(full.points, d) && !hit(capped.points, d));
  assert.ok(lost.length > 0, 'the cap removed some disc prompts');
  const meanR = (ds: Disc[]) => ds.reduce((s, d) => s + d.r, 0) / ds.length;
  assert.ok(meanR(lost) < meanR(discs), 'the budget drops small regions first');
});

/**
 * Voronoi grains separated by one-pixel boundaries 35 levels darker than their surroundings.
 * Grain intensities are random in 90..190, or, with `ramp`, a left-to-right illumination ramp
 * (60..200) plus +-10 per grain, as uneven lighting gives in optical micrographs.
 */
function grainImage(w: number, h: number, n: number, seed: number, ramp = false): { image: GreyImage; cell: Int32Array; area: number[] } {
  const rand = rng(seed);
  const seeds = Array.from({ length: n }, () => ({ x: rand() * w, y: rand() * h, v: ramp ? (rand() - 0.5) * 20 : 90 + rand() * 100 }));
  const cell = new Int32Array(w * h);
  const area = new Array<number>(n).fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = 0;
      let bd = Infinity;
      seeds.forEach((s, k) => {
        const d = (s.x - x) ** 2 + (s.y - y) ** 2;
        if (d < bd) {
          bd = d;
          best = k;
        }
      });
      cell[y * w + x] = best;
      area[best]!++;
    }
  }
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const edge = (x < w - 1 && cell[i + 1] !== cell[i]) || (y < h - 1 && cell[i + w] !== cell[i]);
      const base = ramp ? 60 + (140 * x) / w + seeds[cell[i]!]!.v : seeds[cell[i]!]!.v;
      data[i] = Math.round(edge ? (ramp ? base - 35 : 60) : base + (rand() - 0.5) * 6);
    }
  }
  return { image: { width: w, height: h, data }, cell, area };
}

test('grain mode puts a prompt in every grain of a Voronoi grain map', () => {
  const w = 320, h = 240;
  const { image, cell, area } = grainImage(w, h, 60, 5);
  const { points, stats } = matsamPrompts(image, { mode: 'grain' });
  assert.equal(stats.mode, 'grain');
  const hit = new Set(points.map((p) => cell[Math.floor(p.y) * w + Math.floor(p.x)]));
  const grains = area.map((a, k) => ({ a, k })).filter(({ a }) => a >= 200);
  const missed = grains.filter(({ k }) => !hit.has(k));
  // Noise splits grains into several regions, so the budget binds and a few small grains may lose.
  assert.ok(missed.length <= grains.length * 0.05, `${missed.length} of ${grains.length} grains without a prompt`);
  assert.ok(points.length <= 256, `${points.length} points`);
});

test("'auto' tells the disc image (phase) from an unevenly lit grain map", () => {
  const discs = matsamPrompts(discImage(320, 240, 30, 6, 18, 6).image);
  assert.equal(discs.stats.mode, 'phase', `edge agreement ${discs.stats.edgeAgreement}`);
  // Under an illumination ramp Otsu cuts the image in two halves; its boundary follows almost
  // none of the grain boundaries, which is what marks a grain image.
  const w = 320, h = 240;
  const { image, cell, area } = grainImage(w, h, 60, 7, true);
  const auto = matsamPrompts(image);
  assert.equal(auto.stats.mode, 'both', `edge agreement ${auto.stats.edgeAgreement}`);
  assert.ok(auto.stats.edgeAgreement < 0.3 && discs.stats.edgeAgreement > 0.7, `${auto.stats.edgeAgreement} vs ${discs.stats.edgeAgreement}`);
  const hit = new Set(auto.points.map((p) => cell[Math.floor(p.y) * w + Math.floor(p.x)]));
  const grains = area.map((a, k) => ({ a, k })).filter(({ a }) => a >= 200);
  const missed = grains.filter(({ k }) => !hit.has(k)).length;
  assert.ok(missed <= grains.length * 0.05, `${missed} of ${grains.length} grains without a prompt`);
});

test('large images are pre-segmented at reduced size; prompts stay in original coordinates', () => {
  const w = 1800, h = 600;
  const { image, discs } = discImage(w, h, 40, 18, 40, 8);
  const { points, stats } = matsamPrompts(image, { maxWorkingSide: 600 });
  assert.equal(stats.workingFactor, 3);
  assertInside(points, w, h);
  const missed = discs.filter((d) => !points.some((p) => inDisc(p, d)));
  assert.deepEqual(missed, []);
});
