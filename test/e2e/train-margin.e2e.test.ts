// End to end in Chromium: a Train-tool drag wholly beside the image (in the dark margin around it)
// paints nothing, so it is not sent: no stroke is stored (the next Ctrl+Z would otherwise take
// back that invisible stroke instead of the person's last real one) and no error is shown; a drag
// that starts beside the image and crosses into it is a stroke like any other. Before training,
// Uncertainty is disabled as Live is (it had nothing to show). Ctrl+Z with no stroke left says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, waitFor, dragOnImage, CHROMIUM } from './harness';


test('Train tool: a drag beside the image stores no stroke and shows no error', { timeout: 120_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  // A wide image in a tall window: fitted, it leaves a margin above and below.
  const W = 240;
  const H = 80;
  const raw = Buffer.alloc(W * H);
  for (let i = 0; i < W * H; i++) raw[i] = (i % W) < W / 2 ? 50 : 200;
  const png = new Uint8Array(await sharp(raw, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
  const h = await startHarness({ width: 1200, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E margin' });
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'wide.png', bytes: png }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('t');
    await page.getByTestId('learn-panel').waitFor();
    // Before any training Live and Uncertainty have nothing to show, so both are off limits.
    assert.equal(await page.getByTestId('learn-live').isDisabled(), true);
    assert.equal(await page.getByTestId('learn-uncertainty').isDisabled(), true, 'Uncertainty waits for a classifier, as Live does');
    await page.keyboard.press('1');
    await dragOnImage(page, [[20, 40], [60, 40]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 1, 'the first stroke in main');
    // Wholly below the image, then one that starts above it and comes in.
    await dragOnImage(page, [[30, H + 25], [120, H + 30]]);
    await dragOnImage(page, [[180, -30], [180, 20]]);
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 2, 'the crossing stroke in main');
    await page.waitForTimeout(500);
    const strokes = (await service.call('learn.scribbles.list', { imageId })).strokes;
    assert.equal(strokes.length, 2, 'the drag below the image was not stored');
    assert.ok(strokes[1]!.points[1]! < 0, 'the second stored stroke is the one that came in from above');
    assert.equal(await page.getByTestId('toast-error').count(), 0, 'no error shown');
    // Ctrl+Z takes back the person's last real stroke.
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 1, 'undo to one stroke');
    // With no stroke left, Ctrl+Z says what it does with the Train tool instead of nothing.
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await service.call('learn.scribbles.list', { imageId })).strokes.length === 0, 'undo to no stroke');
    // (The page learns that the last stroke is gone a moment after main: until it has, a Ctrl+Z
    // goes to main, which has nothing to take back. So press again until the page says so.)
    const note = page.getByTestId('toast-info').filter({ hasText: 'No stroke to take back on this image' });
    await waitFor(
      page,
      async () => {
        await page.keyboard.press('Control+z');
        return (await note.count()) > 0;
      },
      'Ctrl+Z with no stroke left says what it does',
      10_000,
    );
    assert.equal((await service.call('learn.scribbles.list', { imageId })).strokes.length, 0);
  } finally {
    await h.close();
  }
});
