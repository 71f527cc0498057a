// Builds tiny, deterministic ONNX models with the signatures of the other Segment Anything families
// GrainLab runs — SAM 2 / 2.1 (samexporter / X-AnyLabeling form, and the form with orig_im_size),
// EfficientSAM and EdgeSAM — so the engine is tested end to end for each without network or weights.
// Usage: node --import tsx scripts/build-tiny-sam-families.ts <dir>   (tests call buildTinyFamilyModels(dir))
//
// Like scripts/build-tiny-sam.ts, they are not the real models: the encoders average-pool the
// normalised picture and project it onto fixed positive weights; the decoders score every cell by the
// mean squared distance of its features to the clicked cell's, "threshold - distance" per candidate
// (negated for a negative first point), at 256x256 low resolution. Each family keeps its real input
// convention (how the picture is laid out and normalised, how points are given), so a wrong
// preprocessing, coordinate transform or embedding layout shows up as a wrong mask.
// - SAM 2: the stretched 1024x1024 picture; the distance is the mean of the distances on all three encoder
//   outputs (image_embed 64x64, high_res_feats_1 128x128, high_res_feats_0 256x256), so each must arrive intact.
// - EfficientSAM: the picture at any size in 0..1, stretched to 1024x1024 inside the graph; points in
//   pixels of orig_im_size; masks resized to orig_im_size.
// - EdgeSAM: SAM's encoder (letterbox, normalised) and a decoder with only embeddings and points.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  attrInt,
  attrInts,
  attrString,
  encodeModel,
  FLOAT,
  GraphBuilder,
  INT32,
  INT64,
  pooledFeatures,
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD,
  tinyEncoderNchw,
  valueInfo,
} from './build-tiny-sam';

/** Candidate thresholds and constant scores of the SAM 2 and EfficientSAM tiny decoders (3 candidates, the middle one best). */
export const TINY_FAMILY_THRESHOLDS = [0.25, 1, 4];
export const TINY_FAMILY_IOU = [0.7, 0.9, 0.8];
/** EdgeSAM's decoder returns 4 candidates (the single-mask output first); the third scores best. */
export const TINY_EDGESAM_THRESHOLDS = [2, 0.25, 1, 4];
export const TINY_EDGESAM_SCORES = [0.85, 0.7, 0.9, 0.8];

const LINEAR = [attrString('mode', 'linear'), attrString('coordinate_transformation_mode', 'half_pixel')];

/**
 * Mean squared distance of every cell of a [1,C,G,G] feature map to the cell under `p` (x, y in the
 * 1024 frame), resized to 256x256: a [1,1,256,256] tensor.
 */
function distanceMap(g: GraphBuilder, features: string, channels: number, grid: number, p: string): string {
  const cell = g.op('Clip', [g.op('Floor', [g.op('Div', [p, g.floats([], [1024 / grid])])]), g.floats([], [0]), g.floats([], [grid - 1])]);
  const cellI = g.op('Cast', [cell], [attrInt('to', INT64)]);
  const cx = g.op('Gather', [cellI, g.ints([1], [0])], [attrInt('axis', 0)]);
  const cy = g.op('Gather', [cellI, g.ints([1], [1])], [attrInt('axis', 0)]);
  const index = g.op('Add', [g.op('Mul', [cy, g.ints([], [grid])]), cx]);
  const feats = g.op('Reshape', [features, g.ints([2], [channels, grid * grid])]);
  const clicked = g.op('Gather', [feats, index], [attrInt('axis', 1)]);
  const diff = g.op('Sub', [feats, clicked]);
  const dist = g.op('ReduceMean', [g.op('Mul', [diff, diff])], [attrInts('axes', [0]), attrInt('keepdims', 1)]);
  const map = g.op('Reshape', [dist, g.ints([4], [1, 1, grid, grid])]);
  return grid === 256 ? map : g.op('Resize', [map, '', g.floats([4], [1, 1, 256 / grid, 256 / grid])], LINEAR);
}

