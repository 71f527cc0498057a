// Service handlers: learning from corrections (app/contract/learn.ts). The work is in
// main/learn/service.ts and main/learn/store.ts.
import type { learnMethods } from '../../app/contract/learn';
import { ServiceError } from '../../app/errors';
import type { Handlers, ServiceContext } from '../handlers/context';
import { LearnService } from './service';
import type { SamPrompting } from '../sam/prompting';
import { addStroke, loadClassifier, scribbleState, undoStroke } from './store';
import { strokeTouchesImage } from '../../app/learn/strokes';
import { registerEngineProvider } from '../eval/engines';
import { encodeFeatureSet, FEATURES_SETTING, validateFeatureSet } from '../../app/learn/feature-set';
import { featureSetInfo, projectFeatures } from './feature-cache';

export type LearnMethods = keyof typeof learnMethods;

export function learnHandlers(ctx: ServiceContext, sam?: SamPrompting): Handlers<LearnMethods> {
  const svc = new LearnService(ctx, sam);
  // The trained classifier is one of the engines `grainlab eval --project` scores (and can be the
  // project's default in that table), once a project has one.
  registerEngineProvider({
    name: 'pixel-classifier',
    engines: ({ store }) => {
      const stored = loadClassifier(store);
      if (!stored) return [];
      return [{ id: 'pixel-classifier', label: `Pixel classifier v${stored.info.version} (phases)`, kind: 'classifier', run: (input) => svc.predictLabels(store, input.image.id, input.signal) }];
    },
  });
  const checkClass = (classId: number) => {
    const c = ctx.project().listClasses().find((x) => x.id === classId);
    if (!c) throw new ServiceError('not-found', `Class ${classId} does not exist in this project. Add it with classes.create (grainlab classes add) first.`);
  };
  // A stroke that covers no pixel of the image is refused: stored, it would label nothing, still
  // drop the image's redo-able strokes, and be what the next Ctrl+Z takes back, invisibly.
  const checkOnImage = (imageId: number, s: { points: number[]; radius: number }) => {
    const im = ctx.project().getImage(imageId);
    if (!strokeTouchesImage(im.width, im.height, s)) throw new ServiceError('invalid-argument', `The stroke lies outside image ${im.name} (${im.width} × ${im.height} px), so it was not kept; paint on the image.`);
  };
  return {
    'learn.scribbles.add': (a) => {
      const store = ctx.project();
      checkOnImage(a.imageId, a);
      checkClass(a.classId);
      addStroke(store, a.imageId, 'paint', a.classId, a.radius, a.points);
      return scribbleState(store, a.imageId);
    },
    'learn.scribbles.erase': (a) => {
      const store = ctx.project();
      checkOnImage(a.imageId, a);
      addStroke(store, a.imageId, 'erase', null, a.radius, a.points);
      return scribbleState(store, a.imageId);
    },
    'learn.scribbles.undo': (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      undoStroke(store, a.imageId);
      return scribbleState(store, a.imageId);
    },
    'learn.scribbles.list': (a) => scribbleState(ctx.project(), ctx.project().getImage(a.imageId).id),
    'learn.labels': () => svc.labels(true),
    'learn.train': async (a) => ({ jobId: await svc.trainJob(a) }),
    'learn.status': () => svc.status(),
    'learn.predict': async (a) => ({ jobId: await svc.predictJob(a) }),
    'learn.predictRegion': (a) => svc.predictRegion(a),
    'learn.nextUncertain': (a) => svc.nextUncertain(a),
    'learn.export': (a) => svc.exportTo(a.path),
    'learn.features': () => featureSetInfo(projectFeatures(ctx.project())),
    'learn.setFeatures': (a) => {
      let spec;
      try {
        spec = validateFeatureSet(a);
      } catch (e) {
        throw new ServiceError('invalid-argument', `Feature set not saved: ${(e as Error).message}.`);
      }
      ctx.project().setSetting(FEATURES_SETTING, encodeFeatureSet(spec));
      return featureSetInfo(spec);
    },
  };
}
