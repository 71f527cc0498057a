// Dataset card: what a curated export contains and how it was made, as JSON (for tools) and
// Markdown (for people), built from counts the exporter already has.

export interface SplitCounts {
  images: number;
  segments: number;
  /** Segments per class id; key 'null' (or omit) for unclassified segments. */
  perClass: Readonly<Record<string, number>>;
}

interface DatasetCardInput {
  name: string;
  format: 'coco' | 'yolo' | 'png-masks' | string;
  appVersion: string;
  /** Segmentation model used for the automatic masks, or null for the classic engine / none. */
  modelId: string | null;
  /** ISO date-time the export was made (passed in so the card is reproducible). */
  createdAt: string;
  /** µm per pixel when all images share one, 'mixed' when they differ, null when unknown. */
  pixelSizeUm: number | 'mixed' | null;
  classes: readonly { id: number; name: string }[];
  splits: Readonly<Record<string, SplitCounts>>;
  verifiedSegments: number;
  seed?: number;
  ratios?: readonly number[];
  tiling?: { tileSize: number; overlap: number } | null;
  edgeGrains?: string;
  notes?: readonly string[];
  /** How each image's segmentation was made (engine string as stored) and how many images each. */
  engines?: readonly { engine: string; images: number }[];
  /** Images whose segmentation a person edited after the engine made it. */
  imagesEdited?: number;
  /** Written segments by source (auto, prompt, brush, import). */
  segmentsBySource?: Readonly<Record<string, number>>;
  /** What happened to segments the format cannot hold exactly (holes in polygons, parts). */
  masks?: { withHoles: number; holes: 'rle' | 'skip' | 'fill' | 'exact'; partsDropped?: number } | null;
}

/** A stored engine string in words: 'classic' -> 'classic pipeline', 'sam:<model>:<prompts>' -> 'SAM <model> (<prompts> prompts)'. */
export function describeEngine(engine: string): string {
  if (engine === 'classic') return 'classic pipeline';
  if (engine === 'pixel-kmeans') return 'pixel k-means phase map';
  if (engine === 'manual') return 'drawn by hand';
  if (engine.startsWith('sam:')) {
    const [, model, prompts] = engine.split(':');
    return `SAM ${model}${prompts ? ` (${prompts} prompts)` : ''}`;
  }
  if (engine.startsWith('import:')) return `imported (${engine.slice(7)})`;
  return engine;
}