/** +1 for a positive first point (label 1), -1 for a negative one, shaped [1,1,1,1]. */
function signOf(g: GraphBuilder, label0: string): string {
  return g.op('Reshape', [g.op('Sub', [g.op('Mul', [label0, g.floats([], [2])]), g.floats([], [1])]), g.ints([4], [1, 1, 1, 1])]);
}

/** (threshold_k - distance) * sign for each threshold: [1,k,256,256]. */
function candidates(g: GraphBuilder, dist: string, sign: string, thresholds: readonly number[]): string {
  return g.op('Mul', [g.op('Sub', [g.floats([1, thresholds.length, 1, 1], thresholds), dist]), sign]);
}

/** SAM 2 encoder (samexporter export_sam2.py): image [1,3,1024,1024] -> high_res_feats_0, high_res_feats_1, image_embed. */
export function tinySam2Encoder(): Uint8Array {
  const g = new GraphBuilder();
  pooledFeatures(g, 'image', 4, 32, 'high_res_feats_0');
  pooledFeatures(g, 'image', 8, 64, 'high_res_feats_1');
  pooledFeatures(g, 'image', 16, 256, 'image_embed');
  return encodeModel(
    'tiny_sam2_encoder',
    g,
    [valueInfo('image', FLOAT, [1, 3, 1024, 1024])],
    [valueInfo('high_res_feats_0', FLOAT, [1, 32, 256, 256]), valueInfo('high_res_feats_1', FLOAT, [1, 64, 128, 128]), valueInfo('image_embed', FLOAT, [1, 256, 64, 64])],
  );
}

/**
 * SAM 2 decoder: samexporter's seven inputs (points in the stretched 1024 frame, low-res masks out), or
 * with `origImSize` the ONNX-SAM2-Segment-Anything form whose int32 orig_im_size sets the mask size.
 */
export function tinySam2Decoder(origImSize = false): Uint8Array {
  const g = new GraphBuilder();
  const k = TINY_FAMILY_THRESHOLDS.length;
  const p0 = g.op('Reshape', [g.op('Gather', ['point_coords', g.ints([], [0])], [attrInt('axis', 1)]), g.ints([1], [2])]);
  const d0 = distanceMap(g, 'high_res_feats_0', 32, 256, p0);
  const d1 = distanceMap(g, 'high_res_feats_1', 64, 128, p0);
  const d2 = distanceMap(g, 'image_embed', 256, 64, p0);
  const dist = g.op('Div', [g.op('Add', [g.op('Add', [d0, d1]), d2]), g.floats([], [3])]);
  const label0 = g.op('Gather', ['point_labels', g.ints([1], [0])], [attrInt('axis', 1)]);
  const scored = candidates(g, dist, signOf(g, label0), TINY_FAMILY_THRESHOLDS);
  // A previous low-res mask, when given, is added to the logits (so refinement changes the result).
  const low = g.op('Add', [scored, g.op('Mul', ['mask_input', 'has_mask_input'])], [], origImSize ? undefined : 'masks');
  if (origImSize) {
    const sizes = g.op('Concat', [g.ints([2], [1, k]), g.op('Cast', ['orig_im_size'], [attrInt('to', INT64)])], [attrInt('axis', 0)]);
    g.op('Resize', [low, '', '', sizes], LINEAR, 'masks');
  }
  g.op('Identity', [g.floats([1, k], TINY_FAMILY_IOU)], [], 'iou_predictions');
  const inputs = [
    valueInfo('image_embed', FLOAT, [1, 256, 64, 64]),
    valueInfo('high_res_feats_0', FLOAT, [1, 32, 256, 256]),
    valueInfo('high_res_feats_1', FLOAT, [1, 64, 128, 128]),
    valueInfo('point_coords', FLOAT, ['num_labels', 'num_points', 2]),
    valueInfo('point_labels', FLOAT, ['num_labels', 'num_points']),
    valueInfo('mask_input', FLOAT, ['num_labels', 1, 256, 256]),
    valueInfo('has_mask_input', FLOAT, ['num_labels']),
    ...(origImSize ? [valueInfo('orig_im_size', INT32, [2])] : []),
  ];
  return encodeModel(origImSize ? 'tiny_sam2_decoder_orig_size' : 'tiny_sam2_decoder', g, inputs, [
    valueInfo('masks', FLOAT, origImSize ? [1, k, 'height', 'width'] : [1, k, 256, 256]),
    valueInfo('iou_predictions', FLOAT, [1, k]),
  ]);
}

