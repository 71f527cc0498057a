// Worker thread for the clustering work of large images (segment features, the k-means search,
// pixel phase maps), so edits are served while it runs. Same messages as segment.worker.ts.
import { parentPort } from 'node:worker_threads';
import { autoKMeans, kmeansCluster, phaseMap, segmentFeatures } from '../../app/cluster';
import { toErrorData, ServiceError } from '../../app/errors';
import type { ClusterRequest, SegmentMessage } from './segment.worker';

const port = parentPort!;

function post(m: SegmentMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

function run(req: ClusterRequest): void {
  if (req.kind === 'features') {
    const matrix = segmentFeatures(req.grey, req.labels, req.options);
    post({ type: 'features', matrix }, [matrix.data.buffer as ArrayBuffer, matrix.segmentIds.buffer as ArrayBuffer]);
  } else if (req.kind === 'phase-map') {
    const map = phaseMap(req.grey, req.options);
    post({ type: 'phase-map', map }, [map.labels.data.buffer as ArrayBuffer, map.phaseOf.buffer as ArrayBuffer]);
  } else {
    const clustering = req.k === 'auto' ? autoKMeans(req.points, req.options) : { result: kmeansCluster(req.points, req.k, req.options), scores: [] };
    const r = clustering.result;
    post({ type: 'kmeans', clustering }, [r.assignments.buffer as ArrayBuffer, r.centroids.buffer as ArrayBuffer, r.sizes.buffer as ArrayBuffer]);
  }
}

port.on('message', (m: ClusterRequest) => {
  try {
    run(m);
  } catch (e) {
    post({ type: 'error', message: e instanceof ServiceError ? e.message : e instanceof Error ? e.message : String(e), error: toErrorData(e) });
  }
});
