// Dataset export and import: COCO (RLE and polygons), YOLO segmentation, PNG mask maps, splits,
// tiling, boundary maps and dataset cards. Pure functions: they return bytes, strings and objects;
// main/ writes the files.
export * from './rle';
export * from './polygon';
export * from './coco';
export * from './coco-import';
export * from './yolo';
export * from './splits';
export * from './tiles';
export * from './maps';
export * from './card';
