// Service handlers: Segment features, clustering, classification and propagation.
import type { clusterMethods } from '../../app/contract/cluster';
import type { Handlers, ServiceContext } from './context';

export type ClusterMethods = keyof typeof clusterMethods;

export function clusterHandlers(_ctx: ServiceContext): Handlers<ClusterMethods> {
  return {};
}
