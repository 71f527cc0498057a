// Synthetic micrographs with exact ground truth (grain maps, phase maps) for tests, benchmarks
// and demos: deterministic for a seed, pure TypeScript, nothing written to disk.
export { generateGrains } from './grains';
export { generatePhases, type PhaseStructure } from './phases';
export { Random, inverseNormal } from './random';
export { FractalNoise } from './noise';
export { PowerDiagram, placeSeeds } from './tessellation';
export { keepSeedRegions, labelComponents } from './components';
export { generateEds, type EdsResult } from './eds';
