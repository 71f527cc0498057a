// Elemental maps as segment features: the mean of each registered map under every segment, as
// columns of group 'channels' joined to the appearance features clustering already uses.
import type { FeatureMatrix } from '../cluster/features';
import type { LabelMap } from '../types';

/** A map resampled onto the image grid (registration.ts resampleToImage; NaN where it has no data). */
export interface ImageChannel {
  element: string;
  data: Float32Array;
}

/**
 * Mean of each channel under each segment, rows in the order of `segmentIds`. A segment the maps
 * do not cover at all gets the channel's mean over covered segments (so it sits in the middle,
 * not at an extreme). Values are divided by the channel's largest segment mean, so maps of
 * different count levels weigh alike before z-scoring.
 */
export function segmentChannelMeans(labels: LabelMap, channels: readonly ImageChannel[], segmentIds: Uint32Array): FeatureMatrix {
  const n = segmentIds.length;
  let maxId = 0;
  for (const id of segmentIds) if (id > maxId) maxId = id;
  const row = new Int32Array(maxId + 1).fill(-1);
  segmentIds.forEach((id, r) => (row[id] = r));
  const C = channels.length;
  const data = new Float64Array(n * C);
  const sums = new Float64Array(n);
  const counts = new Float64Array(n);
  const L = labels.data;
  channels.forEach((ch, c) => {
    if (ch.data.length !== L.length) throw new RangeError(`channel ${ch.element} has ${ch.data.length} pixels, the label map ${L.length}`);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < L.length; i++) {
      const id = L[i]!;
      if (id === 0 || id > maxId) continue;
      const r = row[id]!;
      const v = ch.data[i]!;
      if (r < 0 || v !== v) continue;
      sums[r]! += v;
      counts[r]!++;
    }
    let total = 0, covered = 0, top = 0;
    for (let r = 0; r < n; r++) {
      if (counts[r]! === 0) continue;
      const m = sums[r]! / counts[r]!;
      total += m;
      covered++;
      if (m > top) top = m;
    }
    const fill = covered > 0 ? total / covered : 0;
    const scale = top > 0 ? 1 / top : 1;
    for (let r = 0; r < n; r++) data[r * C + c] = (counts[r]! > 0 ? sums[r]! / counts[r]! : fill) * scale;
  });
  return { segmentIds, names: channels.map((ch) => `eds:${ch.element}`), groups: channels.map(() => 'channels'), data };
}

/** The columns of `a` and then those of `b` (same rows, same order). */
export function joinColumns(a: FeatureMatrix, b: FeatureMatrix): FeatureMatrix {
  const n = a.segmentIds.length;
  if (b.segmentIds.length !== n) throw new RangeError('matrices to join must have the same rows');
  const ca = a.names.length;
  const cb = b.names.length;
  const data = new Float64Array(n * (ca + cb));
  for (let r = 0; r < n; r++) {
    data.set(a.data.subarray(r * ca, (r + 1) * ca), r * (ca + cb));
    data.set(b.data.subarray(r * cb, (r + 1) * cb), r * (ca + cb) + ca);
  }
  return { segmentIds: a.segmentIds, names: [...a.names, ...b.names], groups: [...a.groups, ...b.groups], data };
}
