// `grainlab eval` with the segmentation settings `segment` takes, per-class scoring of multi-class
// sets, refusals of contradictory options, and progress output fit for logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { evaluateClassic, mapClassesByOverlap } from '../../main/eval/evaluate';
import { evalPresetFromFlags } from '../../main/cli/commands/eval';
import { runCli } from '../../main/cli/index';
import { progressPrinter, ProgressWriter } from '../../main/cli/common';

/** Three grey levels: dark matrix (0), mid particles (1), bright particles (2). */
async function threeClassSet(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-eval3-'));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'labels'));
  const w = 120;
  const h = 90;
  for (const seed of [1, 2]) {
    const img = new Uint8Array(w * h);
    const cls = new Uint8Array(w * h);
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = (Math.floor(x / 20) + Math.floor(y / 15) * (seed + 1)) % 3;
        cls[y * w + x] = c;
        img[y * w + x] = [30, 120, 220][c]! + Math.floor(rnd() * 10);
      }
    }
    await sharp(img, { raw: { width: w, height: h, channels: 1 } }).png().toFile(join(dir, 'images', `m${seed}.png`));
    await sharp(cls, { raw: { width: w, height: h, channels: 1 } }).png().toFile(join(dir, 'labels', `m${seed}.png`));
  }
  return dir;
}

test('multi-class set: per-class and mean IoU; three Otsu classes recover three grey levels, two cannot', async () => {
  const dir = await threeClassSet();
  const three = await evaluateClassic(dir, { name: 'm', kind: 'phases', labels: 'index', classic: { mode: 'phase', minArea: 4, invert: false, classes: 3, labelBackground: true }, score: 'classes' });
  assert.ok(three.classes, 'per-class scores present');
  assert.deepEqual(three.classes.perClass.map((c) => c.cls), [0, 1, 2]);
  for (const c of three.classes.perClass) assert.ok(c.iou > 0.95, `class ${c.cls} IoU ${c.iou}`);
  const two = await evaluateClassic(dir, { name: 'm', kind: 'phases', labels: 'index', classic: { mode: 'phase', minArea: 4, invert: false, classes: 2, labelBackground: true }, score: 'classes' });
  // Two intensity classes can name only two of the three truth classes: the third scores 0.
  assert.equal(two.classes!.perClass.filter((c) => c.iou === 0).length, 1);
  assert.ok(two.classes!.meanIoU < three.classes.meanIoU - 0.2);
});

test('mapClassesByOverlap names each predicted class after the truth class it overlaps most', () => {
  const truth = { width: 4, height: 1, data: Uint32Array.from([5, 5, 7, 7]) };
  const pred = { width: 4, height: 1, data: Uint32Array.from([0, 0, 0, 1]) };
  const { mapped, mapping } = mapClassesByOverlap(truth, pred);
  assert.deepEqual([...mapped.data], [5, 5, 5, 7]);
  assert.equal(mapping.get(1), 7);
});

