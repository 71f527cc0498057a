// Clustering and class propagation: segment features, k-means with automatic k, classifiers for
// label propagation, phase-fraction guidance and pixel-level k-means pseudo-labels.
export * from './features';
export * from './feature-matrix';
export * from './normalise';
export * from './kmeans';
export * from './classify';
export * from './fractions';
export * from './pixelkmeans';
export * from './phasemap';
export * from './validate';
