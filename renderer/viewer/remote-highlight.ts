// A selected (or hovered) segment of a large image, marked on one fetched label tile: its samples
// filled, its border (a sample whose 4-neighbour in the tile holds another id) drawn opaque. The
// canvas draws it over each visible tile, so no whole-image label map is needed.

/** RGBA pixels (packed as overlay.ts's packRGBA) for the tile's samples of `id`; null when the tile has none. */
export function tileHighlight(data: Uint32Array, width: number, height: number, id: number, fill: number, outline: number): Uint32Array | null {
  let out: Uint32Array | null = null;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (data[row + x] !== id) continue;
      out ??= new Uint32Array(width * height);
      const edge = (x > 0 && data[row + x - 1] !== id) || (x < width - 1 && data[row + x + 1] !== id) || (y > 0 && data[row - width + x] !== id) || (y < height - 1 && data[row + width + x] !== id);
      out[row + x] = edge ? outline : fill;
    }
  }
  return out;
}
