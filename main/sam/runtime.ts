// The SAM encoder and decoder sessions and the work around them: the family's encoder adapter
// (preprocessing, packed embedding) and decoder adapter (prompt feeds, candidates), then output
// selection and, for decoders that only return low-res logits, the bilinear resize to the size asked
// for. Runs in whatever thread owns it; the engine keeps it in a worker because session.run blocks.
import type { InferenceSession } from 'onnxruntime-node';
import type { SamFamily } from '../../app/contract/sam';
import { ServiceError } from '../../app/errors';
import type { Box, RasterImage } from '../../app/types';
import { decoderAdapter, LOW_RES_SIDE, type DecoderAdapter, type Size } from './decoders';
import { EncoderAdapter } from './encoders';
import { createSession, type ProviderChoice, type SessionLoadOptions } from './providers';
import type { FrameGeometry, PreprocessOptions } from './preprocess';
import { detectDecoder, detectEncoder, pairFamily, type EmbeddingPart, type EncoderSignature, type FrameLayout } from './signature';
import { resampleLogits } from './upsample';

export { promptTensors } from './decoders';

export interface SamModelFiles {
  encoder: string;
  decoder: string;
}

export interface SamRuntimeInfo {
  family: SamFamily;
  /** How the image lies in the model's 1024 frame (letterboxed, or stretched to the square). */
  layout: FrameLayout;
  encoder: {
    file: string;
    convention: EncoderSignature['convention'];
    inputName: string;
    /** The encoder outputs kept, in the order they are packed into an embedding. */
    parts: readonly EmbeddingPart[];
    /** Floats in one packed embedding (1 Mi for one [1,256,64,64] tensor, 4 MiB; 4 Mi for SAM 2, 16 MiB). */
    embeddingLength: number;
    fixedSize: EncoderSignature['fixedSize'];
    provider: ProviderChoice;
  };
  decoder: { file: string; maskCount: number | null; takesMaskInput: boolean; provider: ProviderChoice };
}

/** A prompt point in image pixels (or the 1024 model frame when prompt.frame is 'model'). */
interface SamPoint {
  x: number;
  y: number;
  /** 1 = include (foreground), 0 = exclude (background). */
  label: 0 | 1;
}

export interface SamPrompt {
  points?: readonly SamPoint[];
  /** Box around the object; x/y/width/height in pixels, inclusive extents (last pixel x + width - 1). */
  box?: Box;
  /** A previous low-resolution mask (lowRes of one candidate, 256x256 logits) to refine; ignored by decoders without a mask input. */
  maskInput?: Float32Array;
  /** 'image' (default): coordinates in image pixels; 'model': already in the model's 1024 frame. */
  frame?: 'image' | 'model';
}

export interface DecodeOptions {
  /** 'logits' (default): float logits per pixel (mask = logit > 0); 'binary': 0/1 bytes, 4x smaller. */
  output?: 'logits' | 'binary';
  /** Return only the candidate with the highest score (predicted IoU; EdgeSAM's exported score). */
  best?: boolean;
  /** Also return the 256x256 low-resolution logits (default true); they refine a later prompt. */
  lowRes?: boolean;
  /**
   * 'image' (default): masks at the image size, as the reference pipelines return them.
   * 'frame': masks at the decoder's working resolution covering the image — for letterboxed models the
   * resized size inside the 1024 frame (resizedWidth x resizedHeight), for stretched ones (SAM 2,
   * EfficientSAM) the 256x256 low-res logits. The image-size logits are these upsampled bilinearly
   * (half-pixel centres), so for large images a caller can upsample only the mask's bounding box
   * instead of filling W x H floats per candidate. The result's width/height say which size it is.
   */
  resolution?: 'image' | 'frame';
}

interface DecodeCommon {
  width: number;
  height: number;
  /** Number of candidate masks (masks holds count planes of width*height, row-major). */
  count: number;
  /** Score per candidate: predicted IoU (EdgeSAM: its exported score, the stability score in its README's export). */
  iou: Float32Array;
  /** Index of each returned candidate among the decoder's outputs (matters when best is set). */
  indices: number[];
  /** Low-resolution logits, count planes of 256x256, or null when not asked for. */
  lowRes: Float32Array | null;
  /** The part (at the origin) of a 256x256 low-res plane that covers the image. */
  lowResExtent: Size;
  timing: { modelMs: number; totalMs: number };
}
export type SamDecodeResult = DecodeCommon & ({ output: 'logits'; masks: Float32Array } | { output: 'binary'; masks: Uint8Array });

interface SamEmbedResult {
  /** The encoder's outputs packed in info.encoder.parts order. */
  data: Float32Array;
  geometry: FrameGeometry;
  timing: { preprocessMs: number; modelMs: number };
}

export class SamRuntime {
  private constructor(
    private readonly encoder: InferenceSession,
    private readonly decoder: InferenceSession,
    private readonly encoderAdapter: EncoderAdapter,
    private readonly decoderAdapter: DecoderAdapter,
    readonly info: SamRuntimeInfo,
  ) {}

