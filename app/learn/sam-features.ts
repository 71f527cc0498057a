// SAM image-embedding features of the pixel classifier (issue 12): a SAM encoder's image embedding
// (256 channels on a 64 x 64 grid over the 1024 frame) reduced to a few channels by a PCA fitted on
// the training images' embeddings, cut to the part of the grid the image covers (SAM pads the
// resized image to a square) and upsampled bilinearly to the image's size. The pipeline gets them
// as extra maps (TrainImage.extra); the classifier keeps the recipe (model id, PCA mean and
// components) so prediction computes the same maps. Pure: main/learn/sam-features.ts runs the encoder.

/** Channels and grid side of the image embedding every supported SAM family has first in its packed output. */
export const SAM_EMBED_CHANNELS = 256;
export const SAM_EMBED_GRID = 64;
/** Principal components kept by default. */
export const DEFAULT_SAM_COMPONENTS = 8;

/** How a classifier turns a SAM embedding into feature maps; stored with the classifier (LearnClassifierInfo.sam). */
export interface SamFeatureRecipe {
  /** The SAM model (models manifest id) whose encoder made the embeddings. */
  model: string;
  /** Mean embedding vector (SAM_EMBED_CHANNELS values). */
  mean: number[];
  /** Principal axes, row-major (components x SAM_EMBED_CHANNELS), each scaled by 1/sqrt(its variance). */
  components: number[];
}

/** Part of the 64 x 64 grid the image covers, in cells (may be fractional: SAM pads after resizing). */
export interface EmbeddingExtent {
  cellsX: number;
  cellsY: number;
}

/** Number of feature maps a recipe gives. */
export function samComponentCount(r: SamFeatureRecipe): number {
  return r.components.length / SAM_EMBED_CHANNELS;
}

/** Whether a stored recipe is usable (from a file or the project); the message says what is wrong. */
export function checkSamRecipe(r: unknown): string | null {
  const x = r as Partial<SamFeatureRecipe> | null;
  if (!x || typeof x.model !== 'string' || !x.model) return 'no model id';
  if (!Array.isArray(x.mean) || x.mean.length !== SAM_EMBED_CHANNELS || !x.mean.every(Number.isFinite)) return 'PCA mean';
  if (!Array.isArray(x.components) || x.components.length === 0 || x.components.length % SAM_EMBED_CHANNELS !== 0 || !x.components.every(Number.isFinite)) return 'PCA components';
  return null;
}

/** Cells of the grid wholly inside the image: at least one per side. */
function fullCells(e: EmbeddingExtent): { nx: number; ny: number } {
  return { nx: Math.max(1, Math.min(SAM_EMBED_GRID, Math.floor(e.cellsX))), ny: Math.max(1, Math.min(SAM_EMBED_GRID, Math.floor(e.cellsY))) };
}

