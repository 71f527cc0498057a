// Segmentation presets as files: the JSON document `presets.export` writes and `presets.import`
// (and `grainlab eval --settings`) read. Pure: text in, validated presets out.
import { z } from 'zod';
// app/contract first: it loads app/contract/presets inside the cycle the two form, which must
// start at app/contract (the other way round its method table would read the group too early).
import { ClassicOptionsSchema } from './contract';
import { SegmentationPresetSchema, type SegmentationPreset } from './contract/presets';

const PRESET_FILE_FORMAT = 'grainlab-segmentation-presets';

const FileSchema = z.object({
  format: z.literal(PRESET_FILE_FORMAT),
  version: z.literal(1),
  presets: z.array(z.unknown()).max(1000),
});

/** The document for a list of presets (stable key order, one preset per block). */
export function serializePresets(presets: readonly SegmentationPreset[]): string {
  return (
    JSON.stringify(
      {
        format: PRESET_FILE_FORMAT,
        version: 1,
        presets: presets.map((p) => ({ name: p.name, description: p.description, engine: p.engine, settings: p.settings, ...(p.updatedAt ? { updatedAt: p.updatedAt } : {}) })),
      },
      null,
      2,
    ) + '\n'
  );
}

function issue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`;
}

/**
 * Reads presets from text: a presets document, one preset object ({name, settings}), or bare
 * classic settings ({mode, minArea, ...}; named `bareName`). Throws an Error naming `file` and
 * the first problem.
 */
export function parsePresetFile(text: string, file: string, bareName?: string): SegmentationPreset[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON (${(e as Error).message}). A presets file is what 'Export presets' or 'grainlab presets export' writes.`);
  }
  if (json && typeof json === 'object' && 'format' in json) {
    const doc = FileSchema.safeParse(json);
    if (!doc.success) throw new Error(`${file} is not a GrainLab presets file (${issue(doc.error)}).`);
    const seen = new Set<string>();
    return doc.data.presets.map((p, i) => {
      const r = SegmentationPresetSchema.safeParse(p);
      if (!r.success) throw new Error(`${file}: preset ${i + 1} is not valid (${issue(r.error)}).`);
      if (seen.has(r.data.name)) throw new Error(`${file}: the name '${r.data.name}' appears twice.`);
      seen.add(r.data.name);
      return r.data;
    });
  }
  if (json && typeof json === 'object' && 'settings' in json) {
    const r = SegmentationPresetSchema.safeParse({ name: bareName, ...json });
    if (!r.success) throw new Error(`${file} is not a valid preset (${issue(r.error)}).`);
    return [r.data];
  }
  const s = ClassicOptionsSchema.safeParse(json);
  if (!s.success) throw new Error(`${file} holds neither presets nor classic settings (${issue(s.error)}).`);
  return [{ name: bareName ?? 'settings', description: '', engine: 'classic', settings: s.data }];
}
