// The SAM encoder and decoder sessions and the work around them (preprocessing, prompt tensors, output
// selection). Runs in whatever thread owns it; the engine keeps it in a worker because session.run
// blocks that thread.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';
import type { Box, RasterImage } from '../../app/types';
import { createSession, type ProviderChoice, type SessionLoadOptions } from './providers';
import { hwcRaw, nchwNormalised, resizeToFrame, SAM_FRAME, type FrameGeometry, type PreprocessOptions } from './preprocess';
import { checkDecoder, detectEncoder, EMBEDDING_SHAPE, type EncoderSignature } from './signature';

export const EMBEDDING_LENGTH = EMBEDDING_SHAPE.reduce((a, b) => a * b, 1);
/** Side of the decoder's low-resolution mask (mask_input / low_res_masks). */
export const LOW_RES_SIDE = 256;

export interface SamModelFiles {
  encoder: string;
  decoder: string;
}

export interface SamRuntimeInfo {
  encoder: {
    file: string;
    convention: EncoderSignature['convention'];
    inputName: string;
    outputName: string;
    fixedSize: EncoderSignature['fixedSize'];
    provider: ProviderChoice;
  };
  decoder: { file: string; maskCount: number | null; provider: ProviderChoice };
}

/** A prompt point in image pixels (or the 1024 model frame when prompt.frame is 'model'). */
export interface SamPoint {
  x: number;
  y: number;
  /** 1 = include (foreground), 0 = exclude (background). */
  label: 0 | 1;
}

export interface SamPrompt {
  points?: readonly SamPoint[];
  /** Box around the object; x/y/width/height in pixels, inclusive extents (last pixel x + width - 1). */
  box?: Box;
  /** A previous low-resolution mask (lowRes of one candidate, 256x256 logits) to refine. */
  maskInput?: Float32Array;
  /** 'image' (default): coordinates in image pixels; 'model': already in the 1024 frame. */
  frame?: 'image' | 'model';
}

export interface DecodeOptions {
  /** 'logits' (default): float logits per pixel (mask = logit > 0); 'binary': 0/1 bytes, 4x smaller. */
  output?: 'logits' | 'binary';
  /** Return only the candidate with the highest predicted IoU. */
  best?: boolean;
  /** Also return the 256x256 low-resolution logits (default true); they refine a later prompt. */
  lowRes?: boolean;
  /**
   * 'image' (default): masks at the image size, as Meta's decoder returns them.
   * 'frame': masks at the resized size inside the 1024 frame (resizedWidth x resizedHeight). The image-size
   * logits are exactly these upsampled bilinearly (half-pixel centres), so for large images a caller can
   * upsample only the mask's bounding box instead of having the decoder fill W x H floats per candidate.
   */
  resolution?: 'image' | 'frame';
}

interface DecodeCommon {
  width: number;
  height: number;
  /** Number of candidate masks (masks holds count planes of width*height, row-major). */
  count: number;
  /** Predicted IoU per candidate. */
  iou: Float32Array;
  /** Index of each returned candidate among the decoder's outputs (matters when best is set). */
  indices: number[];
  /** Low-resolution logits, count planes of 256x256, or null when not asked for. */
  lowRes: Float32Array | null;
  timing: { modelMs: number; totalMs: number };
}
export type SamDecodeResult = DecodeCommon & ({ output: 'logits'; masks: Float32Array } | { output: 'binary'; masks: Uint8Array });

export interface SamEmbedResult {
  data: Float32Array;
  geometry: FrameGeometry;
  timing: { preprocessMs: number; modelMs: number };
}

