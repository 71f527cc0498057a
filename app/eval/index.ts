// Evaluation: the correction-effort simulator (how many of GrainLab's own edits a person needs to
// bring a segmentation to the truth) and the geometry it uses to turn regions into gestures.
export {
  simulateCorrection,
  phaseObjects,
  GESTURES,
  type Gesture,
  type SimulationOptions,
  type SimulationResult,
  type SimulationStep,
} from './simulator';
export { traceOutline, longestPath, simplify, chessboardDepth, pixelCentres, windowOf, type Window } from './geometry';
