// Segmentation quality metrics (MatSAM's ARI, IoU, F1, recall; Dice, mean IoU, boundary F1,
// object matching), used by evaluation commands and benchmarks to compare a result with truth.
export { type IndexMap, PairCounter, contingency } from './contingency';
export { adjustedRandIndex } from './ari';
export {
  phaseScores,
  phaseIoU,
  foregroundScores,
  classScores,
} from './pixel';
export { boundaryMask, boundaryF1 } from './boundary';
export { withinDistance } from './distance';
export { matchObjects } from './objects';
