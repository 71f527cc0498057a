// Shapes shared by the SAM auto-segmentation helpers: point prompts, crop boxes and candidate masks.
// Coordinates of points are continuous image coordinates (the image spans [0,W]x[0,H], pixel
// (i,j) covers [i,i+1)x[j,j+1)), the frame SAM's own point grids and predictors use.
import type { Box } from '../types';

export interface Point {
  x: number;
  y: number;
}

/** One crop of SAM's multi-scale generator: its box in image pixels and its layer (0 = whole image). */
export interface CropBox {
  box: Box;
  layer: number;
}

/**
 * One mask proposed by the decoder that survived the filters. The mask is cropped to its own
 * bounding box (box-local, row-major, width*height bytes of 0/1) so thousands of candidates on a
 * large image stay small.
 */
export interface CandidateMask {
  /** Bounding box in image pixels, inclusive extents (width = last column - first column + 1). */
  box: Box;
  mask: Uint8Array;
  /** The decoder's predicted IoU. */
  score: number;
  stability: number;
  /** Index of the crop (into the crop list) the mask was predicted in; 0 = whole image. */
  cropIndex: number;
  /** Number of mask pixels. */
  area: number;
  /** The point prompt that produced the mask, in image coordinates, when known. */
  point?: Point;
}
