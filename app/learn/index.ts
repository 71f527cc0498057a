// The trainable pixel classifier (issue 12): features, forest, auto-context, fractions, segments.
export * from './features';
export * from './forest';
export * from './pipeline';
export * from './segments';
export * from './strokes';
