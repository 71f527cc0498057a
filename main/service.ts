// The one implementation of the contract (app/contract/). Both bindings (Electron IPC and the
// WebSocket server) and the CLI call `invoke`, which validates arguments before any handler runs.
// Handlers live in main/handlers/<domain>.ts and share a ServiceContext.
import { EventEmitter } from 'node:events';
import { writeFile, mkdir, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { readTextFileSync } from './fs/read';
import { MAX_SMALL_FILE_BYTES } from '../app/limits';
import { basename, dirname, join } from 'node:path';
import { contract, isMethodName, type Args, type Events, type EventName, type MethodName, type Result, type AppInfo, type ImageChangedEvent } from '../app/contract';
import { damagedDatabaseError, storageError } from './fs/storage-errors';
import { resolveChosenPath } from './fs/contain';
import { ServiceError } from '../app/errors';
import type { ProjectInfo } from '../app/types';
import { DB_FILE, ProjectStore } from './store/project-store';
import { EditStore } from './store/edits';
import { projectKey } from './store/open-checks';
import { runAsCall, type CallContext } from './jobs/call-context';
import { JobManager } from './jobs/jobs';
import type { Handlers, ServiceContext, ServiceOptions } from './handlers/context';
import { imageHandlers } from './handlers/images';
import { segmentationHandlers } from './handlers/segmentation';
import { createSamPrompting, samHandlers } from './handlers/sam';
import { ClusterService } from './cluster/service';
import { editHandlers } from './handlers/edit';
import { exportHandlers } from './handlers/export';
import { finetuneHandlers } from './handlers/finetune';
import { evalHandlers } from './handlers/eval';
import { clusterHandlers } from './handlers/cluster';
import { presetHandlers } from './handlers/presets';
import { calibrationHandlers } from './handlers/calibration';
import { classHandlers } from './handlers/classes';
import { versionHandlers } from './handlers/versions';
import { batchHandlers } from './handlers/batch';
import { learnHandlers } from './learn/handlers';
import { browseHandlers, serviceBrowser } from './handlers/browse';
import type { FolderBrowser } from './fs/browse';
import { serverPaths } from '../app/contract/server-paths';
import { measureHandlers } from './handlers/measure';
import { stackHandlers } from './stacks/handlers';
import { channelHandlers } from './channels/handlers';
import { TileService } from './tiles/handlers';

export type { ServiceOptions } from './handlers/context';

export class GrainLabService {
  private store: ProjectStore | null = null;
  /** The open project's edit store: every reader and writer of its label maps shares it. */
  private edits: EditStore | null = null;
  private readonly events = new EventEmitter();
  readonly jobs: JobManager;
  private readonly handlers: Handlers<MethodName>;
  private readonly closeHooks: (() => Promise<void> | void)[] = [];
  /** The served roots: the folder browser's, and the bound on paths a web client types. */
  private readonly browser: FolderBrowser;

  constructor(private readonly options: ServiceOptions) {
    this.events.setMaxListeners(100);
    this.jobs = new JobManager((e) => this.emit('onDidProgress', e));
    const ctx: ServiceContext = {
      options,
      jobs: this.jobs,
      project: () => this.project(),
      currentProject: () => this.store,
      edits: () => {
        this.project();
        return this.edits!;
      },
      emit: (event, payload) => this.emit(event, payload),
      onProjectClose: (hook) => void this.closeHooks.push(hook),
    };
    // The services behind the handlers, created once here and passed to whoever uses them.
    const sam = createSamPrompting(ctx);
    const cluster = new ClusterService(ctx, sam);
    this.browser = serviceBrowser(ctx);
    const tiles = new TileService(ctx);
    // A removed image's label tiles and cached pyramid go with it.
    this.events.on('onDidChangeImage', (e: ImageChangedEvent) => void (e.reason === 'removed' ? tiles.forget(e.imageId).catch(() => {}) : undefined));
    this.handlers = {
      'app.info': () => this.appInfo(),
      'project.create': (a) => this.openStore(ProjectStore.create(resolveChosenPath(a.path, 'project folder'), a.name)),
      'project.open': async (a) => {
        const dir = resolveChosenPath(a.path, 'project folder');
        // Opening the project that is already open here is not an error: it stays open as it is.
        if (this.store && sameProject(this.store.dir, dir)) return this.projectInfo(this.store);
        return this.openStore(ProjectStore.open(dir));
      },
      'project.close': async () => {
        await this.closeProject();
        return null;
      },
      'project.current': () => (this.store ? this.projectInfo(this.store) : null),
      'project.recent': () => this.recentProjects(),
      'jobs.cancel': (a) => this.jobs.cancel(a.jobId),
      ...imageHandlers(ctx),
      ...segmentationHandlers(ctx, sam, tiles),
      ...samHandlers(ctx, sam),
      ...editHandlers(ctx, cluster),
      ...exportHandlers(ctx),
      ...finetuneHandlers(ctx),
      ...evalHandlers(ctx, sam),
      ...clusterHandlers(cluster),
      ...presetHandlers(ctx),
      ...calibrationHandlers(ctx),
      ...classHandlers(ctx, cluster),
      ...versionHandlers(ctx),
      ...batchHandlers(ctx),
      ...learnHandlers(ctx, sam),
      ...browseHandlers(this.browser),
      ...measureHandlers(ctx),
      // The pixel classifier predicts slices through its own handler (one LearnService per service).
      ...stackHandlers(ctx, sam, (imageIds) => this.invoke('learn.predict', { imageIds, keep: 'person' })),
      ...channelHandlers(ctx),
      ...tiles.handlers(),
    };
  }

  /**
   * Validates `rawArgs` against the contract and runs the method. Throws ServiceError on bad input.
   * `call` says who it is for: a binding passes the caller's signal, aborted when the caller leaves,
   * which stops long imports and cancels the jobs the call started (main/jobs/call-context.ts).
   */
  async invoke<M extends MethodName>(method: M, rawArgs: unknown, call?: CallContext): Promise<Result<M>> {
    if (!isMethodName(method)) throw new ServiceError('invalid-argument', `Unknown method '${String(method)}'.`);
    const parsed = contract[method].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
      throw new ServiceError('invalid-argument', `Invalid arguments for ${method}: ${detail}`);
    }
    if (this.store?.readOnly && !READ_ONLY_METHODS.has(method)) this.store.assertWritable(`${describe(method)}`);
    // A web client reaches only the served roots, whichever call carries the path (fs.list says it its own way).
    if (call?.remote && method !== 'fs.list') for (const p of serverPaths(contract[method].args, parsed.data)) await this.browser.confine(p);
    const handler = this.handlers[method] as (a: unknown) => Promise<Result<M>> | Result<M>;
    try {
      return await (call ? runAsCall(call, () => handler(parsed.data)) : handler(parsed.data));
    } catch (e) {
      // A full or read-only disk says so in one clear sentence, whichever layer hit it.
      throw storageError(e, this.store?.dir ?? null) ?? damagedDatabaseError(e, this.store?.dir ?? null) ?? e;
    }
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

  private async openStore(store: ProjectStore): Promise<ProjectInfo> {
    await this.closeProject();
    this.store = store;
    this.edits = new EditStore(store);
    await this.rememberRecent(store.dir);
    return this.projectInfo(store);
  }

  private projectInfo(store: ProjectStore): ProjectInfo {
    return { path: store.dir, name: store.name, schemaVersion: store.schemaVersion, imageCount: store.countImages(), readOnly: store.readOnly };
  }

  private async closeProject(): Promise<void> {
    await this.jobs.cancelAll();
    for (const hook of this.closeHooks) {
      try {
        await hook();
      } catch {
        // Cleanup failing must not keep the project open.
      }
    }
    // Closing writes the checkpoints of edited maps, so the next open needs no log replay.
    try {
      await this.edits?.flushAll();
    } catch {
      // As above: a failed checkpoint costs a log replay at the next open, nothing more.
    }
    this.edits = null;
    this.store?.close();
    this.store = null;
  }

  private recentFile(): string {
    return join(this.options.userDataDir, 'recent-projects.json');
  }

  private recentProjects(): string[] {
    try {
      const list = JSON.parse(readTextFileSync(this.recentFile(), { what: 'recent-projects list', maxBytes: MAX_SMALL_FILE_BYTES })) as unknown;
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

  private async appInfo(): Promise<AppInfo> {
    const sam = await this.handlers['sam.status']({});
    const active = sam.models.find((m) => m.id === sam.active);
    return {
      version: this.options.version ?? '0.1.0',
      binding: this.options.binding,
      engines: [
        { id: 'classic', available: true, note: 'Classic pipeline, always available.' },
        {
          id: 'sam',
          available: active?.installed === true,
          note: active?.installed ? `SAM model ${active.id}${sam.provider ? ` (${sam.provider.reason})` : ''}.` : sam.hint,
        },
      ],
    };
  }
}

/** Whether two project paths (a folder, or its project.sqlite) name the same project. */
function sameProject(a: string, b: string): boolean {
  const folder = (p: string) => (basename(p) === DB_FILE ? dirname(p) : p);
  return projectKey(folder(a)) === projectKey(folder(b));
}

/**
 * What an open read-only project still allows: viewing, measuring and exporting elsewhere (and
 * opening, closing, cancelling). Every other method that acts on the open project, including any
 * added later, is refused with a clear message before its handler runs.
 */
const READ_ONLY_METHODS: ReadonlySet<string> = new Set<MethodName>([
  'app.info', 'project.create', 'project.open', 'project.close', 'project.current', 'project.recent',
  'images.list', 'images.thumbnail', 'images.pixels', 'classes.list', 'segmentation.get', 'jobs.cancel',
  'edit.open', 'edit.history', 'cluster.get', 'classify.status',
  'export.dataset', 'export.result', 'export.finetune', 'export.finetuneResult', 'eval.result', 'eval.engines', 'labels.importResult', 'stats.compute', 'stats.csv',
  'sam.status', 'sam.runStats', 'sam.verify',
  'classes.export', 'presets.list', 'presets.export', 'calibration.list', 'segmentation.settings', 'segment.plan', 'segment.preview',
  'versions.list', 'versions.get',
  'learn.scribbles.list', 'learn.labels', 'learn.status', 'learn.predictRegion', 'learn.nextUncertain', 'learn.export', 'learn.features',
  'fs.list', 'measure.roles',
  'stacks.list', 'stacks.ofImage', 'stacks.stats', 'stacks.export',
  'channels.list', 'channels.display',
  'tiles.pyramid', 'tiles.image', 'tiles.labels', 'tiles.labelAt', 'tiles.history', 'tiles.segments',
]);

/** A method as the person knows it, for the read-only refusal. */
function describe(method: string): string {
  if (method.startsWith('images.import')) return 'Importing images';
  if (method === 'labels.import') return 'Importing labels';
  if (method.startsWith('edit.') || method.startsWith('classes.') || method === 'images.setStatus' || method === 'images.setPixelSize') return 'Editing';
  if (method.startsWith('segment')) return 'Segmenting';
  if (method.startsWith('versions.')) return 'Restoring a segmentation version';
  if (method === 'batch.merge') return 'Merging shard results';
  if (method.startsWith('presets.')) return 'Changing segmentation presets';
  if (method.startsWith('calibration.')) return 'Calibrating';
  if (method.startsWith('measure.')) return 'Changing the measurement settings';
  if (method.startsWith('cluster.') || method.startsWith('classify.')) return 'Changing classes or clusters';
  if (method.startsWith('sam.')) return 'Prompting SAM';
  if (method.startsWith('learn.')) return 'Teaching the pixel classifier';
  if (method.startsWith('stacks.')) return 'Changing slice stacks';
  if (method.startsWith('channels.')) return 'Changing elemental maps';
  return `'${method}'`;
}
