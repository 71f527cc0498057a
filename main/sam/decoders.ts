// Decoder adapters, one per family: the feeds of one prompt (coordinates in the model's 1024 frame as the
// family expects them, its padding point or none, mask and size inputs) and the outputs read back as
// candidates with predicted scores and 256x256 low-res logits. Only SAM's (Meta) decoder makes masks at
// a requested size itself; for the other families the runtime resamples the low-res logits.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { SamFamily } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import { unpack } from './encoders';
import { SAM_FRAME, type FrameGeometry } from './preprocess';
import type { SamPrompt } from './runtime';
import type { DecoderSignature, EmbeddingPart, FrameLayout } from './signature';

export interface Size {
  width: number;
  height: number;
}

/** Side of the decoders' low-resolution logits (and of mask_input). */
export const LOW_RES_SIDE = 256;
const LOW_RES_PLANE = LOW_RES_SIDE * LOW_RES_SIDE;

interface RawCandidates {
  count: number;
  iou: Float32Array;
  /** Logits at the requested size when the graph makes them (SAM's decoder); null otherwise. */
  masks: Float32Array | null;
  /** count planes of 256x256 low-res logits. */
  lowRes: Float32Array;
}

interface ModelPoint {
  x: number;
  y: number;
  label: number;
}

function finite(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The prompt's points (labels 1/0) then box corners (labels 2 and 3: top-left, bottom-right, inclusive
 * extents) in the model's 1024 frame: letterboxed images are scaled by resized/image on both axes,
 * stretched ones by 1024/width and 1024/height.
 */
export function modelPoints(prompt: SamPrompt, geometry: FrameGeometry, layout: FrameLayout = 'letterbox'): ModelPoint[] {
  const points = prompt.points ?? [];
  const box = prompt.box;
  if (points.length === 0 && box === undefined) {
    throw new ServiceError('invalid-argument', 'A SAM prompt needs at least one point or a box.');
  }
  const model = prompt.frame === 'model';
  const sx = model ? 1 : layout === 'stretch' ? SAM_FRAME / geometry.imageWidth : geometry.resizedWidth / geometry.imageWidth;
  const sy = model ? 1 : layout === 'stretch' ? SAM_FRAME / geometry.imageHeight : geometry.resizedHeight / geometry.imageHeight;
  const out: ModelPoint[] = points.map((p, i) => {
    if (!finite(p.x) || !finite(p.y) || (p.label !== 0 && p.label !== 1)) {
      throw new ServiceError('invalid-argument', `Prompt point ${i} is invalid: x, y must be numbers and label 0 or 1.`);
    }
    return { x: p.x * sx, y: p.y * sy, label: p.label };
  });
  if (box !== undefined) {
    if (![box.x, box.y, box.width, box.height].every(finite) || box.width <= 0 || box.height <= 0) {
      throw new ServiceError('invalid-argument', 'The prompt box is invalid: x, y must be numbers and width, height positive.');
    }
    out.push({ x: box.x * sx, y: box.y * sy, label: 2 }, { x: (box.x + box.width - 1) * sx, y: (box.y + box.height - 1) * sy, label: 3 });
  }
  return out;
}

function pointTensors(points: readonly ModelPoint[], scale = 1): { coords: Float32Array; labels: Float32Array; count: number } {
  const coords = new Float32Array(points.length * 2);
  const labels = new Float32Array(points.length);
  points.forEach((p, i) => {
    coords[i * 2] = p.x * scale;
    coords[i * 2 + 1] = p.y * scale;
    labels[i] = p.label;
  });
  return { coords, labels, count: points.length };
}

/**
 * point_coords / point_labels as SAM's reference predictor builds them for Meta's (and EdgeSAM's)
 * decoder: points, box corners, and, when there is no box, one padding point (0,0) with label -1.
 */
export function promptTensors(prompt: SamPrompt, geometry: FrameGeometry): { coords: Float32Array; labels: Float32Array; count: number } {
  const points = modelPoints(prompt, geometry, 'letterbox');
  if (prompt.box === undefined) points.push({ x: 0, y: 0, label: -1 });
  return pointTensors(points);
}

function sizeTensor(type: string | undefined, height: number, width: number): Tensor {
  if (type === 'int64') return new Tensor('int64', BigInt64Array.of(BigInt(height), BigInt(width)), [2]);
  if (type === 'int32') return new Tensor('int32', Int32Array.of(height, width), [2]);
  return new Tensor('float32', Float32Array.of(height, width), [2]);
}

function floats(out: InferenceSession.ReturnType, name: string, file: string): { data: Float32Array; dims: readonly number[] } {
  const t = out[name];
  if (t === undefined || !(t.data instanceof Float32Array)) {
    throw new ServiceError('model', `The SAM decoder "${file}" returned no float32 output "${name}".`, file);
  }
  return { data: t.data, dims: t.dims };
}

function maskInputTensors(maskInput: Float32Array | undefined): Record<string, Tensor> {
  return {
    mask_input: new Tensor('float32', maskInput ?? new Float32Array(LOW_RES_PLANE), [1, 1, LOW_RES_SIDE, LOW_RES_SIDE]),
    has_mask_input: new Tensor('float32', new Float32Array([maskInput === undefined ? 0 : 1]), [1]),
  };
}

