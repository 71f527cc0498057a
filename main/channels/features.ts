// The 'channels' feature group of clustering and propagation: mean elemental-map intensities per
// segment (app/channels/segment-features.ts), joined to the image's appearance features.
import { ServiceError } from '../../app/errors';
import { joinColumns, segmentChannelMeans } from '../../app/channels/segment-features';
import type { ProjectStore } from '../store/project-store';
import type { Features } from '../cluster/features';
import { imageChannels } from './maps';

export async function withChannelColumns(store: ProjectStore, imageId: number, f: Features): Promise<Features> {
  const channels = await imageChannels(store, imageId);
  if (channels.length === 0) {
    throw new ServiceError('invalid-argument', `Image ${imageId} has no elemental maps, so the 'channels' feature group is empty. Add maps (grainlab channels add, or Channels → Add maps in the app) or leave 'channels' out.`);
  }
  return { ...f, matrix: joinColumns(f.matrix, segmentChannelMeans(f.labels, channels, f.matrix.segmentIds)) };
}
