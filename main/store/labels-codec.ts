// Compression of label-map checkpoints (Uint32 per pixel): run-length pairs, then deflate off
// the main thread. Label maps are long runs of one id, so the run pass shrinks an 8192^2 map
// from 268 MB to a few MB before deflate, and decoding is an inflate of those MB plus fills.
import { deflate, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { ServiceError } from '../../app/errors';

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);
/** 'GLR1': run-length pairs (id, count) as little-endian uint32, deflated. */
const MAGIC = 0x31524c47;

export function encodeRuns(labels: Uint32Array): Uint32Array {
  const n = labels.length;
  let runs = n === 0 ? 0 : 1;
  for (let i = 1; i < n; i++) if (labels[i] !== labels[i - 1]) runs++;
  const out = new Uint32Array(1 + runs * 2);
  out[0] = MAGIC;
  let o = 1;
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || labels[i] !== labels[start]) {
      out[o++] = labels[start]!;
      out[o++] = i - start;
      start = i;
    }
  }
  return out;
}

function decodeRuns(runs: Uint32Array, pixelCount: number): Uint32Array {
  const out = new Uint32Array(pixelCount);
  let p = 0;
  for (let r = 1; r + 1 < runs.length; r += 2) {
    const len = runs[r + 1]!;
    if (p + len > pixelCount) throw new Error('runs exceed the image size');
    if (runs[r] !== 0) out.fill(runs[r]!, p, p + len);
    p += len;
  }
  if (p !== pixelCount) throw new Error(`runs cover ${p} of ${pixelCount} pixels`);
  return out;
}

export async function compressLabels(labels: Uint32Array): Promise<Uint8Array> {
  const runs = encodeRuns(labels);
  const out = await deflateAsync(new Uint8Array(runs.buffer, runs.byteOffset, runs.byteLength), { level: 6 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export async function decompressLabels(compressed: Uint8Array, pixelCount: number): Promise<Uint32Array> {
  try {
    // At most two uint32 per pixel plus the magic.
    const raw = await inflateAsync(compressed, { maxOutputLength: pixelCount * 8 + 8 });
    const aligned = raw.byteOffset % 4 === 0 ? raw : Buffer.from(raw);
    const words = new Uint32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
    if (words[0] === MAGIC) return decodeRuns(words, pixelCount);
    // Plain deflated pixels (checkpoints written before run-length coding).
    if (raw.byteLength !== pixelCount * 4) throw new Error(`${raw.byteLength / 4} pixels, expected ${pixelCount}`);
    return new Uint32Array(words);
  } catch (e) {
    throw new ServiceError('io', `A stored label map is damaged (${(e as Error).message}). Re-run segmentation on that image.`);
  }
}
