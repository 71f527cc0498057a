// SamEngine: the typed client of the SAM worker. Loads a model, embeds images (with an in-memory LRU
// and an optional persistent EmbeddingStore in front of the encoder) and decodes prompts; the heavy
// work runs in main/sam/worker.ts so the calling thread never blocks on onnxruntime.
import type { Worker } from 'node:worker_threads';
import { SAM_FAMILY_NAMES } from '../../app/contract/sam';
import { ServiceError, isServiceErrorData } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import { ByteLru, embeddingCacheKey, type EmbeddingStore } from './cache';
import { sha256File, type SamModelPaths } from './models';
import { frameGeometry, preprocessKey, type FrameGeometry, type PreprocessOptions } from './preprocess';
import { EMBEDDING_MISSING, transferList, type RequestType, type WorkerReply, type WorkerRequests } from './protocol';
import type { ProviderChoice, SessionLoadOptions } from './providers';
import { frameSizeFor, type Size } from './decoders';
import { embeddingLayoutKey } from './encoders';
import type { DecodeOptions, SamDecodeResult, SamPrompt, SamRuntimeInfo } from './runtime';
import { spawnWorker } from '../jobs/spawn-worker';

export type { SamModelPaths } from './models';
export type { DecodeOptions, SamDecodeResult, SamPrompt, SamRuntimeInfo } from './runtime';

interface SamEngineOptions extends SessionLoadOptions {
  /** Bytes of embeddings kept in memory (LRU); default 256 MiB (64 embeddings of 4 MiB, 16 of SAM 2's 16 MiB). */
  cacheBytes?: number;
  /** Persistent layer behind the LRU (the project database); none by default. */
  store?: EmbeddingStore;
  /** Embeddings the worker keeps ready for decoding; default 4. */
  workerEmbeddings?: number;
}

interface EmbedOptions extends PreprocessOptions {
  /**
   * Transfer the raster's buffer to the worker instead of copying it (the caller's array becomes
   * unusable). Worth it for large images the caller no longer needs.
   */
  transferRaster?: boolean;
}

export interface SamEmbedding {
  /** Cache key: image hash + encoder hash + preprocessing (+ the output layout of multi-output encoders). */
  key: string;
  imageKey: string;
  geometry: FrameGeometry;
  /**
   * The encoder's outputs packed in info.encoder.parts order; the first 256x64x64 floats are the image
   * embedding for every family (SAM 2 appends its two high-resolution feature maps). Shared with the
   * cache, do not modify.
   */
  data: Float32Array;
  /** Where it came from on this call. */
  source: 'memory' | 'store' | 'encoder';
  /** Encoder timings when source is 'encoder'. */
  timing: { preprocessMs: number; modelMs: number; totalMs: number } | null;
}

