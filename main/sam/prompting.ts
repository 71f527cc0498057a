// The service's SAM state for one open project: which model is active (remembered in the project),
// the loaded engine (one worker, disposed when the project closes), embeddings (memory LRU + the
// project database), the last low-res mask per image for refinement, and SAM auto-segmentation
// statistics per job.
import type { SamAutoStats, SamCandidate, SamStatus } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import type { ImageRecord, RasterImage } from '../../app/types';
import type { JobManager } from '../jobs/jobs';
import { SqliteEmbeddingStore } from '../store/embeddings';
import type { ProjectStore } from '../store/project-store';
import { loadCatalog, modelSearchDirs, type ModelCatalog } from './catalog';
import { SamEngine, type SamEmbedding } from './engine';
import { modelFolders, modelRows, VerificationRecord, type ModelFolders } from './model-manager';
import { listModels, resolveModelPaths, type SamModelPaths } from './models';
import type { ProviderName } from './providers';
import { frameGeometry, type PreprocessOptions } from './preprocess';
import { maskFromDecoder } from './upsample';
import { priorMaskInput } from './prior-mask';

const SAM_MODEL_SETTING = 'sam.model';
/** Bytes of embeddings the project database keeps (rows of the current model's size). */
const EMBEDDING_STORE_BYTES = 800 * 1024 * 1024;

const NO_MODEL_HINT =
  'No SAM model installed: segmentation uses the classic engine. Add one with `npx grainlab models fetch sam-vit-b-quant` (internet) ' +
  'or `npx grainlab models import sam-vit-b-quant <files>` (files brought on a USB stick), or put the .onnx files in the project\'s models/ folder.';

interface SamPromptingDeps {
  currentProject(): ProjectStore | null;
  project(): ProjectStore;
  jobs: JobManager;
  appRoot: string;
  userModelsDir(): string;
  pixels(store: ProjectStore, imageId: number): Promise<RasterImage>;
}

interface Loaded {
  key: string;
  modelId: string;
  paths: SamModelPaths;
  engine: SamEngine;
  /** Loaded as the default (first installed) model rather than a chosen one. */
  defaulted: boolean;
}

/** The embedding cache key's image part: content hash and page (pages of one TIFF share a hash). */
function imageKeyOf(im: Pick<ImageRecord, 'hash' | 'page'>): string {
  return `${im.hash}/${im.page}`;
}

/** Crop embeddings of auto-segmentation carry '@' in their image key; only whole images are persisted. */
function cropImageKey(imageKey: string, box: { x: number; y: number; width: number; height: number }): string {
  return `${imageKey}@${box.x},${box.y},${box.width}x${box.height}`;
}

function providersFromEnv(): ProviderName[] | undefined {
  const v = process.env.GRAINLAB_SAM_PROVIDERS;
  if (!v) return undefined;
  const names = v.split(',').map((s) => s.trim()).filter((s): s is ProviderName => ['cuda', 'dml', 'coreml', 'cpu'].includes(s));
  return names.length > 0 ? names : undefined;
}

