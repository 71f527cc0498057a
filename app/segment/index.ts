// SAM auto-segmentation and interactive prompting, the model-independent part: prompt placement
// (SAM grid, MatSAM), crops, mask filters and NMS, assembly into a label map, decoder prompt tensors.
export type { CandidateMask, CropBox, Point } from './types';
export { gridPrompts, matsamPrompts, defaultMatsamOptions } from './prompts';
export type { MatsamStats } from './prompts';
export { generateCropBoxes, generateTileCrops, layerPointsPerSide, SAM_TILE, shouldDropMaskAtCropEdge } from './crops';
export {
  scanLogits,
  candidateFromLogits,
  nmsWithinCrops,
  nmsAcrossCrops,
} from './masks';
export { assembleLabelMap, fillGaps } from './assemble';