function finite(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * point_coords / point_labels for Meta's decoder: points (label 1/0), box corners (labels 2 and 3),
 * and, when there is no box, one padding point (0,0) with label -1 as SamPredictor does.
 */
export function promptTensors(prompt: SamPrompt, geometry: FrameGeometry): { coords: Float32Array; labels: Float32Array; count: number } {
  const points = prompt.points ?? [];
  const box = prompt.box;
  if (points.length === 0 && box === undefined) {
    throw new ServiceError('invalid-argument', 'A SAM prompt needs at least one point or a box.');
  }
  const sx = prompt.frame === 'model' ? 1 : geometry.resizedWidth / geometry.imageWidth;
  const sy = prompt.frame === 'model' ? 1 : geometry.resizedHeight / geometry.imageHeight;
  const count = points.length + (box === undefined ? 1 : 2);
  const coords = new Float32Array(count * 2);
  const labels = new Float32Array(count);
  points.forEach((p, i) => {
    if (!finite(p.x) || !finite(p.y) || (p.label !== 0 && p.label !== 1)) {
      throw new ServiceError('invalid-argument', `Prompt point ${i} is invalid: x, y must be numbers and label 0 or 1.`);
    }
    coords[i * 2] = p.x * sx;
    coords[i * 2 + 1] = p.y * sy;
    labels[i] = p.label;
  });
  const n = points.length;
  if (box === undefined) {
    labels[n] = -1;
  } else {
    if (![box.x, box.y, box.width, box.height].every(finite) || box.width <= 0 || box.height <= 0) {
      throw new ServiceError('invalid-argument', 'The prompt box is invalid: x, y must be numbers and width, height positive.');
    }
    coords[n * 2] = box.x * sx;
    coords[n * 2 + 1] = box.y * sy;
    coords[n * 2 + 2] = (box.x + box.width - 1) * sx;
    coords[n * 2 + 3] = (box.y + box.height - 1) * sy;
    labels[n] = 2;
    labels[n + 1] = 3;
  }
  return { coords, labels, count };
}

function tensorData(t: Tensor | undefined, name: string, file: string): { data: Float32Array; dims: readonly number[] } {
  if (t === undefined || !(t.data instanceof Float32Array)) {
    throw new ServiceError('model', `The SAM decoder "${file}" returned no float32 output "${name}".`, file);
  }
  return { data: t.data, dims: t.dims };
}

export class SamRuntime {
  private constructor(
    private readonly encoder: InferenceSession,
    private readonly decoder: InferenceSession,
    private readonly encoderSig: EncoderSignature,
    readonly info: SamRuntimeInfo,
  ) {}

  /** Loads both sessions and checks their signatures; releases what it opened when anything fails. */
  static async load(files: SamModelFiles, options: SessionLoadOptions = {}): Promise<SamRuntime> {
    const enc = await createSession(files.encoder, 'encoder', options);
    let encoderSig: EncoderSignature;
    try {
      encoderSig = detectEncoder(enc.session.inputMetadata, enc.session.outputMetadata, files.encoder);
    } catch (e) {
      await enc.session.release();
      throw e;
    }
    let dec: Awaited<ReturnType<typeof createSession>>;
    try {
      dec = await createSession(files.decoder, 'decoder', options);
    } catch (e) {
      await enc.session.release();
      throw e;
    }
    try {
      const decSig = checkDecoder(dec.session.inputMetadata, dec.session.outputMetadata, files.decoder);
      return new SamRuntime(enc.session, dec.session, encoderSig, {
        encoder: {
          file: files.encoder,
          convention: encoderSig.convention,
          inputName: encoderSig.inputName,
          outputName: encoderSig.outputName,
          fixedSize: encoderSig.fixedSize,
          provider: enc.choice,
        },
        decoder: { file: files.decoder, maskCount: decSig.maskCount, provider: dec.choice },
      });
    } catch (e) {
      await Promise.all([enc.session.release(), dec.session.release()]);
      throw e;
    }
  }

  /** Encoder input tensor for a raster, per the detected convention. */
  encoderInput(raster: RasterImage, options: PreprocessOptions = {}): { tensor: Tensor; geometry: FrameGeometry } {
    const { rgb, geometry } = resizeToFrame(raster, options);
    const { resizedWidth: w, resizedHeight: h } = geometry;
    if (this.encoderSig.convention === 'nchw-normalized') {
      return { tensor: new Tensor('float32', nchwNormalised(rgb, w, h), [1, 3, SAM_FRAME, SAM_FRAME]), geometry };
    }
    const fixed = this.encoderSig.fixedSize;
    const pw = fixed?.width ?? w;
    const ph = fixed?.height ?? h;
    return { tensor: new Tensor('float32', hwcRaw(rgb, w, h, pw, ph), [ph, pw, 3]), geometry };
  }

  async embed(raster: RasterImage, options: PreprocessOptions = {}): Promise<SamEmbedResult> {
    const t0 = performance.now();
    let input: ReturnType<SamRuntime['encoderInput']>;
    try {
      input = this.encoderInput(raster, options);
    } catch (e) {
      if (e instanceof RangeError) throw new ServiceError('bad-image', `Cannot prepare the image for SAM: ${e.message}`);
      throw e;
    }
    const t1 = performance.now();
    const out = await this.encoder.run({ [this.encoderSig.inputName]: input.tensor });
    const t2 = performance.now();
    input.tensor.dispose();
    const emb = out[this.encoderSig.outputName];
    const file = this.info.encoder.file;
    if (emb === undefined || !(emb.data instanceof Float32Array) || emb.data.length !== EMBEDDING_LENGTH) {
      throw new ServiceError('model', `The SAM encoder "${file}" did not return a [1,256,64,64] float32 embedding.`, file);
    }
    return { data: emb.data, geometry: input.geometry, timing: { preprocessMs: t1 - t0, modelMs: t2 - t1 } };
  }

  async decode(embedding: Float32Array, geometry: FrameGeometry, prompt: SamPrompt, options: DecodeOptions = {}): Promise<SamDecodeResult> {
    const t0 = performance.now();
    if (embedding.length !== EMBEDDING_LENGTH) {
      throw new ServiceError('invalid-argument', `A SAM embedding has ${EMBEDDING_LENGTH} values; got ${embedding.length}.`);
    }
    const { coords, labels, count } = promptTensors(prompt, geometry);
    const maskInput = prompt.maskInput;
    if (maskInput !== undefined && maskInput.length !== LOW_RES_SIDE * LOW_RES_SIDE) {
      throw new ServiceError('invalid-argument', `maskInput must hold one 256x256 low-resolution mask; got ${maskInput.length} values.`);
    }
    // With orig_im_size = the resized size, the decoder's crop-and-resize keeps the frame resolution.
    const frameRes = options.resolution === 'frame';
    const outW = frameRes ? geometry.resizedWidth : geometry.imageWidth;
    const outH = frameRes ? geometry.resizedHeight : geometry.imageHeight;
    const feeds: InferenceSession.FeedsType = {
      image_embeddings: new Tensor('float32', embedding, [1, 256, 64, 64]),
      point_coords: new Tensor('float32', coords, [1, count, 2]),
      point_labels: new Tensor('float32', labels, [1, count]),
      mask_input: new Tensor('float32', maskInput ?? new Float32Array(LOW_RES_SIDE * LOW_RES_SIDE), [1, 1, LOW_RES_SIDE, LOW_RES_SIDE]),
      has_mask_input: new Tensor('float32', new Float32Array([maskInput === undefined ? 0 : 1]), [1]),
      orig_im_size: new Tensor('float32', new Float32Array([outH, outW]), [2]),
    };
    const t1 = performance.now();
    const out = await this.decoder.run(feeds);
    const t2 = performance.now();
    const file = this.info.decoder.file;
    const masks = tensorData(out.masks, 'masks', file);
    const iouAll = tensorData(out.iou_predictions, 'iou_predictions', file).data;
    const low = tensorData(out.low_res_masks, 'low_res_masks', file).data;
    const k = iouAll.length;
    const w = outW;
    const h = outH;
    const plane = w * h;
    if (masks.data.length !== k * plane) {
      throw new ServiceError(
        'model',
        `The SAM decoder "${file}" returned masks of shape [${masks.dims.join(',')}]; expected [1,${k},${h},${w}].`,
        file,
      );
    }
    let indices = Array.from({ length: k }, (_, i) => i);
    if (options.best === true && k > 1) {
      let bi = 0;
      for (let i = 1; i < k; i++) if (iouAll[i]! > iouAll[bi]!) bi = i;
      indices = [bi];
    }
    const one = indices.length === 1 && k > 1;
    // A view of the chosen candidate; copied (slice) only where it is returned as is.
    const view = (all: Float32Array, size: number): Float32Array =>
      one ? all.subarray(indices[0]! * size, (indices[0]! + 1) * size) : all;
    const iou = one ? Float32Array.of(iouAll[indices[0]!]!) : iouAll;
    const lowView = options.lowRes === false ? null : view(low, LOW_RES_SIDE * LOW_RES_SIDE);
    const lowRes = lowView !== null && one ? lowView.slice() : lowView;
    const common = { width: w, height: h, count: indices.length, iou, indices, lowRes };
    const logits = view(masks.data, plane);
    if (options.output === 'binary') {
      const bin = new Uint8Array(logits.length);
      for (let i = 0; i < logits.length; i++) bin[i] = logits[i]! > 0 ? 1 : 0;
      return { ...common, output: 'binary', masks: bin, timing: { modelMs: t2 - t1, totalMs: performance.now() - t0 } };
    }
    // A copy keeps the caller from holding the other candidates' memory through the shared buffer.
    const chosen = one ? logits.slice() : logits;
    return { ...common, output: 'logits', masks: chosen, timing: { modelMs: t2 - t1, totalMs: performance.now() - t0 } };
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()]);
  }
}
