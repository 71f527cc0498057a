// End to end in Chromium: the pixel classifier's feature set (issue 12). With scribbles of two
// classes in the project, the Learn section's Features… dialog picks the Fast preset and takes one
// kind away; the set is saved as the project's, Train uses it, and the classifier's summary in the
// panel names the chosen set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { twoTextureImage } from '../../app/learn/synthetic';
import { FEATURE_PRESETS } from '../../app/learn/feature-set';

const W = 96;

test('Features…: choose a set, train, the classifier summary reports it', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const t = twoTextureImage(W, W, 5);
  const png = new Uint8Array(await sharp(Buffer.from(t.data), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E features' });
    const [img] = (await service.call('images.importFiles', { files: [{ name: 't.png', bytes: png }] })).imported;
    const imageId = img!.id;
    const classes = await service.call('classes.ensure', { count: 2 });
    // Short scribbles of each class through its true region (the painting itself is train.e2e's subject).
    for (const [cls, c] of classes.entries()) {
      let added = 0;
      for (let y = 6; y < W - 6 && added < 4; y += 7) {
        for (let x = 6; x < W - 6 && added < 4; x += 3) {
          if ([-4, 0, 4].every((d) => t.classes[y * W + x + d] === cls)) {
            await service.call('learn.scribbles.add', { imageId, classId: c.id, radius: 2, points: [x - 4, y, x + 4, y] });
            added++;
            x += 20;
          }
        }
      }
    }
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('learn-train').waitFor();

    // The dialog: the Fast preset, then the gradient taken away.
    await page.getByTestId('learn-features').click();
    await page.getByTestId('learn-features-dialog').waitFor();
    assert.equal(await page.getByTestId('learn-features-kind-hessian').isChecked(), true, 'opens on the project\'s set (the default: the six ilastik kinds)');
    assert.equal(await page.getByTestId('learn-features-kind-tophat').isChecked(), false, 'the top-hat kind is offered, off by default');
    await page.getByTestId('learn-features-preset-Fast').click();
    assert.equal(await page.getByTestId('learn-features-kind-hessian').isChecked(), false);
    await page.getByTestId('learn-features-kind-gradient').uncheck();
    const fast = FEATURE_PRESETS.Fast;
    const kinds = fast.kinds.filter((k) => k !== 'gradient');
    assert.match((await page.getByTestId('learn-features-count').textContent())!, new RegExp(`^Per image: ${kinds.join(', ')} × ${fast.sigmas.length} scales .*, ${fast.sigmas.length * kinds.length} maps$`));
    await page.getByTestId('learn-features-save').click();
    await waitFor(page, async () => (await page.getByTestId('learn-features-dialog').count()) === 0, 'the dialog closes');
    assert.deepEqual(await service.call('learn.features', {}).then((f) => [f.sigmas, f.kinds]), [fast.sigmas, kinds]);

    // Train; the summary names the set the classifier was trained with.
    await page.getByTestId('learn-train').click();
    await page.getByTestId('learn-status').filter({ hasText: 'Classifier v1' }).waitFor({ timeout: 120_000 });
    const summary = page.getByTestId('learn-status-features');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('data-sigmas'), fast.sigmas.join(','));
    assert.equal(await summary.getAttribute('data-kinds'), kinds.join(','));
    assert.match((await summary.textContent())!, new RegExp(`${kinds.join(', ')} × ${fast.sigmas.length} scales`));
    assert.deepEqual((await service.call('learn.status', {}))!.features, { sigmas: fast.sigmas, kinds });
    // The page itself tells the same (string evaluate: the page's CSP forbids functions).
    const shown = (await page.evaluate('document.querySelector("[data-testid=learn-status-features]").textContent')) as string;
    assert.match(shown, /maps/);
  } finally {
    await h.close();
  }
});
