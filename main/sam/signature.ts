// Recognises a SAM encoder's input convention and checks a decoder against Meta's signature, from the
// session's input/output metadata, so unsupported models (SAM 2, EdgeSAM, EfficientSAM...) fail early
// with a message that lists what was expected and what the file has.
import type { InferenceSession } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';
import { SAM_FRAME } from './preprocess';

type ValueMetadata = InferenceSession.ValueMetadata;
type Dim = number | string;

/**
 * (a) 'nchw-normalized': [1,3,1024,1024] float; the caller resizes, normalises and pads.
 * (b) 'hwc-0-255': [H,W,3] float in 0..255; normalisation (and usually padding) happen inside the graph.
 *     When H and W are fixed numbers the caller pads with zeros to that size.
 */
export type EncoderConvention = 'nchw-normalized' | 'hwc-0-255';

export interface EncoderSignature {
  convention: EncoderConvention;
  inputName: string;
  outputName: string;
  /** Fixed input size for 'hwc-0-255' graphs with numeric dims; null when symbolic. */
  fixedSize: { width: number; height: number } | null;
}

export interface DecoderSignature {
  /** Number of candidate masks per prompt when the graph fixes it (1 or 3/4 for multimask exports), else null. */
  maskCount: number | null;
}

export const EMBEDDING_SHAPE: readonly number[] = [1, 256, 64, 64];

const DECODER_INPUTS: readonly { name: string; shape: string }[] = [
  { name: 'image_embeddings', shape: '[1,256,64,64]' },
  { name: 'point_coords', shape: '[1,N,2]' },
  { name: 'point_labels', shape: '[1,N]' },
  { name: 'mask_input', shape: '[1,1,256,256]' },
  { name: 'has_mask_input', shape: '[1]' },
  { name: 'orig_im_size', shape: '[2]' },
];
const DECODER_OUTPUTS: readonly string[] = ['masks', 'iou_predictions', 'low_res_masks'];

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

function shapeOf(m: ValueMetadata): readonly Dim[] | null {
  return m.isTensor ? m.shape : null;
}

export function describeValues(values: readonly ValueMetadata[]): string {
  if (values.length === 0) return '(none)';
  return values
    .map((m) => {
      const s = shapeOf(m);
      if (s === null) return `${m.name} (not a tensor)`;
      const type = m.isTensor ? m.type : '?';
      return `${m.name} ${type} [${s.join(',')}]`;
    })
    .join(', ');
}

function dimIs(d: Dim | undefined, n: number): boolean {
  return d === n || typeof d === 'string';
}

function fitsEmbedding(m: ValueMetadata): boolean {
  if (!m.isTensor || m.type !== 'float32') return false;
  // An unknown shape (empty array) is accepted; the run checks the real output.
  if (m.shape.length === 0) return true;
  return m.shape.length === 4 && EMBEDDING_SHAPE.every((n, i) => dimIs(m.shape[i], n));
}

/** Detects the encoder convention; throws a ServiceError naming the file when the model does not fit. */
export function detectEncoder(inputs: readonly ValueMetadata[], outputs: readonly ValueMetadata[], file: string): EncoderSignature {
  const name = baseName(file);
  const found = `Found inputs: ${describeValues(inputs)}; outputs: ${describeValues(outputs)}.`;
  const expected =
    'Expected one float32 input, either [1,3,1024,1024] (normalised image) or [H,W,3] (pixels 0..255), ' +
    'and an output image_embeddings [1,256,64,64].';
  const fail = (why: string): never => {
    throw new ServiceError(
      'model',
      `The encoder model "${name}" is not a supported Segment Anything encoder: ${why} ${expected} ${found} ` +
        'SAM 2, EdgeSAM and EfficientSAM encoders are not supported; use a model from "grainlab models list".',
      file,
    );
  };
  if (inputs.length !== 1) fail(`it has ${inputs.length} inputs.`);
  const input = inputs[0]!;
  if (!input.isTensor || input.type !== 'float32') fail(`its input "${input.name}" is not a float32 tensor.`);
  const shape = shapeOf(input) ?? [];
  const output = outputs.find((o) => o.name === 'image_embeddings') ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (output === undefined) fail('it has no output named image_embeddings.');
  if (!fitsEmbedding(output!)) fail(`its output "${output!.name}" does not have the embedding shape.`);
  let convention: EncoderConvention;
  let fixedSize: EncoderSignature['fixedSize'] = null;
  // Spatial dims must be the fixed 1024 frame: a fully symbolic [b,3,h,w] input is EfficientSAM's (0..1 pixels).
  if (shape.length === 4 && dimIs(shape[0], 1) && dimIs(shape[1], 3) && shape[2] === SAM_FRAME && shape[3] === SAM_FRAME) {
    convention = 'nchw-normalized';
  } else if (shape.length === 3 && dimIs(shape[2], 3)) {
    convention = 'hwc-0-255';
    const [h, w] = shape;
    if (typeof h === 'number' && typeof w === 'number') {
      if (h < SAM_FRAME || w < SAM_FRAME) fail(`its fixed input size ${h}x${w} is smaller than SAM's 1024 frame.`);
      fixedSize = { width: w, height: h };
    }
  } else {
    return fail(`its input "${input.name}" has shape [${shape.join(',')}].`);
  }
  return { convention, inputName: input.name, outputName: output!.name, fixedSize };
}

/** Checks Meta's decoder signature; throws a ServiceError listing expected vs found names when it differs. */
export function checkDecoder(inputs: readonly ValueMetadata[], outputs: readonly ValueMetadata[], file: string): DecoderSignature {
  const inputNames = new Set(inputs.map((m) => m.name));
  const outputNames = new Set(outputs.map((m) => m.name));
  const missingIn = DECODER_INPUTS.filter((e) => !inputNames.has(e.name)).map((e) => e.name);
  const extraIn = inputs.filter((m) => !DECODER_INPUTS.some((e) => e.name === m.name)).map((m) => m.name);
  const missingOut = DECODER_OUTPUTS.filter((n) => !outputNames.has(n));
  const wrongType = inputs.filter((m) => !m.isTensor || m.type !== 'float32').map((m) => m.name);
  if (missingIn.length || extraIn.length || missingOut.length || wrongType.length) {
    const problems = [
      missingIn.length ? `missing inputs ${missingIn.join(', ')}` : '',
      extraIn.length ? `unexpected inputs ${extraIn.join(', ')}` : '',
      missingOut.length ? `missing outputs ${missingOut.join(', ')}` : '',
      wrongType.length ? `inputs not float32: ${wrongType.join(', ')}` : '',
    ].filter((s) => s !== '');
    throw new ServiceError(
      'model',
      `The decoder model "${baseName(file)}" does not have the Segment Anything (Meta) decoder signature (${problems.join('; ')}). ` +
        `Expected inputs: ${DECODER_INPUTS.map((e) => `${e.name} ${e.shape}`).join(', ')}; outputs: ${DECODER_OUTPUTS.join(', ')}. ` +
        `Found inputs: ${describeValues(inputs)}; outputs: ${describeValues(outputs)}. ` +
        'SAM 2, EdgeSAM and EfficientSAM decoders are not supported; use a model from "grainlab models list".',
      file,
    );
  }
  const iou = outputs.find((m) => m.name === 'iou_predictions');
  const k = iou !== undefined && iou.isTensor ? iou.shape[1] : undefined;
  return { maskCount: typeof k === 'number' ? k : null };
}
