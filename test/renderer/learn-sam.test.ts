// The Learn section's "SAM embeddings" option: offered only for an installed active SAM model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SamModelInfo } from '../../app/contract/sam';
import { samFeatureModel } from '../../renderer/components/learn/sam-option';

const model = (id: string, installed: boolean) => ({ id, installed }) as SamModelInfo;

test('SAM embeddings are offered for the installed active model only', () => {
  assert.equal(samFeatureModel(null), null);
  assert.equal(samFeatureModel({ active: null, models: [model('a', true)] }), null);
  assert.equal(samFeatureModel({ active: 'a', models: [model('a', false), model('b', true)] }), null);
  assert.equal(samFeatureModel({ active: 'b', models: [model('a', false), model('b', true)] }), 'b');
});
