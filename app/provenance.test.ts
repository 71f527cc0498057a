import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPersonMade, isTrainingLabel, keptIds, mayAutoClass, replaceCounts } from './provenance';

const seg = (id: number, o: Partial<{ classId: number | null; classSource: 'person' | 'cluster' | 'classifier' | 'import' | null; verified: boolean; edited: boolean }> = {}) => ({
  id,
  classId: o.classId ?? null,
  classSource: o.classSource ?? null,
  verified: o.verified ?? false,
  edited: o.edited ?? false,
});

test('a person made a segment when it is verified, edited by hand or given a class by a person', () => {
  assert.equal(isPersonMade(seg(1)), false);
  assert.equal(isPersonMade(seg(1, { verified: true })), true);
  assert.equal(isPersonMade(seg(1, { edited: true })), true);
  assert.equal(isPersonMade(seg(1, { classId: 2, classSource: 'person' })), true);
  for (const src of ['classifier', 'cluster', 'import'] as const) assert.equal(isPersonMade(seg(1, { classId: 2, classSource: src })), false, src);
  assert.equal(isPersonMade(seg(1, { classId: null, classSource: 'person' })), false, 'a cleared class is no class');
});

test('training labels: a person\'s class, an imported class or a verified segment with a class; automatic sources never change them', () => {
  assert.equal(isTrainingLabel(seg(1, { classId: 2, classSource: 'person' })), true);
  assert.equal(isTrainingLabel(seg(1, { classId: 2, classSource: 'import' })), true);
  assert.equal(isTrainingLabel(seg(1, { classId: 2, classSource: 'classifier', verified: true })), true);
  assert.equal(isTrainingLabel(seg(1, { classId: 2, classSource: 'classifier' })), false);
  assert.equal(isTrainingLabel(seg(1, { classId: 2, classSource: 'cluster' })), false);
  assert.equal(isTrainingLabel(seg(1, { verified: true })), false, 'verified without a class teaches no class');
  assert.equal(mayAutoClass(seg(1, { classId: 2, classSource: 'person' })), false);
  assert.equal(mayAutoClass(seg(1, { classId: 2, classSource: 'classifier' })), true);
});

test('kept ids and the counts a batch action states before it starts', () => {
  const segs = [seg(1), seg(2, { edited: true }), seg(3, { verified: true }), seg(4, { classId: 1, classSource: 'classifier' })];
  assert.deepEqual([...keptIds(segs, 'person')], [2, 3]);
  assert.deepEqual([...keptIds(segs, 'none')], []);
  assert.deepEqual(replaceCounts(segs, 'person'), { segments: 4, personMade: 2, replaced: 2, kept: 2 });
  assert.deepEqual(replaceCounts(segs, 'none'), { segments: 4, personMade: 2, replaced: 4, kept: 0 });
});
