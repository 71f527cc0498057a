// The common model of the interchange formats (LabelMe / X-AnyLabeling, QuPath GeoJSON, CVAT XML,
// ImageJ ROIs): one image with a list of labelled shapes. Segments become shapes (one per segment,
// parts and holes kept); shapes become a label map again (later shapes on top).
import type { LabelMap } from '../types';
import { segmentBoxes } from '../export/polygon';
import { fillPolygon, segmentPolygons, type PolygonWithHoles, type RasterLimits } from './geometry';

/** A bitmap over a box of the image (LabelMe "mask" shapes, CVAT masks). */
export interface BoxMask {
  x: number;
  y: number;
  width: number;
  height: number;
  /** 1 byte per pixel, row-major over the box; non-zero = inside. */
  data: Uint8Array;
}

export interface InterchangeShape {
  /** Class name; null = no class. */
  label: string | null;
  /** Parts with holes (polygons); empty when the shape is a mask. */
  polygons: PolygonWithHoles[];
  mask?: BoxMask;
  /** GrainLab's segment id when the file came from GrainLab (kept on the way back). */
  segmentId?: number;
  verified?: boolean;
}

export interface InterchangeImage {
  /** Image file name as the file records it (matched to project images by stem); null = unknown. */
  fileName: string | null;
  width: number | null;
  height: number | null;
  shapes: InterchangeShape[];
}

interface SegmentForExport {
  id: number;
  label: string | null;
  verified: boolean;
}

interface ShapesReport {
  /** Segments that have holes. */
  withHoles: number;
  /** Segments left out because they have holes (holes 'skip'). */
  skipped: number;
}

/**
 * One shape per segment with its parts and holes. `holes`: 'keep' writes hole rings (formats
 * that hold them), 'mask' turns a segment with holes into a box mask, 'fill' drops the hole
 * rings, 'skip' leaves such segments out.
 */
export function shapesFromLabelMap(map: LabelMap, segments: readonly SegmentForExport[], holes: 'keep' | 'mask' | 'fill' | 'skip'): { shapes: InterchangeShape[]; report: ShapesReport } {
  const boxes = segmentBoxes(map);
  const report: ShapesReport = { withHoles: 0, skipped: 0 };
  const shapes: InterchangeShape[] = [];
  for (const s of [...segments].sort((a, b) => a.id - b.id)) {
    const box = boxes.get(s.id);
    if (!box) continue;
    const polygons = segmentPolygons(map, s.id, box);
    const holed = polygons.some((p) => p.holes.length > 0);
    if (holed) report.withHoles++;
    const base = { label: s.label, segmentId: s.id, verified: s.verified };
    if (holed && holes === 'skip') {
      report.skipped++;
      continue;
    }
    if (holed && holes === 'mask') {
      const data = new Uint8Array(box.width * box.height);
      for (let y = 0; y < box.height; y++) {
        const row = (box.y + y) * map.width + box.x;
        for (let x = 0; x < box.width; x++) if (map.data[row + x] === s.id) data[y * box.width + x] = 1;
      }
      shapes.push({ ...base, polygons: [], mask: { x: box.x, y: box.y, width: box.width, height: box.height, data } });
      continue;
    }
    shapes.push({ ...base, polygons: holed && holes === 'fill' ? polygons.map((p) => ({ outer: p.outer, holes: [] })) : polygons });
  }
  return { shapes, report };
}

interface RasterizedShapes {
  labels: LabelMap;
  /** Per shape in file order: its id in `labels` (0 when nothing of it is left visible). */
  ids: number[];
  /** Shapes with no pixel inside the image. */
  empty: number;
  /** Shapes drawn entirely over by later ones. */
  covered: number;
}

/**
 * Draws the shapes into a label map of width x height, shape k with id k+1, later shapes over
 * earlier ones (as the formats' own viewers draw them). Ids of shapes that keep no pixel are 0.
 */
export function rasterizeShapes(shapes: readonly InterchangeShape[], width: number, height: number, limits: RasterLimits = {}): RasterizedShapes {
  const data = new Uint32Array(width * height);
  let empty = 0;
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k]!;
    const v = k + 1;
    let n = 0;
    for (const p of s.polygons) n += fillPolygon(data, width, height, [p.outer, ...p.holes], v, limits);
    if (s.mask) {
      const m = s.mask;
      for (let y = Math.max(0, m.y); y < Math.min(height, m.y + m.height); y++)
        for (let x = Math.max(0, m.x); x < Math.min(width, m.x + m.width); x++)
          if (m.data[(y - m.y) * m.width + (x - m.x)]) {
            data[y * width + x] = v;
            n++;
          }
    }
    if (n === 0) empty++;
  }
  const kept = new Uint8Array(shapes.length + 1);
  for (let i = 0; i < data.length; i++) kept[data[i]!] = 1;
  const ids = shapes.map((_, k) => (kept[k + 1] ? k + 1 : 0));
  const covered = ids.filter((v) => v === 0).length - empty;
  return { labels: { width, height, data }, ids, empty, covered };
}

/** Refuses a file bigger than `max` bytes before it is parsed. */
export function checkSize(bytes: number, max: number, file: string, what: string): void {
  if (bytes > max) throw new Error(`${file} is ${(bytes / 1e6).toFixed(1)} MB, more than the ${(max / 1e6).toFixed(0)} MB a ${what} file may have here; split it or raise the limit`);
}
