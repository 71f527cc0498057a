// Contract group: measuring every engine on the project's own verified images ("which engine fits
// this material") and the project's default engine chosen from it.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import { SamAutoOptionsSchema } from './sam';

const jobId = z.string().min(1).max(100);
/** An engine as the evaluation names it: 'classic', 'classic:preset:<name>', 'sam:<model>:<matsam|grid>', or one an extension registers (e.g. 'pixel-classifier'). */
const engineId = z.string().trim().min(1).max(200);

const EvalProjectArgsSchema = z.object({
  /** Images to score (default: every image with verified segments or marked verified). */
  imageIds: z.array(id).min(1).max(100_000).optional(),
  /** Engines to run (default: every available engine). */
  engines: z.array(engineId).min(1).max(100).optional(),
  /** SAM options for both prompt modes (filters, grid density, crops); model and prompts come from the engine. */
  sam: SamAutoOptionsSchema.omit({ model: true, prompts: true }).partial().optional(),
  /** Simulate the correction effort (the oracle operator of the effort simulator); slower on big images. */
  effort: z.boolean().default(true),
  /** Most simulated operations per image (default: the simulator's, 3 x the verified segments). */
  maxOps: z.number().int().min(1).max(100_000).optional(),
});
export type EvalProjectArgs = z.output<typeof EvalProjectArgsSchema>;

export interface EvalEngineInfo {
  id: string;
  /** In words, e.g. 'SAM vit_b (matsam prompts)'. */
  label: string;
  kind: string;
}

export interface EvalClassScore {
  classId: number;
  name: string;
  /** Pixels pooled over the scored images; each predicted segment takes the class it overlaps most. */
  iou: number;
  /** Truth pixels of the class. */
  support: number;
}

export interface EvalEngineScore {
  engine: string;
  label: string;
  kind: string;
  /** 1 = fits best (highest mean ARI, then least simulated effort); null when it failed. */
  rank: number | null;
  images: number;
  /** Means over images. */
  ari: number;
  /** Verified segments matched by a predicted one at IoU >= 0.5, pooled over images. */
  recall50: number;
  precision50: number;
  perClass: EvalClassScore[];
  /** Mean of perClass IoU; null when no verified segment has a class. */
  meanClassIoU: number | null;
  /** Simulated correction: operations in total and per 100 verified segments; images that reached the target. */
  effort: { operations: number; per100: number; reached: number; images: number } | null;
  /** Engine time per image (ms). */
  msPerImage: number;
  /** Why the engine could not be scored (then the numbers are 0). */
  failed?: string;
}

export interface EvalImageScore {
  engine: string;
  imageId: number;
  ari: number;
  recall50: number;
  operations: number | null;
  reached: boolean | null;
  segments: number;
}

export interface ProjectEvalReport {
  /** The images scored and what counted as truth: the whole image (status verified) or its verified segments. */
  images: { imageId: number; name: string; truth: 'image' | 'segments'; segments: number }[];
  /** Best first. */
  engines: EvalEngineScore[];
  best: string | null;
  perImage: EvalImageScore[];
  /** The project's default engine when the report was made. */
  defaultEngine: string | null;
  notes: string[];
}

export interface DefaultEngineInfo {
  engine: string | null;
  label: string | null;
  /** When it was set, and from which evaluation (the ranked scores), if any. */
  setAt: string | null;
  source: 'eval' | 'person' | null;
}

export const evalMethods = {
  /** Scores every available engine on the verified images as a job (progress, cancel); the report comes from eval.result. */
  'eval.project': method<{ jobId: string }>()(EvalProjectArgsSchema),
  'eval.result': method<ProjectEvalReport | null>()(z.object({ jobId })),
  /** The engines an evaluation would run now, and the project's default. */
  'eval.engines': method<{ engines: EvalEngineInfo[]; defaultEngine: DefaultEngineInfo }>()(none),
  /** Sets the project's default engine (used by segment.auto when no engine is given): a named one, or the best of a finished evaluation. */
  'eval.setDefault': method<DefaultEngineInfo>()(
    z.object({ engine: engineId.optional(), fromJob: jobId.optional() }).refine((a) => (a.engine === undefined) !== (a.fromJob === undefined), 'give either engine or fromJob'),
  ),
};
