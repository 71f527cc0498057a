// Cluster select on or off: a click then selects its segment's whole cluster. Needs a clustering.
import { hasSegmentation, type Action } from './types';

export const clusterSelect: Action = {
  name: 'sel.byCluster',
  label: 'Cluster select: a click selects its whole cluster (on/off)',
  group: 'Selection',
  keys: ['Shift+C'],
  context: true,
  predicate: hasSegmentation,
  perform: (c) => {
    if (!c.clusterSelect && !c.hasClusters) {
      c.showClustersTab();
      c.notify('info', 'Cluster the segments first: Run in the Clusters tab.');
      return;
    }
    c.toggle('clusterSelect');
  },
};