/** EfficientSAM encoder: batched_images [B,3,H,W] in 0..1, resized to 1024x1024 and normalised inside. */
export function tinyEfficientSamEncoder(): Uint8Array {
  const g = new GraphBuilder();
  const nc = g.op('Slice', [g.op('Shape', ['batched_images']), g.ints([1], [0]), g.ints([1], [2])]);
  const sizes = g.op('Concat', [nc, g.ints([2], [1024, 1024])], [attrInt('axis', 0)]);
  const square = g.op('Resize', ['batched_images', '', '', sizes], LINEAR);
  const mean = g.floats([1, 3, 1, 1], SAM_PIXEL_MEAN.map((v) => v / 255));
  const std = g.floats([1, 3, 1, 1], SAM_PIXEL_STD.map((v) => v / 255));
  pooledFeatures(g, g.op('Div', [g.op('Sub', [square, mean]), std]), 16, 256, 'image_embeddings');
  return encodeModel('tiny_efficientsam_encoder', g, [valueInfo('batched_images', FLOAT, ['batch', 3, 'height', 'width'])], [valueInfo('image_embeddings', FLOAT, ['batch', 256, 64, 64])]);
}

/** EfficientSAM decoder: points [1,1,N,2] in pixels of orig_im_size (int64 [h, w]); masks [1,1,k,h,w]. */
export function tinyEfficientSamDecoder(): Uint8Array {
  const g = new GraphBuilder();
  const k = TINY_FAMILY_THRESHOLDS.length;
  const p0 = g.op('Reshape', [g.op('Gather', [g.op('Reshape', ['batched_point_coords', g.ints([2], [-1, 2])]), g.ints([], [0])], [attrInt('axis', 0)]), g.ints([1], [2])]);
  const hw = g.op('Cast', ['orig_im_size'], [attrInt('to', FLOAT)]);
  const wh = g.op('Gather', [hw, g.ints([2], [1, 0])], [attrInt('axis', 0)]);
  const p = g.op('Div', [g.op('Mul', [p0, g.floats([], [1024])]), wh]);
  const dist = distanceMap(g, 'image_embeddings', 256, 64, p);
  const label0 = g.op('Gather', [g.op('Reshape', ['batched_point_labels', g.ints([1], [-1])]), g.ints([1], [0])], [attrInt('axis', 0)]);
  const low = candidates(g, dist, signOf(g, label0), TINY_FAMILY_THRESHOLDS);
  g.op('Identity', [low], [], '1523');
  const resized = g.op('Resize', [low, '', '', g.op('Concat', [g.ints([2], [1, k]), 'orig_im_size'], [attrInt('axis', 0)])], LINEAR);
  g.op('Reshape', [resized, g.op('Concat', [g.ints([3], [1, 1, k]), 'orig_im_size'], [attrInt('axis', 0)])], [], 'output_masks');
  g.op('Identity', [g.floats([1, 1, k], TINY_FAMILY_IOU)], [], 'iou_predictions');
  return encodeModel(
    'tiny_efficientsam_decoder',
    g,
    [
      valueInfo('image_embeddings', FLOAT, ['batch', 256, 64, 64]),
      valueInfo('batched_point_coords', FLOAT, [1, 1, 'num_points', 2]),
      valueInfo('batched_point_labels', FLOAT, [1, 1, 'num_points']),
      valueInfo('orig_im_size', INT64, [2]),
    ],
    [valueInfo('output_masks', FLOAT, [1, 1, k, 'height', 'width']), valueInfo('iou_predictions', FLOAT, [1, 1, k]), valueInfo('1523', FLOAT, [1, k, 256, 256])],
  );
}

