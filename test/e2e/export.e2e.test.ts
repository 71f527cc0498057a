// End to end in Chromium: the Measurements panel shows statistics and a histogram with bars, a
// pixel size typed in gives an ASTM grain size, a chart downloads as PNG, and the Export dialog
// writes a dataset with a summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { makeProject, voronoi } from '../integration/export-kit';

test('Measurements panel plots, pixel size, PNG download and the Export dialog', { timeout: 120_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    const dir = join(tmp, 'project');
    await makeProject(
      dir,
      [
        { name: 'calibrated.png', width: 320, height: 240, labels: voronoi(320, 240, 20, 1), pixelSizeUm: 0.5, classOf: (id) => (id % 3 ? 'ferrite' : 'cementite') },
        { name: 'raw.png', width: 200, height: 160, labels: voronoi(200, 160, 25, 2) },
      ],
      [{ name: 'ferrite', color: '#4c9aff' }, { name: 'cementite', color: '#e6b450' }],
    );
    await service.call('project.open', { path: dir });
    const images = await service.call('images.list', {});
    const cal = images.find((i) => i.name === 'calibrated.png')!;
    const raw = images.find((i) => i.name === 'raw.png')!;

    await page.goto(server.url);
    await page.getByTestId(`image-${cal.id}`).click();
    await page.getByTestId('measurements-open').click();
    const panel = page.getByTestId('measurements-panel');
    await panel.waitFor();
    const hist = panel.getByTestId('chart-histogram');
    await hist.waitFor({ timeout: 15_000 });
    const bars = await hist.locator('rect.gl-bar').count();
    assert.ok(bars > 2, `the histogram has bars (${bars})`);
    assert.match((await panel.getByTestId('astm-planimetric').textContent()) ?? '', /^\d+\.\d\d \(\d+ grains\/mm²\)/);
    assert.ok((await panel.getByTestId('chart-phases').locator('rect.gl-bar').count()) >= 2, 'one bar per phase');
    await panel.getByTestId('log-scale').check();
    await hist.locator('text', { hasText: 'log scale' }).waitFor();
    assert.ok((await hist.locator('rect.gl-bar').count()) > 2);

    const [download] = await Promise.all([page.waitForEvent('download'), panel.locator('.gl-chart-box').first().getByRole('button', { name: 'PNG' }).click()]);
    assert.equal(download.suggestedFilename(), 'calibrated-ecd-histogram.png');
    const saved = join(tmp, 'hist.png');
    await download.saveAs(saved);
    assert.deepEqual([...readFileSync(saved).subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
    writeFileSync(join(tmp, 'measurements.png'), await page.screenshot());
    if (process.env.GRAINLAB_SCREENSHOT_DIR) {
      writeFileSync(join(process.env.GRAINLAB_SCREENSHOT_DIR, 'measurements.png'), await page.screenshot());
      writeFileSync(join(process.env.GRAINLAB_SCREENSHOT_DIR, 'phases.png'), await panel.getByTestId('chart-phases').screenshot());
      writeFileSync(join(process.env.GRAINLAB_SCREENSHOT_DIR, 'hist-download.png'), readFileSync(saved));
    }

    // An uncalibrated image has no ASTM G until a pixel size is typed in.
    await page.getByTestId(`image-${raw.id}`).click();
    await panel.getByTestId('astm-planimetric').filter({ hasText: 'needs a pixel size' }).waitFor({ timeout: 15_000 });
    await panel.getByTestId('pixel-size').fill('0.8');
    await panel.getByTestId('pixel-size-save').click();
    await panel.getByTestId('astm-planimetric').filter({ hasText: /grains\/mm²/ }).waitFor({ timeout: 15_000 });
    assert.equal((await service.call('images.list', {})).find((i) => i.id === raw.id)!.pixelSizeUm, 0.8);

    await page.getByTestId('export-open').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('export-format').selectOption('png');
    const dest = join(tmp, 'exported-masks');
    await dialog.getByTestId('export-dest').fill(dest);
    await dialog.getByTestId('export-start').click();
    const summary = dialog.getByTestId('export-summary');
    await summary.waitFor({ timeout: 30_000 });
    assert.match((await summary.textContent()) ?? '', /Wrote a PNG dataset/);
    assert.ok(existsSync(join(dest, 'dataset-card.json')) && existsSync(join(dest, 'classes.json')));
    if (process.env.GRAINLAB_SCREENSHOT_DIR) writeFileSync(join(process.env.GRAINLAB_SCREENSHOT_DIR, 'export-summary.png'), await page.screenshot());

    // The same folder again is refused with a message in the dialog.
    await dialog.getByRole('button', { name: 'Export another' }).click();
    await dialog.getByTestId('export-dest').fill(dest);
    await dialog.getByTestId('export-start').click();
    await dialog.getByTestId('export-error').filter({ hasText: 'already exists' }).waitFor();
  } finally {
    await h.close();
  }
});
