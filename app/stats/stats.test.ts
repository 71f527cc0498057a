import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LabelMap } from '../types';
import {
  astmGFromGrainsPerMm2,
  astmGFromMeanIntercept,
  astmIntercept,
  astmPlanimetric,
  cumulativeDistribution,
  grainsCsv,
  histogram,
  histogramCsv,
  imageStatsCsv,
  measureGrains,
  phaseFractions,
  phaseFractionsFromAreas,
  phaseFractionsCsv,
  summarize,
  summarizeGrains,
  toCsv,
  type GrainMeasurement,
} from './index';

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/regionprops.json', import.meta.url), 'utf8')) as {
  maps: { name: string; rows: string[]; regions: Record<string, number | number[]>[] }[];
};

function mapFromRows(rows: string[]): LabelMap {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint32Array(width * height);
  rows.forEach((r, y) => {
    for (let x = 0; x < width; x++) data[y * width + x] = parseInt(r[x]!, 36);
  });
  return { width, height, data };
}

function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

/** Square grains of side s, shifted by `offset` so the image border cuts them. */
function squareGrid(w: number, h: number, s: number, offset: number): LabelMap {
  const data = new Uint32Array(w * h);
  const cols = Math.ceil((w + offset) / s) + 1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data[y * w + x] = 1 + Math.floor((y + offset) / s) * cols + Math.floor((x + offset) / s);
  return { width: w, height: h, data };
}

test('grain measurements agree with scikit-image regionprops', () => {
  let regions = 0;
  for (const m of fixtures.maps) {
    const map = mapFromRows(m.rows);
    const got = measureGrains(map);
    assert.deepEqual(got.map((g) => g.id), m.regions.map((r) => r['id']), m.name);
    got.forEach((g, k) => {
      const r = m.regions[k]!;
      const what = `${m.name} id ${g.id}`;
      assert.equal(g.area, r['area'], `${what} area`);
      assert.equal(g.convexArea, r['convexArea'], `${what} convex area`);
      assert.deepEqual([g.bbox.x, g.bbox.y, g.bbox.width, g.bbox.height], r['bbox'], `${what} bbox`);
      for (const k2 of ['ecd', 'perimeter', 'perimeterCrofton', 'majorAxis', 'minorAxis', 'solidity', 'centroidX', 'centroidY'] as const) {
        close(g[k2], r[k2] as number, `${what} ${k2}`);
      }
      // Orientation is only defined for anisotropic regions. Where skimage hit its a == c special
      // case (exactly +-pi/4) its sign disagrees with its general formula; compare the angle only.
      const ref = r['orientationRad'] as number;
      if (Math.abs(Math.abs(ref) - Math.PI / 4) < 1e-15) close(Math.abs(g.orientationRad), Math.PI / 4, `${what} orientation`, 1e-7);
      else if (g.majorAxis - g.minorAxis > 1e-6) close(g.orientationRad, ref, `${what} orientation`, 1e-7);
      regions++;
    });
  }
  assert.ok(regions >= 30);
});

test('discs give their known equivalent circle diameter; lengths scale with the pixel size', () => {
  const w = 200;
  const h = 120;
  const data = new Uint32Array(w * h);
  const discs = [
    { id: 1, cx: 50, cy: 60, r: 40 },
    { id: 2, cx: 150, cy: 50, r: 25 },
  ];
  for (const d of discs)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x + 0.5 - d.cx) ** 2 + (y + 0.5 - d.cy) ** 2 <= d.r * d.r) data[y * w + x] = d.id;
  const g = measureGrains({ width: w, height: h, data }, { pixelSizeUm: 0.5, classOf: new Map([[2, 7]]) });
  for (const d of discs) {
    const m = g.find((x) => x.id === d.id)!;
    assert.ok(Math.abs(m.ecd - 2 * d.r) / (2 * d.r) < 0.005, `ecd ${m.ecd} for r ${d.r}`);
    // The Benkrid-Crookes weights overestimate round outlines by a few per cent (as in skimage).
    assert.ok(Math.abs(m.perimeter - 2 * Math.PI * d.r) / (2 * Math.PI * d.r) < 0.05, `perimeter ${m.perimeter}`);
    assert.ok(Math.abs(m.perimeterCrofton - 2 * Math.PI * d.r) / (2 * Math.PI * d.r) < 0.01, `crofton ${m.perimeterCrofton}`);
    assert.ok(m.aspectRatio! < 1.01);
    assert.ok(m.solidity > 0.97 && m.solidity <= 1);
    close(m.ecdUm!, m.ecd * 0.5, 'ecd um');
    close(m.areaUm2!, m.area * 0.25, 'area um2');
    assert.equal(m.touchesEdge, false);
  }
  assert.equal(g[1]!.classId, 7);
  assert.equal(g[0]!.classId, null);
  assert.equal(measureGrains({ width: w, height: h, data }).every((x) => x.ecdUm === null), true);
});

