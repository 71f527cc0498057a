// LabelMe / X-AnyLabeling JSON: one file per image, shapes with a label and points in pixel
// coordinates. Polygons cannot hold holes; a segment with holes is written as a LabelMe "mask"
// shape (labelme >= 5.3: a box and a PNG of the pixels inside it), as its outer outline, or left
// out, by choice. A segment in several parts is several shapes sharing its group_id (LabelMe's way
// of saying "one object"); reading merges shapes of one group and label back into one segment.
import { z } from 'zod';
import type { InterchangeImage, InterchangeShape } from './shapes';
import type { Ring } from './geometry';

const LABELME_VERSION = '5.5.0';

interface LabelMeShape {
  label: string;
  points: number[][];
  group_id: number | null;
  description: string;
  shape_type: string;
  flags: Record<string, boolean>;
  mask: string | null;
}

interface LabelMeFile {
  version: string;
  flags: Record<string, boolean>;
  shapes: LabelMeShape[];
  imagePath: string;
  imageData: null;
  imageHeight: number;
  imageWidth: number;
}

function points(r: Ring): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < r.length; k += 2) out.push([r[k]!, r[k + 1]!]);
  return out;
}

/**
 * The LabelMe document of one image. Mask shapes need their PNG (base64) from `maskPng`, keyed
 * by the shape's index in `image.shapes` (PNG encoding happens outside this pure module).
 */
export function encodeLabelMe(image: InterchangeImage & { width: number; height: number }, imagePath: string, maskPng: ReadonlyMap<number, string> = new Map()): LabelMeFile {
  const shapes: LabelMeShape[] = [];
  image.shapes.forEach((s, k) => {
    const base = { label: s.label ?? 'unclassified', group_id: s.segmentId ?? null, description: s.verified ? 'verified' : '', flags: {} };
    if (s.mask) {
      const png = maskPng.get(k);
      if (png === undefined) throw new Error(`mask shape ${k} has no PNG`);
      const m = s.mask;
      // Corners of the box as labelme writes them: first and last pixel, inclusive.
      shapes.push({ ...base, shape_type: 'mask', points: [[m.x, m.y], [m.x + m.width - 1, m.y + m.height - 1]], mask: png });
      return;
    }
    for (const p of s.polygons) shapes.push({ ...base, shape_type: 'polygon', points: points(p.outer), mask: null });
  });
  return { version: LABELME_VERSION, flags: {}, shapes, imagePath, imageData: null, imageHeight: image.height, imageWidth: image.width };
}

const finite = z.number().refine(Number.isFinite, 'coordinates must be finite numbers');
const ShapeSchema = z.looseObject({
  label: z.string().max(1000),
  points: z.array(z.array(finite).min(2).max(3)).max(1_000_000),
  shape_type: z.string().max(40).nullable().optional(),
  group_id: z.number().int().nullable().optional(),
  description: z.string().max(100_000).nullable().optional(),
  mask: z.string().nullable().optional(),
});
const FileSchema = z.looseObject({
  shapes: z.array(z.unknown()).max(1_000_000),
  imagePath: z.string().max(4096).nullable().optional(),
  imageHeight: z.number().int().positive().max(1 << 20).nullable().optional(),
  imageWidth: z.number().int().positive().max(1 << 20).nullable().optional(),
});

interface PendingMask {
  /** Index of the shape in the decoded image's shapes; its `mask` is filled once the PNG is decoded. */
  shape: number;
  x: number;
  y: number;
  width: number;
  height: number;
  pngBase64: string;
}

interface DecodedLabelMe {
  image: InterchangeImage;
  /** Mask shapes whose PNG still has to be decoded (outside this pure module). */
  masks: PendingMask[];
  /** Shapes of kinds that describe no area (points, lines), counted per kind. */
  skipped: Record<string, number>;
}

function circle(cx: number, cy: number, r: number): Ring {
  const n = Math.max(16, Math.min(720, Math.ceil(2 * Math.PI * r)));
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(cx + r * Math.cos((2 * Math.PI * k) / n), cy + r * Math.sin((2 * Math.PI * k) / n));
  return out;
}

