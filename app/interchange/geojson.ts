// QuPath GeoJSON: a FeatureCollection of polygon features in image pixel coordinates (QuPath's
// "Export objects as GeoJSON" and its import by drag and drop). Holes are native (rings after the
// first); a segment in several parts is a MultiPolygon. The class travels as
// properties.classification {name, color [r, g, b]} as QuPath writes it.
import { z } from 'zod';
import type { InterchangeImage, InterchangeShape } from './shapes';
import type { PolygonWithHoles, Ring } from './geometry';

type Position = [number, number];

interface GeoJsonFeature {
  type: 'Feature';
  id?: string;
  geometry: { type: 'Polygon'; coordinates: Position[][] } | { type: 'MultiPolygon'; coordinates: Position[][][] };
  properties: {
    objectType: 'annotation' | 'detection';
    name?: string;
    classification?: { name: string; color: [number, number, number] };
    isLocked?: boolean;
    grainlab?: { segmentId: number; verified: boolean };
  };
}

interface GeoJsonCollection {
  type: 'FeatureCollection';
  features: GeoJsonFeature[];
}

function closed(r: Ring): Position[] {
  const out: Position[] = [];
  for (let k = 0; k < r.length; k += 2) out.push([r[k]!, r[k + 1]!]);
  if (out.length) out.push([out[0]![0], out[0]![1]]);
  return out;
}

function rgb(hex: string | null | undefined): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex ?? '');
  const v = m ? parseInt(m[1]!, 16) : 0x808080;
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * The features of one image. `objectType` 'annotation' (editable in QuPath) or 'detection'
 * (lighter for thousands of grains); `colors`: class name -> '#rrggbb'.
 */
export function encodeGeoJson(image: InterchangeImage, colors: ReadonlyMap<string, string | null>, objectType: 'annotation' | 'detection' = 'annotation'): GeoJsonCollection {
  const features: GeoJsonFeature[] = [];
  for (const s of image.shapes) {
    if (!s.polygons.length) continue;
    const polys = s.polygons.map((p) => [closed(p.outer), ...p.holes.map(closed)]);
    features.push({
      type: 'Feature',
      geometry: polys.length === 1 ? { type: 'Polygon', coordinates: polys[0]! } : { type: 'MultiPolygon', coordinates: polys },
      properties: {
        objectType,
        ...(s.segmentId !== undefined ? { name: `segment ${s.segmentId}` } : {}),
        ...(s.label !== null ? { classification: { name: s.label, color: rgb(colors.get(s.label)) } } : {}),
        isLocked: false,
        ...(s.segmentId !== undefined ? { grainlab: { segmentId: s.segmentId, verified: s.verified ?? false } } : {}),
      },
    });
  }
  return { type: 'FeatureCollection', features };
}

const finite = z.number().refine(Number.isFinite, 'coordinates must be finite numbers');
const PositionSchema = z.array(finite).min(2).max(3);
const RingSchema = z.array(PositionSchema).max(10_000_000);
const PolygonCoords = z.array(RingSchema).max(100_000);
const ClassSchema = z.looseObject({ name: z.string().max(1000).optional(), names: z.array(z.string().max(1000)).max(20).optional() });
const FeatureSchema = z.looseObject({
  type: z.literal('Feature'),
  geometry: z.looseObject({ type: z.string(), coordinates: z.unknown().optional(), geometries: z.array(z.unknown()).optional() }).nullable(),
  properties: z
    .looseObject({
      classification: ClassSchema.nullable().optional(),
      name: z.string().max(1000).nullable().optional(),
      grainlab: z.looseObject({ segmentId: z.number().int().optional(), verified: z.boolean().optional() }).optional(),
    })
    .nullable()
    .optional(),
});

interface DecodedGeoJson {
  image: InterchangeImage;
  /** Features that describe no area (points, lines), counted per geometry type. */
  skipped: Record<string, number>;
}

function toRing(coords: number[][]): Ring {
  const out: number[] = [];
  const n = coords.length > 1 && coords[0]![0] === coords.at(-1)![0] && coords[0]![1] === coords.at(-1)![1] ? coords.length - 1 : coords.length;
  for (let k = 0; k < n; k++) out.push(coords[k]![0]!, coords[k]![1]!);
  return out;
}

function polygonOf(coords: unknown, where: string): PolygonWithHoles | null {
  const r = PolygonCoords.safeParse(coords);
  if (!r.success) throw new Error(`${where}: polygon coordinates are not [[[x, y], ...], ...] (${r.error.issues[0]!.message})`);
  const rings = r.data.map(toRing).filter((x) => x.length >= 6);
  return rings.length ? { outer: rings[0]!, holes: rings.slice(1) } : null;
}

/** Reads QuPath GeoJSON (a FeatureCollection, a list of features, or one feature); throws naming `file`. */
export function decodeGeoJson(json: unknown, file: string): DecodedGeoJson {
  const list: unknown[] = Array.isArray(json)
    ? json
    : json && typeof json === 'object' && (json as { type?: unknown }).type === 'FeatureCollection'
      ? ((json as { features?: unknown }).features as unknown[])
      : json && typeof json === 'object' && (json as { type?: unknown }).type === 'Feature'
        ? [json]
        : (null as unknown as unknown[]);
  if (!Array.isArray(list)) throw new Error(`${file} is not GeoJSON: expected a FeatureCollection, a list of features or a Feature`);
  if (list.length > 2_000_000) throw new Error(`${file} has ${list.length} features, more than the 2,000,000 GrainLab reads at once`);
  const shapes: InterchangeShape[] = [];
  const skipped: Record<string, number> = {};
  list.forEach((raw, i) => {
    const where = `${file}: feature ${i}`;
    const f = FeatureSchema.safeParse(raw);
    if (!f.success) throw new Error(`${where} is not a GeoJSON Feature (${f.error.issues[0]!.path.join('.')}: ${f.error.issues[0]!.message})`);
    const g = f.data.geometry;
    const polygons: PolygonWithHoles[] = [];
    const take = (geom: { type: string; coordinates?: unknown; geometries?: unknown[] } | null) => {
      if (!geom) return;
      if (geom.type === 'Polygon') {
        const p = polygonOf(geom.coordinates, where);
        if (p) polygons.push(p);
      } else if (geom.type === 'MultiPolygon') {
        if (!Array.isArray(geom.coordinates)) throw new Error(`${where}: MultiPolygon coordinates are not a list`);
        for (const c of geom.coordinates) {
          const p = polygonOf(c, where);
          if (p) polygons.push(p);
        }
      } else if (geom.type === 'GeometryCollection' && Array.isArray(geom.geometries)) {
        for (const sub of geom.geometries) take(sub as { type: string; coordinates?: unknown });
      } else skipped[geom.type] = (skipped[geom.type] ?? 0) + 1;
    };
    take(g);
    if (!polygons.length) return;
    const p = f.data.properties ?? {};
    const c = p.classification;
    const label = c?.name ?? (c?.names?.length ? c.names.join(': ') : null);
    shapes.push({
      label: label ?? null,
      polygons,
      ...(p.grainlab?.segmentId !== undefined ? { segmentId: p.grainlab.segmentId } : {}),
      verified: p.grainlab?.verified ?? false,
    });
  });
  return { image: { fileName: null, width: null, height: null, shapes }, skipped };
}
