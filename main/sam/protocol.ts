// Messages between SamEngine (client thread) and the SAM worker. Bulk arrays travel as transferred
// ArrayBuffers; each request carries an id that its reply echoes.
import type { ServiceErrorData } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import type { FrameGeometry, PreprocessOptions } from './preprocess';
import type { SessionLoadOptions } from './providers';
import type { DecodeOptions, SamDecodeResult, SamModelFiles, SamPrompt, SamRuntimeInfo } from './runtime';

export interface WorkerRequests {
  load: { args: { files: SamModelFiles; options: SessionLoadOptions }; value: SamRuntimeInfo };
  embed: {
    args: { key: string; raster: RasterImage; options: PreprocessOptions };
    value: { data: Float32Array; geometry: FrameGeometry; timing: { preprocessMs: number; modelMs: number } };
  };
  /** Decodes prompts against the embedding the worker holds for key, or the one sent along. */
  decode: {
    args: { key: string; geometry: FrameGeometry; embedding?: Float32Array; prompts: SamPrompt[]; options: DecodeOptions };
    value: SamDecodeResult[];
  };
  dispose: { args: Record<string, never>; value: null };
}
export type RequestType = keyof WorkerRequests;

export type WorkerRequest = { [T in RequestType]: { id: number; type: T; args: WorkerRequests[T]['args'] } }[RequestType];

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ServiceErrorData };

/** Error message the worker sends when it no longer holds an embedding; the client resends it. */
export const EMBEDDING_MISSING = 'sam-worker: embedding not held';

/** ArrayBuffers of typed arrays that own their whole buffer (safe to transfer without sending extra bytes). */
export function transferList(arrays: readonly (ArrayBufferView | null | undefined)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of arrays) {
    if (a === null || a === undefined) continue;
    const b = a.buffer;
    if (b instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === b.byteLength && !out.includes(b)) out.push(b);
  }
  return out;
}
