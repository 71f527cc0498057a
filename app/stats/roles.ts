// Which segments are grains and which are particles (carbides, pores, inclusions…): a project
// names its particle classes; every other class, and segments without a class, are grains. Grain
// statistics (sizes, ASTM E112 G) count grains only; particles are summarised on their own.
import type { LabelMap } from '../types';

/** Whether a segment of this class counts as a grain. */
export function isGrainClass(classId: number | null, particleClasses: ReadonlySet<number>): boolean {
  return classId === null || !particleClasses.has(classId);
}

/**
 * The label map with particle segments cleared to 0, for ASTM E112: the planimetric count then
 * counts grains only (particle pixels stay test area) and the intercept steps over particles as
 * it steps over drawn boundaries. The same map is returned when nothing is a particle.
 */
export function grainsOnly(map: LabelMap, classOf: ReadonlyMap<number, number | null>, particleClasses: ReadonlySet<number>): LabelMap {
  if (particleClasses.size === 0) return map;
  const drop = new Set<number>();
  for (const [id, cls] of classOf) if (!isGrainClass(cls, particleClasses)) drop.add(id);
  if (drop.size === 0) return map;
  const data = new Uint32Array(map.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = map.data[i]!;
    data[i] = drop.has(v) ? 0 : v;
  }
  return { width: map.width, height: map.height, data };
}
