// Test and benchmark support for edit operations: a seeded PRNG, Voronoi-like label maps, and
// random edit operations. Used only by *.test.ts and edit.bench.ts.
import { segmentStats } from '../../app/labelmap';
import type { Box, LabelMap } from '../../app/types';
import type { EditOp, SegmentMeta } from '../../app/edit/ops';
import type { Point } from '../../app/edit/spans';

export { seededRandom as prng } from '../../app/random';

export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/**
 * Voronoi cells around `seeds` jittered grid points (nearest seed; seeds bucketed on a grid so
 * large maps stay fast). Ids are seed index * idStep + 1, so they are not consecutive; cells
 * chosen with probability `emptyFraction` become background (0).
 */
export function voronoiMap(rng: () => number, width: number, height: number, seeds: number, emptyFraction = 0.15, idStep = 3): LabelMap {
  const cols = Math.max(1, Math.round(Math.sqrt((seeds * width) / height)));
  const rows = Math.max(1, Math.ceil(seeds / cols));
  const cw = width / cols;
  const ch = height / rows;
  const sx = new Float64Array(cols * rows);
  const sy = new Float64Array(cols * rows);
  const sid = new Uint32Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      sx[k] = (c + 0.1 + 0.8 * rng()) * cw;
      sy[k] = (r + 0.1 + 0.8 * rng()) * ch;
      sid[k] = rng() < emptyFraction ? 0 : k * idStep + 1;
    }
  }
  const data = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = Math.min(rows - 1, Math.floor((y + 0.5) / ch));
    for (let x = 0; x < width; x++) {
      const c0 = Math.min(cols - 1, Math.floor((x + 0.5) / cw));
      let best = Infinity;
      let id = 0;
      for (let r = Math.max(0, r0 - 2); r <= Math.min(rows - 1, r0 + 2); r++) {
        for (let c = Math.max(0, c0 - 2); c <= Math.min(cols - 1, c0 + 2); c++) {
          const k = r * cols + c;
          const dx = x + 0.5 - sx[k]!;
          const dy = y + 0.5 - sy[k]!;
          const d = dx * dx + dy * dy;
          if (d < best) {
            best = d;
            id = sid[k]!;
          }
        }
      }
      data[y * width + x] = id;
    }
  }
  return { width, height, data };
}

export function cloneMap(map: LabelMap): LabelMap {
  return { width: map.width, height: map.height, data: map.data.slice() };
}

export function maxId(map: LabelMap): number {
  let m = 0;
  for (let i = 0; i < map.data.length; i++) if (map.data[i]! > m) m = map.data[i]!;
  return m;
}

/** A bbox lookup as main would keep it in the segment table. */
export function bboxLookup(map: LabelMap): (id: number) => Box | undefined {
  const boxes = new Map(segmentStats(map).map((s) => [s.id, s.bbox]));
  return (id) => boxes.get(id);
}

/** An area lookup as main would keep it in the segment table. */
export function areaLookup(map: LabelMap): (id: number) => number | undefined {
  const areas = new Map(segmentStats(map).map((s) => [s.id, s.area]));
  return (id) => areas.get(id);
}

/** Punches `count` small discs into the map: half become holes (0), half small inclusions with fresh ids from `firstId`. */
export function punchHoles(rng: () => number, map: LabelMap, count: number, firstId: number): void {
  let next = firstId;
  for (let k = 0; k < count; k++) {
    const cx = rng() * map.width;
    const cy = rng() * map.height;
    const r = 0.8 + rng() * 2.5;
    const v = rng() < 0.5 ? 0 : next++;
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(map.height - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(map.width - 1, Math.ceil(cx + r)); x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) map.data[y * map.width + x] = v;
      }
    }
  }
}

function randomPoints(rng: () => number, map: LabelMap, n: number, spread: number): Point[] {
  const pts: Point[] = [];
  let x = rng() * map.width;
  let y = rng() * map.height;
  for (let i = 0; i < n; i++) {
    pts.push([x, y]);
    x += (rng() - 0.5) * spread;
    y += (rng() - 0.5) * spread;
  }
  return pts;
}