/** Reads a LabelMe / X-AnyLabeling document; throws an Error naming `file` and the problem. */
export function decodeLabelMe(json: unknown, file: string): DecodedLabelMe {
  const doc = FileSchema.safeParse(json);
  if (!doc.success) throw new Error(`${file} is not a LabelMe file: ${doc.error.issues[0]!.path.join('.') || 'top level'}: ${doc.error.issues[0]!.message} (expected {"shapes": [...], "imagePath", "imageWidth", "imageHeight"})`);
  const skipped: Record<string, number> = {};
  const masks: PendingMask[] = [];
  const shapes: InterchangeShape[] = [];
  // Shapes of one group and label are one object.
  const group = new Map<string, InterchangeShape>();
  doc.data.shapes.forEach((raw, i) => {
    const r = ShapeSchema.safeParse(raw);
    if (!r.success) throw new Error(`${file}: shapes[${i}] is not a LabelMe shape (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
    const s = r.data;
    const type = s.shape_type ?? 'polygon';
    const pts = s.points;
    let ring: Ring | null = null;
    if (type === 'polygon' || type === 'rotation') {
      if (pts.length < 3) throw new Error(`${file}: shapes[${i}] (${s.label}) is a polygon with ${pts.length} point(s); it needs at least 3`);
      ring = pts.flatMap((p) => [p[0]!, p[1]!]);
    } else if (type === 'rectangle') {
      if (pts.length < 2) throw new Error(`${file}: shapes[${i}] (${s.label}) is a rectangle without its two corners`);
      const [a, b] = [pts[0]!, pts[1]!];
      const x0 = Math.min(a[0]!, b[0]!), x1 = Math.max(a[0]!, b[0]!), y0 = Math.min(a[1]!, b[1]!), y1 = Math.max(a[1]!, b[1]!);
      ring = [x0, y0, x1, y0, x1, y1, x0, y1];
    } else if (type === 'circle') {
      if (pts.length < 2) throw new Error(`${file}: shapes[${i}] (${s.label}) is a circle without centre and edge point`);
      ring = circle(pts[0]![0]!, pts[0]![1]!, Math.hypot(pts[1]![0]! - pts[0]![0]!, pts[1]![1]! - pts[0]![1]!));
    } else if (type === 'mask') {
      if (!s.mask || pts.length < 2) throw new Error(`${file}: shapes[${i}] (${s.label}) is a mask shape without its box or PNG`);
      const x = Math.round(Math.min(pts[0]![0]!, pts[1]![0]!));
      const y = Math.round(Math.min(pts[0]![1]!, pts[1]![1]!));
      const width = Math.round(Math.abs(pts[1]![0]! - pts[0]![0]!)) + 1;
      const height = Math.round(Math.abs(pts[1]![1]! - pts[0]![1]!)) + 1;
      shapes.push({ label: s.label, polygons: [], segmentId: s.group_id ?? undefined, verified: s.description === 'verified' });
      masks.push({ shape: shapes.length - 1, x, y, width, height, pngBase64: s.mask });
      return;
    } else {
      skipped[type] = (skipped[type] ?? 0) + 1;
      return;
    }
    const key = s.group_id === null || s.group_id === undefined ? null : `${s.group_id}\u0000${s.label}`;
    const existing = key ? group.get(key) : undefined;
    if (existing) {
      existing.polygons.push({ outer: ring, holes: [] });
      return;
    }
    const shape: InterchangeShape = { label: s.label, polygons: [{ outer: ring, holes: [] }], verified: s.description === 'verified', ...(s.group_id != null ? { segmentId: s.group_id } : {}) };
    shapes.push(shape);
    if (key) group.set(key, shape);
  });
  return {
    image: { fileName: doc.data.imagePath ?? null, width: doc.data.imageWidth ?? null, height: doc.data.imageHeight ?? null, shapes },
    masks,
    skipped,
  };
}
