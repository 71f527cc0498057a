// A synthetic two-phase texture for tests: discs of a smooth phase in a grainy matrix of the same
// mean brightness (so only texture tells them apart), with the true class of every pixel.
import { seededRandom } from '../random';

export interface TextureImage {
  width: number;
  height: number;
  /** 8-bit grey. */
  data: Uint8Array;
  /** 0 = grainy matrix, 1 = smooth discs. */
  classes: Uint8Array;
}

export function twoTextureImage(width: number, height: number, seed: number, discs = 12, radius = 14): TextureImage {
  const r = seededRandom(seed);
  const classes = new Uint8Array(width * height);
  for (let k = 0; k < discs; k++) {
    const cx = r() * width;
    const cy = r() * height;
    const rad = radius * (0.7 + 0.6 * r());
    for (let y = Math.max(0, Math.floor(cy - rad)); y < Math.min(height, Math.ceil(cy + rad)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad)); x < Math.min(width, Math.ceil(cx + rad)); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) classes[y * width + x] = 1;
      }
    }
  }
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const noise = classes[i] ? (r() - 0.5) * 12 : (r() < 0.5 ? -1 : 1) * 45 + (r() - 0.5) * 20;
    data[i] = Math.max(0, Math.min(255, Math.round(128 + noise)));
  }
  return { width, height, data, classes };
}
