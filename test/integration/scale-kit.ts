// Many small, distinct synthetic micrographs for the pool, batch/merge tests and the scale
// benchmark: bright discs (grains) at seeded places on a noisy dark background, as PNG files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** Grey pixels of image `seed`: 3..8 discs, positions and radii from the seed. */
function discsImage(width: number, height: number, seed: number): Uint8Array {
  let s = (seed * 2654435761 + 1) >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const n = 3 + Math.floor(rnd() * 6);
  const discs = Array.from({ length: n }, () => [rnd() * width, rnd() * height, 3 + rnd() * Math.min(width, height) * 0.12] as const);
  const px = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 40 + rnd() * 20;
      for (const [cx, cy, r] of discs) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) v = 190 + rnd() * 20;
      px[y * width + x] = v;
    }
  }
  return px;
}

/** Writes `count` PNGs (img00000.png, ...) into `dir` and returns their paths. */
export async function writeSyntheticImages(dir: string, count: number, side = 64, firstSeed = 1): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const png = await sharp(discsImage(side, side, seed), { raw: { width: side, height: side, channels: 1 } }).png().toBuffer();
    const p = join(dir, `img${String(seed).padStart(5, '0')}.png`);
    writeFileSync(p, png);
    paths.push(p);
  }
  return paths;
}
