// K-means over feature rows (ml-kmeans with k-means++ seeding and a fixed seed, so the same input
// gives the same clusters), automatic k by silhouette, and the merge/split edits made by a person.
import { kmeans } from 'ml-kmeans';
import { ServiceError } from '../errors';
import type { FeatureMatrix } from './features';
import { sampleIndices } from './random';

/** Row-major points: data.length / cols rows. */
export interface Points {
  data: Float64Array;
  cols: number;
}

export interface ClusterResult {
  k: number;
  /** Cluster of each row, 0..k-1. Fresh results number clusters by first appearance in row order. */
  assignments: Int32Array;
  /** k x cols, row-major: the mean of each cluster's rows. */
  centroids: Float64Array;
  sizes: Int32Array;
  /** Sum of squared distances of the rows to their centroid. */
  inertia: number;
}

interface KMeansOptions {
  /** Default 1. Runs with the same seed and input give identical results. */
  seed?: number;
  /** Independent k-means++ starts; the lowest inertia wins. Default 4. */
  restarts?: number;
  maxIterations?: number;
  tolerance?: number;
}

export function pointsOf(matrix: FeatureMatrix): Points {
  return { data: matrix.data, cols: matrix.names.length };
}

function rowCount(p: Points): number {
  return p.cols > 0 ? p.data.length / p.cols : 0;
}

function squaredDistance(a: Float64Array, ao: number, b: Float64Array, bo: number, cols: number): number {
  let s = 0;
  for (let c = 0; c < cols; c++) {
    const d = a[ao + c]! - b[bo + c]!;
    s += d * d;
  }
  return s;
}

/** Number of distinct rows, counting no further than `limit` (k-means++ needs k distinct points). */
function distinctRows(p: Points, limit: number): number {
  const seen = new Set<string>();
  const n = rowCount(p);
  for (let r = 0; r < n && seen.size < limit; r++) seen.add(p.data.subarray(r * p.cols, (r + 1) * p.cols).join(','));
  return seen.size;
}

/**
 * Assigns each row to its nearest centroid, recomputes the means, drops empty clusters and
 * renumbers the rest by first appearance, so equal partitions always get equal labels.
 */
function finalise(p: Points, centres: Float64Array, k: number): ClusterResult {
  const n = rowCount(p);
  const { data, cols } = p;
  const raw = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(data, r * cols, centres, c * cols, cols);
      if (d < bestD) { bestD = d; best = c; }
    }
    raw[r] = best;
  }
  return fromAssignments(p, raw, k, true);
}

/** Builds a result (centroids, sizes, inertia) from assignments; `renumber` orders clusters by first appearance. */
function fromAssignments(p: Points, raw: Int32Array, k: number, renumber: boolean): ClusterResult {
  const n = rowCount(p);
  const { data, cols } = p;
  const map = new Int32Array(k).fill(-1);
  let next = 0;
  if (renumber) {
    for (let r = 0; r < n; r++) if (map[raw[r]!] === -1) map[raw[r]!] = next++;
  } else {
    const used = new Uint8Array(k);
    for (let r = 0; r < n; r++) used[raw[r]!] = 1;
    for (let c = 0; c < k; c++) if (used[c]) map[c] = next++;
  }
  const kk = next;
  const assignments = new Int32Array(n);
  const sizes = new Int32Array(kk);
  const centroids = new Float64Array(kk * cols);
  for (let r = 0; r < n; r++) {
    const c = map[raw[r]!]!;
    assignments[r] = c;
    sizes[c]++;
    for (let j = 0; j < cols; j++) centroids[c * cols + j] += data[r * cols + j]!;
  }
  for (let c = 0; c < kk; c++) for (let j = 0; j < cols; j++) centroids[c * cols + j] /= sizes[c]!;
  let inertia = 0;
  for (let r = 0; r < n; r++) inertia += squaredDistance(data, r * cols, centroids, assignments[r]! * cols, cols);
  return { k: kk, assignments, centroids, sizes, inertia };
}

/**
 * K-means with k-means++ seeding (ml-kmeans), `restarts` seeded starts, keeping the lowest inertia.
 * k is lowered to the number of distinct rows when there are fewer; empty clusters are dropped, so
 * check `result.k`.
 */
