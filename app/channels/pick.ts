// "Pick points": two point pairs clicked on the canvas instead of typed. A person clicks a feature
// on the image (maps hidden), then the same feature on the map (the map drawn alone, where its
// current registration puts it), twice. A click on the drawn map is a map point through the
// registration the map was drawn with, so the pairs solve to the registration that is right.
import { imageToMap, type PointPair, type Registration } from './registration';

type Point = { x: number; y: number };

/** The clicks so far, in order: image 1, map 1, image 2, map 2 (map points in map px). */
export interface Picks {
  points: Point[];
}

export type PickStep = 'image' | 'map' | 'done';

export const NO_PICKS: Picks = { points: [] };

/** What the next click picks, and which pair (1 or 2) it belongs to. */
export function pickStep(p: Picks): { step: PickStep; pair: number } {
  const n = p.points.length;
  if (n >= 4) return { step: 'done', pair: 2 };
  return { step: n % 2 === 0 ? 'image' : 'map', pair: n < 2 ? 1 : 2 };
}

/**
 * Adds a click at image point `at` (image px). On a map step, `shown` is the registration the map
 * is drawn with, which turns the click into the map pixel under it.
 */
export function addPick(p: Picks, at: Point, shown: Registration): Picks {
  const { step } = pickStep(p);
  if (step === 'done') return p;
  return { points: [...p.points, step === 'image' ? { x: at.x, y: at.y } : imageToMap(shown, at.x, at.y)] };
}

/** The two point pairs once all four clicks are in. */
export function pairsOf(p: Picks): [PointPair, PointPair] | null {
  const [i1, m1, i2, m2] = p.points;
  if (!i1 || !m1 || !i2 || !m2) return null;
  return [
    { image: i1, map: m1 },
    { image: i2, map: m2 },
  ];
}

/** The instruction for the next click. */
export function pickPrompt(p: Picks, element: string): string {
  const { step, pair } = pickStep(p);
  if (step === 'done') return 'Solving…';
  return step === 'image'
    ? `Point ${pair} of 2: click a small, sharp feature on the image${pair === 2 ? ', far from the first' : ''}.`
    : `Point ${pair} of 2: click the same feature on the ${element} map (shown alone).`;
}
