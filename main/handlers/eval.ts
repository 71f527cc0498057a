// Service handlers: project evaluation ("which engine fits this material") as a job with progress
// and cancel, and the project's default engine chosen from it.
import type { evalMethods, ProjectEvalReport } from '../../app/contract/eval';
import { ServiceError } from '../../app/errors';
import type { Handlers, ServiceContext } from './context';
import type { SamPrompting } from '../sam/prompting';
import { availableEngines } from '../eval/engines';
import { chooseVerifiedImages, evaluateProject, selectEngines } from '../eval/project';
import { getDefaultEngine, setDefaultEngine } from '../eval/default-engine';

export type EvalMethods = keyof typeof evalMethods;

export function evalHandlers(ctx: ServiceContext, sam: SamPrompting): Handlers<EvalMethods> {
  const reports = new Map<string, ProjectEvalReport>();
  return {
    'eval.project': async (a) => {
      const store = ctx.project();
      const engineCtx = { store, sam: sam, ...(a.sam ? { samOptions: a.sam } : {}) };
      // Refused at once: no verified image, or an unknown engine.
      const images = chooseVerifiedImages(store, a.imageIds);
      const engines = await selectEngines(engineCtx, a.engines);
      let jobId = '';
      jobId = ctx.jobs.start(`Evaluating ${engines.length} engine(s) on ${images.length} verified image(s)`, Math.max(1, engines.length * images.length) * 100, async (job) => {
        const report = await evaluateProject({ store, edits: ctx.edits(), engines: engineCtx, signal: job.signal, progress: (d, m) => job.progress(d, m) }, a, engines, images);
        if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed during the evaluation.');
        reports.set(jobId, report);
        while (reports.size > 20) reports.delete(reports.keys().next().value!);
        job.progress(engines.length * images.length * 100, report.best ? `Best fit: ${report.best}` : 'No engine could be scored');
      });
      return { jobId };
    },
    'eval.result': (a) => reports.get(a.jobId) ?? null,
    'eval.engines': async () => {
      const store = ctx.project();
      const engines = await availableEngines({ store, sam: sam });
      return { engines: engines.map((e) => ({ id: e.id, label: e.label, kind: e.kind })), defaultEngine: getDefaultEngine(store) };
    },
    'eval.setDefault': async (a) => {
      const store = ctx.project();
      if (a.fromJob !== undefined) {
        const r = reports.get(a.fromJob);
        if (!r) throw new ServiceError('not-found', 'That evaluation is unknown or not finished; run the evaluation again and set the default from its result.');
        if (!r.best) throw new ServiceError('invalid-argument', 'The evaluation could not score any engine, so there is no best one to set as default.');
        return setDefaultEngine(store, r.best, 'eval');
      }
      const engines = await availableEngines({ store, sam: sam });
      if (!engines.some((e) => e.id === a.engine)) {
        throw new ServiceError('invalid-argument', `Unknown or unavailable engine '${a.engine}'. Available: ${engines.map((e) => e.id).join(', ')}.`);
      }
      return setDefaultEngine(store, a.engine!, 'person');
    },
  };
}
