// SAM auto-segmentation and interactive prompting, the model-independent part: prompt placement
// (SAM grid, MatSAM), crops, mask filters and NMS, assembly into a label map, decoder prompt tensors.
export type { CandidateMask, CropBox, Point } from './types';
export { gridPrompts, matsamPrompts, batchPoints, defaultMatsamOptions } from './prompts';
export type { MatsamMode, MatsamOptions, MatsamPrompts, MatsamStats } from './prompts';
export { phaseRegions, grainRegions, edgeAgreement } from './presegment';
export type { RegionMap, PhaseOptions, GrainOptions } from './presegment';
export { generateCropBoxes, layerPointsPerSide, shouldDropMaskAtCropEdge, pointsInCrop, DEFAULT_CROP_OVERLAP_RATIO } from './crops';
export {
  stabilityScore,
  scanLogits,
  boxFromMask,
  maskFromLogits,
  candidateFromLogits,
  boxIoU,
  nonMaxSuppression,
  nmsWithinCrops,
  nmsAcrossCrops,
  suppressDuplicates,
  defaultMaskFilterOptions,
} from './masks';
export type { MaskFilterOptions, CropContext } from './masks';
export { assembleLabelMap, fillGaps, defaultAssembleOptions, defaultFillGapsOptions } from './assemble';
export type { AssembleOptions, Assembly, FillGapsOptions } from './assemble';
export { modelFrameSize, toModelFrame, buildDecoderPrompt, buildPointBatch, pickBestMask, PROMPT_LABEL } from './decoder';
export type { DecoderPrompt, PromptFrame } from './decoder';
