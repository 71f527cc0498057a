// A binary mask (a segment of the previous slice) as SAM's mask prompt: 256x256 low-resolution
// logits laid out as the decoder reads `mask_input` — over the letterboxed image for SAM's own
// layout, over the whole plane for stretched models (SAM 2, EfficientSAM). Inside the mask a
// positive logit, outside a negative one: a soft prior, since SAM's own low-res logits (what
// mask_input was trained on) are unbounded reals, not a 0/1 mask.
import type { Box } from '../../app/types';
import { LOW_RES_SIDE } from './decoders';
import { SAM_FRAME, type FrameGeometry } from './preprocess';

/** Logit given inside (+) and outside (-) the prior mask. */
export const PRIOR_MASK_LOGIT = 6;

export function priorMaskInput(prior: { box: Box; mask: Uint8Array }, g: FrameGeometry, layout: 'letterbox' | 'stretch'): Float32Array {
  const out = new Float32Array(LOW_RES_SIDE * LOW_RES_SIDE).fill(-PRIOR_MASK_LOGIT);
  const s = LOW_RES_SIDE / SAM_FRAME;
  const extentW = layout === 'stretch' ? LOW_RES_SIDE : g.resizedWidth * s;
  const extentH = layout === 'stretch' ? LOW_RES_SIDE : g.resizedHeight * s;
  const { box, mask } = prior;
  for (let v = 0; v < Math.min(LOW_RES_SIDE, Math.ceil(extentH)); v++) {
    const y = Math.floor(((v + 0.5) * g.imageHeight) / extentH) - box.y;
    if (y < 0 || y >= box.height) continue;
    for (let u = 0; u < Math.min(LOW_RES_SIDE, Math.ceil(extentW)); u++) {
      const x = Math.floor(((u + 0.5) * g.imageWidth) / extentW) - box.x;
      if (x >= 0 && x < box.width && mask[y * box.width + x]) out[v * LOW_RES_SIDE + u] = PRIOR_MASK_LOGIT;
    }
  }
  return out;
}