/** Eigen decomposition of a symmetric matrix (n x n, row-major) by cyclic Jacobi rotations: values and vectors (columns of V), unsorted. */
function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p]! * a[p * n + p]!;
      for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    }
    if (off <= 1e-22 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/**
 * The m largest eigenvalues (descending) and their eigenvectors (rows of `vectors`) of a symmetric
 * positive semi-definite n x n matrix: subspace iteration from a fixed start, then Rayleigh-Ritz
 * (Jacobi on the small m x m matrix). Directions without variance come out with eigenvalue ~0.
 */
function topEigen(c: Float64Array, n: number, m: number): { values: Float64Array; vectors: Float64Array } {
  // Q: m orthonormal rows of length n; a fixed pseudo-random start (deterministic).
  let q = new Float64Array(m * n);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
  for (let i = 0; i < q.length; i++) q[i] = rnd();
  const orthonormalise = (x: Float64Array) => {
    for (let i = 0; i < m; i++) {
      const xi = x.subarray(i * n, (i + 1) * n);
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          const xj = x.subarray(j * n, (j + 1) * n);
          let d = 0;
          for (let t = 0; t < n; t++) d += xi[t]! * xj[t]!;
          for (let t = 0; t < n; t++) xi[t]! -= d * xj[t]!;
        }
        let norm = 0;
        for (let t = 0; t < n; t++) norm += xi[t]! * xi[t]!;
        norm = Math.sqrt(norm);
        if (norm > 1e-150) {
          for (let t = 0; t < n; t++) xi[t]! /= norm;
          if (pass === 1 || norm > 1e-6) break;
        } else for (let t = 0; t < n; t++) xi[t] = rnd(); // collapsed (rank below m): a fresh direction
      }
    }
  };
  orthonormalise(q);
  const times = (x: Float64Array) => {
    const y = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      const xi = x.subarray(i * n, (i + 1) * n);
      const yi = y.subarray(i * n, (i + 1) * n);
      for (let r = 0; r < n; r++) {
        let s = 0;
        const row = r * n;
        for (let t = 0; t < n; t++) s += c[row + t]! * xi[t]!;
        yi[r] = s;
      }
    }
    return y;
  };
  for (let it = 0; it < 60; it++) {
    q = times(q);
    orthonormalise(q);
  }
  // Rayleigh-Ritz: T = Q C Q^T (m x m), its eigenvectors rotate Q.
  const cq = times(q);
  const tm = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < n; t++) s += q[i * n + t]! * cq[j * n + t]!;
    tm[i * m + j] = s;
  }
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) tm[i * m + j] = tm[j * m + i] = (tm[i * m + j]! + tm[j * m + i]!) / 2;
  const small = jacobiEigen(tm, m);
  const order = Array.from(small.values.keys()).sort((a, b) => small.values[b]! - small.values[a]! || a - b);
  const values = Float64Array.from(order, (j) => small.values[j]!);
  const vectors = new Float64Array(m * n);
  order.forEach((j, r) => {
    for (let i = 0; i < m; i++) {
      const w = small.vectors[i * m + j]!;
      for (let t = 0; t < n; t++) vectors[r * n + t]! += w * q[i * n + t]!;
    }
  });
  return { values, vectors };
}

/**
 * PCA of embedding vectors (rows of SAM_EMBED_CHANNELS values): the mean and the `k` axes of most
 * variance, each scaled to unit variance and signed so its largest entry is positive (deterministic).
 * Axes without variance (an encoder whose embedding has fewer degrees of freedom) are left out.
 */
export function fitSamPca(rows: Float32Array, k = DEFAULT_SAM_COMPONENTS): { mean: number[]; components: number[] } {
  const D = SAM_EMBED_CHANNELS;
  const m = rows.length / D;
  if (!Number.isInteger(m) || m < 2) throw new RangeError('the PCA of SAM embeddings needs at least two embedding vectors');
  const mean = new Float64Array(D);
  for (let r = 0; r < m; r++) for (let d = 0; d < D; d++) mean[d]! += rows[r * D + d]!;
  for (let d = 0; d < D; d++) mean[d]! /= m;
  const cov = new Float64Array(D * D);
  const x = new Float64Array(D);
  for (let r = 0; r < m; r++) {
    for (let d = 0; d < D; d++) x[d] = rows[r * D + d]! - mean[d]!;
    for (let i = 0; i < D; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      for (let j = i; j < D; j++) cov[i * D + j]! += xi * x[j]!;
    }
  }
  for (let i = 0; i < D; i++) for (let j = i; j < D; j++) cov[j * D + i] = cov[i * D + j] = cov[i * D + j]! / (m - 1);
  const { values, vectors } = topEigen(cov, D, Math.min(D, 2 * k + 8));
  const top = values[0]!;
  const components: number[] = [];
  for (let j = 0; j < Math.min(k, values.length); j++) {
    const lambda = values[j]!;
    if (!(lambda > 1e-9 * top && lambda > 1e-20)) break;
    const vec = vectors.subarray(j * D, (j + 1) * D);
    let big = 0;
    for (let d = 0; d < D; d++) if (Math.abs(vec[d]!) > Math.abs(vec[big]!)) big = d;
    const s = Math.sign(vec[big]!) / Math.sqrt(lambda);
    for (let d = 0; d < D; d++) components.push(vec[d]! * s);
  }
  if (components.length === 0) throw new RangeError('the SAM embeddings of the training images do not vary: nothing to learn from them');
  return { mean: Array.from(mean), components };
}