export function kmeansCluster(p: Points, k: number, options: KMeansOptions = {}): ClusterResult {
  const n = rowCount(p);
  if (n === 0) throw new ServiceError('invalid-argument', 'There are no segments to cluster.');
  if (!Number.isInteger(k) || k < 1) throw new ServiceError('invalid-argument', `The number of clusters must be a positive whole number (got ${k}).`);
  const kEff = Math.min(k, distinctRows(p, k));
  const rows: number[][] = new Array(n);
  for (let r = 0; r < n; r++) rows[r] = Array.from(p.data.subarray(r * p.cols, (r + 1) * p.cols));
  const seed = options.seed ?? 1;
  const restarts = Math.max(1, options.restarts ?? 4);
  let best: ClusterResult | null = null;
  for (let t = 0; t < restarts; t++) {
    const res = kmeans(rows, kEff, {
      initialization: 'kmeans++',
      seed: (seed + t * 1000003) % 2147483647,
      maxIterations: options.maxIterations ?? 100,
      tolerance: options.tolerance ?? 1e-10,
    });
    const centres = new Float64Array(kEff * p.cols);
    res.centroids.forEach((c, i) => centres.set(c, i * p.cols));
    const result = finalise(p, centres, kEff);
    // Strictly lower only: ties keep the earlier start, so the result does not depend on float noise order.
    if (!best || result.inertia < best.inertia - 1e-12 * Math.max(1, best.inertia)) best = result;
  }
  return best!;
}

interface SilhouetteOptions {
  /**
   * Rows used at most (a seeded sample, as scikit-learn's sample_size). Default 2000; capped at
   * 4000 because the pairwise distances of the sample are held in memory (m^2 doubles).
   */
  sampleSize?: number;
  seed?: number;
}

/**
 * Mean silhouette coefficient (Euclidean) over a deterministic sample of rows, computed among the
 * sampled rows only (as scikit-learn's silhouette_score with sample_size). A row alone in its
 * cluster scores 0; fewer than two clusters give 0.
 */
export function silhouetteScore(p: Points, assignments: Int32Array, options: SilhouetteOptions = {}): number {
  const idx = sampleIndices(rowCount(p), silhouetteSampleSize(options), options.seed ?? 1);
  const labels = Int32Array.from(idx, (r) => assignments[r]!);
  return silhouetteFromDistances(pairwiseDistances(p, idx), labels);
}

const MAX_SILHOUETTE_ROWS = 4000;

function silhouetteSampleSize(options: SilhouetteOptions): number {
  return Math.max(2, Math.min(MAX_SILHOUETTE_ROWS, options.sampleSize ?? 2000));
}

/** Full m x m Euclidean distance matrix of the given rows (m^2 doubles: keep m to a few thousand). */
function pairwiseDistances(p: Points, rows: Int32Array): Float64Array {
  const m = rows.length;
  const { data, cols } = p;
  const d = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const v = Math.sqrt(squaredDistance(data, rows[i]! * cols, data, rows[j]! * cols, cols));
      d[i * m + j] = v;
      d[j * m + i] = v;
    }
  }
  return d;
}

function silhouetteFromDistances(dist: Float64Array, labels: Int32Array): number {
  const m = labels.length;
  let k = 0;
  for (let i = 0; i < m; i++) k = Math.max(k, labels[i]! + 1);
  const count = new Float64Array(k);
  for (let i = 0; i < m; i++) count[labels[i]!]++;
  let present = 0;
  for (let c = 0; c < k; c++) if (count[c]! > 0) present++;
  if (present < 2) return 0;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const ci = labels[i]!;
    if (count[ci]! <= 1) continue;
    sums.fill(0);
    const o = i * m;
    for (let j = 0; j < m; j++) sums[labels[j]!] += dist[o + j]!;
    const a = sums[ci]! / (count[ci]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== ci && count[c]! > 0) b = Math.min(b, sums[c]! / count[c]!);
    const denom = Math.max(a, b);
    total += denom > 0 ? (b - a) / denom : 0;
  }
  return total / m;
}

export interface AutoKOptions extends KMeansOptions, SilhouetteOptions {
  /** Range of k tried; default 2..8. */
  kMin?: number;
  kMax?: number;
}

export interface AutoKResult {
  result: ClusterResult;
  /** Silhouette of every k tried, ascending k. */
  scores: { k: number; silhouette: number }[];
}

