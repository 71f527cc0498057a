// Recognises which Segment Anything family an encoder/decoder pair belongs to from the ONNX sessions'
// input/output metadata (names, element types, shapes), before anything runs: SAM (Meta's decoder; also
// MobileSAM), SAM 2 / 2.1 (samexporter and X-AnyLabeling exports), EfficientSAM and EdgeSAM. Anything
// else is refused with a message that names the file, what was expected and what the file has.
// The signatures and where they come from are listed in main/sam/README.md.
import type { InferenceSession } from 'onnxruntime-node';
import { SAM_FAMILY_NAMES, type SamFamily } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import { SAM_FRAME } from './preprocess';

type ValueMetadata = InferenceSession.ValueMetadata;
type Dim = number | string;

/**
 * How the encoder wants its pixels:
 * - 'nchw-normalized': [1,3,1024,1024], longest side resized to 1024, SAM mean/std, zero padding (SAM, EdgeSAM);
 * - 'hwc-0-255': [H,W,3] 0..255, longest side 1024; the graph normalises and pads (SAM builds of labelme and X-AnyLabeling);
 * - 'nchw-normalized-square': [1,3,1024,1024] stretched to the square, SAM mean/std, no padding (SAM 2);
 * - 'nchw-unit': [B,3,H,W] 0..1 of any size; the graph stretches to 1024x1024 and normalises (EfficientSAM).
 */
type EncoderConvention = 'nchw-normalized' | 'hwc-0-255' | 'nchw-normalized-square' | 'nchw-unit';

/**
 * How the image lies in the model's 1024 frame: 'letterbox' (longest side 1024, padded bottom/right;
 * masks are cropped back) or 'stretch' (the whole image stretched to 1024x1024; masks cover it exactly).
 */
export type FrameLayout = 'letterbox' | 'stretch';

/** One tensor of a (possibly multi-output) image embedding, in the order they are packed. */
export interface EmbeddingPart {
  name: string;
  dims: readonly number[];
}

/** Which decoders an encoder can feed. */
type EncoderKind = 'sam' | 'sam2' | 'efficientsam';

export interface EncoderSignature {
  kind: EncoderKind;
  convention: EncoderConvention;
  layout: FrameLayout;
  inputName: string;
  /** Fixed input size of 'hwc-0-255' graphs with numeric dims (the caller pads to it); null otherwise. */
  fixedSize: { width: number; height: number } | null;
  /** The outputs kept, packed in this order into one Float32Array (the image embedding first). */
  parts: readonly EmbeddingPart[];
}

export interface DecoderSignature {
  family: SamFamily;
  /** Element type of each input as declared (orig_im_size is int32, int64 or float32 depending on the export). */
  inputTypes: Readonly<Record<string, string>>;
  /** Candidate masks per prompt when the graph fixes the number, else null. */
  maskCount: number | null;
}

const EMBEDDING_SHAPE: readonly number[] = [1, 256, 64, 64];
const SAM2_PARTS: readonly EmbeddingPart[] = [
  { name: 'image_embed', dims: [1, 256, 64, 64] },
  { name: 'high_res_feats_0', dims: [1, 32, 256, 256] },
  { name: 'high_res_feats_1', dims: [1, 64, 128, 128] },
];

export const FAMILY_NAMES = SAM_FAMILY_NAMES;

interface InputSpec {
  name: string;
  shape: string;
  types: readonly string[];
}
interface DecoderSpec {
  family: SamFamily;
  encoder: EncoderKind;
  inputs: readonly InputSpec[];
  optional: readonly InputSpec[];
  outputs: readonly string[];
  /** Output whose second dimension is the number of candidates. */
  scores: string;
}

const F32 = ['float32'] as const;
const SIZE_TYPES = ['int32', 'int64', 'float32'] as const;
const pointInputs = (prefix = '', coords = '[1,N,2]', labels = '[1,N]'): InputSpec[] => [
  { name: `${prefix}point_coords`, shape: coords, types: F32 },
  { name: `${prefix}point_labels`, shape: labels, types: F32 },
];
const maskInputs: InputSpec[] = [
  { name: 'mask_input', shape: '[1,1,256,256]', types: F32 },
  { name: 'has_mask_input', shape: '[1]', types: F32 },
];

