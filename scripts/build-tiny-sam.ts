// Builds tiny, deterministic ONNX models with the Segment Anything input/output signatures, so
// tests and benchmarks can exercise the SAM engine without network access or real weights.
// Usage: node --import tsx scripts/build-tiny-sam.ts <dir>   (tests call buildTinySamModels(dir))
//
// The models are not SAM; they respond to prompts in a predictable way:
// - encoder: average-pool the normalised image into 16x16 cells (a 64x64 grid in the 1024 frame) and
//   project the 3 colour channels onto 256 channels with fixed positive weights;
// - decoder: take the embedding cell under the first prompt point, score every cell by its mean squared
//   distance to it, and return "threshold - distance" (negated for a negative point) as logits, for three
//   thresholds (three candidate masks), post-processed exactly as Meta's ONNX export does
//   (x16 upscale to the 1024 frame, crop the resized image, resize to orig_im_size).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type IAttribute = onnxProto.onnx.IAttributeProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT32 = onnx.TensorProto.DataType.INT32;
const OPSET = 17;
const IR_VERSION = 8;

export const SAM_PIXEL_MEAN = [123.675, 116.28, 103.53];
export const SAM_PIXEL_STD = [58.395, 57.12, 57.375];
/** Candidate mask thresholds on the mean squared feature distance; one output mask per entry. */
export const TINY_DECODER_THRESHOLDS = [0.25, 1, 4];
/** Constant predicted IoU per candidate mask: the middle threshold is the "best" one. */
export const TINY_DECODER_IOU = [0.7, 0.9, 0.8];

type Dim = number | string;

export function valueInfo(name: string, elemType: number, dims: Dim[]): IValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): ITensor {
  const data = Float32Array.from(values);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) };
}

function int64Tensor(name: string, dims: number[], values: number[]): ITensor {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

export function attrInts(name: string, ints: number[]): IAttribute {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}
export function attrInt(name: string, i: number): IAttribute {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
export function attrString(name: string, s: string): IAttribute {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) };
}

/** Accumulates nodes and constants for one graph; names are generated so graphs read as plain code. */
export class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private counter = 0;

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
  floats(dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh('const_f');
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }
  ints(dims: number[], values: number[]): string {
    const name = this.fresh('const_i');
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }
  op(opType: string, inputs: string[], attribute: IAttribute[] = [], output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, input: inputs, output: [out], attribute, name: this.fresh(`n_${opType}`) });
    return out;
  }
}

export function encodeModel(name: string, g: GraphBuilder, inputs: IValueInfo[], outputs: IValueInfo[]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'grainlab-build-tiny-sam',
    producerVersion: '1',
    docString: 'Tiny SAM-signature test model (not a real Segment Anything model).',
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  });
  // protobufjs hands back a Node Buffer; callers get a plain Uint8Array.
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

/** Fixed positive projection 3 -> n channels: channel c follows input channel c % 3 with a gain in [0.5, 1). */
export function projectionWeights(n = 256): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(n * 3);
  const b = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    w[c * 3 + (c % 3)] = 0.5 + 0.5 * ((c * 37) % 256) / 256;
    b[c] = ((c * 11) % 7) / 70;
  }
  return { w, b };
}

/** Average-pools a [N,3,1024,1024] normalised image by `cell` and projects it to `channels` channels. */
export function pooledFeatures(g: GraphBuilder, x: string, cell: number, channels: number, output?: string): string {
  const pooled = g.op('AveragePool', [x], [attrInts('kernel_shape', [cell, cell]), attrInts('strides', [cell, cell])]);
  const { w, b } = projectionWeights(channels);
  return g.op('Conv', [pooled, g.floats([channels, 3, 1, 1], w), g.floats([channels], b)], [], output);
}

/** Shared tail of the SAM-style encoders: [1,3,1024,1024] normalised image -> image_embeddings [1,256,64,64]. */
export function embedNormalised(g: GraphBuilder, x: string): void {
  pooledFeatures(g, x, 16, 256, 'image_embeddings');
}

const EMBEDDINGS_OUT = valueInfo('image_embeddings', FLOAT, [1, 256, 64, 64]);

/** Convention (a): the caller resizes, normalises and pads into [1,3,1024,1024]. */
export function tinyEncoderNchw(): Uint8Array {
  const g = new GraphBuilder();
  embedNormalised(g, 'image');
  return encodeModel('tiny_sam_encoder_nchw', g, [valueInfo('image', FLOAT, [1, 3, 1024, 1024])], [EMBEDDINGS_OUT]);
}

