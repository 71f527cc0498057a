// End to end in Chromium: Pick points registers a map by four clicks on the canvas — a feature on
// the image, the same feature on the map drawn alone, twice — and the registration saved is the
// true one (the map was added with the size-ratio scale only, so drawn in the wrong place).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import { generateEds } from '../../app/synth';
import { mapToImage } from '../../app/channels/registration';
import { grayPng } from '../support/eds-kit';
import type { Viewport } from '../../app/view/viewport';

/** Clicks the screen point over image point (x, y). */
async function clickImage(page: Page, x: number, y: number): Promise<void> {
  const view = (await page.evaluate('window.__grainlab.viewer.canvas.view')) as Viewport;
  const box = (await page.getByTestId('viewer').locator('canvas').first().boundingBox())!;
  await page.mouse.click(box.x + view.x + x * view.scale, box.y + view.y + y * view.scale);
}

test('Pick points: four clicks on the canvas register the map', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const eds = generateEds({ size: 256, seed: 3, shift: { x: 9, y: 6 } });
  const truth = eds.registration;
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E pick' });
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'sem.png', bytes: await grayPng(256, 256, eds.image.data) }] })).imported[0]!.id;
    const fe = eds.maps.find((m) => m.element === 'Fe')!;
    const [ch] = (await service.call('channels.importFiles', { imageId, files: [{ name: 'Fe Ka.png', bytes: await grayPng(fe.width, fe.height, fe.data) }], register: false })).added;
    const shown = ch!.registration;
    assert.notDeepEqual(shown, truth);
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('channel-Fe').waitFor();
    await page.getByTestId('channels-pick').click();
    // Two features of the map, chosen so that both on the image and where the map is drawn they fall on pixel centres.
    for (const k of [40, 180]) {
      const m = { x: (k + 0.5 - truth.tx) / truth.sx, y: (k + 0.5 - truth.ty) / truth.sy };
      await page.getByTestId('channels-pick-prompt').filter({ hasText: 'on the image' }).waitFor();
      const onImage = mapToImage(truth, m.x, m.y);
      await clickImage(page, onImage.x, onImage.y);
      await page.getByTestId('channels-pick-prompt').filter({ hasText: 'Fe map' }).waitFor();
      const onMap = mapToImage(shown, m.x, m.y);
      await clickImage(page, onMap.x, onMap.y);
    }
    await waitFor(page, async () => (await service.call('channels.list', { imageId }))[0]!.registeredBy === 'points', 'the picked registration saved');
    const r = (await service.call('channels.list', { imageId }))[0]!.registration;
    for (const key of ['sx', 'sy', 'tx', 'ty'] as const) assert.ok(Math.abs(r[key] - truth[key]) < 1e-6, `${key}: ${r[key]} vs ${truth[key]}`);
    assert.equal(await page.getByTestId('channels-pick-prompt').count(), 0, 'picking ends once solved');
    // Segments were not touched by the clicks (the tool never saw them).
    assert.equal(await service.call('segmentation.get', { imageId }), null);
  } finally {
    await h.close();
  }
});