/** A random edit that makes sense on `map` (ids drawn from those present; sometimes absent ones). */
export function randomOp(rng: () => number, map: LabelMap, meta: Map<number, SegmentMeta>): EditOp {
  const stats = segmentStats(map);
  const ids = stats.map((s) => s.id);
  const pick = () => (ids.length > 0 && rng() < 0.95 ? ids[randInt(rng, 0, ids.length - 1)]! : randInt(rng, 1, 500));
  const target = () => (rng() < 0.3 ? ('new' as const) : pick());
  const kind = randInt(rng, 0, 11);
  switch (kind) {
    case 0:
      return rng() < 0.5 ? { kind: 'merge', ids: [pick(), pick()] } : { kind: 'merge', ids: [pick(), pick(), pick()], target: pick() };
    case 1:
    case 2: {
      // Mostly a line across the segment's box through a random inside point, at a random angle.
      const s = stats.length > 0 ? stats[randInt(rng, 0, stats.length - 1)]! : null;
      if (!s || rng() < 0.15) return { kind: 'splitByLine', segmentId: pick(), points: randomPoints(rng, map, randInt(rng, 2, 4), map.width) };
      const cx = s.bbox.x + rng() * s.bbox.width;
      const cy = s.bbox.y + rng() * s.bbox.height;
      const a = rng() * Math.PI;
      const L = s.bbox.width + s.bbox.height + 2;
      const bend = rng() < 0.4 ? [[cx + (rng() - 0.5) * 4, cy + (rng() - 0.5) * 4] as Point] : [];
      return {
        kind: 'splitByLine',
        segmentId: s.id,
        points: [[cx - L * Math.cos(a), cy - L * Math.sin(a)], ...bend, [cx + L * Math.cos(a), cy + L * Math.sin(a)]],
      };
    }
    case 3: {
      const mode = rng() < 0.75 ? 'paint' : 'erase';
      const r = rng();
      return {
        kind: 'brush',
        mode,
        points: randomPoints(rng, map, randInt(rng, 1, 8), 30),
        radius: 0.5 + rng() * 8,
        target: target(),
        ...(r < 0.3 ? { onlyInto: pick() } : r < 0.5 ? { protect: true } : {}),
      };
    }
    case 4:
      return { kind: 'delete', ids: [pick()] };
    case 5:
      return { kind: 'deleteSmallerThan', minArea: randInt(rng, 0, 60) };
    case 6: {
      // Prefer a segment next to an empty pixel, which is where holes are.
      let id = pick();
      for (let tries = 0; tries < 200; tries++) {
        const x = randInt(rng, 1, map.width - 2);
        const y = randInt(rng, 1, map.height - 2);
        const i = y * map.width + x;
        if (map.data[i] !== 0) continue;
        const nb = map.data[i + 1] || map.data[i - 1] || map.data[i + map.width] || map.data[i - map.width];
        if (nb) {
          id = nb;
          break;
        }
      }
      return { kind: 'fillHoles', id, absorbEnclosed: rng() < 0.3 };
    }
    case 7: {
      const w = randInt(rng, 1, 30);
      const h = randInt(rng, 1, 30);
      const box = { x: randInt(rng, 0, map.width - w), y: randInt(rng, 0, map.height - h), width: w, height: h };
      const runs: number[] = [];
      let left = w * h;
      while (left > 0) {
        const n = Math.min(left, randInt(rng, 0, 12));
        runs.push(n);
        left -= n;
      }
      if (runs.length % 2 === 1 && rng() < 0.5) runs.push(0);
      return { kind: 'addFromMask', mask: { box, runs }, target: target(), overwrite: rng() < 0.5 };
    }
    case 8:
    case 9: {
      const add = rng() < 0.6;
      const pts = randomPoints(rng, map, randInt(rng, 3, 7), 40);
      if (add) return { kind: 'polygon', mode: 'add', points: pts, target: target(), overwrite: rng() < 0.7 };
      return rng() < 0.5 ? { kind: 'polygon', mode: 'subtract', points: pts, target: pick() } : { kind: 'polygon', mode: 'subtract', points: pts };
    }
    case 10: {
      const known = [...meta.keys()];
      const some = known.length ? [known[randInt(rng, 0, known.length - 1)]!] : [1];
      return { kind: 'setClass', ids: some, classId: rng() < 0.3 ? null : randInt(rng, 1, 4) };
    }
    default: {
      const known = [...meta.keys()];
      const some = known.length ? [known[randInt(rng, 0, known.length - 1)]!] : [1];
      return { kind: 'setVerified', ids: some, verified: rng() < 0.5 };
    }
  }
}
