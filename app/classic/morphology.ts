// Morphology on masks and grey images: hole filling, small-object/hole removal, square min/max
// filters (erosion, dilation, opening, closing, top-hats), reconstruction and h-maxima.
import type { BinaryMask, Connectivity } from './components';
import { connectedComponents, regionAreas } from './components';
import type { FloatImage } from './filters';

/**
 * Fills holes: background regions that cannot reach the image border. Background connectivity is
 * 4 by default, as scipy's `binary_fill_holes`.
 */
export function fillHoles(mask: BinaryMask, connectivity: Connectivity = 4): BinaryMask {
  const { width: w, height: h, data } = mask;
  const n = w * h;
  const reached = new Uint8Array(n);
  const stack = new Int32Array(n);
  let top = 0;
  const seed = (i: number) => {
    if (data[i] === 0 && reached[i] === 0) {
      reached[i] = 1;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < w; x++) {
    seed(x);
    seed((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    seed(y * w);
    seed(y * w + w - 1);
  }
  const eight = connectivity === 8;
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % w;
    const y = (i - x) / w;
    if (x > 0) seed(i - 1);
    if (x < w - 1) seed(i + 1);
    if (y > 0) seed(i - w);
    if (y < h - 1) seed(i + w);
    if (eight) {
      if (x > 0 && y > 0) seed(i - w - 1);
      if (x < w - 1 && y > 0) seed(i - w + 1);
      if (x > 0 && y < h - 1) seed(i + w - 1);
      if (x < w - 1 && y < h - 1) seed(i + w + 1);
    }
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i] !== 0 || reached[i] === 0 ? 1 : 0;
  return { width: w, height: h, data: out };
}

/** Removes foreground components smaller than minSize pixels (scikit-image `remove_small_objects`). */
export function removeSmallObjects(mask: BinaryMask, minSize: number, connectivity: Connectivity = 8): BinaryMask {
  const comps = connectedComponents(mask, connectivity);
  const area = regionAreas(comps.data);
  const out = new Uint8Array(mask.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = comps.data[i]!;
    out[i] = c !== 0 && area[c]! >= minSize ? 1 : 0;
  }
  return { width: mask.width, height: mask.height, data: out };
}

/** Fills background components smaller than areaThreshold pixels (scikit-image `remove_small_holes`). */
export function removeSmallHoles(mask: BinaryMask, areaThreshold: number, connectivity: Connectivity = 8): BinaryMask {
  const inv = new Uint8Array(mask.data.length);
  for (let i = 0; i < inv.length; i++) inv[i] = mask.data[i] === 0 ? 1 : 0;
  const kept = removeSmallObjects({ width: mask.width, height: mask.height, data: inv }, areaThreshold, connectivity);
  const out = new Uint8Array(inv.length);
  for (let i = 0; i < out.length; i++) out[i] = kept.data[i] === 0 ? 1 : 0;
  return { width: mask.width, height: mask.height, data: out };
}

/**
 * Min or max over a size x size square (grey erosion or dilation with a flat square), separable;
 * pixels outside the image are ignored, the same as scipy's 'reflect' or 'nearest' borders for
 * these filters. Rows use van Herk / Gil-Werman block prefix and suffix extrema (three
 * comparisons per pixel whatever the size), on single rows and then on whole rows for columns.
 */
function rankSquare(image: FloatImage, size: number, max: boolean): FloatImage {
  const { width: w, height: h, data } = image;
  const r = (size - 1) >> 1;
  const k = 2 * r + 1;
  const sign = max ? 1 : -1;
  const tmp = new Float32Array(w * h);
  // Rows: pad with -inf (in the max sense), then out[x] = max(suffix[x], prefix[x + k - 1]).
  const padded = w + 2 * r;
  const blocks = Math.ceil(padded / k) * k;
  const line = new Float32Array(blocks);
  const pre = new Float32Array(blocks);
  const suf = new Float32Array(blocks);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    line.fill(-Infinity);
    for (let x = 0; x < w; x++) line[x + r] = sign * data[row + x]!;
    for (let b = 0; b < blocks; b += k) {
      let m = -Infinity;
      for (let j = b; j < b + k; j++) {
        if (line[j]! > m) m = line[j]!;
        pre[j] = m;
      }
      m = -Infinity;
      for (let j = b + k - 1; j >= b; j--) {
        if (line[j]! > m) m = line[j]!;
        suf[j] = m;
      }
    }
    for (let x = 0; x < w; x++) {
      const a = suf[x]!;
      const c = pre[x + k - 1]!;
      tmp[row + x] = sign * (a > c ? a : c);
    }
  }
  // Columns: the same block trick on whole rows, streaming over blocks of k padded rows with a
  // ring of two blocks (padded row p is image row p - r; rows outside count as -inf).
  const out = new Float32Array(w * h);
  const ring = 2 * k;
  const vPre = new Float32Array(ring * w);
  const vSuf = new Float32Array(ring * w);
  const rowInto = (dst: Float32Array, at: number, p: number) => {
    const y = p - r;
    if (y < 0 || y >= h) {
      dst.fill(-Infinity, at, at + w);
      return;
    }
    const src = y * w;
    for (let x = 0; x < w; x++) dst[at + x] = sign * tmp[src + x]!;
  };
  const nBlocks = Math.ceil((h + 2 * r) / k);
  let nextOut = 0;
  for (let b = 0; b < nBlocks && nextOut < h; b++) {
    const p0 = b * k;
    for (let j = 0; j < k; j++) {
      const at = ((p0 + j) % ring) * w;
      rowInto(vPre, at, p0 + j);
      if (j > 0) {
        const prev = ((p0 + j - 1) % ring) * w;
        for (let x = 0; x < w; x++) if (vPre[prev + x]! > vPre[at + x]!) vPre[at + x] = vPre[prev + x]!;
      }
    }
    for (let j = k - 1; j >= 0; j--) {
      const at = ((p0 + j) % ring) * w;
      rowInto(vSuf, at, p0 + j);
      if (j < k - 1) {
        const after = ((p0 + j + 1) % ring) * w;
        for (let x = 0; x < w; x++) if (vSuf[after + x]! > vSuf[at + x]!) vSuf[at + x] = vSuf[after + x]!;
      }
    }
    // Output row y covers padded rows y..y+k-1: ready once block b holds row y+k-1.
    for (; nextOut < h && nextOut + k - 1 < p0 + k; nextOut++) {
      const y = nextOut;
      const a = (y % ring) * w;
      const c = ((y + k - 1) % ring) * w;
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const u = vSuf[a + x]!;
        const v = vPre[c + x]!;
        out[row + x] = sign * (u > v ? u : v);
      }
    }
  }
  return { width: w, height: h, data: out };
}

