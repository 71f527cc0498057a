// Segment features for clustering and the classifier: computed from the image's current map,
// cached per image while its geometry is unchanged (a class edit keeps them), large images in the
// cluster worker. The embedding group reads the SAM encoder through the prompting service.
import type { FeatureGroupName } from '../../app/contract/cluster';
import { ServiceError } from '../../app/errors';
import { toGrey } from '../../app/image/display';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { applyZScore, fitZScore, segmentFeatures, selectGroups, type FeatureMatrix } from '../../app/cluster';
import type { EditStore } from '../store/edits';
import { loadPixels } from '../handlers/images';
import type { SamPrompting } from '../sam/prompting';
import { featuresInWorker } from '../jobs/cluster-runner';
import { withChannelColumns } from '../channels/features';

export const ALL_GROUPS: FeatureGroupName[] = ['intensity', 'texture', 'shape', 'boundary'];

export interface Features {
  revision: string;
  /** geometryKey of the segments: features change only when it does (a class edit keeps it). */
  geometry: string;
  /** Raw (not normalised) features of the groups computed, one row per segment (ascending id). */
  matrix: FeatureMatrix;
  segments: SegmentRecord[];
  labels: LabelMap;
}

/**
 * Up to this many pixels (1024²: features about 0.2 s) the pixel work of clustering (segment
 * features, phase maps) runs on the service thread; larger images go to the cluster worker.
 */
export const INLINE_PIXELS = 1 << 20;

/**
 * A fingerprint of the segments' geometry (ids, areas, boxes): equal before and after edits that
 * only change classes or review state, different after merge, split, brush or delete.
 */
export function geometryKey(segments: readonly SegmentRecord[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const mix = (v: number) => {
    h1 = Math.imul(h1 ^ v, 16777619) >>> 0;
    h2 = Math.imul(h2 ^ (v + 0x9e3779b9), 2246822519) >>> 0;
  };
  for (const s of segments) {
    mix(s.id);
    mix(s.area);
    mix(s.bbox.x);
    mix(s.bbox.y);
    mix(s.bbox.width);
    mix(s.bbox.height);
  }
  return `${segments.length}:${h1.toString(16)}${h2.toString(16)}`;
}

export class SegmentFeatures {
  private readonly features = new Map<number, Features>();

  constructor(private readonly sam: SamPrompting) {}

  /** Forgets every image's features (the project closed). */
  clear(): void {
    this.features.clear();
  }

  /** Raw features of every segment of the image's current map (all groups needed; cached per revision). */
  async featuresOf(edits: EditStore, imageId: number, groups: readonly FeatureGroupName[]): Promise<Features> {
    const f = await this.appearance(edits, imageId, groups);
    // Elemental-map columns are read fresh each time (a re-registration changes them; one pass).
    return groups.includes('channels') ? withChannelColumns(edits.store, imageId, f) : f;
  }

  private async appearance(edits: EditStore, imageId: number, groups: readonly FeatureGroupName[]): Promise<Features> {
    const store = edits.store;
    const snap = await edits.snapshot(imageId);
    if (!snap) throw new ServiceError('not-found', `Image ${imageId} has no segmentation yet. Segment it first (S), then cluster its segments.`);
    if (snap.segments.length === 0) throw new ServiceError('invalid-argument', `Image ${imageId} has no segments to cluster.`);
    const wantEmbedding = groups.includes('embedding');
    const geometry = geometryKey(snap.segments);
    const cached = this.features.get(imageId);
    if (cached && cached.geometry === geometry && (!wantEmbedding || cached.matrix.groups.includes('embedding'))) {
      // Same geometry, same features; the rows (classes, review state) are today's.
      cached.segments = snap.segments;
      cached.revision = snap.revision;
      return cached;
    }
    const raster = await loadPixels(store, imageId);
    const grey = toGrey(raster);
    const want: FeatureGroupName[] = wantEmbedding ? [...ALL_GROUPS, 'embedding'] : ALL_GROUPS;
    const embedding = wantEmbedding ? await this.embeddingOf(store, imageId) : undefined;
    const options = { groups: want, unitIntensity: true, ...(embedding ? { embedding } : {}) };
    // Large images (about 1 s at 4096², 4 s at 8192²) are done in a worker so that edits, which the
    // same thread serves, never wait for a background retrain or a clustering.
    const matrix = grey.width * grey.height > INLINE_PIXELS ? await featuresInWorker(grey, snap.labels, options) : segmentFeatures(grey, snap.labels, options);
    const f: Features = { revision: snap.revision, geometry, matrix, segments: snap.segments, labels: snap.labels };
    this.features.set(imageId, f);
    // Keep memory bounded on large projects: a few images' features are enough for interactive work.
    if (this.features.size > 16) this.features.delete(this.features.keys().next().value!);
    return f;
  }

  private async embeddingOf(store: EditStore['store'], imageId: number) {
    const sam = this.sam;
    if (sam.activeModel() === null) {
      throw new ServiceError('invalid-argument', 'The embedding feature group needs a SAM model. Install one (npx grainlab models import …) or leave "embedding" out.');
    }
    const { engine, modelId } = await sam.engineFor();
    const im = store.getImage(imageId);
    const e = await sam.embedding(engine, modelId, im);
    return { data: e.data, imageWidth: im.width, imageHeight: im.height };
  }
}

/** The chosen groups' columns, z-scored over the image's own segments. */
export function normalised(matrix: FeatureMatrix, groups: readonly FeatureGroupName[]): FeatureMatrix {
  const m = selectGroups(matrix, groups);
  return applyZScore(m, fitZScore(m, { balanceGroups: true }));
}
