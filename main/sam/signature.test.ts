// Tests for family recognition from ONNX metadata (no sessions): encoder conventions, the four decoder
// signatures, pairing, and the refusal messages (file, expected, found, what is missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceSession } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';
import { detectDecoder, detectEncoder, pairFamily } from './signature';

type Meta = InferenceSession.ValueMetadata;
const t = (name: string, shape: (number | string)[], type = 'float32'): Meta => ({ name, isTensor: true, type, shape }) as Meta;
const emb = [t('image_embeddings', [1, 256, 64, 64])];
const sam2Outputs = [t('high_res_feats_0', [1, 32, 256, 256]), t('high_res_feats_1', [1, 64, 128, 128]), t('image_embed', [1, 256, 64, 64])];
const points = [t('point_coords', [1, 'n', 2]), t('point_labels', [1, 'n'])];
const masksIn = [t('mask_input', [1, 1, 256, 256]), t('has_mask_input', [1])];
const decoders = {
  sam: { inputs: [t('image_embeddings', [1, 256, 64, 64]), ...points, ...masksIn, t('orig_im_size', [2])], outputs: [t('masks', [1, 4, 'h', 'w']), t('iou_predictions', [1, 4]), t('low_res_masks', [1, 4, 256, 256])] },
  sam2: {
    inputs: [t('image_embed', [1, 256, 64, 64]), t('high_res_feats_0', [1, 32, 256, 256]), t('high_res_feats_1', [1, 64, 128, 128]), t('point_coords', ['num_labels', 'num_points', 2]), t('point_labels', ['num_labels', 'num_points']), t('mask_input', ['num_labels', 1, 256, 256]), t('has_mask_input', ['num_labels'])],
    outputs: [t('masks', ['num_labels', 3, 256, 256]), t('iou_predictions', ['num_labels', 3])],
  },
  efficientsam: {
    inputs: [t('image_embeddings', ['batch', 256, 64, 64]), t('batched_point_coords', [1, 1, 'num_points', 2]), t('batched_point_labels', [1, 1, 'num_points']), t('orig_im_size', [2], 'int64')],
    outputs: [t('output_masks', [1, 1, 3, 'h', 'w']), t('iou_predictions', [1, 1, 3]), t('1523', [1, 3, 256, 256])],
  },
  edgesam: { inputs: [t('image_embeddings', [1, 256, 64, 64]), ...points], outputs: [t('scores', [1, 4]), t('masks', [1, 4, 256, 256])] },
};

test('encoders: SAM letterbox conventions, SAM 2 (three outputs, stretched), EfficientSAM (any size, 0..1)', () => {
  assert.deepEqual(detectEncoder([t('x', [1, 3, 1024, 1024])], [t('output', [1, 256, 64, 64])], '/m/a.onnx'), {
    kind: 'sam',
    convention: 'nchw-normalized',
    layout: 'letterbox',
    inputName: 'x',
    fixedSize: null,
    parts: [{ name: 'output', dims: [1, 256, 64, 64] }],
  });
  const hwc = detectEncoder([t('input_image', ['H', 'W', 3])], emb, 'b.onnx');
  assert.equal(hwc.convention, 'hwc-0-255');
  assert.equal(hwc.fixedSize, null);
  assert.deepEqual(detectEncoder([t('input_image', [1024, 1024, 3])], emb, 'c.onnx').fixedSize, { width: 1024, height: 1024 });

  const sam2 = detectEncoder([t('image', [1, 3, 1024, 1024])], sam2Outputs, 'sam2.encoder.onnx');
  assert.equal(sam2.kind, 'sam2');
  assert.equal(sam2.convention, 'nchw-normalized-square');
  assert.equal(sam2.layout, 'stretch');
  // Packed with the image embedding first, whatever order the graph declares its outputs in.
  assert.deepEqual(sam2.parts.map((p) => p.name), ['image_embed', 'high_res_feats_0', 'high_res_feats_1']);

  const eff = detectEncoder([t('batched_images', ['batch', 3, 'height', 'width'])], [t('image_embeddings', ['batch', 256, 64, 64])], 'efficient_sam_vitt_encoder.onnx');
  assert.deepEqual([eff.kind, eff.convention, eff.layout], ['efficientsam', 'nchw-unit', 'stretch']);
});