  /** Loads both sessions and recognises their family; releases what it opened when anything fails. */
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
      const decSig = detectDecoder(dec.session.inputMetadata, dec.session.outputMetadata, files.decoder);
      const family = pairFamily(encoderSig, decSig, files);
      const encoderAdapter = new EncoderAdapter(encoderSig, files.encoder);
      const decoder = decoderAdapter(decSig, encoderSig.parts, files.decoder);
      return new SamRuntime(enc.session, dec.session, encoderAdapter, decoder, {
        family,
        layout: encoderSig.layout,
        encoder: {
          file: files.encoder,
          convention: encoderSig.convention,
          inputName: encoderSig.inputName,
          parts: encoderSig.parts,
          embeddingLength: encoderAdapter.embeddingLength,
          fixedSize: encoderSig.fixedSize,
          provider: enc.choice,
        },
        decoder: { file: files.decoder, maskCount: decSig.maskCount, takesMaskInput: decoder.takesMaskInput, provider: dec.choice },
      });
    } catch (e) {
      await Promise.all([enc.session.release(), dec.session.release()]);
      throw e;
    }
  }

  async embed(raster: RasterImage, options: PreprocessOptions = {}): Promise<SamEmbedResult> {
    const t0 = performance.now();
    let input: ReturnType<EncoderAdapter['input']>;
    try {
      input = this.encoderAdapter.input(raster, options);
    } catch (e) {
      if (e instanceof RangeError) throw new ServiceError('bad-image', `Cannot prepare the image for SAM: ${e.message}`);
      throw e;
    }
    const t1 = performance.now();
    const out = await this.encoder.run(input.feeds);
    const t2 = performance.now();
    input.dispose();
    return { data: this.encoderAdapter.pack(out), geometry: input.geometry, timing: { preprocessMs: t1 - t0, modelMs: t2 - t1 } };
  }

  async decode(embedding: Float32Array, geometry: FrameGeometry, prompt: SamPrompt, options: DecodeOptions = {}): Promise<SamDecodeResult> {
    const t0 = performance.now();
    const n = this.info.encoder.embeddingLength;
    if (embedding.length !== n) {
      throw new ServiceError('invalid-argument', `A SAM embedding of this model has ${n} values; got ${embedding.length}.`);
    }
    const maskInput = prompt.maskInput;
    if (maskInput !== undefined && maskInput.length !== LOW_RES_SIDE * LOW_RES_SIDE) {
      throw new ServiceError('invalid-argument', `maskInput must hold one 256x256 low-resolution mask; got ${maskInput.length} values.`);
    }
    const adapter = this.decoderAdapter;
    const target = options.resolution === 'frame' ? adapter.frameSize(geometry) : { width: geometry.imageWidth, height: geometry.imageHeight };
    const feeds = adapter.feeds(embedding, prompt, geometry, target);
    const t1 = performance.now();
    const out = await this.decoder.run(feeds);
    const t2 = performance.now();
    const raw = adapter.read(out, target);
    const k = raw.count;
    const iouAll = raw.iou;
    const w = target.width;
    const h = target.height;
    const plane = w * h;
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
    const lowPlane = LOW_RES_SIDE * LOW_RES_SIDE;
    const lowView = options.lowRes === false ? null : view(raw.lowRes, lowPlane);
    const lowRes = lowView !== null && one ? lowView.slice() : lowView;
    const common = { width: w, height: h, count: indices.length, iou, indices, lowRes, lowResExtent: adapter.lowResExtent(geometry) };
    let logits: Float32Array;
    let owned: boolean;
    if (raw.masks !== null) {
      logits = view(raw.masks, plane);
      owned = !one;
    } else {
      logits = this.fromLowRes(raw.lowRes, indices, geometry, target);
      owned = true;
    }
    if (options.output === 'binary') {
      const bin = new Uint8Array(logits.length);
      for (let i = 0; i < logits.length; i++) bin[i] = logits[i]! > 0 ? 1 : 0;
      return { ...common, output: 'binary', masks: bin, timing: { modelMs: t2 - t1, totalMs: performance.now() - t0 } };
    }
    // A copy keeps the caller from holding the other candidates' memory through the shared buffer.
    const chosen = owned ? logits : logits.slice();
    return { ...common, output: 'logits', masks: chosen, timing: { modelMs: t2 - t1, totalMs: performance.now() - t0 } };
  }

  /**
   * Masks at `target` from the low-res logits of the chosen candidates: stretched models' planes cover the
   * image (one resize, as SAM 2's postprocess does); letterboxed ones cover the 1024 frame (upsample and
   * crop to the resized image in one step, then resize to the image as SAM's postprocess does).
   */
  private fromLowRes(low: Float32Array, indices: readonly number[], g: FrameGeometry, target: Size): Float32Array {
    const lowPlane = LOW_RES_SIDE * LOW_RES_SIDE;
    const out = new Float32Array(indices.length * target.width * target.height);
    const extent = this.decoderAdapter.lowResExtent(g);
    indices.forEach((c, i) => {
      const plane = low.subarray(c * lowPlane, (c + 1) * lowPlane);
      const whole = { x: 0, y: 0, width: extent.width, height: extent.height };
      let m: Float32Array;
      if (this.decoderAdapter.layout === 'stretch') m = resampleLogits(plane, LOW_RES_SIDE, LOW_RES_SIDE, whole, target.width, target.height);
      else {
        const fw = g.resizedWidth;
        const fh = g.resizedHeight;
        const frame = resampleLogits(plane, LOW_RES_SIDE, LOW_RES_SIDE, whole, fw, fh);
        m = fw === target.width && fh === target.height ? frame : resampleLogits(frame, fw, fh, { x: 0, y: 0, width: fw, height: fh }, target.width, target.height);
      }
      out.set(m, i * target.width * target.height);
    });
    return out;
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()]);
  }
}
