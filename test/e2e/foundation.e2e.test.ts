// End to end in Chromium: create a project, import two images, open one, segment, see the overlay,
// reload, overlay still there. Also: the per-run token is required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { pngGrey8, tiffGrey16 } from '../fixtures/images';

const mustHaveBrowser = () => {
  if (!browserAvailable()) {
    // In CI a missing browser is a failure; .ci/run installs Debian's chromium.
    throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
};

function vpScale(zoomText: string | null): number {
  return Number((zoomText ?? '100%').replace('%', '')) / 100;
}

/** Mean absolute difference between two same-size PNG screenshots inside a box of the page. */
async function regionDifference(a: Buffer, b: Buffer, box: { x: number; y: number; width: number; height: number }): Promise<number> {
  const crop = async (png: Buffer) => (await sharp(png).extract({ left: Math.round(box.x), top: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) }).removeAlpha().raw().toBuffer());
  const [ra, rb] = [await crop(a), await crop(b)];
  let sum = 0;
  for (let i = 0; i < ra.length; i++) sum += Math.abs(ra[i]! - rb[i]!);
  return sum / ra.length;
}

test('create, import two images, open, segment, overlay visible, reload keeps it', { timeout: 120_000 }, async () => {
  mustHaveBrowser();
  const h = await startHarness();
  try {
    const { page, server, tmp } = h;
    const files = join(tmp, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'discs.png'), await pngGrey8(320, 240));
    writeFileSync(join(files, 'sem16.tif'), tiffGrey16(256, 192));

    await page.goto(server.url);
    await page.getByTestId('create-path').fill(join(tmp, 'project'));
    await page.getByTestId('create-name').fill('E2E steel');
    await page.getByTestId('create-project').click();
    await page.getByTestId('project-name').filter({ hasText: 'E2E steel' }).waitFor();

    await page.getByTestId('file-input').setInputFiles([join(files, 'discs.png'), join(files, 'sem16.tif')]);
    await page.getByTestId('image-list').locator('li').nth(1).waitFor();
    assert.equal(await page.getByTestId('image-list').locator('li').count(), 2);

    await page.getByTestId('image-1').click();
    const viewer = page.getByTestId('viewer');
    await viewer.locator('canvas').first().waitFor();
    await page.waitForTimeout(300);
    const box = (await viewer.boundingBox())!;
    const before = await page.screenshot();

    await page.getByTestId('segment-button').click();
    await page.getByTestId('status-1').filter({ hasText: 'segmented' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('statusbar').filter({ hasText: '3 segments' }).waitFor();
    await page.getByTestId('jobs').waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForTimeout(300);
    const after = await page.screenshot();
    const changed = await regionDifference(before, after, box);
    assert.ok(changed > 2, `overlay changes the canvas (mean diff ${changed.toFixed(2)})`);

    // The status bar reads the label map under the cursor: the first disc's centre is a segment.
    await page.mouse.move(box.x + box.width / 2 + (0.25 - 0.5) * 320 * Number(vpScale(await page.getByTestId('zoom').textContent())), box.y + box.height / 2 + (0.3 - 0.5) * 240 * Number(vpScale(await page.getByTestId('zoom').textContent())));
    await page.getByTestId('hover-info').filter({ hasText: /segment \d+/ }).waitFor({ timeout: 5_000 });
    const vp = (await page.getByTestId('zoom').textContent()) ?? '';
    assert.match(vp, /\d+%/);

    // Toggling the overlay off restores the unsegmented look (so the difference is the overlay).
    await page.keyboard.press('o');
    await page.waitForTimeout(200);
    const hidden = await page.screenshot();
    writeFileSync('/tmp/e2e-hidden.png', hidden);
    writeFileSync('/tmp/e2e-before.png', before);
    assert.ok((await regionDifference(before, hidden, box)) < 0.5, 'overlay hidden = image only');
    await page.keyboard.press('o');

    writeFileSync(join(h.tmp, 'e2e-foundation.png'), after);
    if (process.env.GRAINLAB_SCREENSHOT) writeFileSync(process.env.GRAINLAB_SCREENSHOT, after);

    await page.reload();
    await page.getByTestId('statusbar').filter({ hasText: '3 segments' }).waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    const reloaded = await page.screenshot();
    assert.ok((await regionDifference(after, reloaded, box)) < 1, 'after reload the same image and overlay are shown');
    assert.ok((await regionDifference(before, reloaded, box)) > 2);
  } finally {
    await h.close();
  }
});

test('web binding refuses connections without the per-run token', { timeout: 60_000 }, async () => {
  mustHaveBrowser();
  const h = await startHarness();
  try {
    const base = h.server.url.split('?')[0]!;
    await h.page.goto(base);
    await h.page.getByText('Could not connect to GrainLab').waitFor({ timeout: 10_000 });
    // A string, not a function: tsx's name helpers do not exist inside the page.
    const probe = (url: string) =>
      h.page.evaluate(`new Promise((resolve) => { const ws = new WebSocket(${JSON.stringify(url)}); ws.onopen = () => { ws.close(); resolve('open'); }; ws.onerror = () => resolve('refused'); })`);
    const wsBase = base.replace('http', 'ws');
    const result = { none: await probe(`${wsBase}ws`), wrong: await probe(`${wsBase}ws?token=wrong`), right: await probe(`${wsBase}ws?token=${h.server.token}`) };
    assert.deepEqual(result, { none: 'refused', wrong: 'refused', right: 'open' });
  } finally {
    await h.close();
  }
});
