// Tests for the decoder adapters' feeds (no sessions): how each family gets its points (frame, padding
// point, point limit) and its size input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from 'onnxruntime-node';
import { decoderAdapter, EFFICIENTSAM_MAX_POINTS, modelPoints } from './decoders';
import type { FrameGeometry } from './preprocess';
import type { DecoderSignature, EmbeddingPart } from './signature';

const g: FrameGeometry = { imageWidth: 800, imageHeight: 600, resizedWidth: 1024, resizedHeight: 768 };
const one: EmbeddingPart[] = [{ name: 'image_embeddings', dims: [1, 256, 64, 64] }];
const sam2Parts: EmbeddingPart[] = [
  { name: 'image_embed', dims: [1, 256, 64, 64] },
  { name: 'high_res_feats_0', dims: [1, 32, 256, 256] },
  { name: 'high_res_feats_1', dims: [1, 64, 128, 128] },
];
const sig = (family: DecoderSignature['family'], inputTypes: Record<string, string> = {}): DecoderSignature => ({ family, inputTypes, maskCount: null });
const emb = (parts: EmbeddingPart[]) => new Float32Array(parts.reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0));
const values = (t: Tensor | undefined) => [...(t!.data as Float32Array | Int32Array)].map(Number);
const target = { width: 800, height: 600 };

test('prompt points reach the 1024 frame letterboxed (scale resized/image) or stretched (1024/width, 1024/height)', () => {
  const p = { points: [{ x: 100, y: 60, label: 1 as const }], box: { x: 10, y: 20, width: 11, height: 21 } };
  assert.deepEqual(modelPoints(p, g, 'letterbox').map((q) => [q.x, q.y, q.label]), [[128, 76.8, 1], [12.8, 25.6, 2], [25.6, 51.2, 3]]);
  const s = modelPoints(p, g, 'stretch').map((q) => [q.x, q.y, q.label]);
  assert.deepEqual(s.map(([x, y, l]) => [x, Math.round(y! * 1000) / 1000, l]), [[128, 102.4, 1], [12.8, 34.133, 2], [25.6, 68.267, 3]]);
});

test("SAM's and EdgeSAM's decoders get the padding point (0,0,-1) without a box; SAM 2's gets none (its graph adds it)", () => {
  const click = { points: [{ x: 100, y: 60, label: 1 as const }] };
  for (const family of ['sam', 'edgesam'] as const) {
    const f = decoderAdapter(sig(family), one, 'd.onnx').feeds(emb(one), click, g, target);
    assert.deepEqual(values(f.point_labels), [1, -1], family);
    assert.deepEqual(values(f.point_coords), [128, 76.80000305175781, 0, 0], family);
    assert.ok(f.image_embeddings !== undefined, family);
  }
  const edge = decoderAdapter(sig('edgesam'), one, 'd.onnx').feeds(emb(one), click, g, target);
  assert.deepEqual(Object.keys(edge).sort(), ['image_embeddings', 'point_coords', 'point_labels']);
  const sam = decoderAdapter(sig('sam'), one, 'd.onnx').feeds(emb(one), click, g, { width: 1024, height: 768 });
  assert.deepEqual(values(sam.orig_im_size), [768, 1024], 'Meta decoder: masks made at the size asked for');

  const s2 = decoderAdapter(sig('sam2'), sam2Parts, 'd.onnx').feeds(emb(sam2Parts), click, g, target);
  assert.deepEqual(values(s2.point_labels), [1]);
  assert.deepEqual(values(s2.point_coords), [128, 102.4000015258789]);
  assert.deepEqual(s2.high_res_feats_0!.dims, [1, 32, 256, 256]);
  assert.deepEqual(s2.image_embed!.dims, [1, 256, 64, 64]);
  assert.equal(s2.orig_im_size, undefined, 'samexporter form: no orig_im_size');
  const withSize = decoderAdapter(sig('sam2', { orig_im_size: 'int32' }), sam2Parts, 'd.onnx').feeds(emb(sam2Parts), click, g, target);
  assert.equal(withSize.orig_im_size!.type, 'int32');
  assert.deepEqual(values(withSize.orig_im_size), [256, 256], 'asked for the low-res size: the graph resize is an identity');
});

test('EfficientSAM gets points in the 256 space of orig_im_size (int64), at most 6: the box corners, then the latest clicks', () => {
  const a = decoderAdapter(sig('efficientsam', { orig_im_size: 'int64' }), one, 'd.onnx');
  const clicks = Array.from({ length: 7 }, (_, i) => ({ x: 100 + i, y: 60, label: (i % 2) as 0 | 1 }));
  const f = a.feeds(emb(one), { points: clicks, box: { x: 10, y: 20, width: 11, height: 21 } }, g, target);
  assert.equal(f.orig_im_size!.type, 'int64');
  assert.deepEqual([...(f.orig_im_size!.data as BigInt64Array)], [256n, 256n]);
  assert.deepEqual(f.batched_point_labels!.dims, [1, 1, EFFICIENTSAM_MAX_POINTS]);
  assert.deepEqual(values(f.batched_point_labels), [2, 3, 1, 0, 1, 0]);
  const xs = values(f.batched_point_coords).filter((_, i) => i % 2 === 0);
  assert.deepEqual(xs, [10 * 0.32, 20 * 0.32, 103 * 0.32, 104 * 0.32, 105 * 0.32, 106 * 0.32].map(Math.fround));
});
