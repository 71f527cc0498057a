// Elemental maps (or any registered channel) as features of the pixel classifier: each map,
// resampled onto the image grid, scaled by its 1st..99th percentiles and smoothed at a few
// scales (maps are coarse and noisy: smoothing by about their pixel size keeps the element and
// drops the counting noise). The pipeline appends these maps to the filter bank (TrainImage.extra).
import { smooth } from './features';

/** Scales (px of the image) each channel is smoothed at. */
export const CHANNEL_SIGMAS = [1, 3, 6] as const;

/** Feature-major maps: channels x CHANNEL_SIGMAS of w x h. NaN (not covered by the map) becomes the map's median. */
export function channelFeatureMaps(channels: readonly Float32Array[], w: number, h: number, sigmas: readonly number[] = CHANNEL_SIGMAS): Float32Array {
  const n = w * h;
  const out = new Float32Array(channels.length * sigmas.length * n);
  let f = 0;
  for (const ch of channels) {
    if (ch.length !== n) throw new RangeError(`a channel has ${ch.length} pixels, the image ${n}`);
    const finite = ch.filter((v) => v === v).sort();
    const q = (p: number) => (finite.length ? finite[Math.min(finite.length - 1, Math.floor(p * finite.length))]! : 0);
    const lo = q(0.01);
    const span = Math.max(1e-6, q(0.99) - lo);
    const med = q(0.5);
    const unit = new Float32Array(n);
    for (let i = 0; i < n; i++) unit[i] = ((ch[i]! === ch[i]! ? ch[i]! : med) - lo) / span;
    for (const s of sigmas) {
      smooth(unit, w, h, s, out.subarray(f * n, (f + 1) * n));
      f++;
    }
  }
  return out;
}

/** How many extra maps a feature-major array of w x h maps holds. */
export function extraCount(extra: Float32Array | undefined, n: number): number {
  if (!extra) return 0;
  if (extra.length % n !== 0) throw new RangeError('extra feature maps must be whole w x h maps');
  return extra.length / n;
}

/** A tile's feature maps followed by the extra maps cut to the tile (feature-major both). */
export function appendExtra(feats: Float32Array, F: number, extra: Float32Array | undefined, w: number, imageN: number, t: { x: number; y: number; w: number; h: number }): Float32Array {
  const E = extraCount(extra, imageN);
  if (E === 0) return feats;
  const n = t.w * t.h;
  const out = new Float32Array((F + E) * n);
  out.set(feats.subarray(0, F * n));
  for (let e = 0; e < E; e++) {
    for (let y = 0; y < t.h; y++) {
      const s = e * imageN + (t.y + y) * w + t.x;
      out.set(extra!.subarray(s, s + t.w), (F + e) * n + y * t.w);
    }
  }
  return out;
}