/** EdgeSAM decoder: image_embeddings and points in the letterboxed 1024 frame -> scores [1,4], masks [1,4,256,256]. */
export function tinyEdgeSamDecoder(): Uint8Array {
  const g = new GraphBuilder();
  const k = TINY_EDGESAM_THRESHOLDS.length;
  const p0 = g.op('Reshape', [g.op('Gather', ['point_coords', g.ints([], [0])], [attrInt('axis', 1)]), g.ints([1], [2])]);
  const dist = distanceMap(g, 'image_embeddings', 256, 64, p0);
  const label0 = g.op('Gather', ['point_labels', g.ints([1], [0])], [attrInt('axis', 1)]);
  g.op('Identity', [candidates(g, dist, signOf(g, label0), TINY_EDGESAM_THRESHOLDS)], [], 'masks');
  g.op('Identity', [g.floats([1, k], TINY_EDGESAM_SCORES)], [], 'scores');
  return encodeModel(
    'tiny_edgesam_decoder',
    g,
    [valueInfo('image_embeddings', FLOAT, [1, 256, 64, 64]), valueInfo('point_coords', FLOAT, [1, 'num_points', 2]), valueInfo('point_labels', FLOAT, [1, 'num_points'])],
    [valueInfo('scores', FLOAT, [1, k]), valueInfo('masks', FLOAT, [1, k, 256, 256])],
  );
}

export interface TinyFamilyModelPaths {
  sam2Encoder: string;
  /** samexporter / X-AnyLabeling form (7 inputs). */
  sam2Decoder: string;
  /** With an int32 orig_im_size input (ONNX-SAM2-Segment-Anything form). */
  sam2DecoderOrigSize: string;
  efficientSamEncoder: string;
  efficientSamDecoder: string;
  /** EdgeSAM's encoder has SAM's convention: the tiny NCHW encoder. */
  edgeSamEncoder: string;
  edgeSamDecoder: string;
}

/** Writes the tiny family models into `dir` (created if needed) and returns their paths. */
export function buildTinyFamilyModels(dir: string): TinyFamilyModelPaths {
  mkdirSync(dir, { recursive: true });
  const paths: TinyFamilyModelPaths = {
    sam2Encoder: join(dir, 'tiny-sam2.encoder.onnx'),
    sam2Decoder: join(dir, 'tiny-sam2.decoder.onnx'),
    sam2DecoderOrigSize: join(dir, 'tiny-sam2-orig-size.decoder.onnx'),
    efficientSamEncoder: join(dir, 'tiny-efficientsam.encoder.onnx'),
    efficientSamDecoder: join(dir, 'tiny-efficientsam.decoder.onnx'),
    edgeSamEncoder: join(dir, 'tiny-edgesam.encoder.onnx'),
    edgeSamDecoder: join(dir, 'tiny-edgesam.decoder.onnx'),
  };
  writeFileSync(paths.sam2Encoder, tinySam2Encoder());
  writeFileSync(paths.sam2Decoder, tinySam2Decoder());
  writeFileSync(paths.sam2DecoderOrigSize, tinySam2Decoder(true));
  writeFileSync(paths.efficientSamEncoder, tinyEfficientSamEncoder());
  writeFileSync(paths.efficientSamDecoder, tinyEfficientSamDecoder());
  writeFileSync(paths.edgeSamEncoder, tinyEncoderNchw());
  writeFileSync(paths.edgeSamDecoder, tinyEdgeSamDecoder());
  return paths;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: node --import tsx scripts/build-tiny-sam-families.ts <dir>');
    process.exit(2);
  }
  for (const [role, p] of Object.entries(buildTinyFamilyModels(dir))) console.log(`${role}: ${p}`);
}
