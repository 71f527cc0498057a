// SAM-embedding features of the pixel classifier (issue 12): what GrainLab adds on top of the SAM
// encoder, which is model-independent: the PCA fit over the training images' embeddings and the
// projection + bilinear upsampling of the embedding to the image. No real SAM model is here (only
// tiny test models), so the encoder run itself (seconds per image for SAM ViT-B on a CPU, cached
// per image afterwards) is not measured. Alone: node --import tsx test/bench/sam-features.bench.ts
import { writeResult, type BenchRow } from './common';
import { DEFAULT_SAM_COMPONENTS, embeddingRows, fitSamPca, samFeatureMaps, SAM_EMBED_CHANNELS as D, SAM_EMBED_GRID as G } from '../../app/learn/sam-features';

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

const rand = rng(12);
// An embedding-like array: 16 latent factors mixed into 256 channels, plus noise (full rank).
const LATENT = 16;
const mix = Float32Array.from({ length: LATENT * D }, rand);
function embedding(): Float32Array {
  const e = new Float32Array(D * G * G);
  for (let c = 0; c < G * G; c++) {
    const z = Array.from({ length: LATENT }, rand);
    for (let d = 0; d < D; d++) {
      let v = 0.05 * rand();
      for (let k = 0; k < LATENT; k++) v += z[k]! * mix[k * D + d]!;
      e[d * G * G + c] = v;
    }
  }
  return e;
}

const rows: BenchRow[] = [];
const emb = embedding();
// PCA over 4 training images, as training samples them (main/learn/sam-features.ts: 8,192 cells in all).
const parts = [emb, embedding(), embedding(), embedding()].map((e) => embeddingRows(e, { cellsX: 64, cellsY: 48 }, 8192 / 4));
const train = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
parts.forEach((p, i) => train.set(p, i * parts[0]!.length));
let t0 = performance.now();
const pca = fitSamPca(train, DEFAULT_SAM_COMPONENTS);
const fitMs = performance.now() - t0;
rows.push({ metric: 'PCA fit of the training embeddings (256 -> 8 channels)', value: fitMs, unit: 'ms', note: `${train.length / D} embedding vectors (4 images of 64 x 48 cells, sampled as training does); subspace iteration on the 256 x 256 covariance` });
// Projection + upsampling to a 2048 x 1536 image (3.1 MP), best of 3.
const w = 2048;
const h = 1536;
let best = Infinity;
for (let r = 0; r < 3; r++) {
  t0 = performance.now();
  samFeatureMaps(emb, { cellsX: 64, cellsY: 48 }, pca, w, h);
  best = Math.min(best, performance.now() - t0);
}
const mp = (w * h) / 1e6;
rows.push({ metric: 'SAM feature maps (8) of an image: projection + bilinear upsampling, per megapixel', value: best / mp, unit: 'ms/MP', note: `${w} x ${h} image, best of 3; after the (cached) encoder run` });
rows.push({ metric: 'encoder run of a real SAM model', value: 'n/a', unit: '', note: 'no real SAM weights on this machine (tiny test models only); the encoder runs once per image and its embedding is cached' });
for (const r of rows) console.log(`${r.metric}: ${typeof r.value === 'number' ? r.value.toFixed(1) : r.value} ${r.unit}`);
writeResult('sam-features', rows);
