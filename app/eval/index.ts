// Evaluation: the correction-effort simulator (how many of GrainLab's own edits a person needs to
// bring a segmentation to the truth) and the geometry it uses to turn regions into gestures.
export {
  simulateCorrection,
  phaseObjects,
  type SimulationOptions,
  type SimulationResult,
} from './simulator';