/** Convention (b): the caller only resizes; the graph takes [H,W,3] in 0..255, normalises and pads itself. */
export function tinyEncoderHwc(): Uint8Array {
  const g = new GraphBuilder();
  const norm = g.op('Div', [g.op('Sub', ['input_image', g.floats([3], SAM_PIXEL_MEAN)]), g.floats([3], SAM_PIXEL_STD)]);
  const chw = g.op('Transpose', [norm], [attrInts('perm', [2, 0, 1])]);
  const nchw = g.op('Unsqueeze', [chw, g.ints([1], [0])]);
  const hw = g.op('Slice', [g.op('Shape', ['input_image']), g.ints([1], [0]), g.ints([1], [2])]);
  const rest = g.op('Sub', [g.ints([2], [1024, 1024]), hw]);
  const pads = g.op('Concat', [g.ints([6], [0, 0, 0, 0, 0, 0]), rest], [attrInt('axis', 0)]);
  const padded = g.op('Pad', [nchw, pads], [attrString('mode', 'constant')]);
  embedNormalised(g, padded);
  return encodeModel('tiny_sam_encoder_hwc', g, [valueInfo('input_image', FLOAT, ['H', 'W', 3])], [EMBEDDINGS_OUT]);
}

/** Meta decoder signature; responds to the first prompt point (see the header comment). */
export function tinyDecoder(): Uint8Array {
  const g = new GraphBuilder();
  const k = TINY_DECODER_THRESHOLDS.length;
  // Cell under the first point, in the 64x64 grid of the 1024 frame.
  const p0 = g.op('Reshape', [g.op('Gather', ['point_coords', g.ints([], [0])], [attrInt('axis', 1)]), g.ints([1], [2])]);
  const cell = g.op('Clip', [g.op('Floor', [g.op('Div', [p0, g.floats([], [16])])]), g.floats([], [0]), g.floats([], [63])]);
  const cellI = g.op('Cast', [cell], [attrInt('to', INT64)]);
  const cx = g.op('Gather', [cellI, g.ints([1], [0])], [attrInt('axis', 0)]);
  const cy = g.op('Gather', [cellI, g.ints([1], [1])], [attrInt('axis', 0)]);
  const index = g.op('Add', [g.op('Mul', [cy, g.ints([], [64])]), cx]);
  // Mean squared distance of every cell's feature to the clicked cell's feature.
  const feats = g.op('Reshape', ['image_embeddings', g.ints([2], [256, 4096])]);
  const clicked = g.op('Gather', [feats, index], [attrInt('axis', 1)]);
  const diff = g.op('Sub', [feats, clicked]);
  const dist = g.op('ReduceMean', [g.op('Mul', [diff, diff])], [attrInts('axes', [0]), attrInt('keepdims', 1)]);
  // Positive first point (label 1) -> +1, negative (label 0) -> -1.
  const label0 = g.op('Gather', ['point_labels', g.ints([1], [0])], [attrInt('axis', 1)]);
  const sign = g.op('Reshape', [g.op('Sub', [g.op('Mul', [label0, g.floats([], [2])]), g.floats([], [1])]), g.ints([2], [1, 1])]);
  const scored = g.op('Mul', [g.op('Sub', [g.floats([k, 1], TINY_DECODER_THRESHOLDS), dist]), sign]);
  const grid = g.op('Reshape', [scored, g.ints([4], [1, k, 64, 64])]);
  // A previous low-res mask, when given, nudges the logits (so refinement changes the result).
  const prior = g.op('AveragePool', ['mask_input'], [attrInts('kernel_shape', [4, 4]), attrInts('strides', [4, 4])]);
  const logits = g.op('Add', [grid, g.op('Mul', [prior, 'has_mask_input'])]);
  const linear = [attrString('mode', 'linear'), attrString('coordinate_transformation_mode', 'half_pixel')];
  g.op('Resize', [logits, '', g.floats([4], [1, 1, 4, 4])], linear, 'low_res_masks');
  // Meta post-processing: upscale to 1024, crop the resized image, resize to the original size.
  const up = g.op('Resize', [logits, '', g.floats([4], [1, 1, 16, 16])], linear);
  const longest = g.op('ReduceMax', ['orig_im_size'], [attrInt('keepdims', 1)]);
  const scale = g.op('Div', [g.floats([1], [1024]), longest]);
  const resizedHw = g.op('Floor', [g.op('Add', [g.op('Mul', ['orig_im_size', scale]), g.floats([], [0.5])])]);
  const ends = g.op('Cast', [resizedHw], [attrInt('to', INT64)]);
  const cropped = g.op('Slice', [up, g.ints([2], [0, 0]), ends, g.ints([2], [2, 3])]);
  const sizes = g.op('Concat', [g.ints([2], [1, k]), g.op('Cast', ['orig_im_size'], [attrInt('to', INT64)])], [attrInt('axis', 0)]);
  g.op('Resize', [cropped, '', '', sizes], linear, 'masks');
  g.op('Identity', [g.floats([1, k], TINY_DECODER_IOU)], [], 'iou_predictions');
  return encodeModel(
    'tiny_sam_decoder',
    g,
    [
      valueInfo('image_embeddings', FLOAT, [1, 256, 64, 64]),
      valueInfo('point_coords', FLOAT, [1, 'num_points', 2]),
      valueInfo('point_labels', FLOAT, [1, 'num_points']),
      valueInfo('mask_input', FLOAT, [1, 1, 256, 256]),
      valueInfo('has_mask_input', FLOAT, [1]),
      valueInfo('orig_im_size', FLOAT, [2]),
    ],
    [
      valueInfo('masks', FLOAT, [1, k, 'height', 'width']),
      valueInfo('iou_predictions', FLOAT, [1, k]),
      valueInfo('low_res_masks', FLOAT, [1, k, 256, 256]),
    ],
  );
}

