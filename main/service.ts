// The one implementation of the contract (app/contract.ts). Both bindings (Electron IPC and the
// WebSocket server) and the CLI call `invoke`, which validates arguments before any handler runs.
import { EventEmitter } from 'node:events';
import { readFile, writeFile, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join, basename, extname, resolve } from 'node:path';
import { contract, isMethodName, ClassicOptionsSchema, type ClassicOptions, type Args, type Events, type EventName, type MethodName, type ParsedArgs, type Result, type ImportResult, type SegmentationData, type AppInfo } from '../app/contract';
import { ServiceError } from '../app/errors';
import type { ImageRecord, RasterImage } from '../app/types';
import { ProjectStore, IMAGES_DIR, compressLabels, type NewImage } from './store/project-store';
import { probeImage, decodeImage, makeThumbnail, contentHash } from './images/io';
import { JobManager } from './jobs/jobs';
import { runClassicInWorker } from './jobs/classic-runner';

export interface ServiceOptions {
  /** Folder for per-user state (recent projects). */
  userDataDir: string;
  binding: AppInfo['binding'];
  version?: string;
}

type Handlers = { [M in MethodName]: (args: ParsedArgs<M>) => Promise<Result<M>> | Result<M> };

export class GrainLabService {
  private store: ProjectStore | null = null;
  private readonly events = new EventEmitter();
  readonly jobs: JobManager;
  private readonly handlers: Handlers;

  constructor(private readonly options: ServiceOptions) {
    this.events.setMaxListeners(100);
    this.jobs = new JobManager((e) => this.emit('onDidProgress', e));
    this.handlers = {
      'app.info': () => this.appInfo(),
      'project.create': (a) => this.openStore(ProjectStore.create(a.path, a.name)),
      'project.open': (a) => this.openStore(ProjectStore.open(a.path)),
      'project.close': async () => {
        await this.closeProject();
        return null;
      },
      'project.current': () => (this.store ? this.projectInfo(this.store) : null),
      'project.recent': () => this.recentProjects(),
      'images.list': () => this.project().listImages(),
      'images.importFiles': (a) => this.importFiles(a.files.map((f) => ({ name: basename(f.name), load: async () => f.bytes }))),
      'images.importPaths': (a) => this.importFiles(a.paths.map((p) => ({ name: basename(p), load: () => readImageFile(p) }))),
      'images.thumbnail': (a) => ({ png: this.project().thumbnail(a.id) }),
      'images.pixels': (a) => this.pixels(a.id),
      'images.setPixelSize': (a) => this.project().setPixelSize(a.id, a.umPerPx),
      'classes.list': () => this.project().listClasses(),
      'segment.auto': (a) => ({ jobId: this.segmentAuto(a.imageIds, a.classic ?? ClassicOptionsSchema.parse({})) }),
      'segmentation.get': (a) => this.segmentation(a.imageId),
      'jobs.cancel': (a) => this.jobs.cancel(a.jobId),
    };
  }

