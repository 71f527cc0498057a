// Viewport geometry for the canvas: zoom about a point, fit, 1:1, and screen <-> image mapping.
// Pure so it is unit-tested without a browser.

export interface Viewport {
  /** Screen pixels per image pixel. */
  scale: number;
  /** Screen position of image pixel (0,0)'s top-left corner. */
  x: number;
  y: number;
}

const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

function clampScale(s: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));
}

/** Zooms by `factor` keeping the image point under the screen point (px, py) fixed. */
export function zoomAt(v: Viewport, factor: number, px: number, py: number): Viewport {
  const scale = clampScale(v.scale * factor);
  const k = scale / v.scale;
  return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
}

/** Scales the image to fit inside the view with a small margin, centred. */
export function fitViewport(imageW: number, imageH: number, viewW: number, viewH: number, margin = 16, insetTop = 0): Viewport {
  // `insetTop`: a strip at the top covered by floating controls; the image fits below it.
  const scale = clampScale(Math.min((viewW - 2 * margin) / imageW, (viewH - insetTop - 2 * margin) / imageH));
  return { scale, x: (viewW - imageW * scale) / 2, y: insetTop + (viewH - insetTop - imageH * scale) / 2 };
}

/** One screen pixel per image pixel, keeping the view centre on the same image point. */
export function actualSize(v: Viewport, viewW: number, viewH: number): Viewport {
  return zoomAt(v, 1 / v.scale, viewW / 2, viewH / 2);
}

export function screenToImage(v: Viewport, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - v.x) / v.scale, y: (sy - v.y) / v.scale };
}

/** Wheel delta (pixels, as browsers report) to a smooth zoom factor; trackpads send small deltas. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(-Math.max(-200, Math.min(200, deltaY)) * 0.0015);
}

/** A "nice" scale-bar length (1, 2 or 5 x 10^n) in micrometres that spans about `targetPx` screen pixels. */
export function scaleBar(umPerPx: number, scale: number, targetPx = 120): { um: number; px: number } {
  const umPerScreenPx = umPerPx / scale;
  const raw = targetPx * umPerScreenPx;
  const p = 10 ** Math.floor(Math.log10(raw));
  const um = [1, 2, 5, 10].map((m) => m * p).reduce((best, c) => (Math.abs(c - raw) < Math.abs(best - raw) ? c : best));
  return { um, px: um / umPerScreenPx };
}
