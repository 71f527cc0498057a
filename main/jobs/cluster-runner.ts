// Runs the clustering work of large images (segment features, the k-means search, pixel phase maps)
// in a fresh cluster worker, so edits are served meanwhile (see run-worker.ts).
import type { GreyImage, LabelMap } from '../../app/types';
import type { AutoKOptions, AutoKResult, FeatureMatrix, FeatureOptions, PhaseMap, PhaseMapOptions, Points } from '../../app/cluster';
import { expect, runInWorker } from './run-worker';

const never = new AbortController().signal;

/** Segment features (app/cluster) computed in a worker: the same result as segmentFeatures, off this thread. */
export async function featuresInWorker(grey: GreyImage, labels: LabelMap, options: FeatureOptions, signal = never): Promise<FeatureMatrix> {
  return expect(await runInWorker({ kind: 'features', grey, labels, options }, signal, undefined, null), 'features').matrix;
}

/** k-means (app/cluster) in a worker: with k 'auto', autoKMeans; else kmeansCluster with no scores. Same results as on this thread. */
export async function kmeansInWorker(points: Points, k: number | 'auto', options: AutoKOptions, signal = never): Promise<AutoKResult> {
  return expect(await runInWorker({ kind: 'kmeans', points, k, options }, signal, undefined, null), 'kmeans').clustering;
}

/** A pixel k-means phase map (app/cluster phaseMap) made in a worker; cancelling terminates it. */
export async function phaseMapInWorker(grey: GreyImage, options: PhaseMapOptions, signal: AbortSignal): Promise<PhaseMap> {
  return expect(await runInWorker({ kind: 'phase-map', grey, options }, signal, undefined, null), 'phase-map').map;
}