  /** Validates `rawArgs` against the contract and runs the method. Throws ServiceError on bad input. */
  async invoke<M extends MethodName>(method: M, rawArgs: unknown): Promise<Result<M>> {
    if (!isMethodName(method)) throw new ServiceError('invalid-argument', `Unknown method '${String(method)}'.`);
    const parsed = contract[method].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
      throw new ServiceError('invalid-argument', `Invalid arguments for ${method}: ${detail}`);
    }
    const handler = this.handlers[method] as (a: unknown) => Promise<Result<M>> | Result<M>;
    return await handler(parsed.data);
  }

  /** Typed convenience for in-process callers (CLI, tests). */
  call<M extends MethodName>(method: M, args: Args<M>): Promise<Result<M>> {
    return this.invoke(method, args);
  }

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    this.events.emit(event, payload);
  }

  async dispose(): Promise<void> {
    await this.closeProject();
    this.events.removeAllListeners();
  }

  // ---- project ----

  private project(): ProjectStore {
    if (!this.store) throw new ServiceError('no-project', 'No project is open. Create or open a project first.');
    return this.store;
  }

  private async openStore(store: ProjectStore) {
    await this.closeProject();
    this.store = store;
    await this.rememberRecent(store.dir);
    return this.projectInfo(store);
  }

  private projectInfo(store: ProjectStore) {
    return { path: store.dir, name: store.name, schemaVersion: store.schemaVersion, imageCount: store.listImages().length };
  }

  private async closeProject(): Promise<void> {
    await this.jobs.cancelAll();
    this.store?.close();
    this.store = null;
  }

  private recentFile(): string {
    return join(this.options.userDataDir, 'recent-projects.json');
  }

  private recentProjects(): string[] {
    try {
      const list = JSON.parse(readFileSync(this.recentFile(), 'utf8')) as unknown;
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string' && existsSync(join(p, 'project.sqlite'))) : [];
    } catch {
      return [];
    }
  }

  private async rememberRecent(dir: string): Promise<void> {
    const list = [dir, ...this.recentProjects().filter((p) => p !== dir)].slice(0, 10);
    try {
      await mkdir(this.options.userDataDir, { recursive: true });
      const tmp = `${this.recentFile()}.tmp`;
      await writeFile(tmp, JSON.stringify(list, null, 2));
      await rename(tmp, this.recentFile());
    } catch {
      // The recent list is a convenience; failing to write it must not fail opening a project.
    }
  }

  private appInfo(): AppInfo {
    return {
      version: this.options.version ?? '0.1.0',
      binding: this.options.binding,
      engines: [
        { id: 'classic', available: true, note: 'Classic pipeline (Otsu threshold + connected components), always available.' },
        { id: 'sam', available: false, note: 'No SAM model installed. Add one with `npx grainlab models fetch sam-vit-b-quant` or `models import`.' },
      ],
    };
  }

  // ---- images ----

  /**
   * Imports files one by one. A file is copied into the project's images/ folder (named by its
   * content hash) and its pages are inserted in one transaction; a bad file is reported in
   * `failed` and leaves the project as it was. Already-imported content is not duplicated.
   */
  private async importFiles(files: { name: string; load: () => Promise<Uint8Array> }[]): Promise<ImportResult> {
    const store = this.project();
    const result: ImportResult = { imported: [], failed: [] };
    for (const f of files) {
      let stored: string | null = null;
      try {
        const bytes = await f.load();
        const probed = await probeImage(bytes, f.name);
        const hash = contentHash(bytes);
        const existing = probed.pages.map((p) => store.findImageByHash(hash, p.page));
        if (existing.every((e) => e !== null)) {
          result.imported.push(...(existing as ImageRecord[]));
          continue;
        }
        const ext = extname(f.name).toLowerCase() || `.${probed.format}`;
        const file = `${IMAGES_DIR}/${hash.slice(0, 16)}${ext}`;
        const abs = join(store.dir, file);
        if (!existsSync(abs)) {
          const tmp = `${abs}.part`;
          await writeFile(tmp, bytes);
          await rename(tmp, abs);
          stored = abs;
        }
        const rows: NewImage[] = [];
        for (const p of probed.pages) {
          if (existing[p.page]) continue;
          const raster = await decodeImage(bytes, f.name, p.page);
          rows.push({
            name: probed.pages.length > 1 ? `${f.name} [page ${p.page + 1}]` : f.name,
            file,
            page: p.page,
            hash,
            width: raster.width,
            height: raster.height,
            channels: raster.channels,
            bitDepth: raster.bitDepth,
            pixelSizeUm: p.pixelSizeUm,
            thumbnail: await makeThumbnail(raster),
          });
        }
        const inserted = store.insertImages(rows);
        stored = null;
        result.imported.push(...inserted);
        for (const im of inserted) this.emit('onDidChangeImage', { imageId: im.id, reason: 'imported' });
      } catch (e) {
        if (stored) await rm(stored, { force: true });
        const message = e instanceof ServiceError ? e.message : `${f.name}: ${(e as Error).message}`;
        result.failed.push({ name: f.name, message });
      }
    }
    return result;
  }

  private async pixels(id: number): Promise<RasterImage> {
    const store = this.project();
    const im = store.getImage(id);
    const abs = join(store.dir, im.file);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(abs);
    } catch {
      throw new ServiceError('not-found', `The image file ${abs} is missing from the project. Restore it from a backup or re-import ${im.name}.`, abs);
    }
    return decodeImage(bytes, im.name, im.page);
  }

  // ---- segmentation ----

  private segmentAuto(imageIds: number[], options: ClassicOptions): string {
    const store = this.project();
    const images = imageIds.map((id) => store.getImage(id));
    const title = images.length === 1 ? `Segmenting ${images[0]!.name}` : `Segmenting ${images.length} images`;
    return this.jobs.start(title, images.length * 100, async (ctx) => {
      for (let i = 0; i < images.length; i++) {
        if (ctx.signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
        const im = images[i]!;
        ctx.progress(i * 100, `Reading ${im.name}`);
        const raster = await this.pixels(im.id);
        const result = await runClassicInWorker(raster, options, ctx.signal, (f, stage) => ctx.progress(i * 100 + Math.round(f * 90), `${im.name}: ${stage}`));
        ctx.progress(i * 100 + 92, `${im.name}: saving`);
        const compressed = await compressLabels(result.labels.data);
        if (ctx.signal.aborted) throw new ServiceError('cancelled', 'Segmentation was cancelled.');
        if (this.store !== store) throw new ServiceError('cancelled', 'The project was closed.');
        store.saveSegmentation(im.id, result.labels, result.stats.map((s) => ({ ...s, source: 'auto' as const })), 'classic', compressed);
        this.emit('onDidChangeImage', { imageId: im.id, reason: 'segmented' });
        ctx.progress((i + 1) * 100, `${im.name}: ${result.stats.length} segments`);
      }
    });
  }

  private async segmentation(imageId: number): Promise<SegmentationData | null> {
    const store = this.project();
    store.getImage(imageId);
    const seg = await store.loadSegmentation(imageId);
    if (!seg) return null;
    return {
      imageId,
      width: seg.labels.width,
      height: seg.labels.height,
      labels: seg.labels.data,
      segments: store.listSegments(imageId),
      engine: seg.engine,
      updatedAt: seg.updatedAt,
    };
  }
}

async function readImageFile(p: string): Promise<Uint8Array> {
  const abs = resolve(p);
  try {
    return await readFile(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ServiceError('not-found', code === 'ENOENT' ? `${abs}: no such file. Check the path.` : `${abs}: cannot be read (${code}). Check permissions.`, abs);
  }
}
