import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FEATURES, DEFAULT_KINDS, FEATURE_KINDS, featureCount } from './features';
import { decodeFeatureSet, describeFeatureSet, encodeFeatureSet, FEATURE_PRESETS, parseFeatureFlags, presetOf, validateFeatureSet } from './feature-set';

test('a feature set round-trips through its stored form, sorted and deduplicated', () => {
  const spec = validateFeatureSet({ sigmas: [3.5, 0.7, 1, 0.7], kinds: ['structure', 'gauss', 'log'] });
  assert.deepEqual(spec, { sigmas: [0.7, 1, 3.5], kinds: ['gauss', 'log', 'structure'] });
  const text = encodeFeatureSet(spec);
  assert.deepEqual(decodeFeatureSet(text), spec);
  assert.equal(presetOf(spec), null);
  for (const [name, p] of Object.entries(FEATURE_PRESETS)) {
    assert.equal(presetOf(decodeFeatureSet(encodeFeatureSet(p))), name);
  }
});

test('the presets differ in size: Fast has fewer maps than Default, All more', () => {
  const n = (p: keyof typeof FEATURE_PRESETS) => featureCount(FEATURE_PRESETS[p]);
  assert.equal(n('Default'), featureCount(DEFAULT_FEATURES));
  assert.ok(n('Fast') < n('Default') && n('Default') < n('All'));
  assert.ok(FEATURE_PRESETS.Fast.sigmas.length < FEATURE_PRESETS.Default.sigmas.length);
  assert.deepEqual(FEATURE_PRESETS.All.kinds, [...DEFAULT_KINDS]);
});

test('CLI lists are parsed; bad values are refused with what is allowed', () => {
  assert.deepEqual(parseFeatureFlags('0.7, 1,3.5', 'gauss,log'), { sigmas: [0.7, 1, 3.5], kinds: ['gauss', 'log'] });
  assert.throws(() => parseFeatureFlags('0.7,abc', 'gauss'), /'abc' is not a number.*0\.3 to 64/);
  assert.throws(() => parseFeatureFlags('0.1', 'gauss'), /0\.1 is outside 0\.3\.\.64/);
  assert.throws(() => parseFeatureFlags('1', 'gauss,sobel'), new RegExp(`unknown feature kind 'sobel': the kinds are ${FEATURE_KINDS.join(', ')}`));
  assert.throws(() => parseFeatureFlags('', 'gauss'), /at least one scale/);
  assert.throws(() => parseFeatureFlags('1', ''), /at least one kind/);
  assert.throws(() => parseFeatureFlags('1,2,3,4,5,6,7,8,9,10,11,12,13', 'gauss'), /13 scales; at most 12/);
});

test('a missing or damaged stored value gives the default set', () => {
  for (const bad of [null, '', '{', '{"sigmas":[],"kinds":["gauss"]}', '{"sigmas":[1],"kinds":["nope"]}', '[1,2]']) {
    assert.deepEqual(decodeFeatureSet(bad), DEFAULT_FEATURES, String(bad));
  }
});

test('the summary names the preset, the kinds and the scales', () => {
  assert.equal(describeFeatureSet(DEFAULT_FEATURES), 'Default: 6 kinds × 6 scales (0.7, 1, 1.6, 3.5, 5, 10 px), 48 maps');
  assert.equal(describeFeatureSet({ sigmas: [1, 3.5], kinds: ['gauss', 'hessian'] }), 'gauss, hessian × 2 scales (1, 3.5 px), 6 maps');
  assert.equal(describeFeatureSet({ sigmas: [1], kinds: ['tophat', 'gauss'] }), 'gauss, tophat × 1 scale (1 px), 3 maps');
  assert.deepEqual(decodeFeatureSet(encodeFeatureSet({ sigmas: [1], kinds: ['tophat', 'gauss'] })), { sigmas: [1], kinds: ['gauss', 'tophat'] });
});
