// What every group of service handlers gets: the open project, events, jobs and options.
import type { EventName, Events, MethodName, ParsedArgs, Result, AppInfo } from '../../app/contract';
import type { ProjectStore } from '../store/project-store';
import type { EditStore } from '../store/edits';
import type { JobManager } from '../jobs/jobs';

export interface ServiceOptions {
  /** Folder for per-user state (recent projects, user-level models). */
  userDataDir: string;
  binding: AppInfo['binding'];
  version?: string;
  /** Most images worked on at once by segment, import and export jobs (default: GRAINLAB_WORKERS, else one per core). */
  workers?: number;
  /** Folders the web folder browser may show (default: the user's home folder). */
  browseRoots?: string[];
}

export interface ServiceContext {
  readonly options: ServiceOptions;
  readonly jobs: JobManager;
  /** The open project; throws a 'no-project' ServiceError when none is open. */
  project(): ProjectStore;
  /** The open project or null. */
  currentProject(): ProjectStore | null;
  /** The open project's one edit store (created when it opened); throws 'no-project' when none is open. */
  edits(): EditStore;
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  /**
   * Registers cleanup that runs when the project closes (after its jobs are cancelled, before the
   * database is closed), e.g. disposing a SAM engine bound to the project.
   */
  onProjectClose(hook: () => Promise<void> | void): void;
}

/** Handlers for a subset K of the contract's methods. */
export type Handlers<K extends MethodName> = { [M in K]: (args: ParsedArgs<M>) => Promise<Result<M>> | Result<M> };
