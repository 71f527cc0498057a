// Grain statistics: per-grain measurements (regionprops-compatible), ASTM E112 grain size,
// summaries, phase fractions, histograms and CSV text.
export * from './regions';
export * from './astm';
export * from './summary';
export * from './csv';
export * from './roles';
