// YOLO segmentation labels (Ultralytics format): one text line per object, "class x1 y1 x2 y2 ...",
// coordinates normalised to [0, 1] by image width and height, plus the data.yaml that names classes.
import type { ClassRecord, LabelMap } from '../types';
import { polygonArea, segmentBoxes, segmentOutline, type Polygon } from './polygon';

interface YoloOptions {
  /** Douglas-Peucker tolerance in pixels; default 0.5 (drops staircase corners, keeps shape). */
  tolerance?: number;
  /**
   * A segment in several parts: 'largest' (default) writes only its largest part so one line is
   * still one object; 'separate' writes one line per part (more objects than segments).
   */
  multiPart?: 'largest' | 'separate';
  /** Segments touching the image border: keep (default) or leave out. */
  edgeGrains?: 'include' | 'exclude';
  /** Decimals in the output; default 6. */
  decimals?: number;
  /** Segments with holes (YOLO polygons cannot hold them): outer outline (default) or left out. */
  holes?: 'fill' | 'skip';
}

interface YoloLabels {
  text: string;
  lines: number;
  /** Segments without a class index (unclassified or class not exported). */
  skippedUnclassified: number;
  skippedEdge: number;
  /** Segments with holes, written as their outer outline (YOLO polygons cannot hold holes). */
  holesFilled: number;
  /** Segments with holes left out (holes 'skip'). */
  skippedHoles: number;
  /** Segments in several parts of which only the largest was written ('largest'). */
  partsDropped: number;
}

/** YOLO class index (0-based) per class id, in ascending class id order, and the names in that order. */
export function yoloClasses(classes: readonly ClassRecord[]): { index: Map<number, number>; names: string[] } {
  const sorted = [...classes].sort((a, b) => a.id - b.id);
  return { index: new Map(sorted.map((c, i) => [c.id, i])), names: sorted.map((c) => c.name) };
}

function fmt(v: number, decimals: number): string {
  if (decimals <= 6) {
    // Rounded values of at least 1e-6 print in plain notation, without trailing zeros.
    const f = 10 ** decimals;
    return String(Math.round(v * f) / f);
  }
  const s = v.toFixed(decimals);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** The label file text for one image (or tile). Segments are written in ascending id order. */
export function yoloSegmentationLabels(
  map: LabelMap,
  segments: readonly { id: number; classId: number | null }[],
  classIndex: ReadonlyMap<number, number>,
  options: YoloOptions = {},
): YoloLabels {
  const tolerance = options.tolerance ?? 0.5;
  const decimals = options.decimals ?? 6;
  const { width: W, height: H } = map;
  const boxes = segmentBoxes(map);
  const out: string[] = [];
  const res = { skippedUnclassified: 0, skippedEdge: 0, holesFilled: 0, skippedHoles: 0, partsDropped: 0 };
  for (const s of [...segments].sort((a, b) => a.id - b.id)) {
    const box = boxes.get(s.id);
    if (!box) continue;
    const cls = s.classId === null ? undefined : classIndex.get(s.classId);
    if (cls === undefined) {
      res.skippedUnclassified++;
      continue;
    }
    const edge = box.x === 0 || box.y === 0 || box.x + box.width === W || box.y + box.height === H;
    if (edge && options.edgeGrains === 'exclude') {
      res.skippedEdge++;
      continue;
    }
    const outline = segmentOutline(map, s.id, box, { tolerance });
    if (outline.hasHoles && options.holes === 'skip') {
      res.skippedHoles++;
      continue;
    }
    if (outline.hasHoles) res.holesFilled++;
    let polys: Polygon[] = outline.polygons;
    if ((options.multiPart ?? 'largest') === 'largest' && polys.length > 1) {
      res.partsDropped++;
      polys = [polys.reduce((a, b) => (polygonArea(b) > polygonArea(a) ? b : a))];
    }
    for (const p of polys) {
      const parts: string[] = [String(cls)];
      for (let k = 0; k < p.length; k += 2) {
        parts.push(fmt(Math.min(1, Math.max(0, p[k]! / W)), decimals), fmt(Math.min(1, Math.max(0, p[k + 1]! / H)), decimals));
      }
      out.push(parts.join(' '));
    }
  }
  return { text: out.length ? out.join('\n') + '\n' : '', lines: out.length, ...res };
}

interface YoloDataYamlInput {
  /** Dataset root as written in the yaml; default '.' (relative to the yaml file). */
  path?: string;
  train: string;
  val: string;
  test?: string | null;
  names: readonly string[];
}

/** Ultralytics data.yaml. Strings are written JSON-quoted, which YAML reads as double-quoted scalars. */
export function yoloDataYaml(input: YoloDataYamlInput): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['# YOLO segmentation dataset written by GrainLab', `path: ${q(input.path ?? '.')}`, `train: ${q(input.train)}`, `val: ${q(input.val)}`];
  if (input.test) lines.push(`test: ${q(input.test)}`);
  lines.push(`nc: ${input.names.length}`, 'names:');
  input.names.forEach((n, i) => lines.push(`  ${i}: ${q(n)}`));
  return lines.join('\n') + '\n';
}
