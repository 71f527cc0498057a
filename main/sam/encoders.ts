// Encoder adapters: the input tensor a recognised image encoder takes (per its convention) and its
// output(s) packed into one Float32Array in a fixed order, the image embedding first. A single-output
// encoder's packed embedding is its [1,256,64,64] tensor; SAM 2's is image_embed, high_res_feats_0 and
// high_res_feats_1 one after the other (16 MiB). Decoder adapters take views of the parts back.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';
import type { RasterImage } from '../../app/types';
import { frameGeometry, hwcRaw, nchwNormalised, nchwUnit, resizeRaster, resizeToFrame, SAM_FRAME, type FrameGeometry, type PreprocessOptions } from './preprocess';
import type { EmbeddingPart, EncoderSignature } from './signature';

interface EncoderInput {
  feeds: InferenceSession.FeedsType;
  geometry: FrameGeometry;
  dispose(): void;
}

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Number of floats in a packed embedding of these parts. */
function packedLength(parts: readonly EmbeddingPart[]): number {
  return parts.reduce((n, p) => n + size(p.dims), 0);
}

/** Views (no copies) of the parts of a packed embedding, in order. */
export function unpack(data: Float32Array, parts: readonly EmbeddingPart[]): Float32Array[] {
  const out: Float32Array[] = [];
  let offset = 0;
  for (const p of parts) {
    const n = size(p.dims);
    out.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

export class EncoderAdapter {
  readonly embeddingLength: number;

  constructor(
    readonly signature: EncoderSignature,
    private readonly file: string,
  ) {
    this.embeddingLength = packedLength(signature.parts);
  }

  /** The input tensor for a raster, per the encoder's convention. */
  input(raster: RasterImage, options: PreprocessOptions = {}): EncoderInput {
    const sig = this.signature;
    let tensor: Tensor;
    let geometry: FrameGeometry;
    switch (sig.convention) {
      case 'nchw-normalized': {
        const r = resizeToFrame(raster, options);
        geometry = r.geometry;
        tensor = new Tensor('float32', nchwNormalised(r.rgb, geometry.resizedWidth, geometry.resizedHeight), [1, 3, SAM_FRAME, SAM_FRAME]);
        break;
      }
      case 'hwc-0-255': {
        const r = resizeToFrame(raster, options);
        geometry = r.geometry;
        const { resizedWidth: w, resizedHeight: h } = geometry;
        const pw = sig.fixedSize?.width ?? w;
        const ph = sig.fixedSize?.height ?? h;
        tensor = new Tensor('float32', hwcRaw(r.rgb, w, h, pw, ph), [ph, pw, 3]);
        break;
      }
      case 'nchw-normalized-square': {
        geometry = frameGeometry(raster.width, raster.height);
        const rgb = resizeRaster(raster, SAM_FRAME, SAM_FRAME, options);
        tensor = new Tensor('float32', nchwNormalised(rgb, SAM_FRAME, SAM_FRAME), [1, 3, SAM_FRAME, SAM_FRAME]);
        break;
      }
      case 'nchw-unit': {
        // EfficientSAM resizes any input to 1024x1024 inside the graph; giving it that size keeps a
        // 16k-pixel micrograph from becoming a 3 GB tensor, and the graph's resize an identity.
        geometry = frameGeometry(raster.width, raster.height);
        const rgb = resizeRaster(raster, SAM_FRAME, SAM_FRAME, options);
        tensor = new Tensor('float32', nchwUnit(rgb, SAM_FRAME, SAM_FRAME), [1, 3, SAM_FRAME, SAM_FRAME]);
        break;
      }
    }
    return { feeds: { [sig.inputName]: tensor }, geometry, dispose: () => tensor.dispose() };
  }

  /** The encoder's outputs as one packed Float32Array; a ServiceError names the file when one is missing or misshapen. */
  pack(out: InferenceSession.ReturnType): Float32Array {
    const parts = this.signature.parts;
    const tensors = parts.map((p) => {
      const t = out[p.name];
      if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== size(p.dims)) {
        throw new ServiceError('model', `The SAM encoder "${this.file}" did not return a float32 ${p.name} [${p.dims.join(',')}].`, this.file);
      }
      return t.data;
    });
    if (tensors.length === 1) return tensors[0]!;
    const packed = new Float32Array(this.embeddingLength);
    let offset = 0;
    for (const t of tensors) {
      packed.set(t, offset);
      offset += t.length;
    }
    return packed;
  }
}

/** What a packed embedding holds, for cache keys: empty for a single [1,256,64,64] tensor (those keys stay as they were). */
export function embeddingLayoutKey(parts: readonly EmbeddingPart[]): string {
  return parts.length === 1 ? '' : parts.map((p) => `${p.name}[${p.dims.join('x')}]`).join('+');
}