/** Embedding vectors of the cells wholly inside the image (row per cell), for fitting the PCA; at most `max`, evenly spread. */
export function embeddingRows(embedding: Float32Array, extent: EmbeddingExtent, max = 4096): Float32Array {
  const G = SAM_EMBED_GRID;
  const D = SAM_EMBED_CHANNELS;
  if (embedding.length < D * G * G) throw new RangeError(`a SAM image embedding has ${D}x${G}x${G} values; got ${embedding.length}`);
  const { nx, ny } = fullCells(extent);
  const cells: number[] = [];
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) cells.push(y * G + x);
  const step = Math.max(1, cells.length / max);
  const picked: number[] = [];
  for (let i = 0; i < cells.length; i += step) picked.push(cells[Math.floor(i)]!);
  const out = new Float32Array(picked.length * D);
  picked.forEach((c, r) => {
    for (let d = 0; d < D; d++) out[r * D + d] = embedding[d * G * G + c]!;
  });
  return out;
}

/**
 * Feature-major maps (components x width x height) of one image: the embedding projected onto the
 * recipe's axes per cell, then upsampled bilinearly (cell centres at (i + 0.5) * cell size) from the
 * part of the grid the image covers to the image's pixels.
 */
export function samFeatureMaps(embedding: Float32Array, extent: EmbeddingExtent, recipe: Pick<SamFeatureRecipe, 'mean' | 'components'>, width: number, height: number): Float32Array {
  const G = SAM_EMBED_GRID;
  const D = SAM_EMBED_CHANNELS;
  if (embedding.length < D * G * G) throw new RangeError(`a SAM image embedding has ${D}x${G}x${G} values; got ${embedding.length}`);
  const K = recipe.components.length / D;
  // Cells touched by the image (the last one may be partly padding).
  const nx = Math.max(1, Math.min(G, Math.ceil(extent.cellsX - 1e-9)));
  const ny = Math.max(1, Math.min(G, Math.ceil(extent.cellsY - 1e-9)));
  const proj = new Float32Array(K * nx * ny);
  const v = new Float64Array(D);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const c = cy * G + cx;
      for (let d = 0; d < D; d++) v[d] = embedding[d * G * G + c]! - recipe.mean[d]!;
      for (let k = 0; k < K; k++) {
        let s = 0;
        const o = k * D;
        for (let d = 0; d < D; d++) s += v[d]! * recipe.components[o + d]!;
        proj[k * nx * ny + cy * nx + cx] = s;
      }
    }
  }
  // Bilinear weights per column and row (pixel centre -> cell coordinate), clamped at the edges.
  const axis = (n: number, cells: number, cover: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const f = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const u = Math.min(cells - 1, Math.max(0, ((p + 0.5) * cover) / n - 0.5));
      i0[p] = Math.floor(u);
      i1[p] = Math.min(cells - 1, i0[p]! + 1);
      f[p] = u - i0[p]!;
    }
    return { i0, i1, f };
  };
  const ax = axis(width, nx, extent.cellsX);
  const ay = axis(height, ny, extent.cellsY);
  const n = width * height;
  const out = new Float32Array(K * n);
  // Separable: each cell row interpolated along x to the image's width, then rows blended along y.
  const rows = new Float32Array(ny * width);
  for (let k = 0; k < K; k++) {
    const p = proj.subarray(k * nx * ny, (k + 1) * nx * ny);
    for (let r = 0; r < ny; r++) {
      for (let x = 0; x < width; x++) {
        const a = p[r * nx + ax.i0[x]!]!;
        rows[r * width + x] = a + (p[r * nx + ax.i1[x]!]! - a) * ax.f[x]!;
      }
    }
    const o = out.subarray(k * n, (k + 1) * n);
    for (let y = 0; y < height; y++) {
      const r0 = ay.i0[y]! * width;
      const r1 = ay.i1[y]! * width;
      const fy = ay.f[y]!;
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const t = rows[r0 + x]!;
        o[row + x] = t + (rows[r1 + x]! - t) * fy;
      }
    }
  }
  return out;
}

/** Two feature-major map stacks of one image one after the other (either may be absent). */
export function concatExtra(a: Float32Array | undefined, b: Float32Array | undefined): Float32Array | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