/** Size of 'frame'-resolution masks: the resized image in the letterbox, the 256x256 low-res plane when stretched. */
export function frameSizeFor(layout: FrameLayout, g: FrameGeometry): Size {
  return layout === 'letterbox' ? { width: g.resizedWidth, height: g.resizedHeight } : { width: LOW_RES_SIDE, height: LOW_RES_SIDE };
}

/** The part (at the origin) of the 256x256 low-res plane that covers the image. */
function lowResExtentFor(layout: FrameLayout, g: FrameGeometry): Size {
  if (layout === 'stretch') return { width: LOW_RES_SIDE, height: LOW_RES_SIDE };
  const s = LOW_RES_SIDE / SAM_FRAME;
  return { width: g.resizedWidth * s, height: g.resizedHeight * s };
}

export abstract class DecoderAdapter {
  abstract readonly family: SamFamily;
  abstract readonly layout: FrameLayout;
  /** Whether a previous low-res mask can refine a prompt (mask_input). */
  abstract readonly takesMaskInput: boolean;

  constructor(
    protected readonly signature: DecoderSignature,
    protected readonly parts: readonly EmbeddingPart[],
    protected readonly file: string,
  ) {}

  frameSize(g: FrameGeometry): Size {
    return frameSizeFor(this.layout, g);
  }

  lowResExtent(g: FrameGeometry): Size {
    return lowResExtentFor(this.layout, g);
  }

  /** The feeds of one prompt; `target` is the mask size asked for (used by decoders that resize themselves). */
  abstract feeds(embedding: Float32Array, prompt: SamPrompt, g: FrameGeometry, target: Size): InferenceSession.FeedsType;

  abstract read(out: InferenceSession.ReturnType, target: Size): RawCandidates;

  protected embeddingTensors(embedding: Float32Array, names?: readonly string[]): Record<string, Tensor> {
    const views = unpack(embedding, this.parts);
    const feeds: Record<string, Tensor> = {};
    this.parts.forEach((p, i) => {
      feeds[names?.[i] ?? p.name] = new Tensor('float32', views[i]!, [...p.dims]);
    });
    return feeds;
  }

  protected lowResOf(data: Float32Array, dims: readonly number[], name: string): { count: number; data: Float32Array } {
    const count = data.length / LOW_RES_PLANE;
    if (!Number.isInteger(count) || count < 1) {
      throw new ServiceError('model', `The SAM decoder "${this.file}" returned ${name} of shape [${dims.join(',')}]; expected 256x256 planes.`, this.file);
    }
    return { count, data };
  }
}

/** Meta's decoder (SAM, MobileSAM): masks at orig_im_size made by the graph, plus low_res_masks. */
class SamDecoder extends DecoderAdapter {
  readonly family = 'sam';
  readonly layout = 'letterbox';
  readonly takesMaskInput = true;

  feeds(embedding: Float32Array, prompt: SamPrompt, g: FrameGeometry, target: Size): InferenceSession.FeedsType {
    const { coords, labels, count } = promptTensors(prompt, g);
    return {
      ...this.embeddingTensors(embedding, ['image_embeddings']),
      point_coords: new Tensor('float32', coords, [1, count, 2]),
      point_labels: new Tensor('float32', labels, [1, count]),
      ...maskInputTensors(prompt.maskInput),
      // With orig_im_size = the resized size, the decoder's crop-and-resize keeps the frame resolution.
      orig_im_size: new Tensor('float32', new Float32Array([target.height, target.width]), [2]),
    };
  }

  read(out: InferenceSession.ReturnType, target: Size): RawCandidates {
    const masks = floats(out, 'masks', this.file);
    const iou = floats(out, 'iou_predictions', this.file).data;
    const low = floats(out, 'low_res_masks', this.file).data;
    const k = iou.length;
    if (masks.data.length !== k * target.width * target.height) {
      throw new ServiceError(
        'model',
        `The SAM decoder "${this.file}" returned masks of shape [${masks.dims.join(',')}]; expected [1,${k},${target.height},${target.width}].`,
        this.file,
      );
    }
    return { count: k, iou, masks: masks.data, lowRes: low };
  }
}

/**
 * SAM 2 / 2.1 as samexporter and X-AnyLabeling export it: the three encoder outputs, points in the
 * stretched 1024 frame (the graph shifts them by half a pixel and appends its own padding point), low-res
 * masks and IoU out. Exports with an orig_im_size input (ONNX-SAM2-Segment-Anything) resize the masks to
 * it in the graph; they are asked for 256x256, which makes that resize an identity.
 */
class Sam2Decoder extends DecoderAdapter {
  readonly family = 'sam2';
  readonly layout = 'stretch';
  readonly takesMaskInput = true;

