// Elemental maps as inputs of the pixel classifier (learn.train with channels): each image's maps
// of the classifier's elements, resampled onto the image and expanded to feature maps
// (app/learn/channel-features.ts). A small cache serves live prediction, which asks often.
import { ServiceError } from '../../app/errors';
import { channelFeatureMaps } from '../../app/learn/channel-features';
import type { ProjectStore } from '../store/project-store';
import { imageChannels } from '../channels/maps';
import { listChannels } from '../channels/store';

const cache = new Map<string, Float32Array>();

/** The elements an image has maps of, sorted (the order a classifier's extra features follow). */
export function imageElements(store: ProjectStore, imageId: number): string[] {
  return [...new Set(listChannels(store, imageId).map((c) => c.element))].sort();
}

/** Feature maps of the image's maps of `elements`, in that order; refused when one is missing. */
export async function channelExtra(store: ProjectStore, imageId: number, elements: readonly string[]): Promise<Float32Array> {
  const rows = listChannels(store, imageId);
  const key = `${store.dir}|${imageId}|${elements.join(',')}|${JSON.stringify(rows.map((c) => [c.id, c.element, c.registration]))}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const have = await imageChannels(store, imageId);
  const missing = elements.filter((e) => !have.some((c) => c.element === e));
  if (missing.length) {
    throw new ServiceError('invalid-argument', `Image ${imageId} has no map of ${missing.join(', ')}, which the classifier was trained with. Add the maps (grainlab channels add) or train without channels.`);
  }
  const im = store.getImage(imageId);
  const extra = channelFeatureMaps(elements.map((e) => have.find((c) => c.element === e)!.data), im.width, im.height);
  cache.set(key, extra);
  while (cache.size > 3) cache.delete(cache.keys().next().value!);
  return extra;
}
