// Elemental map pixels: decoding map files (one element per file or per TIFF page) to one
// intensity per pixel, reading stored maps back, resampling them onto their image, and the 8-bit
// version the overlay draws.
import type { RasterImage } from '../../app/types';
import type { ChannelMap } from '../../app/channels/registration';
import { resampleToImage } from '../../app/channels/registration';
import type { ImageChannel } from '../../app/channels/segment-features';
import { decodePages, probeImage } from '../images/io';
import { resolveInside } from '../fs/contain';
import { readRegularFile } from '../fs/read';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { ServiceError } from '../../app/errors';
import type { ProjectStore } from '../store/project-store';
import { listChannels, type StoredChannel } from './store';

/**
 * One intensity per pixel. Grey maps as they are; colour maps (EDS software often exports an
 * element tinted in its colour on black) by the brightest of their colour channels.
 */
function intensityOf(r: RasterImage): Float32Array {
  const n = r.width * r.height;
  const c = r.channels;
  const out = new Float32Array(n);
  const colour = Math.min(c, 3);
  for (let i = 0, p = 0; i < n; i++, p += c) {
    let v = r.data[p]!;
    for (let k = 1; k < colour; k++) if (r.data[p + k]! > v) v = r.data[p + k]!;
    out[i] = v;
  }
  return out;
}

export interface DecodedMap extends ChannelMap {
  page: number;
  bitDepth: number;
  data: Float32Array;
}

/** Every page of a map file, as intensities. Errors name the file. */
export async function decodeMapFile(bytes: Uint8Array, name: string): Promise<DecodedMap[]> {
  const probed = await probeImage(bytes, name);
  const out: DecodedMap[] = [];
  await decodePages(bytes, name, probed, (page, raster) => {
    out.push({ page, width: raster.width, height: raster.height, bitDepth: raster.bitDepth, data: intensityOf(raster) });
  });
  return out;
}

/** A stored map's intensities. */
export async function loadChannelMap(store: ProjectStore, c: StoredChannel): Promise<DecodedMap> {
  const abs = resolveInside(store.dir, c.file, 'channel file');
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(abs, { what: 'channel file', maxBytes: MAX_IMAGE_FILE_BYTES, within: store.dir });
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'not-found') throw new ServiceError('not-found', `The map file ${abs} (${c.element}, from ${c.name}) is missing from the project. Remove the channel and add ${c.name} again.`, abs);
    throw e;
  }
  const maps = await decodeMapFile(bytes, c.name);
  const m = maps.find((x) => x.page === c.page);
  if (!m) throw new ServiceError('bad-image', `${c.name} has no page ${c.page + 1} any more; remove the channel and add the file again.`, c.name);
  return m;
}

/** The image's visible-or-not maps resampled onto its pixel grid (NaN where a map has no data). */
export async function imageChannels(store: ProjectStore, imageId: number): Promise<ImageChannel[]> {
  const im = store.getImage(imageId);
  const out: ImageChannel[] = [];
  for (const c of listChannels(store, imageId)) {
    const m = await loadChannelMap(store, c);
    out.push({ element: c.element, data: resampleToImage(m, c.registration, im.width, im.height) });
  }
  return out;
}

/** A map stretched to 8 bits between its 1st and 99th percentiles, for display. */
export function displayBytes(m: ChannelMap): Uint8Array {
  const sorted = Float32Array.from(m.data as ArrayLike<number>).sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))] ?? 0;
  const hi = sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 1;
  const span = Math.max(1e-6, hi - lo);
  const out = new Uint8Array(m.width * m.height);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(((m.data[i]! - lo) / span) * 255)));
  return out;
}
