import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { segmentPhasesTiled } from '../../app/classic/tiled';
import { ClassicOptionsSchema } from '../../app/contract';
import { LabelTileStore } from './label-tiles';
import { segmentMosaic } from './segment-mosaic';

/** Grey particles of several levels on a noisy background, some across the 2048 px tile lines. */
function particles(w: number, h: number): Uint8Array {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const px = new Uint8Array(w * h);
  for (let i = 0; i < px.length; i++) px[i] = 40 + Math.floor(rnd() * 30);
  for (let k = 0; k < 900; k++) {
    const cx = Math.floor(rnd() * w);
    const cy = Math.floor(rnd() * h);
    const r = 3 + Math.floor(rnd() * 40);
    const v = rnd() < 0.5 ? 150 : 230;
    for (let y = Math.max(0, cy - r); y <= Math.min(h - 1, cy + r); y++) for (let x = Math.max(0, cx - r); x <= Math.min(w - 1, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) px[y * w + x] = v - Math.floor(rnd() * 20);
  }
  return px;
}

for (const [name, options] of [
  ['2 classes', {}],
  ['3 classes, smoothed, min area 40', { classes: 3, sigma: 1.5, minArea: 40 }],
] as const) {
  test(`the mosaic path read from a file gives the tiled whole-image partition: ${name}`, async () => {
    const w = 4500;
    const h = 2600;
    const px = particles(w, h);
    const settings = ClassicOptionsSchema.parse({ mode: 'phase', ...options });
    const dir = mkdtempSync(join(tmpdir(), 'gl-mosaic-seg-'));
    try {
      const file = join(dir, 'p.png');
      await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).png().toFile(file);
      // Under 16 MP the sample is every pixel: the same thresholds as the whole image's.
      const ref = segmentPhasesTiled({ width: w, height: h, data: px }, settings);
      const store = new LabelTileStore(w, h, 8);
      const out = await segmentMosaic({ file, page: 0, width: w, height: h, name: 'p.png' }, store, settings, new AbortController().signal, () => {});
      assert.deepEqual(out.thresholds, ref.thresholds);
      assert.equal(out.segments, ref.segmentClass.length - 1);
      assert.ok(out.segments > 20, `${out.segments} segments`);
      // One to one: each reference segment is one stored id and back.
      const fwd = new Map<number, number>();
      const back = new Map<number, number>();
      const got = store.sample(0, 0, 1, w, h)!;
      for (let i = 0; i < w * h; i++) {
        const a = ref.labels.data[i]!;
        const b = got[i]!;
        assert.equal(a === 0, b === 0, `pixel ${i % w},${Math.floor(i / w)}`);
        if (a === 0) continue;
        if (!fwd.has(a)) fwd.set(a, b);
        if (!back.has(b)) back.set(b, a);
        if (fwd.get(a) !== b || back.get(b) !== a) assert.fail(`pixel ${i % w},${Math.floor(i / w)}: segment ${a} is stored as ${fwd.get(a)} and ${b}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
