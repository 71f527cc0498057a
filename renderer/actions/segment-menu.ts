// The Segment menu (the arrow beside Segment): the chosen images, all images, a phase map of the
// open image, the Clusters tab. No keys; the toolbar menu reads them from the registry.
import type { Action } from './types';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export const segmentChosen: Action = {
  name: 'image.segmentChosen',
  label: 'Segment the images chosen in the list',
  caption: (c) => `Segment chosen images (${c.chosen.length})`,
  title: 'Auto-segment the images chosen in the list (Ctrl-click, Shift-click); says what will change first',
  group: 'Images',
  keys: [],
  menu: 'segment',
  testId: 'segment-chosen',
  predicate: (c) => !c.running && c.chosen.length > 0,
  perform: (c) => c.segment([...c.chosen], `Segment ${plural(c.chosen.length, 'chosen image')}`),
};

export const segmentAll: Action = {
  name: 'image.segmentAll',
  label: 'Segment every image of the project',
  caption: (c) => `Segment all images (${c.images.length})`,
  title: 'Auto-segment every image in the project; says what will change first',
  group: 'Images',
  keys: [],
  menu: 'segment',
  testId: 'segment-all',
  predicate: (c) => !c.running,
  perform: (c) => c.segment(c.images.map((i) => i.id), `Segment all ${c.images.length} images`),
};

export const phaseMap: Action = {
  name: 'image.phaseMap',
  label: 'Phase map (pixel k-means)…',
  title: 'k-means on pixel intensities gives this image a phase map (options in the Clusters tab)',
  group: 'Images',
  keys: [],
  menu: 'segment',
  testId: 'phase-map-menu',
  predicate: (c) => c.image !== null && !c.running,
  perform: (c) => {
    if (c.image) c.phaseMap(c.image.id);
  },
};

export const openClusters: Action = {
  name: 'view.clusters',
  label: 'Cluster segments…',
  title: 'Open the Clusters tab',
  group: 'Images',
  keys: [],
  menu: 'segment',
  predicate: (c) => c.image !== null,
  perform: (c) => c.showClustersTab(),
};
