// Service handlers: Segment features, clustering, classification and propagation. The work is in
// main/cluster/service.ts (one ClusterService per service, created by main/service.ts).
import type { clusterMethods } from '../../app/contract/cluster';
import type { ClusterService } from '../cluster/service';
import type { Handlers } from './context';

type ClusterMethods = keyof typeof clusterMethods;

export function clusterHandlers(svc: ClusterService): Handlers<ClusterMethods> {
  return {
    'cluster.run': (a) => ({ jobId: svc.runJob(a) }),
    'cluster.get': (a) => svc.get(a.imageId),
    'cluster.merge': (a) => svc.merge(a.imageId, a.a, a.b),
    'cluster.split': (a) => svc.split(a.imageId, a.clusterId, a.k),
    'cluster.assignClass': (a) => svc.assignClass(a),
    'cluster.fractions': (a) => svc.fractions(a),
    'classify.train': (a) => svc.train(a.model, a.groups),
    'classify.status': () => svc.status(),
    'classify.predict': (a) => svc.predict(a.imageId, a.apply, a.expectRevision),
    'classify.applyToImages': (a) => ({ jobId: svc.applyToImagesJob(a.imageIds) }),
    'segment.pixelKMeans': (a) => ({ jobId: svc.pixelKMeansJob(a) }),
  };
}
