// Segmentation quality metrics (MatSAM's ARI, IoU, F1, recall; Dice, mean IoU, boundary F1,
// object matching), used by evaluation commands and benchmarks to compare a result with truth.
export { type IndexMap, type ContingencyTable, type ContingencyOptions, PairCounter, contingency } from './contingency';
export { adjustedRandIndex, type AriOptions } from './ari';
export {
  phaseScores,
  phaseIoU,
  foregroundScores,
  classScores,
  type BinaryScores,
  type ScoreOptions,
  type ClassScore,
  type ClassScores,
  type ClassScoreOptions,
} from './pixel';
export { boundaryMask, boundaryF1, type BoundaryF1, type BoundaryF1Options } from './boundary';
export { withinDistance } from './distance';
export { matchObjects, type ObjectMatch, type ObjectScores, type ObjectMatchOptions } from './objects';