test('encoders that fit no family are refused with the file name and what was found', () => {
  const partial = () => detectEncoder([t('image', [1, 3, 1024, 1024])], sam2Outputs.slice(0, 2), '/x/sam2.encoder.onnx');
  assert.throws(partial, (e: unknown) => {
    assert.ok(e instanceof ServiceError && e.code === 'model' && e.file === '/x/sam2.encoder.onnx');
    assert.match(e.message, /"sam2\.encoder\.onnx"/);
    assert.match(e.message, /has no output image_embed/);
    assert.match(e.message, /Found inputs: image float32 \[1,3,1024,1024\]; outputs: high_res_feats_0/);
    return true;
  });
  assert.throws(() => detectEncoder([t('x', [1, 3, 512, 512])], emb, 'small.onnx'), /\[1,3,512,512\]/);
  assert.throws(() => detectEncoder([t('image', [1, 3, 'h', 'w'], 'uint8')], emb, 'u8.onnx'), /"image" is uint8, not float32/);
  assert.throws(() => detectEncoder([t('image', [1, 3, 1024, 1024])], [t('feats', [1, 256, 32, 32])], 'v.onnx'), /"feats" is not a float32 \[1,256,64,64\] embedding/);
});

test('each decoder family is recognised from its inputs and outputs, with its number of candidate masks', () => {
  const got = Object.entries(decoders).map(([name, d]) => {
    const sig = detectDecoder(d.inputs, d.outputs, `${name}.onnx`);
    return [sig.family, sig.maskCount];
  });
  assert.deepEqual(got, [
    ['sam', 4],
    ['sam2', 3],
    ['efficientsam', 3],
    ['edgesam', 4],
  ]);
  // The ONNX-SAM2-Segment-Anything export adds an int32 orig_im_size.
  const withSize = detectDecoder([...decoders.sam2.inputs, t('orig_im_size', [2], 'int32')], decoders.sam2.outputs, 'd.onnx');
  assert.equal(withSize.family, 'sam2');
  assert.equal(withSize.inputTypes.orig_im_size, 'int32');
});

test('an unrecognised decoder is refused naming the closest family, its missing and unexpected inputs, and what it has', () => {
  // onnxruntime's own SAM 2 export uses other names.
  const inputs = [
    t('image_features_0', [1, 32, 256, 256]),
    t('image_features_1', [1, 64, 128, 128]),
    t('image_embeddings', [1, 256, 64, 64]),
    ...points,
    t('input_masks', [1, 1, 256, 256]),
    t('has_input_masks', [1]),
    t('original_image_size', [2], 'int32'),
  ];
  try {
    detectDecoder(inputs, [t('masks', [1, 3, 'h', 'w']), t('iou_predictions', [1, 3]), t('low_res_masks', [1, 3, 256, 256])], '/models/ort-sam2.decoder.onnx');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.file, '/models/ort-sam2.decoder.onnx');
    assert.match(e.message, /"ort-sam2\.decoder\.onnx" is not a SAM decoder GrainLab recognises/);
    assert.match(e.message, /Closest: SAM \(Meta decoder\) \(missing inputs mask_input, has_mask_input, orig_im_size; unexpected inputs image_features_0, image_features_1, input_masks, has_input_masks, original_image_size\)/);
    assert.match(e.message, /SAM 2 \/ 2\.1: inputs image_embed \[1,256,64,64\], high_res_feats_0 \[1,32,256,256\]/);
    assert.match(e.message, /Found inputs: image_features_0 float32 \[1,32,256,256\]/);
  }
  // A right name with the wrong element type is named too.
  const int64Size = [...decoders.sam.inputs.slice(0, 5), t('orig_im_size', [2], 'int64')];
  assert.throws(() => detectDecoder(int64Size, decoders.sam.outputs, 'd.onnx'), /wrong types: orig_im_size is int64, expected float32/);
});

test('an encoder of one family with the decoder of another is refused', () => {
  const enc = detectEncoder([t('image', [1, 3, 1024, 1024])], sam2Outputs, '/m/sam2.encoder.onnx');
  const dec = detectDecoder(decoders.edgesam.inputs, decoders.edgesam.outputs, '/m/edge_sam_decoder.onnx');
  assert.throws(
    () => pairFamily(enc, dec, { encoder: '/m/sam2.encoder.onnx', decoder: '/m/edge_sam_decoder.onnx' }),
    /"sam2\.encoder\.onnx" is a SAM 2 encoder .* but the decoder "edge_sam_decoder\.onnx" \(EdgeSAM\) needs a SAM-style encoder/,
  );
  const samEnc = detectEncoder([t('image', [1, 3, 1024, 1024])], emb, 'e.onnx');
  assert.equal(pairFamily(samEnc, dec, { encoder: 'e.onnx', decoder: 'd.onnx' }), 'edgesam');
});
