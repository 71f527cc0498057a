// Service handlers: SAM models (status, select, and the model manager's import / verify / remove /
// fetch), interactive prompts and SAM auto-segmentation statistics. The SAM state (active model, engine,
// caches) lives in one SamPrompting per service, disposed when the project closes.
import type { samMethods } from '../../app/contract/sam';
import { appRoot } from '../paths';
import { defaultUserModelsDir } from '../sam/models';
import { SamModelManager } from '../sam/model-manager';
import { SamPrompting } from '../sam/prompting';
import { loadPixels } from './images';
import type { Handlers, ServiceContext } from './context';

type SamMethods = keyof typeof samMethods;

/** The SAM prompting service, created once by the service and passed to whoever prompts SAM. */
export function createSamPrompting(ctx: ServiceContext): SamPrompting {
  const sam = new SamPrompting({
    currentProject: () => ctx.currentProject(),
    project: () => ctx.project(),
    jobs: ctx.jobs,
    appRoot: appRoot(),
    userModelsDir: () => defaultUserModelsDir(),
    pixels: (store, id) => loadPixels(store, id),
  });
  ctx.onProjectClose(() => sam.close());
  return sam;
}

export function samHandlers(ctx: ServiceContext, sam: SamPrompting): Handlers<SamMethods> {
  const models = new SamModelManager(sam, ctx.jobs);
  return {
    'sam.status': () => sam.status(),
    'sam.importCustom': async (a) => {
      const modelId = await models.importCustom(a);
      return { modelId, status: sam.status() };
    },
    'sam.verify': (a) => models.verify(a.modelId),
    'sam.remove': async (a) => {
      await models.remove(a.modelId, a.destination);
      return sam.status();
    },
    'sam.fetch': (a) => ({ jobId: models.fetch(a.modelId, a.destination) }),
    'sam.select': (a) => sam.select(a.modelId),
    'sam.prompt': (a) => sam.prompt(a),
    'sam.prepare': (a) => sam.prepare(a.imageId),
    'sam.runStats': (a) => sam.runStats(a.jobId),
  };
}