/**
 * A decoder GrainLab does not recognise: the input names of onnxruntime's own SAM 2 export
 * (image_features_*, input_masks, original_image_size). Loading it must fail naming what is missing.
 */
export function tinyForeignDecoder(): Uint8Array {
  const g = new GraphBuilder();
  g.op('Identity', ['input_masks'], [], 'masks');
  g.op('Identity', ['has_input_masks'], [], 'iou_predictions');
  g.op('Identity', ['input_masks'], [], 'low_res_masks');
  return encodeModel(
    'tiny_ort_sam2_decoder',
    g,
    [
      valueInfo('image_features_0', FLOAT, [1, 32, 256, 256]),
      valueInfo('image_features_1', FLOAT, [1, 64, 128, 128]),
      valueInfo('image_embeddings', FLOAT, [1, 256, 64, 64]),
      valueInfo('point_coords', FLOAT, [1, 'num_points', 2]),
      valueInfo('point_labels', FLOAT, [1, 'num_points']),
      valueInfo('input_masks', FLOAT, [1, 1, 256, 256]),
      valueInfo('has_input_masks', FLOAT, [1]),
      valueInfo('original_image_size', INT32, [2]),
    ],
    [valueInfo('masks', FLOAT, [1, 1, 256, 256]), valueInfo('iou_predictions', FLOAT, [1]), valueInfo('low_res_masks', FLOAT, [1, 1, 256, 256])],
  );
}

/** Smallest valid model (float32 [1] -> Identity); used to probe execution providers without a SAM model. */
export function probeModel(): Uint8Array {
  const g = new GraphBuilder();
  g.op('Identity', ['x'], [], 'y');
  return encodeModel('probe', g, [valueInfo('x', FLOAT, [1])], [valueInfo('y', FLOAT, [1])]);
}

export interface TinySamModelPaths {
  /** Encoder, convention (a): input [1,3,1024,1024] normalised. */
  encoderNchw: string;
  /** Encoder, convention (b): input [H,W,3] in 0..255. */
  encoderHwc: string;
  /** Decoder with Meta's signature, 3 candidate masks. */
  decoder: string;
  /** A decoder with input names no supported family has (onnxruntime's SAM 2 export), to be refused. */
  foreignDecoder: string;
}

/** Writes the tiny models into `dir` (created if needed) and returns their paths. */
export function buildTinySamModels(dir: string): TinySamModelPaths {
  mkdirSync(dir, { recursive: true });
  const paths: TinySamModelPaths = {
    encoderNchw: join(dir, 'tiny-sam.encoder-nchw.onnx'),
    encoderHwc: join(dir, 'tiny-sam.encoder-hwc.onnx'),
    decoder: join(dir, 'tiny-sam.decoder.onnx'),
    foreignDecoder: join(dir, 'tiny-ort-sam2.decoder.onnx'),
  };
  writeFileSync(paths.encoderNchw, tinyEncoderNchw());
  writeFileSync(paths.encoderHwc, tinyEncoderHwc());
  writeFileSync(paths.decoder, tinyDecoder());
  writeFileSync(paths.foreignDecoder, tinyForeignDecoder());
  return paths;
}

/** A file entry of a models manifest for a tiny model file (its size unless one is given). */
export function tinyManifestFile(role: 'encoder' | 'decoder', path: string, size?: number) {
  return { role, file: basename(path), url: `https://example.invalid/${basename(path)}`, size: size ?? statSync(path).size };
}

/** A model entry of a models manifest; family 'sam' (Meta's decoder) unless given. */
export function tinyManifestModel(id: string, encoder: ReturnType<typeof tinyManifestFile>, decoder: ReturnType<typeof tinyManifestFile>, family = 'sam') {
  return { id, name: `${id} (test model)`, family, files: [encoder, decoder] };
}

/** Builds the tiny models in `<projectDir>/models` with a manifest listing one working model, `tiny-sam`. */
export function installTinySam(projectDir: string): TinySamModelPaths {
  const dir = join(projectDir, 'models');
  const m = buildTinySamModels(dir);
  const manifest = { version: 1, models: [tinyManifestModel('tiny-sam', tinyManifestFile('encoder', m.encoderNchw), tinyManifestFile('decoder', m.decoder))] };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return m;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: node --import tsx scripts/build-tiny-sam.ts <dir>');
    process.exit(2);
  }
  const paths = buildTinySamModels(dir);
  for (const [role, p] of Object.entries(paths)) console.log(`${role}: ${p}`);
}
