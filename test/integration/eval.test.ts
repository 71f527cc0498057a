// `grainlab eval` on a small labelled folder made here: phases scored by IoU, grains by ARI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateGrains, generatePhases } from '../../app/synth';
import { evaluateClassic, scoreGrains } from '../../main/eval/evaluate';
import { listPairs, loadPair } from '../../main/eval/datasets';
import { runCli } from '../../main/cli/index';

async function writeSet(kind: 'phases' | 'grains'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `gl-eval-${kind}-`));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'labels'));
  for (const seed of [1, 2]) {
    if (kind === 'phases') {
      const p = generatePhases({ width: 192, height: 160, seed, structure: 'particles' });
      await sharp(p.image.data as Uint8Array, { raw: { width: 192, height: 160, channels: 1 } }).png().toFile(join(dir, 'images', `s${seed}.png`));
      await sharp(Uint8Array.from(p.classes, (c) => (c > 0 ? 1 : 0)), { raw: { width: 192, height: 160, channels: 1 } }).png().toFile(join(dir, 'labels', `s${seed}.png`));
    } else {
      const g = generateGrains({ width: 192, height: 160, seed, grainCount: 20 });
      const boundary = Uint8Array.from(g.boundaries, (b) => (b ? 255 : 0));
      await sharp(g.image.data as Uint8Array, { raw: { width: 192, height: 160, channels: 1 } }).png().toFile(join(dir, 'images', `g${seed}.png`));
      await sharp(boundary, { raw: { width: 192, height: 160, channels: 1 } }).png().toFile(join(dir, 'labels', `g${seed}.png`));
    }
  }
  return dir;
}

test('phase set: particles on a matrix are scored by IoU of the target phase', async () => {
  const dir = await writeSet('phases');
  const s = await evaluateClassic(dir, { name: 'synthetic', kind: 'phases', labels: 'index', classic: { mode: 'phase', minArea: 4, invert: false }, targetClasses: [1] });
  assert.equal(s.images.length, 2);
  assert.ok(s.mean.iou! > 0.8, `IoU ${s.mean.iou}`);
  // Scoring the wrong polarity must score badly: the metric really looks at the pixels.
  const wrong = await evaluateClassic(dir, { name: 'synthetic', kind: 'phases', labels: 'index', classic: { mode: 'phase', minArea: 4, invert: true }, targetClasses: [1] });
  assert.ok(wrong.mean.iou! < 0.5, `inverted IoU ${wrong.mean.iou}`);
});

test('grain scores: identical maps give ARI 1 and full recall; a merged map scores lower', () => {
  const g = generateGrains({ width: 128, height: 96, seed: 3, grainCount: 12 });
  const same = scoreGrains(g.labels, g.labels);
  assert.equal(same.ari, 1);
  assert.equal(same.objectRecall, 1);
  const merged = { ...g.labels, data: g.labels.data.map((v) => (v === 2 ? 1 : v)) };
  assert.ok(scoreGrains(g.labels, merged).ari! < 1);
});

test('grainlab eval: exit 0 on a grain set with --kind, clear error without a preset', async () => {
  const dir = await writeSet('grains');
  assert.equal(await runCli(['eval', dir, '--kind', 'grains', '--labels', 'boundary']), 0);
  assert.notEqual(await runCli(['eval', dir]), 0);
});

test('grainlab synth writes a labelled folder that eval scores: 16-bit instance ids survive, bad sizes are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-synth-'));
  assert.equal(await runCli(['synth', dir, '--kind', 'grains', '--count', '2', '--size', '256', '--grains', '40', '--seed', '7']), 0);
  const pairs = listPairs(dir);
  assert.deepEqual(pairs.map((p) => p.stem), ['grains-256-s7', 'grains-256-s8']);
  const loaded = await loadPair(pairs[0]!, { name: 'synth', kind: 'grains', labels: 'index', classic: { mode: 'grain', minArea: 16, invert: false }, targetClasses: [1] });
  // The same seed regenerates the same truth: the file holds exactly the generator's ids.
  const again = generateGrains({ width: 256, height: 256, seed: 7, grainCount: 40 });
  assert.deepEqual(loaded.truth.data, again.labels.data);
  assert.ok(new Set(loaded.truth.data).size >= 30);
  const score = await evaluateClassic(dir, { name: 'synth', kind: 'grains', labels: 'index', classic: { mode: 'grain', minArea: 16, invert: false }, targetClasses: [1] });
  assert.equal(score.images.length, 2);
  assert.ok(score.images.every((s) => s.primary > 0.5), `ARI ${score.images.map((s) => s.primary.toFixed(2)).join(', ')}`);
  assert.notEqual(await runCli(['synth', dir, '--size', '100']), 0);
});
