// What the Train tool draws under its cursor, from what main answers (pure, DOM-free): the
// image's scribble strokes in class colours (erase strokes clear what is under them) and the live
// prediction of the visible rectangle as a semi-transparent class map or as uncertainty.
import type { RegionPrediction, ScribbleStrokeInfo } from '../../../app/contract/learn';
import type { Point } from '../../../app/edit';
import type { ClassRecord } from '../../../app/types';
import type { PreviewShape } from '../types';
import { parseHexColor } from '../../../app/colour';

const FALLBACK = '#4c9aff';

function classColour(classes: readonly ClassRecord[], classId: number | null): string {
  return classes.find((c) => c.id === classId)?.color ?? FALLBACK;
}

/** The strokes as one shape, replayed in order. */
export function scribbleShape(strokes: readonly ScribbleStrokeInfo[], classes: readonly ClassRecord[], opacity = 0.6): PreviewShape | null {
  if (strokes.length === 0) return null;
  return {
    kind: 'scribbles',
    opacity,
    strokes: strokes.map((s) => {
      const points: Point[] = [];
      for (let i = 0; i + 1 < s.points.length; i += 2) points.push([s.points[i]!, s.points[i + 1]!]);
      return { points, radius: s.radius, colour: s.kind === 'erase' ? null : classColour(classes, s.classId) };
    }),
  };
}

/**
 * The prediction as RGBA pixels: each pixel in its class's colour (alpha `alpha`), or, for the
 * uncertainty view, red whose opacity grows as the margin between the two likeliest classes falls.
 */
export function predictionRgba(p: Pick<RegionPrediction, 'width' | 'height' | 'classIds' | 'classes' | 'margin'>, classes: readonly ClassRecord[], view: 'classes' | 'uncertainty', alpha = 110): Uint8ClampedArray {
  const n = p.width * p.height;
  const out = new Uint8ClampedArray(n * 4);
  const lut = p.classIds.map((id) => parseHexColor(classColour(classes, id), [76, 154, 255]));
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    if (view === 'uncertainty') {
      out[o] = 255;
      out[o + 1] = 40;
      out[o + 2] = 40;
      out[o + 3] = Math.round((255 - p.margin[i]!) * 0.8);
    } else {
      const c = lut[p.classes[i]!] ?? [0, 0, 0];
      out[o] = c[0];
      out[o + 1] = c[1];
      out[o + 2] = c[2];
      out[o + 3] = alpha;
    }
  }
  return out;
}

/** Share of each class id among the prediction's pixels (for the panel and tests). */
export function predictedFractions(p: Pick<RegionPrediction, 'classIds' | 'classes'>): Map<number, number> {
  const counts = new Array<number>(p.classIds.length).fill(0);
  for (let i = 0; i < p.classes.length; i++) counts[p.classes[i]!]!++;
  const out = new Map<number, number>();
  p.classIds.forEach((id, k) => out.set(id, p.classes.length ? counts[k]! / p.classes.length : 0));
  return out;
}

/** The image rectangle on screen (clamped to the image, at most `max` px a side, centred), or null when none shows. */
export function visibleRect(view: { scale: number; x: number; y: number }, screenW: number, screenH: number, W: number, H: number, max = 1024): { x: number; y: number; width: number; height: number } | null {
  const x0 = Math.max(0, Math.floor(-view.x / view.scale));
  const y0 = Math.max(0, Math.floor(-view.y / view.scale));
  const x1 = Math.min(W, Math.ceil((screenW - view.x) / view.scale));
  const y1 = Math.min(H, Math.ceil((screenH - view.y) / view.scale));
  if (x1 <= x0 || y1 <= y0) return null;
  const w = Math.min(max, x1 - x0);
  const h = Math.min(max, y1 - y0);
  const x = Math.max(0, Math.min(W - w, Math.round((x0 + x1 - w) / 2)));
  const y = Math.max(0, Math.min(H - h, Math.round((y0 + y1 - h) / 2)));
  return { x, y, width: w, height: h };
}

/**
 * The outline of the square Next uncertain went to: white dashes over a solid black line, seen on
 * any background (a coloured line vanished in the red of the uncertainty view).
 */
export function squareOutline(b: { x: number; y: number; width: number; height: number }): PreviewShape[] {
  const points: Point[] = [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]];
  return [
    { kind: 'line', points, colour: '#000000', closed: true },
    { kind: 'line', points, colour: '#ffffff', closed: true, dashed: true },
  ];
}
