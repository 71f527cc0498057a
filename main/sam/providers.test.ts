// Tests for execution-provider selection: platform order, fallback to CPU with a reason, the probe model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeModel } from '../../scripts/build-tiny-sam';
import { defaultProviders, doctor, probeModelBytes } from './providers';

test('platform order: CUDA on Linux x64, DirectML on Windows, CoreML on macOS, CPU last', () => {
  assert.deepEqual(defaultProviders('linux', 'x64'), ['cuda', 'cpu']);
  assert.deepEqual(defaultProviders('linux', 'arm64'), ['cpu']);
  assert.deepEqual(defaultProviders('win32', 'x64'), ['dml', 'cpu']);
  assert.deepEqual(defaultProviders('darwin', 'arm64'), ['coreml', 'cpu']);
});

test('the embedded probe model is the one the tiny-model builder makes', () => {
  assert.deepEqual(probeModelBytes(), probeModel());
});

test('a provider that is not installed falls back to CPU and says why', async () => {
  const providers = await import('onnxruntime-node').then((ort) => ort.listSupportedBackends().map((b) => b.name));
  const r = await doctor({ providers: ['cuda', 'coreml'] });
  assert.deepEqual(r.order, ['cuda', 'coreml', 'cpu']);
  assert.equal(r.backends.length, providers.length);
  if (r.choice.provider === 'cpu') {
    // This machine (no GPU runtime): both failed, each with onnxruntime's reason.
    assert.deepEqual(r.choice.attempts.map((a) => [a.provider, a.ok]), [['cuda', false], ['coreml', false], ['cpu', true]]);
    assert.match(r.choice.reason, /^cpu: cuda unavailable \(.+\); coreml unavailable \(.+\)$/);
  } else {
    assert.equal(r.choice.provider, 'cuda'); // a machine with CUDA installed
  }
});