/** The decoder signatures GrainLab runs; the order is the order of the "expected" list in messages. */
const DECODER_SPECS: readonly DecoderSpec[] = [
  {
    family: 'sam',
    encoder: 'sam',
    inputs: [{ name: 'image_embeddings', shape: '[1,256,64,64]', types: F32 }, ...pointInputs(), ...maskInputs, { name: 'orig_im_size', shape: '[2]', types: F32 }],
    optional: [],
    outputs: ['masks', 'iou_predictions', 'low_res_masks'],
    scores: 'iou_predictions',
  },
  {
    family: 'sam2',
    encoder: 'sam2',
    inputs: [
      { name: 'image_embed', shape: '[1,256,64,64]', types: F32 },
      { name: 'high_res_feats_0', shape: '[1,32,256,256]', types: F32 },
      { name: 'high_res_feats_1', shape: '[1,64,128,128]', types: F32 },
      ...pointInputs(),
      ...maskInputs,
    ],
    optional: [{ name: 'orig_im_size', shape: '[2]', types: SIZE_TYPES }],
    outputs: ['masks', 'iou_predictions'],
    scores: 'iou_predictions',
  },
  {
    family: 'efficientsam',
    encoder: 'efficientsam',
    inputs: [
      { name: 'image_embeddings', shape: '[B,256,64,64]', types: F32 },
      ...pointInputs('batched_', '[1,1,N,2]', '[1,1,N]'),
      { name: 'orig_im_size', shape: '[2]', types: SIZE_TYPES },
    ],
    optional: [],
    outputs: ['output_masks', 'iou_predictions'],
    scores: 'iou_predictions',
  },
  {
    family: 'edgesam',
    encoder: 'sam',
    inputs: [{ name: 'image_embeddings', shape: '[1,256,64,64]', types: F32 }, ...pointInputs()],
    optional: [],
    outputs: ['scores', 'masks'],
    scores: 'scores',
  },
];

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

function typeOf(m: ValueMetadata): string {
  return m.isTensor ? m.type : 'not a tensor';
}

function describeValues(values: readonly ValueMetadata[]): string {
  if (values.length === 0) return '(none)';
  return values.map((m) => (m.isTensor ? `${m.name} ${m.type} [${m.shape.join(',')}]` : `${m.name} (not a tensor)`)).join(', ');
}

function describeSpec(s: DecoderSpec): string {
  const ins = s.inputs.map((i) => `${i.name} ${i.shape}`);
  const opt = s.optional.map((i) => `${i.name} ${i.shape} (optional)`);
  return `${FAMILY_NAMES[s.family]}: inputs ${[...ins, ...opt].join(', ')}; outputs ${s.outputs.join(', ')}`;
}

function dimIs(d: Dim | undefined, n: number): boolean {
  return d === n || typeof d === 'string';
}

/** True when a declared shape is compatible with `dims` (symbolic dims match anything; an unknown shape is accepted). */
function fits(m: ValueMetadata, dims: readonly number[]): boolean {
  if (!m.isTensor || m.type !== 'float32') return false;
  if (m.shape.length === 0) return true;
  return m.shape.length === dims.length && dims.every((n, i) => dimIs(m.shape[i], n));
}

const ENCODER_EXPECTED =
  'Expected one float32 image input — [1,3,1024,1024] (SAM, EdgeSAM, SAM 2), [H,W,3] (SAM builds that normalise inside) ' +
  'or [B,3,H,W] (EfficientSAM) — and either an output image_embeddings [1,256,64,64] or the SAM 2 outputs ' +
  'image_embed [1,256,64,64], high_res_feats_0 [1,32,256,256], high_res_feats_1 [1,64,128,128].';

