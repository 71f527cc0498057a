// CSV text for grain measurements, summaries, phase fractions and histograms (RFC 4180 quoting,
// '\n' line ends, '.' decimals); main/ writes the files.
import type { GrainMeasurement } from './regions';
import type { GrainSummary, Histogram, PhaseFraction } from './summary';
import type { InterceptResult, PlanimetricResult } from './astm';

export type CsvValue = string | number | boolean | null | undefined;

function formatNumber(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return '';
  if (Number.isInteger(v)) return String(v);
  const s = v.toFixed(decimals);
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

function formatCell(v: CsvValue, decimals: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v, decimals);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Text that a spreadsheet would run as a formula is prefixed with ' (OWASP CSV injection advice).
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text with a header row; numbers with at most `decimals` decimals (default 6). */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[], options: { decimals?: number } = {}): string {
  const d = options.decimals ?? 6;
  const lines = [header.map((h) => formatCell(h, d)).join(',')];
  for (const r of rows) lines.push(r.map((c) => formatCell(c, d)).join(','));
  return lines.join('\n') + '\n';
}

/** One row per grain; µm columns are empty when the pixel size is unknown. */
export function grainsCsv(
  grains: readonly GrainMeasurement[],
  options: { image?: string; classNames?: ReadonlyMap<number, string>; decimals?: number } = {},
): string {
  const header = [
    'image', 'grain_id', 'class_id', 'class', 'area_px', 'ecd_px', 'perimeter_px', 'perimeter_crofton_px',
    'major_axis_px', 'minor_axis_px', 'aspect_ratio', 'orientation_deg', 'solidity', 'convex_area_px',
    'centroid_x_px', 'centroid_y_px', 'bbox_x', 'bbox_y', 'bbox_w', 'bbox_h', 'touches_edge',
    'area_um2', 'ecd_um', 'perimeter_um', 'major_axis_um', 'minor_axis_um',
  ];
  const rows = grains.map((g) => [
    options.image ?? '', g.id, g.classId, g.classId === null ? '' : (options.classNames?.get(g.classId) ?? ''), g.area, g.ecd,
    g.perimeter, g.perimeterCrofton, g.majorAxis, g.minorAxis, g.aspectRatio, g.orientationDeg, g.solidity, g.convexArea,
    g.centroidX, g.centroidY, g.bbox.x, g.bbox.y, g.bbox.width, g.bbox.height, g.touchesEdge,
    g.areaUm2, g.ecdUm, g.perimeterUm, g.majorAxisUm, g.minorAxisUm,
  ]);
  return toCsv(header, rows, { decimals: options.decimals });
}

interface ImageStatsRow {
  image: string;
  pixelSizeUm: number | null;
  summary: GrainSummary;
  planimetric?: PlanimetricResult | null;
  intercept?: InterceptResult | null;
}

/** One row per image (or one for the whole project): counts, ECD/area statistics, ASTM G. */
export function imageStatsCsv(rows: readonly ImageStatsRow[], options: { decimals?: number } = {}): string {
  const header = [
    'image', 'pixel_size_um', 'grains', 'edge_grains', 'unit', 'ecd_mean', 'ecd_median', 'ecd_std', 'ecd_min', 'ecd_max',
    'area_mean', 'area_median', 'area_std', 'astm_g_planimetric', 'grains_per_mm2', 'astm_g_intercept', 'mean_intercept_mm',
  ];
  return toCsv(
    header,
    rows.map((r) => [
      r.image, r.pixelSizeUm, r.summary.grainCount, r.summary.edgeGrainCount, r.summary.unit, r.summary.ecd.mean, r.summary.ecd.median,
      r.summary.ecd.std, r.summary.ecd.min, r.summary.ecd.max, r.summary.area.mean, r.summary.area.median, r.summary.area.std,
      r.planimetric?.G, r.planimetric?.grainsPerMm2, r.intercept?.G, r.intercept?.meanInterceptMm,
    ]),
    options,
  );
}

export function phaseFractionsCsv(image: string, fractions: readonly PhaseFraction[], classNames?: ReadonlyMap<number, string>): string {
  return toCsv(
    ['image', 'class_id', 'class', 'pixels', 'fraction_of_image', 'fraction_of_segmented'],
    fractions.map((f) => [image, f.classId, f.classId === null ? 'unclassified' : (classNames?.get(f.classId) ?? ''), f.pixels, f.fractionOfImage, f.fractionOfSegmented]),
  );
}

export function histogramCsv(h: Histogram): string {
  return toCsv(
    ['bin_start', 'bin_end', 'bin_center', 'count'],
    h.counts.map((c, k) => [h.edges[k], h.edges[k + 1], h.centers[k], c]),
  );
}
