// Service handlers: Segment features, clustering, classification and propagation. The work is in
// main/cluster/service.ts (one ClusterService per service context).
import type { clusterMethods } from '../../app/contract/cluster';
import { ClusterService } from '../cluster/service';
import type { Handlers, ServiceContext } from './context';

export type ClusterMethods = keyof typeof clusterMethods;

const services = new WeakMap<ServiceContext, ClusterService>();

/** The context's cluster service (the edit handlers tell it about a person's class corrections). */
export function clusterService(ctx: ServiceContext): ClusterService {
  let s = services.get(ctx);
  if (!s) {
    s = new ClusterService(ctx);
    services.set(ctx, s);
  }
  return s;
}

export function clusterHandlers(ctx: ServiceContext): Handlers<ClusterMethods> {
  const svc = clusterService(ctx);
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
