// Learning from corrections (issue 12): train the pixel classifier from every label of the
// project (a job), and go to the open image's least certain region to paint there next.
import { hasImage, type Action } from './types';

export const learnTrain: Action = {
  name: 'learn.train',
  label: 'Train the pixel classifier from the labels',
  group: 'Classes and review',
  keys: ['Shift+T'],
  predicate: (c) => c.learn.canTrain && !c.learn.training,
  perform: (c) => c.learn.train(),
};

export const learnNextUncertain: Action = {
  name: 'learn.nextUncertain',
  label: 'Go to the least certain region (to paint there)',
  group: 'Classes and review',
  keys: ['U'],
  predicate: (c) => hasImage(c) && c.learn.trained,
  perform: (c) => c.learn.nextUncertain(),
};
