// When an image is "large": the viewer then takes its pixels and labels tile by tile from main
// (main/tiles/) instead of holding whole-image arrays. The one place the threshold is set.

/** Images of this many pixels or more (8192 x 8192 = 64 MP) are viewed and edited through tiles. */
const LARGE_IMAGE_PIXELS = 8192 * 8192;

export function isLargeImage(width: number, height: number): boolean {
  return width * height >= LARGE_IMAGE_PIXELS;
}

/**
 * Largest side of a single-page image imported for tiled viewing only (beyond app/limits'
 * MAX_SIDE it is never decoded whole: shown from main's pyramid, edited in main's label tiles).
 */
export const MAX_TILED_SIDE = 65536;
/** Largest pixel count of such an image (a 4 GP mosaic). */
export const MAX_TILED_PIXELS = 2 ** 32;
