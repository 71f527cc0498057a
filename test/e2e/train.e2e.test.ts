// End to end in Chromium: teaching GrainLab with the Train tool (issue 12). A synthetic two-phase
// image (bright discs on a grey matrix): scribbles of two classes painted on the canvas (keys T,
// 1, 2), trained from the Learn panel, the live prediction of the visible rectangle follows the
// truth and refreshes after a further stroke, the overlay shows it in class colours, Ctrl+Z takes
// the last stroke back, "Apply to this image" predicts a second image with the classes, a
// further Apply ("Sure only") is undone and redone as one step, and "Apply to all" asks first, as
// batch segmenting does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, waitFor, dragOnImage, CHROMIUM } from './harness';
import { twoPhaseImage } from '../support/cluster-synthetic';
import type { Viewport } from '../../app/view/viewport';

const W = 160;

/** Centres of the bright discs (kind 0) of a synthetic image, from its label map. */
function brightCentres(truth: ReturnType<typeof twoPhaseImage>): [number, number][] {
  const sum = new Map<number, [number, number, number]>();
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const t = truth.labels.data[y * W + x]!;
      if (t === 0 || truth.kindOf[t] !== 0) continue;
      const s = sum.get(t) ?? [0, 0, 0];
      sum.set(t, [s[0] + x, s[1] + y, s[2] + 1]);
    }
  }
  return [...sum.values()].map(([sx, sy, n]) => [Math.round(sx / n), Math.round(sy / n)]);
}

