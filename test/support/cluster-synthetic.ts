// Synthetic two-phase micrographs with known truth, for tests and benchmarks of the cluster module:
// bright and dark discs of two sizes on a background, with noise; the label map holds the discs.
import type { GreyImage, LabelMap } from '../../app/types';
import { seededRandom } from '../../app/cluster/random';

export interface TwoPhaseOptions {
  width?: number;
  height?: number;
  /** Grid spacing of disc centres (px); each grid cell holds at most one disc. Default 24. */
  spacing?: number;
  radiusA?: number;
  radiusB?: number;
  /** Mean intensities of background, kind A (bright) and kind B (dark) discs. */
  background?: number;
  levelA?: number;
  levelB?: number;
  /** Standard deviation of the additive noise. */
  noise?: number;
  seed?: number;
  sixteenBit?: boolean;
}

export interface TwoPhaseImage {
  image: GreyImage;
  labels: LabelMap;
  /** Kind of each segment id (index = id): 0 = A (bright, large), 1 = B (dark, small); -1 for id 0. */
  kindOf: Int8Array;
}

/** Approximately normal noise: sum of four uniforms, rescaled to unit variance. */
function gaussian(rand: () => number): number {
  return (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
}

/**
 * Discs on a jittered grid; kinds alternate at random; ids are shuffled so row order says nothing
 * about the kind.
 */
export function twoPhaseImage(options: TwoPhaseOptions = {}): TwoPhaseImage {
  const w = options.width ?? 160;
  const h = options.height ?? 160;
  const spacing = options.spacing ?? 24;
  const rA = options.radiusA ?? 8;
  const rB = options.radiusB ?? 4;
  const bg = options.background ?? 120;
  const la = options.levelA ?? 200;
  const lb = options.levelB ?? 40;
  const noise = options.noise ?? 8;
  const rand = seededRandom(options.seed ?? 7);
  const labels = new Uint32Array(w * h);
  const mean = new Float64Array(w * h).fill(bg);
  const discs: { cx: number; cy: number; r: number; kind: number }[] = [];
  for (let gy = 0; (gy + 1) * spacing <= h; gy++) {
    for (let gx = 0; (gx + 1) * spacing <= w; gx++) {
      const kind = rand() < 0.5 ? 0 : 1;
      const r = kind === 0 ? rA : rB;
      const slack = Math.max(0, spacing / 2 - r - 1);
      discs.push({
        cx: gx * spacing + spacing / 2 + (rand() * 2 - 1) * slack,
        cy: gy * spacing + spacing / 2 + (rand() * 2 - 1) * slack,
        r,
        kind,
      });
    }
  }
  // Shuffled ids 1..n.
  const ids = discs.map((_, i) => i + 1);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  const kindOf = new Int8Array(discs.length + 1).fill(-1);
  discs.forEach((d, i) => {
    const id = ids[i]!;
    kindOf[id] = d.kind;
    for (let y = Math.max(0, Math.floor(d.cy - d.r)); y <= Math.min(h - 1, Math.ceil(d.cy + d.r)); y++) {
      for (let x = Math.max(0, Math.floor(d.cx - d.r)); x <= Math.min(w - 1, Math.ceil(d.cx + d.r)); x++) {
        if ((x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.r * d.r) {
          labels[y * w + x] = id;
          mean[y * w + x] = d.kind === 0 ? la : lb;
        }
      }
    }
  });
  const max = options.sixteenBit ? 65535 : 255;
  const factor = options.sixteenBit ? 256 : 1;
  const data = options.sixteenBit ? new Uint16Array(w * h) : new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.round((mean[i]! + noise * gaussian(rand)) * factor);
    data[i] = Math.min(max, Math.max(0, v));
  }
  return { image: { width: w, height: h, data }, labels: { width: w, height: h, data: labels }, kindOf };
}