/** Recognises an encoder; throws a ServiceError naming the file, what was expected and what it has. */
export function detectEncoder(inputs: readonly ValueMetadata[], outputs: readonly ValueMetadata[], file: string): EncoderSignature {
  const found = `Found inputs: ${describeValues(inputs)}; outputs: ${describeValues(outputs)}.`;
  const fail = (why: string): never => {
    throw new ServiceError(
      'model',
      `The encoder model "${baseName(file)}" is not an image encoder GrainLab recognises: ${why} ${ENCODER_EXPECTED} ${found} ` +
        'Use a model from "grainlab models list", or an export listed in the README (SAM models).',
      file,
    );
  };
  if (inputs.length !== 1) fail(`it has ${inputs.length} inputs.`);
  const input = inputs[0]!;
  if (!input.isTensor || input.type !== 'float32') fail(`its input "${input.name}" is ${typeOf(input)}, not float32.`);
  const shape: readonly Dim[] = input.isTensor ? input.shape : [];
  const byName = (n: string) => outputs.find((o) => o.name === n);
  const isSquareNchw = shape.length === 4 && dimIs(shape[0], 1) && dimIs(shape[1], 3) && shape[2] === SAM_FRAME && shape[3] === SAM_FRAME;

  if (SAM2_PARTS.some((p) => byName(p.name) !== undefined)) {
    const missing = SAM2_PARTS.filter((p) => byName(p.name) === undefined).map((p) => p.name);
    if (missing.length > 0) fail(`it looks like a SAM 2 encoder but has no output ${missing.join(', ')}.`);
    const wrong = SAM2_PARTS.filter((p) => !fits(byName(p.name)!, p.dims)).map((p) => `${p.name} should be float32 [${p.dims.join(',')}]`);
    if (wrong.length > 0) fail(`its outputs do not have SAM 2's shapes (${wrong.join('; ')}).`);
    if (!isSquareNchw) fail(`a SAM 2 encoder takes [1,3,1024,1024]; its input "${input.name}" is [${shape.join(',')}].`);
    return { kind: 'sam2', convention: 'nchw-normalized-square', layout: 'stretch', inputName: input.name, fixedSize: null, parts: SAM2_PARTS };
  }

  const output = byName('image_embeddings') ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (output === undefined) fail('it has no output named image_embeddings.');
  if (!fits(output!, EMBEDDING_SHAPE)) fail(`its output "${output!.name}" is not a float32 [1,256,64,64] embedding.`);
  const parts = [{ name: output!.name, dims: EMBEDDING_SHAPE }];
  if (isSquareNchw) return { kind: 'sam', convention: 'nchw-normalized', layout: 'letterbox', inputName: input.name, fixedSize: null, parts };
  if (shape.length === 3 && dimIs(shape[2], 3)) {
    const [h, w] = shape;
    let fixedSize: EncoderSignature['fixedSize'] = null;
    if (typeof h === 'number' && typeof w === 'number') {
      if (h < SAM_FRAME || w < SAM_FRAME) fail(`its fixed input size ${h}x${w} is smaller than SAM's 1024 frame.`);
      fixedSize = { width: w, height: h };
    }
    return { kind: 'sam', convention: 'hwc-0-255', layout: 'letterbox', inputName: input.name, fixedSize, parts };
  }
  // EfficientSAM takes the picture at any size (0..1) and resizes it to 1024x1024 itself.
  if (shape.length === 4 && dimIs(shape[1], 3) && (typeof shape[2] === 'string' || typeof shape[3] === 'string')) {
    return { kind: 'efficientsam', convention: 'nchw-unit', layout: 'stretch', inputName: input.name, fixedSize: null, parts };
  }
  return fail(`its input "${input.name}" has shape [${shape.join(',')}].`);
}

interface SpecMatch {
  spec: DecoderSpec;
  missingIn: string[];
  extraIn: string[];
  wrongType: string[];
  missingOut: string[];
}

