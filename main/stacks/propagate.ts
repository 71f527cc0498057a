// Propagating a corrected slice to the next slices of its stack, as a job: slice by slice, the
// previous slice's current segmentation (with the person's corrections) predicts the next one —
// with SAM (each segment's box, innermost point and mask prompt the next slice) when a model is
// installed, else classically (app/stack/propagate.ts, in a segment worker). Each prediction is
// saved as an automatic result (main/store/automatic.ts), so segments a person made on the target
// slice are kept.
import type { ParsedArgs } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import type { GreyImage, LabelMap } from '../../app/types';
import { toGrey } from '../../app/image/display';
import { segmentStats } from '../../app/labelmap';
import { distanceTransform } from '../../app/classic/distance';
import { saveAutomaticResult } from '../store/automatic';
import { stackOfImage } from '../store/stacks';
import { loadPixels } from '../handlers/images';
import type { SamPrompting } from '../sam/prompting';
import type { ServiceContext } from '../handlers/context';
import { currentLabels } from './slices';
import { runInWorker, segmentation } from '../jobs/run-worker';

type Engine = 'classic' | 'sam';

/** Resolves 'auto' to SAM when the active model is installed, else classic. */
function chooseEngine(sam: SamPrompting, asked: 'auto' | Engine | 'classifier'): Engine {
  if (asked === 'classic' || asked === 'sam') return asked;
  const st = sam.status();
  return st.models.some((m) => m.id === st.active && m.installed) ? 'sam' : 'classic';
}

/** Starts the pixel classifier's prediction of images (learn.predict). */
export type PredictImages = (imageIds: number[]) => Promise<{ jobId: string }>;

export async function startPropagation(ctx: ServiceContext, sam: SamPrompting, predict: PredictImages, a: ParsedArgs<'stacks.propagate'>): Promise<{ jobId: string }> {
  const store = ctx.project();
  store.assertWritable();
  const source = store.getImage(a.imageId);
  const stack = stackOfImage(store, a.imageId);
  if (!stack) throw new ServiceError('invalid-argument', `${source.name} is not a slice of a stack; make a stack of its images first.`);
  const z0 = stack.imageIds.indexOf(a.imageId);
  const step = a.direction === 'up' ? 1 : -1;
  const targets: number[] = [];
  for (let z = z0 + step; targets.length < a.count && z >= 0 && z < stack.imageIds.length; z += step) targets.push(stack.imageIds[z]!);
  if (targets.length === 0) throw new ServiceError('invalid-argument', `Slice ${z0 + 1} is the ${step > 0 ? 'last' : 'first'} slice of '${stack.name}': there is no slice to propagate to.`);
  // The pixel classifier needs no source segmentation: it predicts each slice from what it learnt.
  if (a.engine === 'classifier') return predict(targets);
  if ((await currentLabels(ctx, a.imageId)) === null) throw new ServiceError('invalid-argument', `Slice ${z0 + 1} (${source.name}) has no segmentation yet: segment or draw it first, then propagate it.`);
  const engine = chooseEngine(sam, a.engine);
  // A missing or broken model is refused now, before the job starts.
  if (engine === 'sam') await sam.engineFor();
  const edits = ctx.edits();
  const title = `Propagating slice ${z0 + 1} of ${stack.name} to ${targets.length} slice(s) (${engine})`;
  const jobId = ctx.jobs.start(title, targets.length, async (job) => {
    let from = a.imageId;
    for (const [k, to] of targets.entries()) {
      if (job.signal.aborted) throw new ServiceError('cancelled', 'Propagation was cancelled.');
      if (ctx.currentProject() !== store) throw new ServiceError('cancelled', 'The project was closed.');
      if (!store.hasImage(to)) throw removedMidway(k, targets.length);
      // A slice can be removed while this one awaits (reading, predicting, saving): whatever call
      // then fails, the job says that a slice was removed and how far it got.
      try {
        const labels = await currentLabels(ctx, from);
        if (!labels) throw new ServiceError('invalid-argument', `Slice ${store.getImage(from).name} has no segmentation any more.`);
        const classes = new Map(store.listSegments(from).map((s) => [s.id, s.classId]));
        job.progress(k, `${store.getImage(to).name}: predicting`);
        // Classic: in a segment worker, so the thread serving the UI never waits on a large slice.
        const predicted =
          engine === 'sam'
            ? await propagateSam(sam, labels, to, job.signal)
            : segmentation(await runInWorker({ kind: 'propagate', current: await grey(ctx, from), labels, next: await grey(ctx, to) }, job.signal, undefined, null)).labels;
        if (job.signal.aborted) throw new ServiceError('cancelled', 'Propagation was cancelled.');
        if (!store.hasImage(to)) throw removedMidway(k, targets.length);
        // The class of the segment each prediction came from goes with it, as an automatic class.
        const saved = await saveAutomaticResult(
          edits,
          to,
          { labels: predicted, source: 'auto', rowOf: (id) => { const c = classes.get(id) ?? null; return c === null ? undefined : { classId: c, classSource: 'classifier' }; } },
          { engine: `propagate:${engine}`, settings: { from, engine, stackId: stack.id }, keep: 'person' },
        );
        ctx.emit('onDidChangeImage', { imageId: to, reason: 'segmented' });
        job.progress(k + 1, `${store.getImage(to).name}: ${saved.segments} segments${saved.kept ? ` (${saved.kept} of yours kept)` : ''}`);
      } catch (e) {
        if (!job.signal.aborted && (!store.hasImage(to) || !store.hasImage(from))) throw removedMidway(k, targets.length);
        throw e;
      }
      from = to;
    }
  });
  return { jobId };
}

