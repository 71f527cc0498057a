// Service handlers: SAM models, interactive prompts and SAM auto-segmentation statistics. The SAM state
// (active model, engine, caches) lives in one SamSession per service, disposed when the project closes.
import type { samMethods } from '../../app/contract/sam';
import { appRoot } from '../paths';
import { defaultUserModelsDir } from '../sam/models';
import { SamSession } from '../sam/session';
import { loadPixels } from './images';
import type { Handlers, ServiceContext } from './context';

export type SamMethods = keyof typeof samMethods;

const sessions = new WeakMap<ServiceContext, SamSession>();

/** The SAM session of a service (shared by the SAM and segmentation handlers). */
export function samSession(ctx: ServiceContext): SamSession {
  let s = sessions.get(ctx);
  if (s === undefined) {
    const session = new SamSession({
      currentProject: () => ctx.currentProject(),
      project: () => ctx.project(),
      jobs: ctx.jobs,
      appRoot: appRoot(),
      userModelsDir: () => defaultUserModelsDir(),
      pixels: (store, id) => loadPixels(store, id),
    });
    ctx.onProjectClose(() => session.close());
    sessions.set(ctx, session);
    s = session;
  }
  return s;
}

export function samHandlers(ctx: ServiceContext): Handlers<SamMethods> {
  const session = samSession(ctx);
  return {
    'sam.status': () => session.status(),
    'sam.select': (a) => session.select(a.modelId),
    'sam.prompt': (a) => session.prompt(a),
    'sam.prepare': (a) => session.prepare(a.imageId),
    'sam.runStats': (a) => session.runStats(a.jobId),
  };
}