export const erode = (image: FloatImage, size: number): FloatImage => rankSquare(image, size, false);
export const dilate = (image: FloatImage, size: number): FloatImage => rankSquare(image, size, true);
const closing = (image: FloatImage, size: number): FloatImage => erode(dilate(image, size), size);

/** Closing minus image: bright where thin dark structures (narrower than the window) are. */
export function blackTopHat(image: FloatImage, size: number): FloatImage {
  const c = closing(image, size);
  for (let i = 0; i < c.data.length; i++) c.data[i] = c.data[i]! - image.data[i]!;
  return c;
}

/**
 * Grey reconstruction by dilation of `seed` under `mask` (seed <= mask pointwise), with Vincent's
 * hybrid algorithm: a raster and an anti-raster sweep, then a FIFO queue for what is left.
 * Same result as scikit-image's `morphology.reconstruction(seed, mask, 'dilation')`.
 */
export function reconstructByDilation(seed: Float32Array, mask: Float32Array, width: number, height: number, connectivity: Connectivity = 8): Float32Array {
  const w = width;
  const h = height;
  const n = w * h;
  const J = new Float32Array(n);
  for (let i = 0; i < n; i++) J[i] = Math.min(seed[i]!, mask[i]!);
  const eight = connectivity === 8;
  // Forward sweep over the causal neighbours (left, up, up-left, up-right).
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let m = J[i]!;
      if (x > 0 && J[i - 1]! > m) m = J[i - 1]!;
      if (y > 0) {
        if (J[i - w]! > m) m = J[i - w]!;
        if (eight) {
          if (x > 0 && J[i - w - 1]! > m) m = J[i - w - 1]!;
          if (x < w - 1 && J[i - w + 1]! > m) m = J[i - w + 1]!;
        }
      }
      J[i] = m < mask[i]! ? m : mask[i]!;
    }
  }
  // Backward sweep; queue pixels whose anti-causal neighbours can still rise. The FIFO is a
  // growable ring: after the two sweeps it usually holds a small fraction of the image.
  let queue = new Int32Array(Math.min(n, 1 << 16));
  let qHead = 0;
  let qTail = 0;
  let qSize = 0;
  const inQueue = new Uint8Array(n);
  const enqueue = (i: number) => {
    if (inQueue[i]) return;
    inQueue[i] = 1;
    if (qSize === queue.length) {
      const grown = new Int32Array(Math.min(n, queue.length * 2));
      for (let k = 0; k < qSize; k++) grown[k] = queue[(qHead + k) % queue.length]!;
      queue = grown;
      qHead = 0;
      qTail = qSize;
    }
    queue[qTail] = i;
    qTail = qTail + 1 === queue.length ? 0 : qTail + 1;
    qSize++;
  };
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      let m = J[i]!;
      if (x < w - 1 && J[i + 1]! > m) m = J[i + 1]!;
      if (y < h - 1) {
        if (J[i + w]! > m) m = J[i + w]!;
        if (eight) {
          if (x < w - 1 && J[i + w + 1]! > m) m = J[i + w + 1]!;
          if (x > 0 && J[i + w - 1]! > m) m = J[i + w - 1]!;
        }
      }
      const v = m < mask[i]! ? m : mask[i]!;
      J[i] = v;
      // Queue p if an anti-causal neighbour q could still be raised by it.
      let rise = false;
      if (x < w - 1) {
        const j = i + 1;
        rise = J[j]! < v && J[j]! < mask[j]!;
      }
      if (!rise && y < h - 1) {
        let j = i + w;
        rise = J[j]! < v && J[j]! < mask[j]!;
        if (!rise && eight && x < w - 1) {
          j = i + w + 1;
          rise = J[j]! < v && J[j]! < mask[j]!;
        }
        if (!rise && eight && x > 0) {
          j = i + w - 1;
          rise = J[j]! < v && J[j]! < mask[j]!;
        }
      }
      if (rise) enqueue(i);
    }
  }
  // Propagation.
  const dx = eight ? [-1, 1, 0, 0, -1, 1, -1, 1] : [-1, 1, 0, 0];
  const dy = eight ? [0, 0, -1, 1, -1, -1, 1, 1] : [0, 0, -1, 1];
  while (qSize > 0) {
    const i = queue[qHead]!;
    qHead = qHead + 1 === queue.length ? 0 : qHead + 1;
    qSize--;
    inQueue[i] = 0;
    const v = J[i]!;
    const x = i % w;
    const y = (i - x) / w;
    for (let k = 0; k < dx.length; k++) {
      const xx = x + dx[k]!;
      const yy = y + dy[k]!;
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
      const j = yy * w + xx;
      if (J[j]! < v && J[j]! < mask[j]!) {
        J[j] = v < mask[j]! ? v : mask[j]!;
        enqueue(j);
      }
    }
  }
  return J;
}

/**
 * h-maxima: the tops of regional maxima whose dynamic (height above the saddle to any higher
 * region) is at least h, as scikit-image's `morphology.h_maxima` (residue of the reconstruction
 * of image - h under image reaching h).
 */
export function hMaxima(image: FloatImage, h: number, connectivity: Connectivity = 8): BinaryMask {
  const { width, height, data } = image;
  const shifted = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) shifted[i] = data[i]! - h;
  const rec = reconstructByDilation(shifted, data, width, height, connectivity);
  const out = new Uint8Array(data.length);
  // Float32 rounding of (v - h) can leave a residue a hair under h on true tops.
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) if (Math.abs(data[i]!) > maxAbs && Number.isFinite(data[i]!)) maxAbs = Math.abs(data[i]!);
  const tol = h * 1e-6 + maxAbs * 2.4e-7;
  for (let i = 0; i < data.length; i++) out[i] = data[i]! - rec[i]! >= h - tol ? 1 : 0;
  return { width, height, data: out };
}
