// End to end in Chromium with a SAM model installed in the project (the tiny SAM-signature model
// the tests build; no weights are downloaded): the header names the model and, once it has loaded,
// its execution provider; with the SAM tool (A) one click inside a square shows that square as the
// candidate and Enter adds it as a segment, saved in main.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { installTinySam } from '../../scripts/build-tiny-sam';
import type { Viewport } from '../../app/view/viewport';

// Keep a developer's own user-level models out of this test.
process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-e2e-user-models-'));

const W = 256;
const H = 192;
const SQUARE = { x: 96, y: 64, size: 64 };

test('SAM in the app: model and provider in the header; a click gives the square, Enter adds it', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const rgb = new Uint8Array(W * H * 3);
  for (let y = SQUARE.y; y < SQUARE.y + SQUARE.size; y++) for (let x = SQUARE.x; x < SQUARE.x + SQUARE.size; x++) rgb.set([220, 30, 30], (y * W + x) * 3);
  const png = new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
  const h = await startHarness({ width: 1360, height: 850 });
  try {
    const { page, server, service, tmp } = h;
    const dir = join(tmp, 'project');
    await service.call('project.create', { path: dir, name: 'E2E SAM' });
    installTinySam(dir);
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'square.png', bytes: png }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();

    const badge = page.getByTestId('sam-badge');
    await badge.waitFor();
    assert.match((await badge.textContent()) ?? '', /SAM tiny-sam · provider on first use/);

    // The SAM tool by its key, then one click in the square.
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('w');
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
    const cx = SQUARE.x + SQUARE.size / 2;
    const cy = SQUARE.y + SQUARE.size / 2;
    await page.mouse.click(box.x + v.x + cx * v.scale, box.y + v.y + cy * v.scale);
    // Once the model has loaded for that click, the header says where it runs.
    await waitFor(page, async () => /· CPU$/.test(((await badge.textContent()) ?? '').trim()), 'the provider in the header', 60_000);
    assert.match((await badge.getAttribute('title')) ?? '', /cpu/i);

    // Enter accepts the candidate: main holds a segment that is the square.
    await page.keyboard.press('Enter');
    await waitFor(page, async () => ((await service.call('segmentation.get', { imageId }))?.segments.length ?? 0) > 0, 'the accepted segment in main');
    const seg = (await service.call('segmentation.get', { imageId }))!;
    const id = seg.labels[cy * W + cx]!;
    assert.ok(id > 0, 'the clicked pixel belongs to the new segment');
    let inter = 0;
    let area = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (seg.labels[y * W + x] !== id) continue;
        area++;
        if (x >= SQUARE.x && x < SQUARE.x + SQUARE.size && y >= SQUARE.y && y < SQUARE.y + SQUARE.size) inter++;
      }
    }
    const iou = inter / (area + SQUARE.size * SQUARE.size - inter);
    assert.ok(iou > 0.8, `the segment is the square (IoU ${iou.toFixed(2)})`);
    assert.equal(seg.segments.find((s) => s.id === id)!.source, 'prompt');
  } finally {
    await h.close();
  }
});