/** A target slice was removed from the project while propagation ran: it stops, saying what was done. */
function removedMidway(done: number, total: number): ServiceError {
  return new ServiceError('not-found', `Propagation stopped: the next slice was removed from the project while it ran. ${done} of ${total} slice(s) were propagated and kept; propagate again from the last of them to go on.`);
}

async function grey(ctx: ServiceContext, imageId: number): Promise<GreyImage> {
  return toGrey(await loadPixels(ctx.project(), imageId));
}

/**
 * SAM propagation: each segment's box (grown by a tenth), its innermost pixel and its mask (as the
 * decoder's mask prompt, main/sam/prior-mask.ts) prompt SAM on the next slice. What a mask puts outside that box is cut off (an object moves little from one slice
 * to the next; a mask that leaks has found its neighbours). A mask that barely overlaps the
 * segment it came from is dropped: the object ended, or SAM found something else. Larger masks
 * are painted first, so small ones stay on top.
 */
async function propagateSam(sam: SamPrompting, labels: LabelMap, imageId: number, signal: AbortSignal): Promise<LabelMap> {
  const { width: w, height: h } = labels;
  const out = new Uint32Array(w * h);
  const found: { id: number; box: { x: number; y: number; width: number; height: number }; mask: Uint8Array; area: number }[] = [];
  for (const s of segmentStats(labels)) {
    if (signal.aborted) throw new ServiceError('cancelled', 'Propagation was cancelled.');
    const b = s.bbox;
    const crop = new Uint8Array(b.width * b.height);
    for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) crop[y * b.width + x] = labels.data[(b.y + y) * w + b.x + x] === s.id ? 1 : 0;
    const dist = distanceTransform({ width: b.width, height: b.height, data: crop });
    let best = 0;
    for (let i = 1; i < dist.length; i++) if (dist[i]! > dist[best]!) best = i;
    const point = { x: b.x + (best % b.width) + 0.5, y: b.y + Math.floor(best / b.width) + 0.5, label: 1 as const };
    const gx = Math.ceil(b.width * 0.1);
    const gy = Math.ceil(b.height * 0.1);
    const x0 = Math.max(0, b.x - gx);
    const y0 = Math.max(0, b.y - gy);
    const box = { x: x0, y: y0, width: Math.min(w, b.x + b.width + gx) - x0, height: Math.min(h, b.y + b.height + gy) - y0 };
    const c = await sam.prompt({ imageId, points: [point], box, refine: false, priorMask: { box: b, mask: crop } });
    let area = 0;
    let inter = 0;
    for (let y = 0; y < c.box.height; y++) {
      for (let x = 0; x < c.box.width; x++) {
        if (!c.mask[y * c.box.width + x]) continue;
        const X = c.box.x + x;
        const Y = c.box.y + y;
        if (X < box.x || Y < box.y || X >= box.x + box.width || Y >= box.y + box.height) {
          c.mask[y * c.box.width + x] = 0;
          continue;
        }
        area++;
        if (labels.data[(c.box.y + y) * w + c.box.x + x] === s.id) inter++;
      }
    }
    if (area === 0 || inter / (area + s.area - inter) < 0.2) continue;
    found.push({ id: s.id, box: c.box, mask: c.mask, area });
  }
  found.sort((p, q) => q.area - p.area);
  for (const f of found) {
    for (let y = 0; y < f.box.height; y++) for (let x = 0; x < f.box.width; x++) if (f.mask[y * f.box.width + x]) out[(f.box.y + y) * w + f.box.x + x] = f.id;
  }
  return { width: w, height: h, data: out };
}
