// Grain statistics and phase fractions for images of a project, and the CSV files for them.
// Geometry (per-grain measurements, ASTM E112) is cached per image and label-map version, so the
// Measurements panel can re-ask after a class change or an option toggle without re-measuring.
import type { ImageStats, ProjectStats } from '../../app/contract/export';
import { ServiceError } from '../../app/errors';
import type { ImageRecord } from '../../app/types';
import {
  astmGFromGrainsPerMm2,
  astmIntercept,
  combineIntercepts,
  astmPlanimetric,
  grainsCsv,
  histogram,
  histogramCsv,
  imageStatsCsv,
  grainsOnly,
  isGrainClass,
  measureGrains,
  phaseFractionsCsv,
  phaseFractionsFromAreas,
  summarizeGrains,
  type GrainMeasurement,
  type InterceptResult,
  type PhaseFraction,
  type PlanimetricResult,
} from '../../app/stats';
import type { EditStore } from '../store/edits';
import { labelsVersion } from '../store/export-queries';
import { currentLabels } from './labels';
import { measureRoles } from '../measure/roles';

interface Geometry {
  grains: GrainMeasurement[];
  planimetric: PlanimetricResult | null;
  intercept: InterceptResult | null;
}

/** Least-recently-used cache of measured label maps, keyed by project, image, version and pixel size. */
export class StatsCache {
  private readonly entries = new Map<string, Geometry>();
  constructor(private readonly capacity = 64) {}
  get(key: string): Geometry | undefined {
    const g = this.entries.get(key);
    if (g) {
      this.entries.delete(key);
      this.entries.set(key, g);
    }
    return g;
  }
  clear(): void {
    this.entries.clear();
  }
  set(key: string, g: Geometry): void {
    this.entries.set(key, g);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

interface MeasuredImage {
  image: ImageRecord;
  grains: GrainMeasurement[];
  stats: ImageStats;
}

interface StatsOptions {
  imageIds?: number[];
  excludeEdge: boolean;
}

async function measureImage(edits: EditStore, cache: StatsCache, im: ImageRecord, version: string | undefined, excludeEdge: boolean, particles: ReadonlySet<number>): Promise<MeasuredImage> {
  const store = edits.store;
  const empty: MeasuredImage = {
    image: im,
    grains: [],
    stats: { imageId: im.id, name: im.name, width: im.width, height: im.height, pixelSizeUm: im.pixelSizeUm, segmented: false, summary: summarizeGrains([]), planimetric: null, intercept: null, phases: [] },
  };
  if (version === undefined) return empty;
  // Classes change without a new label map: the current ones are applied to the cached geometry
  // below; ASTM G depends on which segments are particles, so their ids are part of the key.
  const classOf = new Map(store.listSegments(im.id).map((s) => [s.id, s.classId]));
  const dropped = particles.size ? [...classOf].filter(([, c]) => !isGrainClass(c, particles)).map(([id]) => id).join(',') : '';
  const key = `${store.dir}\u0000${im.id}\u0000${version}\u0000${im.pixelSizeUm ?? ''}\u0000${dropped}`;
  let geo = cache.get(key);
  if (!geo) {
    const labels = await currentLabels(edits, im.id);
    if (!labels) return empty;
    const px = im.pixelSizeUm;
    const grainMap = grainsOnly(labels, classOf, particles);
    geo = {
      grains: measureGrains(labels, { pixelSizeUm: px }),
      planimetric: px ? astmPlanimetric(grainMap, px) : null,
      intercept: px ? astmIntercept(grainMap, px) : null,
    };
    cache.set(key, geo);
  }
  const grains = geo.grains.map((g) => ({ ...g, classId: classOf.get(g.id) ?? null }));
  const phases = phaseFractionsFromAreas(grains.map((g) => [g.id, g.area] as const), classOf, im.width * im.height);
  return {
    image: im,
    grains,
    stats: {
      imageId: im.id,
      name: im.name,
      width: im.width,
      height: im.height,
      pixelSizeUm: im.pixelSizeUm,
      segmented: true,
      summary: summarizeGrains(grains.filter((g) => isGrainClass(g.classId, particles)), { excludeEdge }),
      planimetric: geo.planimetric,
      intercept: geo.intercept,
      phases,
    },
  };
}

function sumPlanimetric(list: PlanimetricResult[]): PlanimetricResult | null {
  if (list.length === 0) return null;
  const s = list.reduce((a, r) => ({
    inside: a.inside + r.inside,
    intercepted: a.intercepted + r.intercepted,
    corner: a.corner + r.corner,
    equivalentGrains: a.equivalentGrains + r.equivalentGrains,
    areaMm2: a.areaMm2 + r.areaMm2,
  }), { inside: 0, intercepted: 0, corner: 0, equivalentGrains: 0, areaMm2: 0 });
  const nA = s.equivalentGrains / s.areaMm2;
  return { ...s, grainsPerMm2: nA, G: astmGFromGrainsPerMm2(nA) };
}

function sumIntercept(list: InterceptResult[]): InterceptResult | null {
  if (list.length === 0) return null;
  const dir = (k: 'horizontal' | 'vertical') => list.reduce((a, r) => ({ lines: a.lines + r[k].lines, intercepts: a.intercepts + r[k].intercepts, lineLengthMm: a.lineLengthMm + r[k].lineLengthMm }), { lines: 0, intercepts: 0, lineLengthMm: 0 });
  const horizontal = dir('horizontal');
  const vertical = dir('vertical');
  return combineIntercepts(horizontal, vertical);
}

function sumPhases(list: MeasuredImage[]): PhaseFraction[] {
  const perClass = new Map<number | null, number>();
  let total = 0;
  let segmented = 0;
  for (const m of list) {
    if (!m.stats.segmented) continue;
    total += m.image.width * m.image.height;
    for (const p of m.stats.phases) {
      perClass.set(p.classId, (perClass.get(p.classId) ?? 0) + p.pixels);
      segmented += p.pixels;
    }
  }
  return [...perClass.entries()]
    .sort((a, b) => (a[0] === null ? 1 : b[0] === null ? -1 : a[0] - b[0]))
    .map(([classId, pixels]) => ({ classId, pixels, fractionOfImage: total ? pixels / total : 0, fractionOfSegmented: segmented ? pixels / segmented : 0 }));
}

export async function computeStats(edits: EditStore, cache: StatsCache, opts: StatsOptions): Promise<{ stats: ProjectStats; measured: MeasuredImage[] }> {
  const store = edits.store;
  const images = opts.imageIds ? opts.imageIds.map((id) => store.getImage(id)) : store.listImages();
  const particleClasses = measureRoles(store).particleClasses;
  const particles = new Set(particleClasses);
  const measured: MeasuredImage[] = [];
  for (const im of images) {
    measured.push(await measureImage(edits, cache, im, labelsVersion(store, im.id) ?? undefined, opts.excludeEdge, particles));
    // Give other requests a turn between images (measuring is synchronous work).
    await new Promise((r) => setImmediate(r));
  }
  const everything = measured.flatMap((m) => m.grains);
  const all = everything.filter((g) => isGrainClass(g.classId, particles));
  const summary = summarizeGrains(all, { excludeEdge: opts.excludeEdge });
  const used = opts.excludeEdge ? all.filter((g) => !g.touchesEdge) : all;
  const um = summary.unit === 'um';
  const ecd = Float64Array.from(used, (g) => (um ? g.ecdUm! : g.ecd));
  const area = Float64Array.from(used, (g) => (um ? g.areaUm2! : g.area));
  const stats: ProjectStats = {
    unit: summary.unit,
    excludeEdge: opts.excludeEdge,
    images: measured.map((m) => m.stats),
    project: {
      summary,
      planimetric: sumPlanimetric(measured.flatMap((m) => (m.stats.planimetric ? [m.stats.planimetric] : []))),
      intercept: sumIntercept(measured.flatMap((m) => (m.stats.intercept ? [m.stats.intercept] : []))),
      phases: sumPhases(measured),
    },
    classes: store.listClasses(),
    particleClasses,
    ...(particles.size ? { particles: summarizeGrains(everything.filter((g) => !isGrainClass(g.classId, particles)), { excludeEdge: opts.excludeEdge }) } : {}),
    ecd,
    area,
  };
  return { stats, measured };
}

/** grains.csv (one row per grain), images.csv (one row per image plus the project), phases.csv, ecd_histogram.csv. */
export function statsCsvFiles(stats: ProjectStats, measured: MeasuredImage[]): { name: string; text: string }[] {
  if (measured.every((m) => !m.stats.segmented)) {
    throw new ServiceError('invalid-argument', 'None of the chosen images has a segmentation, so there is nothing to measure. Segment or import labels first.');
  }
  const classNames = new Map(stats.classes.map((c) => [c.id, c.name]));
  const dropHeader = (t: string) => t.slice(t.indexOf('\n') + 1);
  const grainParts = measured.filter((m) => m.stats.segmented).map((m, k) => {
    const t = grainsCsv(m.grains, { image: m.image.name, classNames });
    return k === 0 ? t : dropHeader(t);
  });
  const imageRows = measured.map((m) => ({ image: m.image.name, pixelSizeUm: m.image.pixelSizeUm, summary: m.stats.summary, planimetric: m.stats.planimetric, intercept: m.stats.intercept }));
  imageRows.push({ image: '(all images)', pixelSizeUm: null, summary: stats.project.summary, planimetric: stats.project.planimetric, intercept: stats.project.intercept });
  const phaseParts = measured.filter((m) => m.stats.segmented).map((m) => phaseFractionsCsv(m.image.name, m.stats.phases, classNames));
  phaseParts.push(phaseFractionsCsv('(all images)', stats.project.phases, classNames));
  return [
    { name: 'grains.csv', text: grainParts.join('') },
    { name: 'images.csv', text: imageStatsCsv(imageRows) },
    { name: 'phases.csv', text: phaseParts.map((t, k) => (k === 0 ? t : dropHeader(t))).join('') },
    { name: 'ecd_histogram.csv', text: histogramCsv(histogram(stats.ecd)) },
  ];
}