/**
 * Clusters with every k in [kMin, kMax] (capped by the number of distinct rows) and keeps the k
 * with the highest silhouette (the smaller k on a tie). With more rows than `sampleSize`, k is chosen
 * on a seeded sample of rows (clustered and scored there, which keeps the search cheap) and the
 * chosen k is then run on all rows. With fewer than two distinct rows the result is one cluster
 * and no scores.
 */
export function autoKMeans(p: Points, options: AutoKOptions = {}): AutoKResult {
  const n = rowCount(p);
  const sampleSize = silhouetteSampleSize(options);
  const sampled = n > sampleSize;
  let q = p;
  if (sampled) {
    const idx = sampleIndices(n, sampleSize, options.seed ?? 1);
    const data = new Float64Array(idx.length * p.cols);
    idx.forEach((r, i) => data.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), i * p.cols));
    q = { data, cols: p.cols };
  }
  const m = rowCount(q);
  const kMin = Math.max(2, options.kMin ?? 2);
  const kMax = Math.min(options.kMax ?? 8, m - 1, distinctRows(q, (options.kMax ?? 8) + 1));
  const scores: { k: number; silhouette: number }[] = [];
  let best: ClusterResult | null = null;
  let bestScore = -Infinity;
  // Distances between the rows do not depend on k: computed once for every silhouette.
  const dist = kMax >= kMin ? pairwiseDistances(q, Int32Array.from({ length: m }, (_, i) => i)) : null;
  for (let k = kMin; k <= kMax; k++) {
    const result = kmeansCluster(q, k, options);
    if (result.k !== k) continue;
    const s = silhouetteFromDistances(dist!, result.assignments);
    scores.push({ k, silhouette: s });
    if (s > bestScore + 1e-12) { bestScore = s; best = result; }
  }
  if (!best) return { result: kmeansCluster(p, 1, options), scores };
  return { result: sampled ? kmeansCluster(p, best.k, options) : best, scores };
}

/**
 * Merges cluster b into cluster a. The merged cluster keeps the smaller of the two ids; ids above the
 * removed one shift down by one; other clusters keep their order.
 */
export function mergeClusters(p: Points, result: ClusterResult, a: number, b: number): ClusterResult {
  checkCluster(result, a);
  checkCluster(result, b);
  if (a === b) return fromAssignments(p, result.assignments, result.k, false);
  const keep = Math.min(a, b);
  const drop = Math.max(a, b);
  const raw = result.assignments.map((c) => (c === drop ? keep : c));
  return fromAssignments(p, raw, result.k, false);
}

/**
 * Splits cluster c in two by re-clustering its rows with k = 2: the part holding the cluster's first
 * row keeps id c, the other becomes id k. A cluster whose rows are all equal stays whole.
 */
export function splitCluster(p: Points, result: ClusterResult, c: number, options: KMeansOptions = {}): ClusterResult {
  checkCluster(result, c);
  const members: number[] = [];
  result.assignments.forEach((a, r) => { if (a === c) members.push(r); });
  const sub = new Float64Array(members.length * p.cols);
  members.forEach((r, i) => sub.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), i * p.cols));
  const parts = kmeansCluster({ data: sub, cols: p.cols }, Math.min(2, members.length), options);
  if (parts.k < 2) return fromAssignments(p, result.assignments, result.k, false);
  const raw = Int32Array.from(result.assignments);
  members.forEach((r, i) => { if (parts.assignments[i] === 1) raw[r] = result.k; });
  return fromAssignments(p, raw, result.k + 1, false);
}

function checkCluster(result: ClusterResult, c: number): void {
  if (!Number.isInteger(c) || c < 0 || c >= result.k) {
    throw new ServiceError('invalid-argument', `There is no cluster ${c} (clusters are 0 to ${result.k - 1}).`);
  }
}

/** Every segment in the same cluster as `segmentId` (itself included); empty if it is not a row. */
export function clusterMembers(result: ClusterResult, segmentIds: Uint32Array, segmentId: number): Uint32Array {
  const row = segmentIds.indexOf(segmentId);
  if (row < 0) return new Uint32Array(0);
  const c = result.assignments[row]!;
  const out: number[] = [];
  for (let r = 0; r < segmentIds.length; r++) if (result.assignments[r] === c) out.push(segmentIds[r]!);
  return Uint32Array.from(out);
}
