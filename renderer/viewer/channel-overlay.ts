// Elemental maps drawn over the micrograph, under the segment overlay: each map as a bitmap on its
// own grid, tinted in its colour with alpha from its intensity (dark = transparent), placed by its
// registration (image x = sx * map x + tx) and drawn with its opacity.
import type { ChannelDisplay, ChannelRegistration } from '../../app/contract/channels';
import type { Viewport } from '../../app/view/viewport';

export interface ChannelLayer {
  id: number;
  bitmap: HTMLCanvasElement;
  registration: ChannelRegistration;
  opacity: number;
}

function rgb(colour: string): [number, number, number] {
  const n = parseInt(colour.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The map as an RGBA bitmap: its colour everywhere, alpha = the map's 8-bit display value. */
export function tintedBitmap(d: ChannelDisplay, colour: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = d.width;
  c.height = d.height;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(d.width, d.height);
  const [r, g, b] = rgb(colour);
  for (let i = 0; i < d.data.length; i++) {
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = d.data[i]!;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Draws the layers over an image of `width` x `height` px, clipped to it (a shifted map reaches past it). */
export function drawChannelLayers(ctx: CanvasRenderingContext2D, view: Viewport, layers: readonly ChannelLayer[], width: number, height: number): void {
  if (layers.length === 0) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(view.x, view.y, width * view.scale, height * view.scale);
  ctx.clip();
  // Maps are coarse: smoothed when enlarged, so their pixels do not read as structure.
  ctx.imageSmoothingEnabled = true;
  for (const l of layers) {
    if (l.opacity <= 0) continue;
    const r = l.registration;
    ctx.globalAlpha = l.opacity;
    ctx.drawImage(l.bitmap, view.x + r.tx * view.scale, view.y + r.ty * view.scale, l.bitmap.width * r.sx * view.scale, l.bitmap.height * r.sy * view.scale);
  }
  ctx.restore();
}