function matchSpec(spec: DecoderSpec, inputs: readonly ValueMetadata[], outputs: readonly ValueMetadata[]): SpecMatch {
  const all = [...spec.inputs, ...spec.optional];
  const has = new Map(inputs.map((m) => [m.name, m]));
  const outNames = new Set(outputs.map((m) => m.name));
  return {
    spec,
    missingIn: spec.inputs.filter((s) => !has.has(s.name)).map((s) => s.name),
    extraIn: inputs.filter((m) => !all.some((s) => s.name === m.name)).map((m) => m.name),
    wrongType: all
      .filter((s) => has.has(s.name) && !s.types.includes(typeOf(has.get(s.name)!)))
      .map((s) => `${s.name} is ${typeOf(has.get(s.name)!)}, expected ${s.types.join(' or ')}`),
    missingOut: spec.outputs.filter((n) => !outNames.has(n)),
  };
}

function problems(m: SpecMatch): string[] {
  return [
    m.missingIn.length ? `missing inputs ${m.missingIn.join(', ')}` : '',
    m.extraIn.length ? `unexpected inputs ${m.extraIn.join(', ')}` : '',
    m.wrongType.length ? `wrong types: ${m.wrongType.join('; ')}` : '',
    m.missingOut.length ? `missing outputs ${m.missingOut.join(', ')}` : '',
  ].filter((s) => s !== '');
}

/** Recognises a decoder's family; throws a ServiceError naming the missing or mismatched inputs of the closest family. */
export function detectDecoder(inputs: readonly ValueMetadata[], outputs: readonly ValueMetadata[], file: string): DecoderSignature {
  const matches = DECODER_SPECS.map((s) => matchSpec(s, inputs, outputs));
  const ok = matches.find((m) => problems(m).length === 0);
  if (ok === undefined) {
    // Closest: the family sharing the most input names, then the one with the fewest problems.
    const score = (m: SpecMatch) => m.spec.inputs.length - m.missingIn.length - 0.5 * m.extraIn.length;
    const closest = [...matches].sort((a, b) => score(b) - score(a))[0]!;
    throw new ServiceError(
      'model',
      `The decoder model "${baseName(file)}" is not a SAM decoder GrainLab recognises. ` +
        `Closest: ${FAMILY_NAMES[closest.spec.family]} (${problems(closest).join('; ')}). ` +
        `Expected one of — ${DECODER_SPECS.map(describeSpec).join(' | ')}. ` +
        `Found inputs: ${describeValues(inputs)}; outputs: ${describeValues(outputs)}. ` +
        'Use a model from "grainlab models list", or an export listed in the README (SAM models).',
      file,
    );
  }
  const spec = ok.spec;
  const inputTypes = Object.fromEntries(inputs.map((m) => [m.name, typeOf(m)]));
  const scores = outputs.find((m) => m.name === spec.scores);
  // EfficientSAM's scores are [B, queries, candidates]; the others' [B, candidates].
  const k = scores !== undefined && scores.isTensor ? scores.shape[scores.shape.length - 1] : undefined;
  return { family: spec.family, inputTypes, maskCount: typeof k === 'number' ? k : null };
}

/** The family of an encoder/decoder pair; refuses an encoder of one model with a decoder of another. */
export function pairFamily(encoder: EncoderSignature, decoder: DecoderSignature, files: { encoder: string; decoder: string }): SamFamily {
  const spec = DECODER_SPECS.find((s) => s.family === decoder.family)!;
  if (spec.encoder !== encoder.kind) {
    const encoderIs: Record<EncoderKind, string> = {
      sam: 'a SAM-style encoder (one output image_embeddings)',
      sam2: 'a SAM 2 encoder (outputs image_embed, high_res_feats_0, high_res_feats_1)',
      efficientsam: 'an EfficientSAM encoder (input [B,3,H,W] in 0..1)',
    };
    throw new ServiceError(
      'model',
      `The encoder "${baseName(files.encoder)}" is ${encoderIs[encoder.kind]}, but the decoder "${baseName(files.decoder)}" ` +
        `(${FAMILY_NAMES[decoder.family]}) needs ${encoderIs[spec.encoder]}. Use the encoder and the decoder of the same model.`,
      files.decoder,
    );
  }
  return decoder.family;
}
