// The measurement table's pure parts: one row per segment (area, ECD, perimeter in µm when the
// image is calibrated, else px), sorting by any column, the per-class summary rows, and which row
// the canvas selection points at, the table's filters and the image's ASTM E112 grain size. The numbers come from app/stats (scikit-image's definitions).
import { astmIntercept, astmPlanimetric } from '../../../app/stats/astm';
import { measureGrains } from '../../../app/stats/regions';
import { grainsOnly } from '../../../app/stats/roles';
import { summarize } from '../../../app/stats/summary';
import type { ClassRecord, LabelMap } from '../../../app/types';

export interface MeasureRow {
  id: number;
  classId: number | null;
  /** In `unit`² / `unit`. */
  area: number;
  ecd: number;
  perimeter: number;
  touchesEdge: boolean;
  bbox: { x: number; y: number; width: number; height: number };
}

export type SortKey = 'id' | 'class' | 'area' | 'ecd' | 'perimeter';
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export interface Measured {
  unit: 'µm' | 'px';
  rows: MeasureRow[];
}

/** Rows for every segment of a label map, in µm when `pixelSizeUm` is given. */
export function measureRows(map: LabelMap, classOf: ReadonlyMap<number, number | null>, pixelSizeUm: number | null): Measured {
  const um = pixelSizeUm !== null && pixelSizeUm > 0;
  const grains = measureGrains(map, { pixelSizeUm: um ? pixelSizeUm : null, classOf });
  return {
    unit: um ? 'µm' : 'px',
    rows: grains.map((g) => ({
      id: g.id,
      classId: g.classId,
      area: um ? g.areaUm2! : g.area,
      ecd: um ? g.ecdUm! : g.ecd,
      perimeter: um ? g.perimeterUm! : g.perimeter,
      touchesEdge: g.touchesEdge,
      bbox: g.bbox,
    })),
  };
}

/** Sorted copy; class sorts by the class's name (no class last), ties by id. */
export function sortRows(rows: readonly MeasureRow[], sort: Sort, classes: readonly ClassRecord[]): MeasureRow[] {
  const name = new Map(classes.map((c) => [c.id, c.name]));
  const sign = sort.dir === 'asc' ? 1 : -1;
  const value = (r: MeasureRow): number | string => (sort.key === 'class' ? (r.classId === null ? '\uffff' : (name.get(r.classId) ?? `#${r.classId}`)) : r[sort.key]);
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const c = typeof va === 'string' ? va.localeCompare(vb as string) : va - (vb as number);
    return c !== 0 ? sign * c : a.id - b.id;
  });
}

/** Clicking a column: the same column flips its direction, another starts descending (largest first) except id and class. */
export function nextSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'id' || key === 'class' ? 'asc' : 'desc' };
}

export interface ClassSummary {
  classId: number | null;
  count: number;
  meanEcd: number;
  medianEcd: number;
  meanArea: number;
  /** Share of the measured segments' total area. */
  areaFraction: number;
}

/** One summary per class present (ascending class id, no class last). */
export function classSummaries(rows: readonly MeasureRow[]): ClassSummary[] {
  const groups = new Map<number | null, MeasureRow[]>();
  for (const r of rows) {
    const g = groups.get(r.classId);
    if (g) g.push(r);
    else groups.set(r.classId, [r]);
  }
  const total = rows.reduce((a, r) => a + r.area, 0);
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a - b))
    .map(([classId, g]) => {
      const ecd = summarize(g.map((r) => r.ecd));
      const area = summarize(g.map((r) => r.area));
      return { classId, count: g.length, meanEcd: ecd.mean, medianEcd: ecd.median, meanArea: area.mean, areaFraction: total > 0 ? (area.mean * g.length) / total : 0 };
    });
}

/** The row to show for a canvas selection: the first selected id that has a row, null if none. */
export function rowForSelection(rows: readonly MeasureRow[], selection: readonly number[]): MeasureRow | null {
  if (selection.length === 0) return null;
  const want = new Set(selection);
  return rows.find((r) => want.has(r.id)) ?? null;
}

/** µm/px from a typed value and its unit; null when it is not a positive number. */
export function typedUmPerPx(text: string, unit: 'um' | 'nm'): number | null {
  const n = Number(text.replace(',', '.'));
  if (!Number.isFinite(n) || n <= 0 || text.trim() === '') return null;
  return unit === 'nm' ? n / 1000 : n;
}

/** The table as CSV (header with units, one line per row in the given order; class by name). */
export function rowsToCsv(rows: readonly MeasureRow[], unit: 'µm' | 'px', classes: readonly ClassRecord[]): string {
  const name = new Map(classes.map((c) => [c.id, c.name]));
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const u = unit === 'µm' ? 'um' : 'px';
  const lines = [`segment_id,class,area_${u}2,ecd_${u},perimeter_${u},touches_edge`];
  for (const r of rows) lines.push([r.id, q(r.classId === null ? '' : (name.get(r.classId) ?? String(r.classId))), r.area, r.ecd, r.perimeter, r.touchesEdge ? 1 : 0].join(','));
  return lines.join('\n') + '\n';
}

/** Which rows the table shows: one class (or those without one), and a range of area or ECD (in the table's unit). */
export interface RowFilter {
  classId: 'all' | 'none' | number;
  key: 'area' | 'ecd';
  min: number | null;
  max: number | null;
}

export const NO_FILTER: RowFilter = { classId: 'all', key: 'area', min: null, max: null };

export function filterRows(rows: readonly MeasureRow[], f: RowFilter): MeasureRow[] {
  return rows.filter((r) => {
    if (f.classId === 'none' ? r.classId !== null : f.classId !== 'all' && r.classId !== f.classId) return false;
    const v = r[f.key];
    return (f.min === null || v >= f.min) && (f.max === null || v <= f.max);
  });
}

/** A typed bound: a number (comma or point), or null when empty or not a number. */
export function typedBound(text: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text.replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

export interface GrainSize {
  /** ASTM E112 planimetric (Jeffries) G over the image, grains only. */
  planimetricG: number;
  /** Equivalent whole grains counted (inside + half the cut ones). */
  grains: number;
  /** ASTM E112 mean lineal intercept (Heyn) G. */
  interceptG: number;
}

/** ASTM E112 G of one image's grains (particle classes left out); null without a calibration or grains. */
export function grainSize(map: LabelMap, classOf: ReadonlyMap<number, number | null>, particleClasses: ReadonlySet<number>, pixelSizeUm: number | null): GrainSize | null {
  if (pixelSizeUm === null || !(pixelSizeUm > 0)) return null;
  const grains = grainsOnly(map, classOf, particleClasses);
  const p = astmPlanimetric(grains, pixelSizeUm);
  if (p.equivalentGrains === 0) return null;
  const i = astmIntercept(grains, pixelSizeUm);
  return { planimetricG: p.G, grains: p.equivalentGrains, interceptG: i.G };
}
