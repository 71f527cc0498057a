// Label maps cross the boundary deflated, as main stores its checkpoints: run-length pairs
// (magic 'GLR1', then id, count as little-endian uint32) or, in older projects, plain ids. About
// 1 MB instead of 256 MB for 8192^2 with 5,000 segments; DecompressionStream inflates natively.
import type { EditSnapshot } from '../../app/contract/edit';

/** Whether this runtime can inflate (browsers, Electron, Node 18+). */
export function canInflate(): boolean {
  return typeof DecompressionStream !== 'undefined';
}

const RUNS_MAGIC = 0x31524c47;

async function inflateLabels(bytes: Uint8Array, pixels: number): Promise<Uint32Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  const buf = await new Response(stream).arrayBuffer();
  const words = new Uint32Array(buf, 0, Math.floor(buf.byteLength / 4));
  if (words[0] === RUNS_MAGIC && buf.byteLength !== pixels * 4) {
    const out = new Uint32Array(pixels);
    let p = 0;
    for (let r = 1; r + 1 < words.length; r += 2) {
      const len = words[r + 1]!;
      if (p + len > pixels) break;
      if (words[r] !== 0) out.fill(words[r]!, p, p + len);
      p += len;
    }
    if (p !== pixels) throw new Error(`The label map covers ${p} of ${pixels} pixels; reopen the image.`);
    return out;
  }
  if (buf.byteLength !== pixels * 4) throw new Error(`The label map has ${buf.byteLength / 4} pixels, expected ${pixels}; reopen the image.`);
  return words;
}

/** A snapshot with raw labels, inflating them when they came deflated. */
export async function withLabels(snap: EditSnapshot): Promise<EditSnapshot & { labels: Uint32Array }> {
  if (snap.labels) return snap as EditSnapshot & { labels: Uint32Array };
  if (!snap.labelsDeflate) throw new Error('The label map is missing from the reply; reopen the image.');
  const labels = await inflateLabels(snap.labelsDeflate, snap.width * snap.height);
  return { ...snap, labels, labelsDeflate: undefined };
}