test('orientation in degrees follows the screen: horizontal 0, rising to the right +45', () => {
  const w = 40;
  const h = 40;
  const data = new Uint32Array(w * h);
  for (let x = 5; x < 35; x++) data[3 * w + x] = 1;
  for (let k = 0; k < 20; k++) data[(30 - k) * w + 5 + k] = 2;
  for (let y = 5; y < 35; y++) data[y * w + 38] = 3;
  const g = measureGrains({ width: w, height: h, data });
  close(g[0]!.orientationDeg, 0, 'horizontal');
  close(g[1]!.orientationDeg, 45, 'rising diagonal', 1e-6);
  close(g[2]!.orientationDeg, 90, 'vertical');
  assert.equal(g[2]!.aspectRatio, null);
  assert.equal(g[0]!.touchesEdge, false);
});

test('ASTM planimetric: a square grid gives the exact G for its grain size', () => {
  // 10x10 px squares, cut in half at the sides and in quarters at the corners: exactly 1 grain per 100 px².
  const map = squareGrid(200, 100, 10, 5);
  const um = 2; // a square is 20 µm wide: N_A = 1 / (0.02 mm)^2 = 2500 per mm²
  const q = astmPlanimetric(map, um, { corners: 'quarter' });
  assert.equal(q.inside, 19 * 9);
  assert.equal(q.intercepted, 2 * 19 + 2 * 9 + 4);
  assert.equal(q.equivalentGrains, 200);
  close(q.grainsPerMm2, 2500, 'N_A');
  close(q.G, 3.321928 * Math.log10(2500) - 2.954, 'G');
  // E112's plain rule counts the four corner quarters as halves: one grain more.
  const half = astmPlanimetric(map, um);
  assert.equal(half.equivalentGrains, 201);
  close(half.G, astmGFromGrainsPerMm2(201 / q.areaMm2), 'G half');
  assert.throws(() => astmPlanimetric(map, Number.NaN), /pixel size/);
});

test('ASTM intercept: a square grid gives a mean intercept of one square side', () => {
  const map = squareGrid(200, 100, 10, 5);
  const r = astmIntercept(map, 2, { lines: 4 });
  // Horizontal lines cross 20 boundaries in 200 px, vertical ones 10 in 100 px.
  assert.equal(r.horizontal.intercepts, 4 * 20);
  assert.equal(r.vertical.intercepts, 4 * 10);
  close(r.meanInterceptMm, 0.02, 'l');
  close(r.G, astmGFromMeanIntercept(0.02), 'G');
  close(r.G, -6.643856 * Math.log10(0.02) - 3.288, 'G formula');
  // Drawn boundaries (id 0) between grains are stepped over, not counted twice.
  const gap = { width: 7, height: 1, data: Uint32Array.from([1, 1, 0, 2, 0, 0, 2]) };
  assert.equal(astmIntercept(gap, 1, { lines: 1, directions: 'horizontal' }).intercepts, 1);
});

