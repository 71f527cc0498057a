// The size limits GrainLab holds every input to, in one place: image dimensions (checked from the
// header before any pixel is decoded), file sizes (checked before a byte is read) and the largest
// message either binding accepts. Everything that reads untrusted input uses these names.

/** Largest side of an image, in pixels (DESIGN.md: micrographs up to 16k px a side). */
export const MAX_SIDE = 16384;
/** Largest pixel count of one image (page); sharp's `limitInputPixels` is set to the same number. */
export const MAX_PIXELS = MAX_SIDE * MAX_SIDE;
/** Most pages read from one multi-page TIFF; a longer stack is refused from its header. */
export const MAX_PAGES = 4096;
/** Most pages of different sizes in one TIFF (read page by page, which costs a pass over the file each). */
export const MAX_MIXED_PAGES = 64;

/** Largest image file (PNG/JPEG/TIFF) read or received: a 16384² 16-bit two-channel TIFF, uncompressed. */
export const MAX_IMAGE_FILE_BYTES = 1024 * 2 ** 20;
/** Largest JSON file read (COCO annotations, manifests): V8's longest string is about 512 MiB. */
export const MAX_JSON_FILE_BYTES = 512 * 2 ** 20;
/** Small JSON side files (classes.json, the recent-projects list, model manifests). */
export const MAX_SMALL_FILE_BYTES = 16 * 2 ** 20;

/**
 * Largest WebSocket message: one image file of the largest size plus room for the envelope.
 * Bigger frames are refused by the server before they are buffered.
 */
export const MAX_MESSAGE_BYTES = MAX_IMAGE_FILE_BYTES + 16 * 2 ** 20;

/** `n` bytes for a person: "1.5 GiB", "320 KiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}
