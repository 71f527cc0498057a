// Scribble rasterisation: the row-interval strokePixels gives exactly the pixels within the radius
// of the polyline (against a per-pixel reference), each once, and a stroke of the contract's
// largest size (20,000 points across a large image) is rasterised at once: the former per-pixel
// loop over every segment took minutes there and blocked main for every labels call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strokePixels, type StrokeShape } from './strokes';

/** Every pixel of the image tested against every segment. */
function reference(w: number, h: number, s: StrokeShape): number[] {
  const p = s.points;
  const r = Math.max(0.5, s.radius);
  const n = p.length >> 1;
  const segs = n === 1 ? [[p[0]!, p[1]!, p[0]!, p[1]!]] : Array.from({ length: n - 1 }, (_, k) => [p[2 * k]!, p[2 * k + 1]!, p[2 * k + 2]!, p[2 * k + 3]!]);
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const hit = segs.some(([ax, ay, bx, by]) => {
        const dx = bx! - ax!;
        const dy = by! - ay!;
        const len2 = dx * dx + dy * dy;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax!) * dx + (y - ay!) * dy) / len2)) : 0;
        const ex = x - (ax! + t * dx);
        const ey = y - (ay! + t * dy);
        return ex * ex + ey * ey <= r * r;
      });
      if (hit) out.push(y * w + x);
    }
  }
  return out;
}

function visited(w: number, h: number, s: StrokeShape): number[] {
  const out: number[] = [];
  strokePixels(w, h, s, (i) => out.push(i));
  return out;
}

test('strokePixels visits exactly the pixels within the radius, each once', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const [w, h] = [53, 41];
  const shapes: StrokeShape[] = [
    { points: [10, 10], radius: 3 },
    { points: [10, 10, 10, 30], radius: 2.5 },
    { points: [5, 20, 45, 20], radius: 0.5 },
    { points: [-20, -20, 80, 70], radius: 4 },
    { points: [1.5, 2.25, 1.5, 2.25, 30.7, 8.1], radius: 1.7 },
    { points: [100, 100, 120, 130], radius: 3 },
  ];
  for (let k = 0; k < 40; k++) {
    const pts: number[] = [];
    const m = 1 + Math.floor(rnd() * 8);
    for (let i = 0; i < m; i++) pts.push(rnd() * 70 - 8, rnd() * 56 - 8);
    shapes.push({ points: pts, radius: 0.5 + rnd() * 6 });
  }
  for (const s of shapes) {
    const got = visited(w, h, s);
    assert.equal(new Set(got).size, got.length, `a pixel visited twice for ${JSON.stringify(s)}`);
    assert.deepEqual([...got].sort((a, b) => a - b), reference(w, h, s), JSON.stringify(s));
  }
});

test('a 20,000-point stroke zigzagging across a 2048 px image is rasterised within the test timeout', { timeout: 30_000 }, () => {
  const [w, h] = [2048, 2048];
  const pts: number[] = [];
  for (let i = 0; i < 20_000; i++) pts.push(i % 2 ? 0 : w - 1, (i * (h - 1)) / 20_000);
  let n = 0;
  strokePixels(w, h, { points: pts, radius: 0.5 }, () => n++);
  // Each row is crossed by about ten zigzag lines, so nearly every pixel of the image is painted,
  // while the row near y = 0 where the lines meet the left edge is covered at least from x = 0.
  assert.ok(n > 0.9 * w * h && n <= w * h, `${n} pixels painted`);
});
