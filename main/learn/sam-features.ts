// SAM image-embedding features of the pixel classifier (learn.train with sam): the SAM engine
// embeds each image (through its caches: memory, then the project database, then the encoder),
// a PCA fitted on the training images' embeddings reduces them to a few channels, and
// app/learn/sam-features.ts upsamples those to the image. A small cache serves live prediction.
import { ServiceError } from '../../app/errors';
import { checkSamRecipe, DEFAULT_SAM_COMPONENTS, embeddingRows, fitSamPca, SAM_EMBED_GRID, samFeatureMaps, type EmbeddingExtent, type SamFeatureRecipe } from '../../app/learn/sam-features';
import type { ProjectStore } from '../store/project-store';
import type { SamPrompting } from '../sam/prompting';
import type { SamEngine } from '../sam/engine';

const cache = new Map<string, Float32Array>();

/** The part of the embedding grid the image covers: SAM pads the resized image (letterbox); SAM 2 and EfficientSAM stretch it to the square. */
function extentOf(engine: SamEngine, geometry: { resizedWidth: number; resizedHeight: number }): EmbeddingExtent {
  if (engine.info.layout === 'stretch') return { cellsX: SAM_EMBED_GRID, cellsY: SAM_EMBED_GRID };
  const cell = 1024 / SAM_EMBED_GRID;
  return { cellsX: geometry.resizedWidth / cell, cellsY: geometry.resizedHeight / cell };
}

/** The installed model SAM-embedding features use (the given one, else the active one); otherwise an error that names it and what to do. */
export function requireSamModel(sam: SamPrompting | undefined, modelId: string | undefined, why: 'train' | 'predict'): string {
  if (!sam) throw new ServiceError('unsupported', 'SAM-embedding features need the SAM engine, which this service does not have.');
  let id: string;
  try {
    id = sam.requireModel(modelId);
    sam.modelPaths(id);
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    const what = modelId ? `the SAM model "${modelId}"` : 'a SAM model';
    throw new ServiceError(
      'not-found',
      why === 'predict'
        ? `This classifier was trained with SAM-embedding features of ${what}, which is not installed here (${e.message}) Install that model (grainlab models fetch ${modelId ?? '<id>'}, or grainlab models import ${modelId ?? '<id>'} <files>), or train a classifier without SAM embeddings.`
        : `Training with SAM embeddings needs ${what} installed (${e.message}) Install one, or train without SAM embeddings.`,
    );
  }
  return id;
}

async function engineOf(sam: SamPrompting | undefined, modelId: string | undefined, why: 'train' | 'predict'): Promise<{ engine: SamEngine; modelId: string }> {
  const id = requireSamModel(sam, modelId, why);
  return sam!.engineFor(id);
}

async function embeddingOf(sam: SamPrompting, engine: SamEngine, modelId: string, store: ProjectStore, imageId: number, signal?: AbortSignal) {
  const emb = await sam.embedding(engine, modelId, store.getImage(imageId), signal);
  return { data: emb.data, extent: extentOf(engine, emb.geometry) };
}

/** Fits the PCA of the SAM embeddings of the training images (model: the given one, else the active one). */
export async function fitSamRecipe(sam: SamPrompting | undefined, store: ProjectStore, imageIds: readonly number[], modelId: string | undefined, signal?: AbortSignal): Promise<SamFeatureRecipe> {
  const { engine, modelId: id } = await engineOf(sam, modelId, 'train');
  const parts: Float32Array[] = [];
  for (const imageId of imageIds) {
    if (signal?.aborted) throw new ServiceError('cancelled', 'Cancelled.');
    const e = await embeddingOf(sam!, engine, id, store, imageId, signal);
    parts.push(embeddingRows(e.data, e.extent, Math.ceil(8192 / imageIds.length)));
  }
  const rows = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    rows.set(p, o);
    o += p.length;
  }
  try {
    return { model: id, ...fitSamPca(rows, DEFAULT_SAM_COMPONENTS) };
  } catch (e) {
    throw new ServiceError('invalid-argument', `SAM-embedding features of "${id}": ${(e as Error).message}. Train without SAM embeddings.`);
  }
}

/** A short fingerprint of a recipe's numbers (FNV-1a over their float32 bytes), for the cache key. */
function recipeHash(r: SamFeatureRecipe): string {
  const bytes = new Uint8Array(Float32Array.from([...r.mean, ...r.components]).buffer);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return `${r.components.length}:${(h >>> 0).toString(16)}`;
}

/** The SAM feature maps of an image for a classifier's recipe (shared with the cache: copy before transferring). */
export async function samExtra(sam: SamPrompting | undefined, store: ProjectStore, imageId: number, recipe: SamFeatureRecipe, signal?: AbortSignal): Promise<Float32Array> {
  const bad = checkSamRecipe(recipe);
  if (bad) throw new ServiceError('invalid-argument', `The classifier's SAM-embedding recipe is damaged (${bad}). Train the classifier again.`);
  const im = store.getImage(imageId);
  const key = `${store.dir}|${im.id}|${im.hash}/${im.page}|${recipe.model}|${recipeHash(recipe)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { engine, modelId } = await engineOf(sam, recipe.model, 'predict');
  const e = await embeddingOf(sam!, engine, modelId, store, imageId, signal);
  const maps = samFeatureMaps(e.data, e.extent, recipe, im.width, im.height);
  cache.set(key, maps);
  while (cache.size > 3) cache.delete(cache.keys().next().value!);
  return maps;
}