/** Rejects when the signal aborts (the work itself goes on; its result is dropped). */
function abortable<T>(p: Promise<T>, signal: AbortSignal, message = 'Cancelled.'): Promise<T> {
  if (signal.aborted) return Promise.reject(new ServiceError('cancelled', message));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ServiceError('cancelled', message));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class SamPrompting {
  private loaded: Loaded | null = null;
  private loading: { key: string; promise: Promise<Loaded> } | null = null;
  /** Active model chosen while no project was open. */
  private chosen: string | null = null;
  private readonly lowRes = new Map<number, { key: string; data: Float32Array }>();
  private readonly encoding = new Map<string, { jobId: string; promise: Promise<SamEmbedding> }>();
  private readonly runs = new Map<string, SamAutoStats[]>();
  private embStore: { project: ProjectStore; store: SqliteEmbeddingStore; bytes: number } | null = null;
  /** Verdicts of model file checks made by this service (install, import, sam.verify). */
  readonly verification = new VerificationRecord();

  constructor(private readonly deps: SamPromptingDeps) {}

  /** The folders models are installed into: the user's, and the open project's models/. */
  folders(): ModelFolders {
    return modelFolders(this.deps.userModelsDir(), this.deps.currentProject()?.dir ?? null);
  }

  dirs(): string[] {
    const p = this.deps.currentProject();
    return modelSearchDirs(p?.dir ?? null, this.deps.appRoot, this.deps.userModelsDir());
  }

  catalog(): ModelCatalog {
    const p = this.deps.currentProject();
    return loadCatalog(this.dirs(), p?.dir ?? null);
  }

  /** The active model id: the project's choice when it is a known model, else the first installed one. */
  activeModel(catalog: ModelCatalog = this.catalog()): string | null {
    const wanted = this.wanted();
    if (wanted !== null && catalog.manifest.models.some((m) => m.id === wanted)) return wanted;
    return listModels(catalog.manifest, catalog.dirs).find((m) => m.installed)?.id ?? null;
  }

  status(): SamStatus {
    const catalog = this.catalog();
    const models = modelRows(catalog, this.folders(), this.verification);
    const active = this.activeModel(catalog);
    const loaded = this.loaded !== null && this.loaded.modelId === active ? this.loaded.engine.doctor() : null;
    const problems = catalog.problems.length > 0 ? ` Ignored: ${catalog.problems.join(' ')}` : '';
    return {
      models,
      active,
      provider: loaded === null ? null : { name: loaded.encoder.provider, reason: loaded.summary },
      hint: (models.some((m) => m.installed) ? 'Pick the model used for prompts and SAM auto-segmentation.' : NO_MODEL_HINT) + problems,
      searchDirs: catalog.dirs,
    };
  }

  /** Paths of an installed model; a ServiceError names the missing files and how to install them. */
  modelPaths(modelId: string, catalog: ModelCatalog = this.catalog()): SamModelPaths {
    return resolveModelPaths(catalog.manifest, modelId, catalog.dirs);
  }

  /** Resolves the model to use (given or active); throws the install hint when there is none. */
  requireModel(modelId?: string): string {
    const id = modelId ?? this.activeModel();
    if (id === null) throw new ServiceError('unsupported', NO_MODEL_HINT);
    return id;
  }

  /** Loads (or reuses) the engine for a model. Load errors name the file and the next step. */
  async engineFor(modelId?: string): Promise<{ engine: SamEngine; modelId: string }> {
    // Fast path for clicks: the loaded model is still the one asked for (no folder scan).
    const l = this.loaded;
    if (l !== null && (modelId === undefined ? this.wanted() === l.modelId || (this.wanted() === null && l.defaulted) : modelId === l.modelId)) {
      return { engine: l.engine, modelId: l.modelId };
    }
    const id = this.requireModel(modelId);
    const paths = this.modelPaths(id);
    const key = JSON.stringify([id, paths.encoder, paths.decoder]);
    const defaulted = modelId === undefined && this.wanted() === null;
    if (this.loaded?.key === key) {
      this.loaded.defaulted = defaulted;
      return { engine: this.loaded.engine, modelId: id };
    }
    if (this.loading?.key !== key) {
      const promise = this.load(key, id, paths, defaulted);
      this.loading = { key, promise };
      promise.then(
        () => {
          if (this.loading?.promise === promise) this.loading = null;
        },
        () => {
          if (this.loading?.promise === promise) this.loading = null;
        },
      );
    }
    const done = await this.loading!.promise;
    return { engine: done.engine, modelId: done.modelId };
  }

  /** The model the project (or, without one, this service) asked for; null = the default. */
  private wanted(): string | null {
    const p = this.deps.currentProject();
    return p ? p.getSetting(SAM_MODEL_SETTING) : this.chosen;
  }

  private async load(key: string, modelId: string, paths: SamModelPaths, defaulted: boolean): Promise<Loaded> {
    const providers = providersFromEnv();
    const engine = await SamEngine.load(paths, {
      store: { get: (k) => this.persistentStore()?.get(k), put: (k, d) => this.persistentStore()?.put(k, d) },
      ...(providers ? { providers } : {}),
    });
    const previous = this.loaded;
    this.loaded = { key, modelId, paths, engine, defaulted };
    this.lowRes.clear();
    if (previous !== null) await previous.engine.dispose();
    return this.loaded;
  }

  private persistentStore(): SqliteEmbeddingStore | null {
    const p = this.deps.currentProject();
    if (p === null) return null;
    // The table is bounded by rows; about 800 MiB of them whatever the model (200 SAM embeddings, 50 of SAM 2).
    const bytes = (this.loaded?.engine.info.encoder.embeddingLength ?? 1_048_576) * 4;
    if (this.embStore?.project !== p || this.embStore.bytes !== bytes) {
      const maxEntries = Math.max(1, Math.floor(EMBEDDING_STORE_BYTES / bytes));
      this.embStore = { project: p, bytes, store: new SqliteEmbeddingStore(p.db, { persist: (k) => !k.includes('@'), maxEntries }) };
    }
    return this.embStore.store;
  }

  /** Releases the engine when it runs this model (before its files are removed). */
  async forget(modelId: string): Promise<void> {
    const l = this.loaded;
    if (l === null || l.modelId !== modelId) return;
    this.loaded = null;
    this.lowRes.clear();
    await l.engine.dispose();
  }

  /** Makes a model active: it must be installed and load (its signature is checked); then it is remembered. */
  async select(modelId: string): Promise<SamStatus> {
    const catalog = this.catalog();
    if (!catalog.manifest.models.some((m) => m.id === modelId)) {
      throw new ServiceError('not-found', `No SAM model "${modelId}". Known models: ${catalog.manifest.models.map((m) => m.id).join(', ')}.`);
    }
    await this.engineFor(modelId);
    const p = this.deps.currentProject();
    if (p) p.setSetting(SAM_MODEL_SETTING, modelId);
    else this.chosen = modelId;
    return this.status();
  }

  /**
   * The image's embedding: cached (memory, then the project database) or computed in a job, so the UI
   * sees progress for the slow first encoder run. Concurrent callers share one run.
   */
  async embedding(engine: SamEngine, modelId: string, im: ImageRecord, signal?: AbortSignal): Promise<SamEmbedding> {
    const imageKey = imageKeyOf(im);
    const cached = await engine.cachedEmbedding(imageKey, im.width, im.height);
    if (cached !== undefined) return cached;
    const run = this.startEncoding(engine, modelId, im, imageKey);
    return signal ? abortable(run.promise, signal) : run.promise;
  }

  private startEncoding(engine: SamEngine, modelId: string, im: ImageRecord, imageKey: string): { jobId: string; promise: Promise<SamEmbedding> } {
    const key = `${modelId}|${imageKey}`;
    const running = this.encoding.get(key);
    if (running !== undefined) return running;
    const store = this.deps.project();
    let resolve!: (e: SamEmbedding) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<SamEmbedding>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    const jobId = this.deps.jobs.start(`Preparing SAM (${modelId}) for ${im.name}`, 2, async (job) => {
      try {
        job.progress(0, 'reading the image');
        const raster = await abortable(this.deps.pixels(store, im.id), job.signal, 'SAM preparation was cancelled.');
        job.progress(1, 'computing the image embedding (runs once per image)');
        const emb = await abortable(engine.embed(imageKey, raster, { transferRaster: true }), job.signal, 'SAM preparation was cancelled.');
        resolve(emb);
      } catch (e) {
        reject(e);
        throw e;
      } finally {
        this.encoding.delete(key);
      }
    });
    const entry = { jobId, promise };
    this.encoding.set(key, entry);
    return entry;
  }

  /** Starts the embedding of an image in the background; jobId null when it is cached already. */
  async prepare(imageId: number): Promise<{ cached: boolean; jobId: string | null }> {
    const im = this.deps.project().getImage(imageId);
    const { engine, modelId } = await this.engineFor();
    const imageKey = imageKeyOf(im);
    if ((await engine.cachedEmbedding(imageKey, im.width, im.height)) !== undefined) return { cached: true, jobId: null };
    return { cached: false, jobId: this.startEncoding(engine, modelId, im, imageKey).jobId };
  }

  /** One interactive prompt: best mask by predicted IoU, cropped to its box, at the image's resolution. */
  async prompt(args: {
    imageId: number;
    points: { x: number; y: number; label: 0 | 1 }[];
    box?: { x: number; y: number; width: number; height: number } | undefined;
    refine: boolean;
    /** A mask prompt from elsewhere (a segment of the slice before), in image pixels; wins over `refine`. */
    priorMask?: { box: { x: number; y: number; width: number; height: number }; mask: Uint8Array };
  }): Promise<SamCandidate> {
    const t0 = performance.now();
    const im = this.deps.project().getImage(args.imageId);
    if (args.points.length === 0 && args.box === undefined) {
      throw new ServiceError('invalid-argument', 'A SAM prompt needs at least one point or a box.');
    }
    for (const p of args.points) {
      if (p.x < 0 || p.y < 0 || p.x > im.width || p.y > im.height) {
        throw new ServiceError('invalid-argument', `The prompt point (${p.x}, ${p.y}) is outside the image (${im.width}x${im.height}).`);
      }
    }
    const b = args.box;
    if (b !== undefined && (b.x + b.width > im.width || b.y + b.height > im.height)) {
      throw new ServiceError('invalid-argument', `The prompt box ${b.width}x${b.height} at (${b.x}, ${b.y}) reaches outside the image (${im.width}x${im.height}).`);
    }
    const { engine, modelId } = await this.engineFor();
    const emb = await this.embedding(engine, modelId, im);
    const prior = args.refine ? this.lowRes.get(im.id) : undefined;
    const g = frameGeometry(im.width, im.height);
    // Above the decoder's frame size, take frame-resolution logits and upsample around the mask only.
    const f = engine.frameSize(g);
    const frame = im.width * im.height > f.width * f.height;
    const maskInput = args.priorMask ? priorMaskInput(args.priorMask, g, engine.info.layout) : prior !== undefined && prior.key === emb.key ? prior.data : undefined;
    const r = await engine.decode(
      emb,
      { points: args.points, ...(b ? { box: b } : {}), ...(maskInput !== undefined ? { maskInput } : {}) },
      { best: true, output: 'logits', lowRes: true, resolution: frame ? 'frame' : 'image' },
    );
    if (r.lowRes !== null) {
      this.lowRes.delete(im.id);
      this.lowRes.set(im.id, { key: emb.key, data: r.lowRes });
      // A few hundred KB each; the last 32 images are enough for going back and forth.
      if (this.lowRes.size > 32) this.lowRes.delete(this.lowRes.keys().next().value!);
    }
    const m = maskFromDecoder(r.masks as Float32Array, r.width, r.height, r.lowRes, r.lowResExtent, im.width, im.height, 0);
    return {
      imageId: im.id,
      box: m.box,
      mask: m.mask,
      score: r.iou[0] ?? 0,
      timing: { modelMs: r.timing.modelMs, totalMs: performance.now() - t0, embedMs: emb.timing?.totalMs ?? 0 },
      embedding: emb.source,
      model: modelId,
    };
  }

  /** The engine calls of one image's auto-segmentation: crops keyed under the image, handles per call. */
  autoCalls(engine: SamEngine, im: ImageRecord) {
    const handles = new Map<string, SamEmbedding>();
    const imageKey = imageKeyOf(im);
    return {
      embed: async (crop: { x: number; y: number; width: number; height: number }, layer: number, _index: number, raster: RasterImage, preprocess: PreprocessOptions) => {
        const key = layer === 0 ? imageKey : cropImageKey(imageKey, crop);
        const emb = await engine.embed(key, raster, { ...preprocess, transferRaster: true });
        handles.set(emb.key, emb);
        return { handle: emb.key, encoded: emb.source === 'encoder', frame: engine.frameSize(emb.geometry) };
      },
      decode: (handle: string, prompts: Parameters<SamEngine['decodeMany']>[1], options: Parameters<SamEngine['decodeMany']>[2]) => {
        const emb = handles.get(handle);
        if (emb === undefined) throw new ServiceError('internal', 'Unknown SAM embedding handle.');
        return engine.decodeMany(emb, prompts, options);
      },
    };
  }

  recordRun(jobId: string, stats: SamAutoStats[]): void {
    this.runs.set(jobId, stats);
    while (this.runs.size > 20) this.runs.delete(this.runs.keys().next().value!);
  }

  runStats(jobId: string): SamAutoStats[] | null {
    return this.runs.get(jobId) ?? null;
  }

  /** Releases the engine (its worker and sessions) and forgets per-project state; for project close. */
  async close(): Promise<void> {
    const l = this.loaded;
    this.loaded = null;
    const pendingLoad = this.loading?.promise;
    this.loading = null;
    this.lowRes.clear();
    this.encoding.clear();
    this.embStore = null;
    this.chosen = null;
    if (l !== null) await l.engine.dispose();
    if (pendingLoad) {
      // A load still running when the project closes is disposed when it lands.
      await pendingLoad.then(
        (x) => x.engine.dispose(),
        () => {},
      );
      this.loaded = null;
    }
  }
}
