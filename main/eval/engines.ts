// The segmentation engines a project evaluation can run, as one registry: name -> run(image) ->
// label map. Classic (the project's settings and each saved preset) and every installed SAM model
// (MatSAM and grid prompts) are built in; other engines (the pixel classifier) register a
// provider with registerEngineProvider and are then scored and offered as default like the rest.
import { ClassicOptionsSchema, type ClassicOptions } from '../../app/contract';
import { SamAutoOptionsSchema, type SamAutoOptions } from '../../app/contract/sam';
import { describeEngine } from '../../app/export/card';
import type { ImageRecord, LabelMap, RasterImage } from '../../app/types';
import type { ProjectStore } from '../store/project-store';
import type { SamPrompting } from '../sam/prompting';
import { runClassicInWorker } from '../jobs/classic-runner';
import { runSamAutoInWorker } from '../jobs/sam-auto-runner';
import { listPresets } from '../presets/store';

interface EngineRunInput {
  raster: RasterImage;
  image: ImageRecord;
  signal: AbortSignal;
  /** Fraction of this image done (0..1) and what is happening. */
  progress(fraction: number, stage: string): void;
}

export interface EvalEngine {
  /** Stable id, stored as the project's default: 'classic', 'classic:preset:<name>', 'sam:<model>:<prompts>', 'pixel-classifier', ... */
  id: string;
  label: string;
  /** 'classic', 'sam', or the provider's own kind. */
  kind: string;
  /** An instance label map of the image (0 = no segment), the image's size. */
  run(input: EngineRunInput): Promise<LabelMap>;
}

export interface EngineContext {
  store: ProjectStore;
  sam: SamPrompting;
  /** SAM options shared by both prompt modes (tests relax the filters for the tiny models). */
  samOptions?: Partial<SamAutoOptions>;
}

export interface EngineProvider {
  /** Unique provider name (a second registration under the same name replaces the first). */
  name: string;
  /** The engines available now (none when, e.g., no classifier is trained). */
  engines(ctx: EngineContext): Promise<EvalEngine[]> | EvalEngine[];
}

const providers = new Map<string, EngineProvider>();

/** Adds an engine provider; returns a function that removes it again. */
export function registerEngineProvider(p: EngineProvider): () => void {
  providers.set(p.name, p);
  return () => {
    if (providers.get(p.name) === p) providers.delete(p.name);
  };
}

/** The classic settings the project works with: those of its latest classic segmentation, else the defaults. */
export function projectClassicSettings(store: ProjectStore): { settings: ClassicOptions; from: string } {
  const row = store.db.prepare("SELECT settings FROM segmentations WHERE engine = 'classic' AND settings IS NOT NULL ORDER BY COALESCE(made_at, updated_at) DESC LIMIT 1").get() as { settings: string } | undefined;
  if (row) {
    try {
      const { preset: _preset, resolvedBoundaryStyle: _resolved, ...rest } = JSON.parse(row.settings) as Record<string, unknown>;
      const parsed = ClassicOptionsSchema.safeParse(rest);
      if (parsed.success) return { settings: parsed.data, from: 'the latest classic segmentation of the project' };
    } catch {
      // fall through to the defaults
    }
  }
  return { settings: ClassicOptionsSchema.parse({}), from: 'the classic defaults (no classic segmentation in the project yet)' };
}

function classicEngine(id: string, label: string, settings: ClassicOptions): EvalEngine {
  return {
    id,
    label,
    kind: 'classic',
    run: async ({ raster, signal, progress }) => (await runClassicInWorker(raster, settings, signal, progress)).labels,
  };
}

const builtIn: EngineProvider[] = [
  {
    name: 'classic',
    engines: ({ store }) => [
      classicEngine('classic', 'classic pipeline (project settings)', projectClassicSettings(store).settings),
      ...listPresets(store).map((p) => classicEngine(`classic:preset:${p.name}`, `classic pipeline (preset ${p.name})`, p.settings)),
    ],
  },
  {
    name: 'sam',
    engines: ({ sam, samOptions }) =>
      sam
        .status()
        .models.filter((m) => m.installed)
        .flatMap((m) =>
          (['matsam', 'grid'] as const).map((prompts): EvalEngine => {
            const options = SamAutoOptionsSchema.parse({ ...samOptions, model: m.id, prompts });
            return {
              id: `sam:${m.id}:${prompts}`,
              label: describeEngine(`sam:${m.id}:${prompts}`),
              kind: 'sam',
              run: async ({ raster, image, signal, progress }) => {
                const { engine } = await sam.engineFor(m.id);
                return (await runSamAutoInWorker(raster, options, image.name, sam.autoCalls(engine, image), signal, progress)).labels;
              },
            };
          }),
        ),
  },
];

/** Every engine available now: built-in ones first, then registered ones; ids are unique (first wins). */
export async function availableEngines(ctx: EngineContext): Promise<EvalEngine[]> {
  const out: EvalEngine[] = [];
  const seen = new Set<string>();
  for (const p of [...builtIn, ...providers.values()]) {
    for (const e of await p.engines(ctx)) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e);
    }
  }
  return out;
}
