// End to end in Chromium: an elemental map added from the Channels section is drawn over the
// micrograph in its colour where the element is (a pixel of the canvas checked in a screenshot),
// registered onto the image; its opacity slider and visibility box change that pixel, and the
// opacity is kept in the project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import { generateEds } from '../../app/synth';
import { mapToImage } from '../../app/channels/registration';
import { grayPng } from '../support/eds-kit';
import type { Viewport } from '../../app/view/viewport';

const shots = process.env.E2E_SHOTS ?? '/tmp';

/** Mean RGB of a 5x5 screen patch around image point (x, y). */
async function colourAt(page: Page, x: number, y: number): Promise<[number, number, number]> {
  const view = (await page.evaluate('window.__grainlab.viewer.canvas.view')) as Viewport;
  const box = (await page.getByTestId('viewer').locator('canvas').first().boundingBox())!;
  const sx = Math.round(box.x + view.x + (x + 0.5) * view.scale);
  const sy = Math.round(box.y + view.y + (y + 0.5) * view.scale);
  const png = await page.screenshot({ clip: { x: sx - 2, y: sy - 2, width: 5, height: 5 } });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += info.channels) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  const n = data.length / info.channels;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

test('an EDS map is drawn as a coloured overlay; opacity and visibility work', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const eds = generateEds({ size: 256, seed: 2, shift: { x: 9, y: 6 } });
  const W = 256;
  // A point deep inside the Fe-rich phase (alpha), away from grain boundaries and inside the map's field.
  let target: { x: number; y: number } | null = null;
  const field = { x0: mapToImage(eds.registration, 0, 0), x1: mapToImage(eds.registration, eds.maps[0]!.width, eds.maps[0]!.height) };
  for (let y = 40; y < W - 40 && !target; y += 3) {
    for (let x = 40; x < W - 40 && !target; x += 3) {
      if (x < field.x0.x + 8 || y < field.x0.y + 8 || x > field.x1.x - 8 || y > field.x1.y - 8) continue;
      let all = true;
      for (let dy = -9; dy <= 9 && all; dy++) for (let dx = -9; dx <= 9 && all; dx++) all = eds.classes[(y + dy) * W + x + dx] === 1 && eds.image.data[(y + dy) * W + x + dx]! > 110;
      if (all) target = { x, y };
    }
  }
  assert.ok(target, 'the synthetic image has a large alpha grain');
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E channels' });
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'sem.png', bytes: await grayPng(W, W, eds.image.data) }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('channels-panel').waitFor();
    await page.waitForTimeout(300);
    const before = await colourAt(page, target.x, target.y);
    assert.ok(Math.abs(before[0] - before[1]) < 12, `grey before: ${before}`);

    const fe = eds.maps.find((m) => m.element === 'Fe')!;
    await page.getByTestId('channels-add').setInputFiles([{ name: 'Fe Ka.png', mimeType: 'image/png', buffer: Buffer.from(await grayPng(fe.width, fe.height, fe.data)) }]);
    await page.getByTestId('channel-Fe').waitFor();
    await page.getByTestId('channels-registration').filter({ hasText: 'estimated' }).waitFor();
    const [ch] = await service.call('channels.list', { imageId });
    assert.ok(Math.abs(ch!.registration.tx - 9) <= 1.5 && Math.abs(ch!.registration.ty - 6) <= 1.5, JSON.stringify(ch!.registration));
    const red = () => colourAt(page, target!.x, target!.y);
    await waitFor(page, async () => { const c = await red(); return c[0] - c[1] > 50; }, 'the Fe overlay in red over the alpha grain');
    await page.getByTestId('channels-panel').screenshot({ path: `${shots}/grainlab-channels-panel.png` });
    await page.screenshot({ path: `${shots}/grainlab-channels.png` });

    // Opacity 0 (slider to its start): the micrograph's grey again; back to full: redder than at 50 %.
    const half = await red();
    const slider = page.getByTestId('channel-opacity-Fe');
    await slider.focus();
    await page.keyboard.press('Home');
    await waitFor(page, async () => { const c = await red(); return Math.abs(c[0] - c[1]) < 12; }, 'the overlay gone at opacity 0');
    await page.keyboard.press('End');
    await waitFor(page, async () => { const c = await red(); return c[0] - c[1] > half[0] - half[1] + 20; }, 'a stronger overlay at opacity 1');
    await waitFor(page, async () => (await service.call('channels.list', { imageId }))[0]!.opacity === 1, 'the opacity kept in the project');
    // Hidden: grey again.
    await page.getByTestId('channel-visible-Fe').uncheck();
    await waitFor(page, async () => { const c = await red(); return Math.abs(c[0] - c[1]) < 12; }, 'the overlay hidden');
    await waitFor(page, async () => (await service.call('channels.list', { imageId }))[0]!.visible === false, 'visibility kept in the project');
    // All three maps: a screenshot of the overlays and the panel (docs/screenshot-channels.png).
    await page.getByTestId('channel-visible-Fe').check();
    const others = eds.maps.filter((m) => m.element !== 'Fe');
    await page.getByTestId('channels-add').setInputFiles(await Promise.all(others.map(async (m) => ({ name: `${m.element} Ka.png`, mimeType: 'image/png', buffer: Buffer.from(await grayPng(m.width, m.height, m.data)) }))));
    await page.getByTestId('channel-Cr').waitFor();
    await page.getByTestId('channel-Ni').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${shots}/grainlab-channels-all.png` });
  } finally {
    await h.close();
  }
});
