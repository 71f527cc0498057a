// Image-embedding caches: an in-memory LRU bounded by bytes, and the interface of the persistent layer
// (the project database backs it; MemoryEmbeddingStore serves tests). Encoding an image is the slow
// step of SAM (seconds on CPU); a click on a cached image only runs the decoder.

/** Persistent embedding storage; implementations may be synchronous (better-sqlite3) or asynchronous. */
export interface EmbeddingStore {
  get(key: string): Float32Array | undefined | Promise<Float32Array | undefined>;
  put(key: string, data: Float32Array): void | Promise<void>;
}

/** An EmbeddingStore in a Map; for tests and for sessions without a project. */
export class MemoryEmbeddingStore implements EmbeddingStore {
  readonly entries = new Map<string, Float32Array>();
  get(key: string): Float32Array | undefined {
    return this.entries.get(key);
  }
  put(key: string, data: Float32Array): void {
    // Copy: the caller may transfer or reuse its buffer.
    this.entries.set(key, data.slice());
  }
}

/**
 * Cache key of one image embedding: the image content hash, the encoder model's hash, the
 * preprocessing (version + contrast window) and, for encoders with several outputs (SAM 2), what the
 * packed embedding holds; a change to any of them means a different embedding. Single-output keys
 * keep their earlier form, so embeddings already stored stay valid.
 */
export function embeddingCacheKey(imageHash: string, modelHash: string, preprocess: string, layout = ''): string {
  return layout === '' ? `sam-emb|${modelHash}|${preprocess}|${imageHash}` : `sam-emb|${modelHash}|${layout}|${preprocess}|${imageHash}`;
}

/** Least-recently-used map bounded by the total byte size of its values. */
export class ByteLru<V extends { byteLength: number }> {
  private readonly map = new Map<string, V>();
  private total = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be >= 0; got ${maxBytes}.`);
  }

  get bytes(): number {
    return this.total;
  }
  get size(): number {
    return this.map.size;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Stores a value, evicting the least recently used ones past maxBytes; a value larger than maxBytes is not kept. */
  set(key: string, value: V): void {
    this.delete(key);
    if (value.byteLength > this.maxBytes) return;
    this.map.set(key, value);
    this.total += value.byteLength;
    for (const [k, v] of this.map) {
      if (this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= v.byteLength;
    }
  }

  delete(key: string): boolean {
    const v = this.map.get(key);
    if (v === undefined) return false;
    this.map.delete(key);
    this.total -= v.byteLength;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  keys(): string[] {
    return [...this.map.keys()];
  }
}