export interface DatasetCardJson {
  name: string;
  format: string;
  createdAt: string;
  generator: { app: 'GrainLab'; version: string; modelId: string | null };
  pixelSizeUm: number | 'mixed' | null;
  classes: { id: number; name: string; segments: number }[];
  splits: Record<string, { images: number; segments: number; perClass: Record<string, number> }>;
  totals: { images: number; segments: number; verifiedSegments: number; unclassifiedSegments: number };
  split: { seed: number | null; ratios: number[] | null };
  tiling: { tileSize: number; overlap: number } | null;
  edgeGrains: string | null;
  notes: string[];
  /** Per engine (as stored), how many images; a dataset from one engine has one entry. */
  segmentation: { engines: { engine: string; description: string; images: number }[]; imagesEdited: number | null; segmentsBySource: Record<string, number> | null };
  masks: { withHoles: number; holes: 'rle' | 'skip' | 'fill' | 'exact'; partsDropped: number } | null;
}

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function buildDatasetCard(input: DatasetCardInput): { json: DatasetCardJson; markdown: string } {
  const splitNames = Object.keys(input.splits);
  const classTotal = new Map<string, number>();
  let images = 0;
  let segments = 0;
  const splits: DatasetCardJson['splits'] = {};
  for (const s of splitNames) {
    const c = input.splits[s]!;
    images += c.images;
    segments += c.segments;
    splits[s] = { images: c.images, segments: c.segments, perClass: { ...c.perClass } };
    for (const [k, v] of Object.entries(c.perClass)) classTotal.set(k, (classTotal.get(k) ?? 0) + v);
  }
  const unclassified = classTotal.get('null') ?? 0;
  const json: DatasetCardJson = {
    name: input.name,
    format: input.format,
    createdAt: input.createdAt,
    generator: { app: 'GrainLab', version: input.appVersion, modelId: input.modelId },
    pixelSizeUm: input.pixelSizeUm,
    classes: input.classes.map((c) => ({ id: c.id, name: c.name, segments: classTotal.get(String(c.id)) ?? 0 })),
    splits,
    totals: { images, segments, verifiedSegments: input.verifiedSegments, unclassifiedSegments: unclassified },
    split: { seed: input.seed ?? null, ratios: input.ratios ? [...input.ratios] : null },
    tiling: input.tiling ?? null,
    edgeGrains: input.edgeGrains ?? null,
    notes: [...(input.notes ?? [])],
    segmentation: {
      engines: (input.engines ?? []).map((e) => ({ engine: e.engine, description: describeEngine(e.engine), images: e.images })),
      imagesEdited: input.imagesEdited ?? null,
      segmentsBySource: input.segmentsBySource ? { ...input.segmentsBySource } : null,
    },
    masks: input.masks ? { withHoles: input.masks.withHoles, holes: input.masks.holes, partsDropped: input.masks.partsDropped ?? 0 } : null,
  };

  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '–');
  const px =
    input.pixelSizeUm === null ? 'unknown' : input.pixelSizeUm === 'mixed' ? 'differs between images' : `${input.pixelSizeUm} µm/px`;
  const md: string[] = [
    `# ${input.name}`,
    '',
    `Dataset exported by GrainLab ${input.appVersion} on ${input.createdAt} in **${input.format}** format.`,
    '',
    `- Images: ${images}`,
    `- Segments: ${segments} (verified by a person: ${input.verifiedSegments}, ${pct(input.verifiedSegments, segments)})`,
    `- Unclassified segments: ${unclassified}`,
    `- Pixel size: ${px}`,
  ];
  if (input.engines && input.engines.length) {
    // Say the mix as it is: one line per engine with its image count.
    const n = (k: number) => `${k} image${k === 1 ? '' : 's'}`;
    const parts = json.segmentation.engines.map((e) => `${e.description} (${n(e.images)})`);
    md.push(`- Segmentation: ${parts.join(', ')}${input.imagesEdited ? `; corrected by hand on ${n(input.imagesEdited)}` : ''}`);
  } else md.push(`- Segmentation model: ${input.modelId ?? 'none (classic pipeline or manual)'}`);
  if (input.segmentsBySource) {
    const src = Object.entries(input.segmentsBySource).filter(([, v]) => v > 0);
    if (src.length) md.push(`- Segments by origin: ${src.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (input.masks && input.masks.withHoles > 0) {
    const m = input.masks;
    const how =
      m.holes === 'rle'
        ? 'written as RLE (polygons cannot hold holes)'
        : m.holes === 'skip'
          ? 'left out (polygons cannot hold holes)'
          : m.holes === 'fill'
            ? 'written as their outer outline, holes filled (the format cannot hold holes)'
            : 'written exactly';
    md.push(`- Segments with holes: ${m.withHoles}, ${how}`);
  }
  if (input.masks?.partsDropped) md.push(`- Segments in several parts written as their largest part only: ${input.masks.partsDropped}`);
  if (input.ratios) md.push(`- Split ratios (train:val:test): ${input.ratios.join(':')}${input.seed !== undefined ? `, seed ${input.seed}` : ''}`);
  if (input.tiling) md.push(`- Tiles: ${input.tiling.tileSize} px with ${input.tiling.overlap} px overlap`);
  if (input.edgeGrains) md.push(`- Grains touching the image edge: ${input.edgeGrains}`);
  md.push('', '## Splits', '', `| split | images | segments |${input.classes.map((c) => ` ${cell(c.name)} |`).join('')}`);
  md.push(`|---|---:|---:|${input.classes.map(() => '---:|').join('')}`);
  for (const s of splitNames) {
    const c = input.splits[s]!;
    md.push(`| ${cell(s)} | ${c.images} | ${c.segments} |${input.classes.map((k) => ` ${c.perClass[String(k.id)] ?? 0} |`).join('')}`);
  }
  md.push('', '## Classes', '', '| id | name | segments |', '|---:|---|---:|');
  for (const c of json.classes) md.push(`| ${c.id} | ${cell(c.name)} | ${c.segments} |`);
  if (json.notes.length) {
    md.push('', '## Notes', '');
    for (const n of json.notes) md.push(`- ${n}`);
  }
  return { json, markdown: md.join('\n') + '\n' };
}
