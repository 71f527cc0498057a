// Live preview of classic settings on a region (the visible viewport): the region is cut out and,
// when it is larger than the preview size, reduced by an integer factor (box mean, so thin
// boundary lines fade instead of vanishing), and the length and area settings are scaled with it
// so the preview shows what the full run would find at that zoom.
import type { ClassicOptions } from '../contract';
import type { RasterImage } from '../types';

interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The region clamped to the image; null when nothing of it lies inside. */
export function clampRegion(r: Region, width: number, height: number): Region | null {
  const x0 = Math.max(0, Math.min(width, r.x));
  const y0 = Math.max(0, Math.min(height, r.y));
  const x1 = Math.max(0, Math.min(width, r.x + r.width));
  const y1 = Math.max(0, Math.min(height, r.y + r.height));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** Image pixels per preview pixel: the smallest whole factor that brings the longer side to `maxSide` or less. */
export function previewScale(region: Region, maxSide: number): number {
  return Math.max(1, Math.ceil(Math.max(region.width, region.height) / Math.max(1, maxSide)));
}

/** The region of `img`, reduced by `scale` with a box mean per channel (values keep their type). */
export function regionRaster(img: RasterImage, region: Region, scale: number): RasterImage {
  const c = img.channels;
  const w = Math.ceil(region.width / scale);
  const h = Math.ceil(region.height / scale);
  const out = img.bitDepth === 16 ? new Uint16Array(w * h * c) : new Uint8Array(w * h * c);
  const src = img.data;
  for (let y = 0; y < h; y++) {
    const sy0 = region.y + y * scale;
    const sy1 = Math.min(region.y + region.height, sy0 + scale);
    for (let x = 0; x < w; x++) {
      const sx0 = region.x + x * scale;
      const sx1 = Math.min(region.x + region.width, sx0 + scale);
      const n = (sy1 - sy0) * (sx1 - sx0);
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let sy = sy0; sy < sy1; sy++) {
          let i = (sy * img.width + sx0) * c + k;
          for (let sx = sx0; sx < sx1; sx++, i += c) sum += src[i]!;
        }
        out[(y * w + x) * c + k] = Math.round(sum / n);
      }
    }
  }
  return { width: w, height: h, channels: img.channels, bitDepth: img.bitDepth, data: out };
}

/** Settings measured in pixels, divided by the preview scale (areas by its square). */
export function scaleSettings(s: ClassicOptions, scale: number): ClassicOptions {
  if (scale === 1) return s;
  const out: ClassicOptions = { ...s, minArea: Math.round(s.minArea / (scale * scale)) };
  if (s.sigma !== undefined) out.sigma = s.sigma / scale;
  if (s.lineWidth !== undefined) out.lineWidth = Math.max(1, s.lineWidth / scale);
  if (s.seedDepth !== undefined) out.seedDepth = s.seedDepth / scale;
  if (s.blockSize !== undefined) out.blockSize = Math.max(3, Math.round(s.blockSize / scale) | 1);
  return out;
}
