// Interchange formats other tools read and write: LabelMe / X-AnyLabeling JSON, QuPath GeoJSON,
// CVAT XML, ImageJ ROI sets. Pure encoders and decoders around one shape model (shapes.ts); main/ reads and writes
// the files.
export * from './geometry';
export * from './shapes';
export * from './labelme';
export * from './geojson';
export * from './cvat';
export * from './imagej';
