// Service handlers: SAM models (status, select, and the model manager's import / verify / remove /
// fetch), interactive prompts and SAM auto-segmentation statistics. The SAM state (active model, engine,
// caches) lives in one SamSession per service, disposed when the project closes.
import type { samMethods } from '../../app/contract/sam';
import { appRoot } from '../paths';
import { defaultUserModelsDir } from '../sam/models';
import { SamModelManager } from '../sam/model-manager';
import { SamSession } from '../sam/session';
import { loadPixels } from './images';
import type { Handlers, ServiceContext } from './context';

export type SamMethods = keyof typeof samMethods;

/** The SAM session of a service, created once by the service and passed to whoever prompts SAM. */
export function createSamSession(ctx: ServiceContext): SamSession {
  const session = new SamSession({
    currentProject: () => ctx.currentProject(),
    project: () => ctx.project(),
    jobs: ctx.jobs,
    appRoot: appRoot(),
    userModelsDir: () => defaultUserModelsDir(),
    pixels: (store, id) => loadPixels(store, id),
  });
  ctx.onProjectClose(() => session.close());
  return session;
}

export function samHandlers(ctx: ServiceContext, session: SamSession): Handlers<SamMethods> {
  const models = new SamModelManager(session, ctx.jobs);
  return {
    'sam.status': () => session.status(),
    'sam.importCustom': async (a) => {
      const modelId = await models.importCustom(a);
      return { modelId, status: session.status() };
    },
    'sam.verify': (a) => models.verify(a.modelId),
    'sam.remove': async (a) => {
      await models.remove(a.modelId, a.destination);
      return session.status();
    },
    'sam.fetch': (a) => ({ jobId: models.fetch(a.modelId, a.destination) }),
    'sam.select': (a) => session.select(a.modelId),
    'sam.prompt': (a) => session.prompt(a),
    'sam.prepare': (a) => session.prepare(a.imageId),
    'sam.runStats': (a) => session.runStats(a.jobId),
  };
}
