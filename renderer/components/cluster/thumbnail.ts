// Small example pictures of segments for the Clusters panel: the displayed micrograph cropped
// around a segment's box (through the display window), drawn into a tiny canvas as a data URL.
import type { DisplayWindow } from '../../../app/image/display';
import type { Box, RasterImage } from '../../../app/types';

/** A square data-URL thumbnail of `size` px around `box`, with a little context around it. */
export function segmentThumbnail(raster: RasterImage, win: DisplayWindow, box: Box, size = 36): string {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(size, size);
  const side = Math.max(box.width, box.height) * 1.3 + 4;
  const x0 = box.x + box.width / 2 - side / 2;
  const y0 = box.y + box.height / 2 - side / 2;
  const scale = 255 / Math.max(1, win.high - win.low);
  for (let ty = 0; ty < size; ty++) {
    for (let tx = 0; tx < size; tx++) {
      const x = Math.floor(x0 + ((tx + 0.5) * side) / size);
      const y = Math.floor(y0 + ((ty + 0.5) * side) / size);
      const o = (ty * size + tx) * 4;
      img.data[o + 3] = 255;
      if (x < 0 || y < 0 || x >= raster.width || y >= raster.height) continue;
      const p = (y * raster.width + x) * raster.channels;
      for (let ch = 0; ch < 3; ch++) {
        const v = raster.data[p + Math.min(ch, raster.channels - 1)]!;
        img.data[o + ch] = Math.max(0, Math.min(255, (v - win.low) * scale));
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  // The segment's own box, outlined, so a small segment is found in its context.
  const k = size / side;
  ctx.strokeStyle = 'rgba(255, 210, 64, 0.9)';
  ctx.lineWidth = 1;
  ctx.strokeRect(Math.round((box.x - x0) * k) + 0.5, Math.round((box.y - y0) * k) + 0.5, Math.max(2, Math.round(box.width * k) - 1), Math.max(2, Math.round(box.height * k) - 1));
  return c.toDataURL();
}

export function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)} %`;
}