async function pngOf(seed: number) {
  const truth = twoPhaseImage({ width: W, height: W, seed, spacing: 32, radiusA: 11, radiusB: 4 });
  const png = new Uint8Array(await sharp(Buffer.from(truth.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  return { truth, png };
}


/** The screen pixel (RGB) of the viewer at an image point, from a screenshot. */
async function pixelAt(page: Page, p: [number, number]): Promise<[number, number, number]> {
  const box = (await page.getByTestId('viewer').boundingBox())!;
  const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
  const shot = await page.screenshot({ clip: { x: box.x, y: box.y, width: box.width, height: box.height } });
  const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
  const sx = Math.round(v.x + (p[0] + 0.5) * v.scale);
  const sy = Math.round(v.y + (p[1] + 0.5) * v.scale);
  const o = (sy * info.width + sx) * info.channels;
  return [data[o]!, data[o + 1]!, data[o + 2]!];
}

test('Train tool: scribbles of two classes, train, live prediction, undo, apply to another image', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const a = await pngOf(3);
  const b = await pngOf(11);
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E train' });
    const imported = (await service.call('images.importFiles', { files: [{ name: 'a.png', bytes: a.png }, { name: 'b.png', bytes: b.png }] })).imported;
    const [idA, idB] = [imported[0]!.id, imported[1]!.id];
    await page.goto(server.url);
    await page.getByTestId(`image-${idA}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();

    // Bright disc centres (class 1) and matrix points far from any disc (class 2).
    const { truth } = a;
    const bright = brightCentres(truth);
    assert.ok(bright.length >= 4, `${bright.length} bright discs`);
    const clear = (x: number, y: number, r: number) => {
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (x + dx < 0 || y + dy < 0 || x + dx >= W || y + dy >= W || truth.labels.data[(y + dy) * W + x + dx] !== 0) return false;
      return true;
    };
    const matrix: [number, number][] = [];
    for (let y = 10; y < W - 10 && matrix.length < 6; y += 7) for (let x = 10; x < W - 10 && matrix.length < 6; x += 7) if (clear(x, y, 11) && !matrix.some((m) => Math.hypot(m[0] - x, m[1] - y) < 20)) matrix.push([x, y]);
    assert.ok(matrix.length >= 3, `${matrix.length} matrix points`);

    // The Train tool by its key; class 1 on four bright discs, class 2 on the matrix.
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('t');
    await page.getByTestId('learn-panel').waitFor();
    await page.keyboard.press('1');
    for (const [x, y] of bright.slice(0, 4)) await dragOnImage(page, [[x - 2, y], [x + 2, y]]);
    await page.keyboard.press('2');
    for (const [x, y] of matrix.slice(0, 3)) await dragOnImage(page, [[x - 2, y], [x + 2, y]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId: idA })).strokes.length === 7, '7 strokes in main');
    const classes = await service.call('classes.list', {});
    const strokes = (await service.call('learn.scribbles.list', { imageId: idA })).strokes;
    assert.deepEqual(strokes.map((s) => s.classId), [...Array(4).fill(classes[0]!.id), ...Array(3).fill(classes[1]!.id)]);
    await page.getByTestId(`learn-labels-${classes[1]!.id}`).waitFor();

    // Ctrl+Z with the Train tool active takes back the last stroke (not a segmentation edit).
    await dragOnImage(page, [[matrix[0]![0], matrix[0]![1] + 3], [matrix[0]![0] + 3, matrix[0]![1] + 3]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId: idA })).strokes.length === 8, '8 strokes');
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId: idA })).strokes.length === 7, 'undo back to 7 strokes');

    // Train from the panel; the status names the classifier.
    await page.getByTestId('learn-train').click();
    await page.getByTestId('learn-status').filter({ hasText: 'Classifier v1' }).waitFor({ timeout: 120_000 });

    // Export classifier…: the path is proposed in the project folder; Save writes the ONNX file.
    await page.getByTestId('learn-export').click();
    const exportPath = page.getByTestId('learn-export-path');
    await exportPath.waitFor();
    const exported = await exportPath.inputValue();
    assert.match(exported, /classifier-v1\.onnx$/);
    await page.getByTestId('learn-export-save').click();
    await waitFor(page, async () => existsSync(exported) && statSync(exported).size > 100, 'the exported classifier file');

    // Live: the visible rectangle's prediction matches the truth's bright fraction.
    const matrixPixel = matrix[1]!;
    const before = await pixelAt(page, matrixPixel);
    await page.getByTestId('learn-live').check();
    const shown = page.getByTestId('learn-prediction');
    await shown.waitFor({ timeout: 60_000 });
    const fractions = JSON.parse((await shown.getAttribute('data-fractions'))!) as Record<string, number>;
    let truthBright = 0;
    for (let i = 0; i < W * W; i++) if (truth.labels.data[i] !== 0 && truth.kindOf[truth.labels.data[i]!] === 0) truthBright++;
    const f1 = fractions[String(classes[0]!.id)] ?? 0;
    assert.ok(Math.abs(f1 - truthBright / (W * W)) < 0.08, `predicted bright fraction ${f1.toFixed(3)} vs truth ${(truthBright / (W * W)).toFixed(3)}`);
    // The overlay tints the matrix in class 2's colour.
    await page.waitForTimeout(300);
    const after = await pixelAt(page, matrixPixel);
    assert.notDeepEqual(after, before, 'the prediction overlay changes the matrix pixels');

    // A further stroke refreshes the live prediction (debounced).
    const count = Number(await shown.getAttribute('data-count'));
    await dragOnImage(page, [[matrix[2]![0], matrix[2]![1] - 3], [matrix[2]![0] + 3, matrix[2]![1] - 3]]);
    await waitFor(page, async () => Number(await shown.getAttribute('data-count')) > count, 'a new live prediction after the stroke');
    await page.screenshot({ path: '/tmp/grainlab-train-e2e.png' });

    // The uncertainty view: the confident matrix loses its class tint.
    await page.getByTestId('learn-uncertainty').check();
    await page.waitForTimeout(300);
    assert.notDeepEqual(await pixelAt(page, matrixPixel), after, 'the uncertainty view differs from the class view');
    await page.screenshot({ path: '/tmp/grainlab-train-uncertainty.png' });
    await page.getByTestId('learn-uncertainty').uncheck();

    // Apply to a second image: its segments carry the two classes, the bright discs class 1.
    await page.getByTestId(`image-${idB}`).click();
    await page.getByTestId('learn-apply-scope').selectOption('image');
    await page.getByTestId('learn-apply').click();
    await waitFor(page, async () => (await service.call('segmentation.get', { imageId: idB })) !== null, 'a prediction of image b', 60_000);
    const seg = (await service.call('segmentation.get', { imageId: idB }))!;
    const discB = brightCentres(b.truth)[0]!;
    const under = seg.labels[discB[1] * W + discB[0]]!;
    assert.ok(under > 0, 'a segment under a bright disc of image b');
    assert.equal(seg.segments.find((s) => s.id === under)?.classId, classes[0]!.id);

    // A prediction is undone as one step: the disc's predicted segment deleted by hand (Q, click,
    // Delete), Apply again with "Sure only", then Ctrl+Z takes the whole prediction back (the
    // disc is gone again) and Ctrl+Shift+Z brings it back.
    const discAt = async () => (await service.call('segmentation.get', { imageId: idB }))!.labels[discB[1] * W + discB[0]]!;
    await page.keyboard.press('q');
    await dragOnImage(page, [discB, discB]);
    await page.getByTestId('selection-info').filter({ hasText: '1 segment' }).waitFor();
    await page.keyboard.press('Delete');
    await waitFor(page, async () => (await discAt()) === 0, 'the disc deleted by hand');
    await page.getByTestId('learn-apply-sure').check();
    await page.getByTestId('learn-apply').click();
    // The image has a segmentation: the usual question first (keep what you made, replace the rest).
    await page.getByTestId('batch-dialog').waitFor();
    await page.keyboard.press('Enter');
    await waitFor(page, async () => (await discAt()) > 0, 'predicted again, sure segments only', 60_000);
    const sure = (await service.call('segmentation.get', { imageId: idB }))!;
    assert.ok(sure.segments.length > 0 && sure.segments.every((s) => (s.classConfidence ?? 0) >= 0.9), 'only segments the classifier is sure of');
    await page.getByTestId('learn-apply-sure').uncheck();
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await discAt()) === 0, 'undo: the prediction taken back, the disc deleted again');
    await page.keyboard.press('Control+Shift+Z');
    await waitFor(page, async () => (await discAt()) > 0, 'redo: the prediction again');

    // Apply to all images: the batch question first (as segmenting asks), then both are predicted.
    await page.getByTestId('learn-apply-scope').selectOption('all');
    await page.getByTestId('learn-apply').click();
    await page.getByTestId('batch-dialog').waitFor();
    await page.keyboard.press('Enter');
    await waitFor(page, async () => (await service.call('segmentation.get', { imageId: idA })) !== null, 'a prediction of image a', 60_000);
    // The strokes are labels, not segments: predicting image a kept all of them.
    assert.equal((await service.call('learn.scribbles.list', { imageId: idA })).strokes.length, 8);

    // Self-train on unlabelled images: trained again with pseudo-labels of image b (its predicted
    // segments are no labels); the status says how many pixels, the scribbles stay as they were.
    await page.getByTestId('learn-self-train').check();
    await page.getByTestId('learn-train').click();
    await page.getByTestId('learn-status').filter({ hasText: /Classifier v2:.*self-trained with [\d,]+ pseudo-labelled px/ }).waitFor({ timeout: 120_000 });
    const info = (await service.call('learn.status', {}))!;
    assert.ok((info.selfTrain?.images ?? 0) >= 1 && (info.selfTrain?.pseudoLabelled ?? 0) > 0);
    assert.equal((await service.call('learn.scribbles.list', { imageId: idA })).strokes.length, 8);
  } finally {
    await h.close();
  }
});
