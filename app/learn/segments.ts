// From class probabilities to segments: phase maps (connected regions of one class, each a
// segment carrying its class), and grain maps where a boundary class's probability is the relief
// the existing watershed floods from the confident grain interiors.
import type { LabelMap } from '../types';
import { labelRegions, mergeSmallRegions, regionAreas, relabelSequential } from '../classic/components';
import { distanceTransform } from '../classic/distance';
import { hMaxima } from '../classic/morphology';
import { mergeSimilarRegions } from '../classic/regions';
import { watershed } from '../classic/watershed';

export interface PhaseSegments {
  labels: LabelMap;
  /** Class index of each segment id (index = id; entry 0 unused). */
  classOf: Uint8Array;
}

/**
 * Connected regions of equal class (8-connected) become segments. Regions smaller than minArea
 * pixels join the neighbouring region they share most border with, so the map has no holes;
 * classes in `skip` (e.g. the matrix) get no segments.
 */
export function phaseSegments(classes: Uint8Array, w: number, h: number, o: { minArea?: number; skip?: number[] } = {}): PhaseSegments {
  const minArea = o.minArea ?? 16;
  const cls = Uint8Array.from(classes);
  // Absorb small regions into their neighbours (two passes catch chains of small bits).
  for (let pass = 0; pass < 2 && minArea > 1; pass++) {
    const { labels, count } = labelRegions(w, h, cls, 8);
    const area = regionAreas(labels, count);
    const small = new Uint8Array(count + 1);
    let any = false;
    for (let id = 1; id <= count; id++) {
      if (area[id]! < minArea) {
        small[id] = 1;
        any = true;
      }
    }
    if (!any) break;
    // Majority class on the small regions' borders.
    const votes = new Map<number, Map<number, number>>();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const id = labels[i]!;
        if (!small[id]) continue;
        const look = (j: number) => {
          const other = labels[j]!;
          if (other === id) return;
          let m = votes.get(id);
          if (!m) votes.set(id, (m = new Map()));
          m.set(cls[j]!, (m.get(cls[j]!) ?? 0) + 1);
        };
        if (x > 0) look(i - 1);
        if (x < w - 1) look(i + 1);
        if (y > 0) look(i - w);
        if (y < h - 1) look(i + w);
      }
    }
    const to = new Int16Array(count + 1).fill(-1);
    for (const [id, m] of votes) {
      let best = -1;
      let bv = -1;
      for (const [c, v] of m) if (v > bv) [best, bv] = [c, v];
      to[id] = best;
    }
    for (let i = 0; i < cls.length; i++) {
      const t = to[labels[i]!]!;
      if (t >= 0) cls[i] = t;
    }
  }
  const skip = new Set(o.skip ?? []);
  const { labels, count } = labelRegions(w, h, cls, 8);
  const classOf = new Uint8Array(count + 1);
  const remap = new Uint32Array(count + 1);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i]!;
    if (id && remap[id] === 0 && !skip.has(cls[i]!)) {
      remap[id] = ++next;
      classOf[next] = cls[i]!;
    }
  }
  const out = new Uint32Array(labels.length);
  for (let i = 0; i < out.length; i++) out[i] = remap[labels[i]!]!;
  return { labels: { width: w, height: h, data: out }, classOf: classOf.slice(0, next + 1) };
}

/** Mean probability of each segment's own class (index = segment id; 0 for id 0). `probs` is class-major. */
export function segmentConfidence(labels: Uint32Array, classOf: Uint8Array, probs: Float32Array, n: number): Float64Array {
  const sum = new Float64Array(classOf.length);
  const cnt = new Float64Array(classOf.length);
  for (let i = 0; i < n; i++) {
    const id = labels[i]!;
    if (!id) continue;
    sum[id]! += probs[classOf[id]! * n + i]!;
    cnt[id]!++;
  }
  for (let id = 0; id < sum.length; id++) sum[id] = cnt[id]! ? Math.round((sum[id]! / cnt[id]!) * 1000) / 1000 : 0;
  return sum;
}

/**
 * Only the segments the classifier is sure of: a segment whose confidence (segmentConfidence) is
 * below `minConfidence` is dropped, its pixels left unlabelled for a person to draw, since
 * deleting a wrong segment and then drawing the object costs more than drawing it on empty
 * ground. Ids stay 1..k in the order they had; `oldId[newId]` is the id a kept segment had.
 */
export function confidentSegments(seg: PhaseSegments, confidence: ArrayLike<number>, minConfidence: number): PhaseSegments & { oldId: Uint32Array } {
  const remap = new Uint32Array(seg.classOf.length);
  const oldId = [0];
  for (let id = 1; id < seg.classOf.length; id++) {
    if ((confidence[id] ?? 0) >= minConfidence) {
      remap[id] = oldId.length;
      oldId.push(id);
    }
  }
  const src = seg.labels.data;
  const out = new Uint32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = remap[src[i]!]!;
  const classOf = new Uint8Array(oldId.length);
  for (let k = 1; k < oldId.length; k++) classOf[k] = seg.classOf[oldId[k]!]!;
  return { labels: { width: seg.labels.width, height: seg.labels.height, data: out }, classOf, oldId: Uint32Array.from(oldId) };
}

export interface GrainOptions {
  /** Boundary probability above which a pixel is not grain interior (default 0.5). */
  threshold?: number;
  /** Grains under this many px join a neighbour (default 16). */
  minArea?: number;
  /** How far (px) an interior's distance-transform peak must rise to seed its own grain (default 1.5). */
  seedDepth?: number;
  /**
   * Neighbouring grains whose mean values (one map per channel, e.g. colour planes in 0..1)
   * differ by less than maxDifference (Euclidean) merge: where grains differ by shade, a
   * spurious boundary inside one grain is undone.
   */
  similar?: { planes: readonly Float32Array[]; maxDifference: number };
}

/**
 * Grains from a boundary probability map, as the classic grain engine does with its relief:
 * pixels below `threshold` are grain interior; the deep parts of the interior (h-maxima of its
 * distance transform, at least `seedDepth` px above the saddle) seed one grain each, so a grain
 * stays one grain where the predicted boundary has a gap and two grains touching through a
 * thin gap get two seeds; the watershed on the boundary probability gives every pixel a grain;
 * grains under minArea px join the neighbour they share most border with.
 */
export function grainSegments(boundary: Float32Array, w: number, h: number, o: GrainOptions = {}): LabelMap {
  const thr = o.threshold ?? 0.5;
  const minArea = o.minArea ?? 16;
  const interior = new Uint8Array(w * h);
  for (let i = 0; i < interior.length; i++) interior[i] = boundary[i]! < thr ? 1 : 0;
  const dist = distanceTransform({ width: w, height: h, data: interior });
  for (let i = 0; i < dist.length; i++) if (!Number.isFinite(dist[i]!)) dist[i] = Math.max(w, h);
  const peaks = hMaxima({ width: w, height: h, data: dist }, o.seedDepth ?? 1.5, 8);
  for (let i = 0; i < peaks.data.length; i++) if (!interior[i]) peaks.data[i] = 0;
  const markers = labelRegions(w, h, peaks.data, 8, 0);
  let labels = watershed({ width: w, height: h, data: boundary }, { width: w, height: h, data: markers.labels }, { connectivity: 4, levels: 256 }).data;
  if (o.similar) labels = mergeSimilarRegions(w, h, labels, o.similar.planes, o.similar.maxDifference);
  if (minArea > 1) labels = mergeSmallRegions(w, h, labels, minArea);
  relabelSequential(labels);
  return { width: w, height: h, data: labels };
}
