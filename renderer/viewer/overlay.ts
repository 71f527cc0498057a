// Draws a label map as two bitmaps: semi-transparent fills and opaque outlines, so opacity is
// a layer property (instant) and outlines stay crisp whatever the fill opacity.
import { segmentColor } from '../../app/labelmap';

export interface OverlayBitmaps {
  fills: HTMLCanvasElement;
  outlines: HTMLCanvasElement;
}

const colourCache = new Map<number, number>();
function packedColour(id: number): number {
  let c = colourCache.get(id);
  if (c === undefined) {
    const [r, g, b] = segmentColor(id);
    // Little-endian RGBA packed into one uint32 for fast writes.
    c = (255 << 24) | (b << 16) | (g << 8) | r;
    colourCache.set(id, c);
  }
  return c;
}

function canvasOf(width: number, height: number, pixels: Uint32Array): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const img = new ImageData(new Uint8ClampedArray(pixels.buffer as ArrayBuffer), width, height);
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function renderOverlay(labels: Uint32Array, width: number, height: number, highlight?: ReadonlySet<number>): OverlayBitmaps {
  const fills = new Uint32Array(width * height);
  const outlines = new Uint32Array(width * height);
  const white = 0xffffffff;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const id = labels[i]!;
      if (id === 0) continue;
      fills[i] = highlight?.has(id) ? white : packedColour(id);
      // A pixel is on the outline when a 4-neighbour belongs to another segment (or the background).
      const edge =
        (x > 0 && labels[i - 1] !== id) ||
        (x < width - 1 && labels[i + 1] !== id) ||
        (y > 0 && labels[i - width] !== id) ||
        (y < height - 1 && labels[i + width] !== id);
      if (edge) outlines[i] = packedColour(id) | 0xff000000;
    }
  }
  return { fills: canvasOf(width, height, fills), outlines: canvasOf(width, height, outlines) };
}
