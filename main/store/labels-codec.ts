// Compression of label-map checkpoints (Uint32 per pixel) with deflate off the main thread.
import { deflate, inflate, constants } from 'node:zlib';
import { promisify } from 'node:util';
import { ServiceError } from '../../app/errors';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/**
 * Label maps are long runs of equal ids, so a byte-plane shuffle is not needed for a good ratio;
 * level 3 keeps an 8192^2 map around a second on one core.
 */
export async function compressLabels(labels: Uint32Array): Promise<Uint8Array> {
  const bytes = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  const out = await deflateAsync(bytes, { level: 3, strategy: constants.Z_DEFAULT_STRATEGY });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export async function decompressLabels(compressed: Uint8Array, pixelCount: number): Promise<Uint32Array> {
  let raw: Buffer;
  try {
    raw = await inflateAsync(compressed, { maxOutputLength: pixelCount * 4 + 1 });
  } catch (e) {
    throw new ServiceError('io', `A stored label map is damaged (${(e as Error).message}). Re-run segmentation on that image.`);
  }
  if (raw.byteLength !== pixelCount * 4) {
    throw new ServiceError('io', `A stored label map has ${raw.byteLength / 4} pixels, expected ${pixelCount}. Re-run segmentation on that image.`);
  }
  const out = new Uint32Array(pixelCount);
  new Uint8Array(out.buffer).set(raw);
  return out;
}
