// Tests for encoder convention detection and the decoder signature check (metadata only, no sessions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceSession } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';
import { checkDecoder, detectEncoder } from './signature';

type Meta = InferenceSession.ValueMetadata;
const t = (name: string, shape: (number | string)[]): Meta => ({ name, isTensor: true, type: 'float32', shape });
const emb = [t('image_embeddings', [1, 256, 64, 64])];
const metaDecoderInputs = [
  t('image_embeddings', [1, 256, 64, 64]),
  t('point_coords', [1, 'n', 2]),
  t('point_labels', [1, 'n']),
  t('mask_input', [1, 1, 256, 256]),
  t('has_mask_input', [1]),
  t('orig_im_size', [2]),
];
const metaDecoderOutputs = [t('masks', [1, 4, 'h', 'w']), t('iou_predictions', [1, 4]), t('low_res_masks', [1, 4, 256, 256])];

test('encoder conventions: NCHW 1024 normalised, HWC symbolic, HWC fixed', () => {
  assert.deepEqual(detectEncoder([t('x', [1, 3, 1024, 1024])], [t('output', [1, 256, 64, 64])], '/m/a.onnx'), {
    convention: 'nchw-normalized',
    inputName: 'x',
    outputName: 'output',
    fixedSize: null,
  });
  const hwc = detectEncoder([t('input_image', ['H', 'W', 3])], emb, 'b.onnx');
  assert.equal(hwc.convention, 'hwc-0-255');
  assert.equal(hwc.fixedSize, null);
  assert.deepEqual(detectEncoder([t('input_image', [1024, 1024, 3])], emb, 'c.onnx').fixedSize, { width: 1024, height: 1024 });
});

test('encoders of other families are refused with the file name and what was found', () => {
  // SAM 2 style: several outputs, none named image_embeddings.
  const sam2 = () => detectEncoder([t('image', [1, 3, 1024, 1024])], [t('high_res_feats_0', [1, 32, 256, 256]), t('image_embed', [1, 256, 64, 64])], '/x/sam2.encoder.onnx');
  assert.throws(sam2, (e: unknown) => e instanceof ServiceError && e.code === 'model' && e.file === '/x/sam2.encoder.onnx' && /sam2\.encoder\.onnx/.test(e.message) && /high_res_feats_0/.test(e.message));
  // EfficientSAM style: input of another size.
  assert.throws(() => detectEncoder([t('batched_images', ['b', 3, 'h', 'w'])], [t('image_embeddings', [1, 256, 64, 64])], 'e.onnx'));
  assert.throws(() => detectEncoder([t('x', [1, 3, 512, 512])], emb, 'small.onnx'), /\[1,3,512,512\]/);
});

test("Meta's decoder passes and reports its mask count", () => {
  assert.deepEqual(checkDecoder(metaDecoderInputs, metaDecoderOutputs, 'd.onnx'), { maskCount: 4 });
});

test('a decoder with other input names is refused, listing expected and found inputs', () => {
  const inputs = [t('image_embed', [1, 256, 64, 64]), t('high_res_feats_0', [1, 32, 256, 256]), ...metaDecoderInputs.slice(1, 5)];
  try {
    checkDecoder(inputs, [t('masks', [1, 1, 256, 256]), t('iou_predictions', [1, 1])], '/models/sam2.decoder.onnx');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.file, '/models/sam2.decoder.onnx');
    assert.match(e.message, /Expected inputs: image_embeddings \[1,256,64,64\], point_coords/);
    assert.match(e.message, /Found inputs: image_embed float32 \[1,256,64,64\], high_res_feats_0/);
    assert.match(e.message, /missing inputs image_embeddings, orig_im_size/);
    assert.match(e.message, /missing outputs low_res_masks/);
  }
});
