// Domain types shared by every layer: images, label maps, segments, projects.
// Pure data shapes; no Node, DOM or Electron types here.

export type ImageStatus = 'new' | 'auto-segmented' | 'in-review' | 'verified';
export type SegmentSource = 'auto' | 'prompt' | 'brush' | 'import';
export type BitDepth = 8 | 16;
type PixelArray = Uint8Array | Uint16Array;

/** Raw pixels as decoded, interleaved channels (1 = grey, 3 = RGB, 4 = RGBA). Values unscaled. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: BitDepth;
  data: PixelArray;
}

/** One channel of intensities (raw values, 8- or 16-bit, or float for filtered images). */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array | Float32Array;
}

/** One instance id per pixel (row-major); 0 means "no segment". */
export interface LabelMap {
  width: number;
  height: number;
  data: Uint32Array;
}

/** Axis-aligned box in pixels: x, y of the top-left pixel, width and height (inclusive extents). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SegmentRecord {
  id: number;
  classId: number | null;
  source: SegmentSource;
  verified: boolean;
  clusterId: number | null;
  area: number;
  bbox: Box;
  /** Where the class came from: a person, the propagation classifier, an automatic cluster (phase map) or an imported label map. */
  classSource?: 'person' | 'classifier' | 'cluster' | 'import' | null;
  /** Classifier confidence (0..1) when classSource is 'classifier'. */
  classConfidence?: number | null;
  /** A person changed this segment's pixels by hand (brush, polygon, merge, split, accepted SAM mask…): re-segmenting keeps it. */
  edited?: boolean;
}

export interface ClassRecord {
  id: number;
  name: string;
  color: string;
  /** Value of this class in semantic label maps (imported maps keep theirs; PNG exports write it). Null: the exporter picks one. */
  value?: number | null;
}

export interface ImageRecord {
  id: number;
  /** Original file name (with page suffix for multi-page TIFF). */
  name: string;
  /** Path of the stored copy, relative to the project folder. */
  file: string;
  /** Page index inside a multi-page file, 0 otherwise. */
  page: number;
  hash: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: BitDepth;
  pixelSizeUm: number | null;
  status: ImageStatus;
  segmentCount: number;
  createdAt: string;
}

export interface ProjectInfo {
  path: string;
  name: string;
  schemaVersion: number;
  imageCount: number;
  /** The project's disk or folder cannot be written: it can be viewed, measured and exported, not changed. */
  readOnly: boolean;
}