interface SamDoctor {
  encoder: ProviderChoice;
  decoder: ProviderChoice;
  /** One line for the user. */
  summary: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SamEngine {
  private readonly lru: ByteLru<Float32Array>;
  private readonly inflight = new Map<string, Promise<SamEmbedding>>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: ServiceError | null = null;
  private modelInfo: SamRuntimeInfo | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly modelHash: Promise<string>,
    private readonly options: SamEngineOptions,
  ) {
    this.lru = new ByteLru(options.cacheBytes ?? 256 * 1024 * 1024);
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (e) => this.fail(new ServiceError('internal', `The SAM worker failed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new ServiceError('internal', `The SAM worker stopped (exit code ${code}).`)));
  }

  /** Starts a worker, loads encoder and decoder there, and checks their signatures. */
  static async load(paths: SamModelPaths, options: SamEngineOptions = {}): Promise<SamEngine> {
    const worker = spawnWorker(import.meta.url, 'worker', { workerData: { heldEmbeddings: options.workerEmbeddings ?? 4 } }, 'sam.worker');
    // Hashing a large encoder takes a while; it runs while the worker loads the sessions.
    const modelHash = paths.encoderSha256 !== undefined ? Promise.resolve(paths.encoderSha256) : sha256File(paths.encoder);
    modelHash.catch(() => {});
    const engine = new SamEngine(worker, modelHash, options);
    try {
      const sessionOptions: SessionLoadOptions = {};
      if (options.providers !== undefined) sessionOptions.providers = options.providers;
      if (options.threads !== undefined) sessionOptions.threads = options.threads;
      engine.modelInfo = await engine.request('load', { files: { encoder: paths.encoder, decoder: paths.decoder }, options: sessionOptions });
      const found = engine.modelInfo.family;
      if (paths.family !== undefined && found !== paths.family) {
        throw new ServiceError(
          'model',
          `The files of the SAM model "${paths.id ?? paths.encoder}" are a ${SAM_FAMILY_NAMES[found]} model, but its manifest entry says ${SAM_FAMILY_NAMES[paths.family]}. ` +
            'Fix the entry\'s "family", or check the files with "grainlab models verify".',
          paths.encoder,
        );
      }
      await modelHash;
    } catch (e) {
      await engine.dispose();
      throw e;
    }
    return engine;
  }

  get info(): SamRuntimeInfo {
    return this.modelInfo!;
  }

  /** Execution providers in use for encoder and decoder, and why. */
  doctor(): SamDoctor {
    const { encoder, decoder } = this.info;
    const summary =
      encoder.provider.provider === decoder.provider.provider
        ? `SAM runs on ${encoder.provider.reason}`
        : `SAM encoder on ${encoder.provider.reason}; decoder on ${decoder.provider.reason}`;
    return { encoder: encoder.provider, decoder: decoder.provider, summary };
  }

  /** The cache key the embedding of this image gets with these options. */
  async embeddingKey(imageKey: string, options: PreprocessOptions = {}): Promise<string> {
    return embeddingCacheKey(imageKey, await this.modelHash, preprocessKey(options), embeddingLayoutKey(this.info.encoder.parts));
  }

  /** Size of the masks a decode with resolution 'frame' returns for an image of this geometry. */
  frameSize(geometry: FrameGeometry): Size {
    return frameSizeFor(this.info.layout, geometry);
  }

  /**
   * The image's embedding: from memory, else the store, else the encoder (then cached in both).
   * `imageKey` is the image's content hash (ImageRecord.hash). Concurrent calls for one key share one run.
   */
  async embed(imageKey: string, raster: RasterImage, options: EmbedOptions = {}): Promise<SamEmbedding> {
    const key = await this.embeddingKey(imageKey, options);
    const geometry = frameGeometry(raster.width, raster.height);
    const cached = await this.fromCaches(key, imageKey, geometry);
    if (cached !== undefined) return cached;
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const job = this.encode(key, imageKey, raster, options).finally(() => this.inflight.delete(key));
    this.inflight.set(key, job);
    return job;
  }

  /** The embedding if it is cached (memory or store), without running the encoder. */
  async cachedEmbedding(imageKey: string, width: number, height: number, options: PreprocessOptions = {}): Promise<SamEmbedding | undefined> {
    return this.fromCaches(await this.embeddingKey(imageKey, options), imageKey, frameGeometry(width, height));
  }

  private async fromCaches(key: string, imageKey: string, geometry: FrameGeometry): Promise<SamEmbedding | undefined> {
    const mem = this.lru.get(key);
    if (mem !== undefined) return { key, imageKey, geometry, data: mem, source: 'memory', timing: null };
    const stored = this.options.store ? await this.options.store.get(key) : undefined;
    if (stored !== undefined && stored.length === this.info.encoder.embeddingLength) {
      this.lru.set(key, stored);
      return { key, imageKey, geometry, data: stored, source: 'store', timing: null };
    }
    return undefined;
  }

  private async encode(key: string, imageKey: string, raster: RasterImage, options: EmbedOptions): Promise<SamEmbedding> {
    const t0 = performance.now();
    const { transferRaster, ...pre } = options;
    const r = await this.request('embed', { key, raster, options: pre }, transferRaster === true ? transferList([raster.data]) : []);
    this.lru.set(key, r.data);
    if (this.options.store) await this.options.store.put(key, r.data);
    return { key, imageKey, geometry: r.geometry, data: r.data, source: 'encoder', timing: { ...r.timing, totalMs: performance.now() - t0 } };
  }

  /** Decodes one prompt (points in image pixels unless prompt.frame is 'model'). */
  async decode(embedding: SamEmbedding, prompt: SamPrompt, options: DecodeOptions = {}): Promise<SamDecodeResult> {
    return (await this.decodeMany(embedding, [prompt], options))[0]!;
  }

  /** Decodes several prompts against one embedding in a single worker round trip (auto-segmentation). */
  async decodeMany(embedding: SamEmbedding, prompts: readonly SamPrompt[], options: DecodeOptions = {}): Promise<SamDecodeResult[]> {
    const args = { key: embedding.key, geometry: embedding.geometry, prompts: [...prompts], options };
    try {
      return await this.request('decode', args);
    } catch (e) {
      if (!(e instanceof ServiceError) || e.message !== EMBEDDING_MISSING) throw e;
      // The worker evicted it (or never had it: it came from the store); send a copy along.
      return this.request('decode', { ...args, embedding: embedding.data });
    }
  }

  /** Releases the sessions and stops the worker; later calls fail. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.closed !== null) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A worker stuck in a long encoder run is not waited for beyond a few seconds.
      await Promise.race([this.request('dispose', {}), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    } catch {
      // The worker may already be gone; terminating below is what matters.
    } finally {
      clearTimeout(timer);
    }
    this.fail(new ServiceError('internal', 'The SAM engine was disposed.'));
    this.lru.clear();
    await this.worker.terminate();
  }

  private request<T extends RequestType>(type: T, args: WorkerRequests[T]['args'], transfer: ArrayBuffer[] = []): Promise<WorkerRequests[T]['value']> {
    if (this.closed !== null) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.worker.postMessage({ id, type, args }, transfer);
      } catch (e) {
        this.pending.delete(id);
        reject(new ServiceError('internal', `Could not send a ${type} request to the SAM worker: ${(e as Error).message}`));
      }
    });
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(isServiceErrorData(reply.error) ? ServiceError.fromData(reply.error) : new ServiceError('internal', 'SAM worker error'));
  }

  private fail(error: ServiceError): void {
    if (this.closed === null) this.closed = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