test('eval flags: classic settings reach the engine; contradictions are refused with a reason', () => {
  const p = evalPresetFromFlags('/x/set', { kind: 'phases', classes: '3', sigma: '1.5', minArea: '4', threshold: 'otsu', score: 'classes' }, null);
  assert.equal(p.classic.classes, 3);
  assert.equal(p.classic.sigma, 1.5);
  assert.equal(p.classic.minArea, 4);
  assert.equal(p.classic.mode, 'phase');
  assert.equal(p.score, 'classes');
  const g = evalPresetFromFlags('/x/set', { kind: 'grains', boundaryStyle: 'lines', seedDepth: '3', invert: true }, null);
  assert.equal(g.classic.mode, 'grain');
  assert.equal(g.classic.boundaryStyle, 'lines');
  assert.equal(g.classic.seedDepth, 3);
  assert.equal(g.classic.invert, true);
  // The uhcs preset keeps its own settings and takes the flags on top.
  const u = evalPresetFromFlags('/data/uhcs', { minArea: '4' }, null);
  assert.equal(u.kind, 'phases');
  assert.deepEqual(u.targetClasses, [2]);
  assert.equal(u.classic.minArea, 4);

  const refusals: [Parameters<typeof evalPresetFromFlags>[1], RegExp][] = [
    [{ kind: 'phases', labels: 'boundary' }, /boundary describes grain boundaries/],
    [{ kind: 'grains', target: '1' }, /--target names the phase/],
    [{ kind: 'grains', score: 'classes' }, /--score classes scores phase classes/],
    [{ kind: 'grains', classes: '3' }, /--classes applies to phase mode only/],
    [{ kind: 'phases', seedDepth: '2' }, /--seed-depth applies to grain mode only/],
    [{ kind: 'phases', mode: 'grain' }, /--mode grain segments grains/],
    [{ kind: 'phases', threshold: 'adaptive', classes: '3' }, /adaptive makes two classes/],
    [{ kind: 'phases', blockSize: '31' }, /add --threshold adaptive/],
    [{ kind: 'phases', score: 'classes', target: '2' }, /Use one of them/],
    [{ preset: 'uhcs', kind: 'grains' }, /contradicts it/],
    [{ kind: 'phases', minArea: 'lots' }, /--min-area needs a number/],
  ];
  for (const [flags, re] of refusals) assert.throws(() => evalPresetFromFlags('/x/set', flags, null), re, JSON.stringify(flags));
});

test('grainlab eval: --score classes through the CLI, JSON report with the settings; refusal exits non-zero', async () => {
  const dir = await threeClassSet();
  const json = join(dir, 'r.json');
  assert.equal(await runCli(['eval', dir, '--kind', 'phases', '--score', 'classes', '--classes', '3', '--label-background', '--min-area', '4', '--json', json]), 0);
  const r = JSON.parse(readFileSync(json, 'utf8')) as { settings: { classes: number }; classes: { meanIoU: number } };
  assert.equal(r.settings.classes, 3);
  assert.ok(r.classes.meanIoU > 0.95);
  assert.notEqual(await runCli(['eval', dir, '--kind', 'phases', '--labels', 'boundary']), 0);
  // A settings file (a preset export) is read, and a wrong mode in it is refused.
  const file = join(dir, 'presets.json');
  writeFileSync(file, JSON.stringify({ format: 'grainlab-segmentation-presets', version: 1, presets: [{ name: 'three', settings: { mode: 'phase', minArea: 4, invert: false, classes: 3, labelBackground: true } }] }));
  assert.equal(await runCli(['eval', dir, '--kind', 'phases', '--score', 'classes', '--settings', file, '--json', json]), 0);
  assert.ok((JSON.parse(readFileSync(json, 'utf8')) as { classes: { meanIoU: number } }).classes.meanIoU > 0.95);
  assert.notEqual(await runCli(['eval', dir, '--kind', 'grains', '--labels', 'index', '--settings', file]), 0);
});

test('progress written to a log (not a terminal): plain lines, no carriage returns or escape codes', () => {
  let log = '';
  const out = { isTTY: false, write: (s: string) => (log += s) };
  const print = progressPrinter(false, out);
  for (let d = 0; d <= 100; d += 5) print({ jobId: 'j', title: 'Segmenting', done: d, total: 100, state: d === 100 ? 'done' : 'running' });
  assert.ok(!log.includes('\r') && !log.includes('\x1b'), 'no carriage return or escape');
  const lines = log.trim().split('\n');
  assert.equal(lines[0], 'Segmenting: 0%');
  assert.equal(lines.at(-1), 'Segmenting: 100%');
  assert.ok(lines.length >= 10 && lines.length <= 12, `${lines.length} lines`);
  // On a terminal the same line is redrawn in place.
  let tty = '';
  const w = new ProgressWriter({ isTTY: true, write: (s: string) => (tty += s) });
  w.update('1/2');
  w.update('2/2');
  w.end();
  assert.equal(tty, '\r\x1b[K1/2\r\x1b[K2/2\n');
});
