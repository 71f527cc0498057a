// End to end in Chromium: the Segment tab's settings change the live preview's segment count,
// a preset is saved and the image is segmented with it (the settings are recorded with the
// result); the Measure tab sets a typed calibration (status bar and table switch to µm), and the
// measurement table and the canvas select each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import type { Viewport } from '../../app/view/viewport';

const W = 360;
const H = 240;
/** Big discs (radius 36) and small dots (radius 4): a minimum area between them drops the dots. */
const BIG: [number, number][] = [
  [60, 60],
  [180, 60],
  [300, 60],
  [60, 180],
  [180, 180],
];
const SMALL: [number, number][] = [
  [120, 120],
  [240, 120],
  [300, 180],
];

async function png(): Promise<Uint8Array> {
  const px = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = (c: [number, number], r: number) => (x + 0.5 - c[0]) ** 2 + (y + 0.5 - c[1]) ** 2 < r * r;
      px[y * W + x] = BIG.some((c) => d(c, 36)) || SMALL.some((c) => d(c, 4)) ? 200 : 40;
    }
  }
  return new Uint8Array(await sharp(px, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
}

const shots = process.env.E2E_SHOTS ?? '/tmp';

test('settings preview, preset, segment with it; calibration in µm; table ↔ canvas', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E settings' });
    const imported = await service.call('images.importFiles', { files: [{ name: 'dots.png', bytes: await png() }] });
    const imageId = imported.imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();

    // Segment tab: the default minimum area keeps the dots; a larger one drops them in the preview.
    await page.getByTestId('tab-segment').click();
    const count = page.getByTestId('preview-count');
    await count.filter({ hasText: `${BIG.length + SMALL.length} segments` }).waitFor({ timeout: 30_000 });
    await page.getByTestId('set-min-area').fill('200');
    await count.filter({ hasText: `${BIG.length} segments` }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${shots}/grainlab-settings-preview.png` });

    // Save a preset with these settings; it is listed and chosen.
    await page.getByTestId('preset-name').fill('big grains');
    await page.getByTestId('preset-save').click();
    await page.getByTestId('settings-from').filter({ hasText: 'Preset "big grains"' }).waitFor();
    const presets = await service.call('presets.list', {});
    assert.deepEqual(
      presets.map((p) => [p.name, p.settings.minArea]),
      [['big grains', 200]],
    );

    // Segment with it: five segments, and the result records the preset and its settings.
    await page.getByTestId('settings-segment-this').click();
    await page.getByTestId('statusbar').filter({ hasText: `${BIG.length} segments` }).waitFor({ timeout: 30_000 });
    const rec = await service.call('segmentation.settings', { imageId });
    assert.equal(rec?.preset, 'big grains');
    assert.equal(rec?.settings.minArea, 200);

    // Measure tab: uncalibrated, in px; type 500 nm/px for this image.
    await page.getByTestId('tab-measure').click();
    await page.getByTestId('measure-unit').filter({ hasText: 'Areas in px²' }).waitFor();
    await page.getByTestId('calibration-input').fill('500');
    await page.getByTestId('calibration-unit').selectOption('nm');
    await page.getByTestId('calibration-set').click();
    await page.getByTestId('statusbar').filter({ hasText: '0.500 µm/px' }).waitFor();
    await page.getByTestId('calibration-current').filter({ hasText: 'typed' }).waitFor();
    await page.getByTestId('measure-unit').filter({ hasText: 'Areas in µm², lengths in µm' }).waitFor();
    const cal = await service.call('calibration.list', {});
    assert.equal(cal.images.find((i) => i.imageId === imageId)?.umPerPx, 0.5);

    // The largest-area row (default sort) holds the largest segment's area in µm².
    const seg = (await service.call('segmentation.get', { imageId }))!;
    const largest = [...seg.segments].sort((a, b) => b.area - a.area || a.id - b.id)[0]!;
    const firstRow = page.getByTestId('measure-table').locator('tbody tr').first();
    assert.equal(await firstRow.getAttribute('data-id'), String(largest.id));
    const areaText = (await firstRow.locator('td').nth(2).textContent())!.replace(/,/g, '');
    assert.ok(Math.abs(Number(areaText) - largest.area * 0.25) <= 1, `area ${areaText} µm² for ${largest.area} px at 0.5 µm/px`);

    // The table downloads as CSV, in µm, one line per segment.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('measure-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
    assert.equal(csv[0], 'segment_id,class,area_um2,ecd_um,perimeter_um,touches_edge');
    assert.equal(csv.length, 1 + seg.segments.length);

    // Sort by ECD ascending: the smallest segment comes first.
    await page.getByTestId('sort-ecd').click();
    await page.getByTestId('sort-ecd').click();
    const smallest = [...seg.segments].sort((a, b) => a.area - b.area || a.id - b.id)[0]!;
    assert.equal(await page.getByTestId('measure-table').locator('tbody tr').first().getAttribute('data-id'), String(smallest.id));

    // Row → canvas: the segment is selected and the view centres on it.
    const view = async () => JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
    const before = await view();
    const target = seg.segments.find((s) => s.id !== smallest.id)!;
    await page.getByTestId('measure-table').locator(`tbody tr[data-id="${target.id}"]`).click();
    await page.getByTestId('measure-table').locator(`tbody tr.selected[data-id="${target.id}"]`).waitFor();
    await waitFor(page, async () => JSON.stringify(await view()) !== JSON.stringify(before), 'the view to move to the segment');
    const v = await view();
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const cx = v.x + (target.bbox.x + target.bbox.width / 2) * v.scale;
    const cy = v.y + (target.bbox.y + target.bbox.height / 2) * v.scale;
    assert.ok(Math.abs(cx - box.width / 2) < 2 && Math.abs(cy - box.height / 2) < 2, 'the segment is centred');
    await page.screenshot({ path: `${shots}/grainlab-measure-table.png` });

    // Canvas → row: click another segment on the canvas; its row is highlighted.
    const other = seg.segments.find((s) => s.id !== target.id && s.id !== smallest.id)!;
    await page.keyboard.press('Escape');
    await page.getByTestId('fit').click();
    const f = await view();
    await page.mouse.click(box.x + f.x + (other.bbox.x + other.bbox.width / 2) * f.scale, box.y + f.y + (other.bbox.y + other.bbox.height / 2) * f.scale);
    await page.getByTestId('measure-table').locator(`tbody tr.selected[data-id="${other.id}"]`).waitFor();
    assert.equal(await page.getByTestId('measure-table').locator('tbody tr.selected').count(), 1);

    // A short window: the tool strip scrolls without a light scrollbar at its foot; grain settings shown.
    await page.setViewportSize({ width: 1100, height: 520 });
    await page.getByTestId('tab-segment').click();
    // Leaving the tab and coming back keeps the settings (and the preset they are).
    await page.getByTestId('settings-from').filter({ hasText: 'Preset "big grains"' }).waitFor();
    assert.equal(await page.getByTestId('set-min-area').inputValue(), '200');
    await page.getByTestId('set-mode').selectOption('grain');
    await page.getByTestId('set-seed-depth').waitFor();
    await page.screenshot({ path: `${shots}/grainlab-short-window.png` });
  } finally {
    await h.close();
  }
});