test('summaries, phase fractions, histograms and cumulative distributions', () => {
  const s = summarize([4, 1, 3, 2]);
  assert.deepEqual([s.count, s.mean, s.median, s.min, s.max], [4, 2.5, 2.5, 1, 4]);
  close(s.std, Math.sqrt(5 / 3), 'std');
  assert.equal(summarize([7]).std, 0);
  assert.ok(Number.isNaN(summarize([]).mean));

  const map = { width: 4, height: 2, data: Uint32Array.from([1, 1, 2, 0, 3, 3, 3, 0]) };
  const pf = phaseFractions(map, new Map([[1, 5], [2, null], [3, 5]]));
  assert.deepEqual(phaseFractionsFromAreas([[1, 2], [2, 1], [3, 3]], new Map([[1, 5], [2, null], [3, 5]]), 8), pf, 'same answer from segment areas');
  assert.deepEqual(pf.map((p) => [p.classId, p.pixels, p.fractionOfImage, p.fractionOfSegmented]), [[5, 5, 5 / 8, 5 / 6], [null, 1, 1 / 8, 1 / 6]]);

  const hl = histogram([0, 1, 2, 3, 4, 10], { bins: 5 });
  assert.deepEqual(hl.edges, [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(hl.counts, [2, 2, 1, 0, 1]);
  const hlog = histogram([1, 10, 100, 1000, -1, 0], { bins: 3, scale: 'log' });
  assert.deepEqual(hlog.counts, [1, 1, 2]);
  assert.equal(hlog.dropped, 2);
  close(hlog.edges[1]!, 10, 'log edge');
  close(hlog.centers[0]!, Math.sqrt(10), 'log centre');
  assert.deepEqual(histogram([5, 5], { bins: 1 }).edges, [4.5, 5.5]);
  assert.deepEqual(histogram([1, 2, 3], { bins: 2, weights: [10, 1, 1] }).counts, [10, 2]);
  assert.match(histogramCsv(hl), /^bin_start,bin_end,bin_center,count\n0,2,1,2\n/);

  const cdf = cumulativeDistribution([3, 1, 2, Number.NaN], [1, 2, 1, 5]);
  assert.deepEqual(cdf.x, [1, 2, 3]);
  assert.deepEqual(cdf.p, [0.5, 0.75, 1]);
});

test('grain summaries use µm when every grain has a pixel size and can leave edge grains out', () => {
  const map = squareGrid(40, 40, 10, 5);
  const g = measureGrains(map, { pixelSizeUm: 2 });
  const all = summarizeGrains(g);
  assert.equal(all.unit, 'um');
  assert.equal(all.grainCount, 25);
  assert.equal(all.edgeGrainCount, 16);
  const inner = summarizeGrains(g, { excludeEdge: true });
  assert.equal(inner.area.count, 9);
  close(inner.area.mean, 400, 'inner area µm²');
  close(inner.ecd.std, 0, 'equal squares');
  const mixed: GrainMeasurement[] = [...g, { ...g[0]!, ecdUm: null, areaUm2: null }];
  assert.equal(summarizeGrains(mixed).unit, 'px');
  assert.throws(() => summarizeGrains(mixed, { unit: 'um' }), /pixel size/);
});

test('CSV text: quoting, number format, formula guard, empty cells', () => {
  assert.equal(toCsv(['a', 'b'], [['x,y', 1.5], ['say "hi"', null], ['=SUM(A1)', 1 / 3], [true, -0.0000001]]),
    'a,b\n"x,y",1.5\n"say ""hi""",\n\'=SUM(A1),0.333333\ntrue,0\n');
  const map = squareGrid(20, 20, 10, 0);
  const g = measureGrains(map, { classOf: new Map([[1, 3]]) });
  const csv = grainsCsv(g, { image: 'a b.tif', classNames: new Map([[3, 'ferrite']]) });
  const lines = csv.trim().split('\n');
  assert.equal(lines.length, 1 + g.length);
  const header = lines[0]!.split(',');
  const row = lines[1]!.split(',');
  assert.equal(row[header.indexOf('class')], 'ferrite');
  assert.equal(row[header.indexOf('area_px')], '100');
  assert.equal(row[header.indexOf('ecd_um')], '');
  const summary = summarizeGrains(g);
  const img = imageStatsCsv([{ image: 'a', pixelSizeUm: null, summary, planimetric: null }]);
  assert.match(img.split('\n')[1]!, /^a,,4,4,px,/);
  assert.match(phaseFractionsCsv('a', phaseFractions(map, new Map([[1, 3]]))), /\na,,unclassified,300,0\.75,0\.75\n/);
});
