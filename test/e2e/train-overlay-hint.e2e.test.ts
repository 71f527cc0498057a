// End to end in Chromium: the live prediction is drawn over the segment overlay, whose own colours
// drown it once the image is segmented; the Learn panel then says so and how to see it (O), and
// stops saying it when the overlay is hidden. Next uncertain (U) names and outlines its square;
// Apply to all asks with a button that says Predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, waitFor, dragOnImage, CHROMIUM } from './harness';


test('Learn panel: the live prediction over a segmented image says that O hides the segments', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const W = 160;
  const H = 80;
  const raw = Buffer.alloc(W * H);
  for (let i = 0; i < W * H; i++) raw[i] = i % W < W / 2 ? 50 : 200;
  const png = new Uint8Array(await sharp(raw, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
  const flipped = new Uint8Array(await sharp(raw, { raw: { width: W, height: H, channels: 1 } }).flop().png().toBuffer());
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E hint' });
    const imported = (await service.call('images.importFiles', { files: [{ name: 'halves.png', bytes: png }, { name: 'flipped.png', bytes: flipped }] })).imported;
    const imageId = imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('t');
    await page.getByTestId('learn-panel').waitFor();
    await page.keyboard.press('1');
    await dragOnImage(page, [[20, 20], [20, 60]]);
    await page.keyboard.press('2');
    await dragOnImage(page, [[140, 20], [140, 60]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 2, 'two strokes in main');
    await page.getByTestId('learn-train').click();
    await page.getByTestId('learn-status').filter({ hasText: 'Classifier v1' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('learn-live').check();
    await page.getByTestId('learn-prediction').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('learn-over-segments').count(), 0, 'no hint before the image has segments');

    // Apply to all: the batch question names the action on its button too (it said "Segment"); nothing is segmented yet.
    await page.getByTestId('learn-apply-scope').selectOption('all');
    await page.getByTestId('learn-apply').click();
    const dialog = page.getByTestId('batch-dialog');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /Predict 2 images/);
    assert.equal(await dialog.getByRole('button', { name: 'Predict', exact: true }).count(), 1, 'the button says Predict');
    assert.equal(await dialog.getByRole('button', { name: 'Segment', exact: true }).count(), 0);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // U (Next uncertain) names and outlines the square it went to; the next stroke clears it.
    await page.getByTestId('viewer').hover();
    await page.keyboard.press('u');
    const where = page.getByTestId('learn-uncertain');
    await where.waitFor({ timeout: 30_000 });
    const r = (await service.call('learn.nextUncertain', { imageId }))!;
    assert.equal(await where.textContent(), `${r.width} px square at ${r.x}, ${r.y} (outlined)`);
    await page.screenshot({ path: '/tmp/grainlab-train-next-uncertain.png' });
    // (in the view centred on that square: the image's left end lies under the tool strip)
    await page.keyboard.press('1');
    await dragOnImage(page, [[70, 20], [70, 60]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 3, 'the third stroke in main');
    await waitFor(page, async () => (await where.count()) === 0, 'the outline gone after a stroke');

    await page.getByTestId('learn-apply-scope').selectOption('image');
    await page.getByTestId('learn-apply').click();
    await waitFor(page, async () => (await service.call('segmentation.get', { imageId })) !== null, 'the prediction saved as segments', 60_000);
    await page.getByTestId('learn-over-segments').waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId('learn-prediction').textContent()) ?? '', /drawn over the segments: O hides them/);

    await page.getByTestId('viewer').hover();
    await page.keyboard.press('o');
    await waitFor(page, async () => (await page.getByTestId('learn-over-segments').count()) === 0, 'the hint gone with the overlay');
    await page.screenshot({ path: '/tmp/grainlab-train-overlay-hint.png' });

  } finally {
    await h.close();
  }
});
