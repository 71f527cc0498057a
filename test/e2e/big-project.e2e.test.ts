// End to end in Chromium: a project of 1,200 images. The image list is virtualised: the page holds
// only the rows in view (not 1,200), thumbnails are asked for only for those rows, scrolling to the
// end shows the last image, the name filter still searches every image, and the open image is
// scrolled into view when it is opened from the address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import { writeSyntheticImages } from '../integration/scale-kit';

const COUNT = 1200;

test('a 1,200-image project: the list renders only the rows in view and loads only their thumbnails', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
  const h = await startHarness();
  try {
    const { page, server, tmp, service } = h;
    await service.call('project.create', { path: join(tmp, 'project'), name: 'Automated acquisition' });
    const paths = await writeSyntheticImages(join(tmp, 'in'), COUNT, 32);
    for (let k = 0; k < paths.length; k += 400) {
      const r = await service.call('images.importPaths', { paths: paths.slice(k, k + 400) });
      assert.equal(r.failed.length, 0, r.failed[0]?.message);
    }
    const thumbnails: number[] = [];
    // The page's calls come through service.invoke (the WebSocket connection's entry).
    const original = service.invoke.bind(service);
    service.invoke = ((method: string, args: unknown, opts: unknown) => {
      if (method === 'images.thumbnail') thumbnails.push((args as { id: number }).id);
      return original(method as never, args as never, opts as never);
    }) as typeof service.invoke;

    await page.goto(server.url);
    const list = page.getByTestId('image-list');
    await list.waitFor();
    assert.equal(await list.getAttribute('data-count'), String(COUNT));
    const rowsInPage = () => page.locator('[data-testid=image-list] .image-item').count();
    const first = await rowsInPage();
    assert.ok(first > 3 && first < 60, `rows in the page: ${first} of ${COUNT}`);
    await waitFor(page, async () => (await page.locator('[data-testid=image-list] img.thumb').count()) >= 3, 'thumbnails of the rows in view');
    assert.ok(thumbnails.length < 60, `thumbnails asked for: ${thumbnails.length}`);
    assert.ok(thumbnails.every((id) => id <= 60), `only the first rows' thumbnails: ${thumbnails.join(',')}`);

    // Scrolling to the end brings the last image in, still with few rows in the page.
    await page.evaluate("(() => { const el = document.querySelector('[data-testid=image-list]'); el.scrollTop = el.scrollHeight; })()");
    await page.getByTestId(`image-${COUNT}`).waitFor();
    assert.ok((await rowsInPage()) < 60);
    await page.getByTestId(`image-${COUNT}`).click();
    await waitFor(page, async () => page.url().endsWith(`#image=${COUNT}`), 'the last image open');

    // The filter searches every image, not only the rendered rows.
    await page.getByTestId('image-filter-name').fill('img0007');
    await waitFor(page, async () => (await list.getAttribute('data-count')) === '10', 'filtered to img00070..img00079');
    await page.getByTestId('image-filter-name').fill('');

    // Opened from the address, an image deep in the list is scrolled into view.
    await page.goto(`${server.url}#image=600`);
    await page.reload();
    await page.getByTestId('image-600').waitFor();
    assert.equal(await page.getByTestId('image-600').getAttribute('class').then((c) => c?.includes('selected')), true);
    if (process.env.GRAINLAB_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.GRAINLAB_SCREENSHOT_DIR, 'big-project.png') });
  } finally {
    await h.close();
  }
});
