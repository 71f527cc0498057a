// Synthetic micrographs with exact ground truth (grain maps, phase maps) for tests, benchmarks
// and demos: deterministic for a seed, pure TypeScript, nothing written to disk.
export { generateGrains, type GrainOptions, type GrainResult } from './grains';
export { generatePhases, type PhaseOptions, type PhaseResult, type PhaseStructure, type ParticlePopulation } from './phases';
export { Random, GaussianNoise, inverseNormal, mix32 } from './random';
export { NoiseField, FractalNoise, periodicNoiseTile } from './noise';
export { PowerDiagram, placeSeeds, type SeedOptions } from './tessellation';
export { keepSeedRegions, labelComponents } from './components';