  feeds(embedding: Float32Array, prompt: SamPrompt, g: FrameGeometry): InferenceSession.FeedsType {
    const { coords, labels, count } = pointTensors(modelPoints(prompt, g, 'stretch'));
    const feeds: Record<string, Tensor> = {
      ...this.embeddingTensors(embedding),
      point_coords: new Tensor('float32', coords, [1, count, 2]),
      point_labels: new Tensor('float32', labels, [1, count]),
      ...maskInputTensors(prompt.maskInput),
    };
    if ('orig_im_size' in this.signature.inputTypes) feeds.orig_im_size = sizeTensor(this.signature.inputTypes.orig_im_size, LOW_RES_SIDE, LOW_RES_SIDE);
    return feeds;
  }

  read(out: InferenceSession.ReturnType): RawCandidates {
    const m = floats(out, 'masks', this.file);
    const iou = floats(out, 'iou_predictions', this.file).data;
    const low = this.lowResOf(m.data, m.dims, 'masks');
    if (low.count !== iou.length) throw new ServiceError('model', `The SAM 2 decoder "${this.file}" returned ${low.count} masks but ${iou.length} scores.`, this.file);
    return { count: low.count, iou, masks: null, lowRes: low.data };
  }
}

/** EfficientSAM's prompt decoder takes at most this many points (more are cut off inside the graph). */
export const EFFICIENTSAM_MAX_POINTS = 6;

/**
 * EfficientSAM (yformer/EfficientSAM export_to_onnx.py): batched points [1,1,N,2] in pixels of
 * orig_im_size, which the graph scales to the stretched 1024 frame; masks resized to orig_im_size. GrainLab
 * passes 256x256 with points in that space, so the masks come back as the low-res logits. At most 6
 * points: a box's corners first, then the latest clicks. No mask input.
 */
class EfficientSamDecoder extends DecoderAdapter {
  readonly family = 'efficientsam';
  readonly layout = 'stretch';
  readonly takesMaskInput = false;

  feeds(embedding: Float32Array, prompt: SamPrompt, g: FrameGeometry): InferenceSession.FeedsType {
    const all = modelPoints(prompt, g, 'stretch');
    const corners = all.filter((p) => p.label >= 2);
    const clicks = all.filter((p) => p.label < 2);
    const kept = [...corners, ...clicks.slice(Math.max(0, clicks.length - (EFFICIENTSAM_MAX_POINTS - corners.length)))];
    const { coords, labels, count } = pointTensors(kept, LOW_RES_SIDE / SAM_FRAME);
    return {
      ...this.embeddingTensors(embedding, ['image_embeddings']),
      batched_point_coords: new Tensor('float32', coords, [1, 1, count, 2]),
      batched_point_labels: new Tensor('float32', labels, [1, 1, count]),
      orig_im_size: sizeTensor(this.signature.inputTypes.orig_im_size, LOW_RES_SIDE, LOW_RES_SIDE),
    };
  }

  read(out: InferenceSession.ReturnType): RawCandidates {
    const m = floats(out, 'output_masks', this.file);
    const iou = floats(out, 'iou_predictions', this.file).data;
    const low = this.lowResOf(m.data, m.dims, 'output_masks');
    if (low.count !== iou.length) throw new ServiceError('model', `The EfficientSAM decoder "${this.file}" returned ${low.count} masks but ${iou.length} scores.`, this.file);
    return { count: low.count, iou, masks: null, lowRes: low.data };
  }
}

/**
 * EdgeSAM (chongzhou96/EdgeSAM scripts/export_onnx_model.py): SAM's letterbox and point convention with
 * the padding point, no mask or size input; outputs scores (the stability score when exported with
 * --use-stability-score, as its README says) and 256x256 low-res masks of the 1024 frame.
 */
class EdgeSamDecoder extends DecoderAdapter {
  readonly family = 'edgesam';
  readonly layout = 'letterbox';
  readonly takesMaskInput = false;

  feeds(embedding: Float32Array, prompt: SamPrompt, g: FrameGeometry): InferenceSession.FeedsType {
    const { coords, labels, count } = promptTensors(prompt, g);
    return {
      ...this.embeddingTensors(embedding, ['image_embeddings']),
      point_coords: new Tensor('float32', coords, [1, count, 2]),
      point_labels: new Tensor('float32', labels, [1, count]),
    };
  }

  read(out: InferenceSession.ReturnType): RawCandidates {
    const m = floats(out, 'masks', this.file);
    const iou = floats(out, 'scores', this.file).data;
    const low = this.lowResOf(m.data, m.dims, 'masks');
    if (low.count !== iou.length) throw new ServiceError('model', `The EdgeSAM decoder "${this.file}" returned ${low.count} masks but ${iou.length} scores.`, this.file);
    return { count: low.count, iou, masks: null, lowRes: low.data };
  }
}

/** The adapter of a recognised decoder (its family decided by signature.ts). */
export function decoderAdapter(signature: DecoderSignature, parts: readonly EmbeddingPart[], file: string): DecoderAdapter {
  switch (signature.family) {
    case 'sam':
      return new SamDecoder(signature, parts, file);
    case 'sam2':
      return new Sam2Decoder(signature, parts, file);
    case 'efficientsam':
      return new EfficientSamDecoder(signature, parts, file);
    case 'edgesam':
      return new EdgeSamDecoder(signature, parts, file);
  }
}
