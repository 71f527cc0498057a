// 3D statistics of a linked slice stack: per object its voxels, volume, equivalent sphere
// diameter and z extent; per class its volume fraction. Volumes in µm³ need the pixel size and
// the slice spacing; without them the figures are in voxels.
import type { LabelMap } from '../types';
import type { StackLinks } from './link';

interface StackObjectStats {
  objectId: number;
  voxels: number;
  /** voxels x pixel area x spacing; null without a pixel size or spacing. */
  volumeUm3: number | null;
  /** Diameter of the sphere of the same volume, µm; null without calibration. */
  esdUm: number | null;
  /** The same in voxel edges, as if voxels were cubes (for uncalibrated stacks). */
  esdVoxels: number;
  firstZ: number;
  lastZ: number;
  /** The class most of its voxels carry (null: none). */
  classId: number | null;
}

export interface StackStats {
  slices: number;
  objectCount: number;
  objects: StackObjectStats[];
  /** Share of all voxels per class; classId null = segments without a class, 'none' = no segment. */
  fractions: { classId: number | null | 'none'; voxels: number; fraction: number }[];
  totalVoxels: number;
  voxelUm3: number | null;
}

export interface StackSlice {
  labels: LabelMap;
  /** A segment's class id (null when it has none). */
  classOf(segmentId: number): number | null;
}

export function sphereDiameter(volume: number): number {
  return Math.cbrt((6 * volume) / Math.PI);
}

export function stackStats(slices: readonly StackSlice[], links: StackLinks, calibration: { pixelSizeUm: number | null; spacingUm: number | null }): StackStats {
  const voxelUm3 = calibration.pixelSizeUm && calibration.spacingUm ? calibration.pixelSizeUm * calibration.pixelSizeUm * calibration.spacingUm : null;
  const objects = new Map<number, { voxels: number; firstZ: number; lastZ: number; byClass: Map<number | null, number> }>();
  const byClass = new Map<number | null | 'none', number>();
  let total = 0;
  slices.forEach((s, z) => {
    const counts = new Map<number, number>();
    const d = s.labels.data;
    total += d.length;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const [seg, n] of counts) {
      if (seg === 0) {
        byClass.set('none', (byClass.get('none') ?? 0) + n);
        continue;
      }
      const cls = s.classOf(seg);
      byClass.set(cls, (byClass.get(cls) ?? 0) + n);
      const obj = links.objectOf[z]?.get(seg);
      if (obj === undefined) continue;
      let o = objects.get(obj);
      if (!o) objects.set(obj, (o = { voxels: 0, firstZ: z, lastZ: z, byClass: new Map() }));
      o.voxels += n;
      o.lastZ = z;
      o.byClass.set(cls, (o.byClass.get(cls) ?? 0) + n);
    }
  });
  const out: StackObjectStats[] = [...objects.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([objectId, o]) => {
      let classId: number | null = null;
      let best = -1;
      for (const [c, n] of o.byClass) if (n > best) [classId, best] = [c, n];
      const volumeUm3 = voxelUm3 === null ? null : o.voxels * voxelUm3;
      return { objectId, voxels: o.voxels, volumeUm3, esdUm: volumeUm3 === null ? null : sphereDiameter(volumeUm3), esdVoxels: sphereDiameter(o.voxels), firstZ: o.firstZ, lastZ: o.lastZ, classId };
    });
  const fractions = [...byClass.entries()]
    .map(([classId, voxels]) => ({ classId, voxels, fraction: total > 0 ? voxels / total : 0 }))
    .sort((a, b) => b.voxels - a.voxels);
  return { slices: slices.length, objectCount: out.length, objects: out, fractions, totalVoxels: total, voxelUm3 };
}
