// The line the jobs panel shows under the training bar reads as a person writes it: "1 image"
// (it said "1 images, 5769 labelled pixels"), thousands separated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingLine } from './service';

test('training progress line: singular and plural, thousands separated', () => {
  assert.equal(trainingLine(1, 5769), '1 image, 5,769 labelled pixels');
  assert.equal(trainingLine(3, 1), '3 images, 1 labelled pixel');
  assert.equal(trainingLine(12, 1234567), '12 images, 1,234,567 labelled pixels');
});
