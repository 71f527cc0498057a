// End to end in Chromium: an 8192 x 8192 image (64 MP, "large": app/view/large-image.ts) is shown
// from main's tiles, never as whole arrays in the page; a brush stroke is applied in main's tiled
// label map (and the saved segmentation) and undone with Ctrl+Z; the segment is selected with the
// select tool (highlighted, its area in the side panel) and deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import type { Viewport } from '../../app/view/viewport';
import type { MethodName } from '../../app/contract';

const S = 8192;

/** Four quadrants of grey 40, 200, 120, 240 (a 64 MP PNG, written here). */
async function quadrants(): Promise<Uint8Array> {
  const px = new Uint8Array(S * S);
  const half = S / 2;
  for (let y = 0; y < S; y++) {
    const row = y * S;
    const top = y < half;
    px.fill(top ? 40 : 120, row, row + half);
    px.fill(top ? 200 : 240, row + half, row + S);
  }
  return new Uint8Array(await sharp(px, { raw: { width: S, height: S, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer());
}

test('a 64 MP image is drawn from main\'s tiles; a brush stroke changes main\'s label tiles and Ctrl+Z undoes it', { timeout: 300_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E large' });
    const imported = await service.call('images.importFiles', { files: [{ name: 'mosaic.png', bytes: await quadrants() }] });
    const imageId = imported.imported[0]!.id;
    // Record what the page asks main for.
    const calls: string[] = [];
    const invoke = service.invoke.bind(service);
    service.invoke = ((m: MethodName, a: unknown, c?: Parameters<typeof invoke>[2]) => {
      calls.push(m);
      return invoke(m, a, c);
    }) as typeof service.invoke;

    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const view = async () => JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
    await waitFor(page, async () => (await view()).scale < 0.5, 'the view to fit the image');
    const v = await view();
    const at = (x: number, y: number): [number, number] => [v.x + x * v.scale, v.y + y * v.scale];
    /** The image layer's pixel at image point (x, y) (the first Konva canvas, in device pixels). */
    const pixel = async (x: number, y: number) => {
      const [sx, sy] = at(x, y);
      return (await page.evaluate(`(() => { const c = document.querySelector('[data-testid=viewer] canvas'); const r = c.width / c.clientWidth; return Array.from(c.getContext('2d').getImageData(Math.round(${sx} * r), Math.round(${sy} * r), 1, 1).data); })()`)) as number[];
    };
    const near = (p: number[], g: number) => Math.abs(p[0]! - g) <= 3 && Math.abs(p[1]! - g) <= 3 && p[3] === 255;
    await waitFor(page, async () => near(await pixel(2048, 2048), 40) && near(await pixel(6144, 2048), 200) && near(await pixel(2048, 6144), 120) && near(await pixel(6144, 6144), 240), 'the quadrants drawn from tiles', 60_000);
    assert.ok(calls.includes('tiles.image'), 'image tiles came from main');
    assert.ok(!calls.includes('images.pixels') && !calls.includes('edit.open'), `no whole-image arrays asked for (${[...new Set(calls)].join(', ')})`);

    // Brush a stroke across the top-left quadrant.
    assert.equal(await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 }), 0);
    await page.keyboard.press('b');
    await page.mouse.move(box.x + at(1000, 1500)[0], box.y + at(1000, 1500)[1]);
    await page.mouse.down();
    await page.mouse.move(box.x + at(3000, 1500)[0], box.y + at(3000, 1500)[1], { steps: 10 });
    await page.mouse.up();
    await waitFor(page, async () => (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) !== 0, 'the stroke in main\'s label map');
    // 64 MP is within the decode limit: the stroke is saved in the image's segmentation too.
    const saved = async () => (await service.call('segmentation.get', { imageId }))?.labels[1500 * S + 2000] ?? 0;
    assert.notEqual(await saved(), 0);
    const tile = await service.call('tiles.labels', { imageId, level: 0, tx: 3, ty: 2 });
    assert.ok(tile.data && tile.data[(1500 - 1024) * tile.width + (2000 - 1536)] !== 0, 'the level-0 label tile holds the stroke');
    // The overlay layer (second canvas) shows the segment where the stroke went.
    const overlayAlpha = async () => {
      const [sx, sy] = at(2000, 1500);
      return (await page.evaluate(`(() => { const c = document.querySelectorAll('[data-testid=viewer] canvas')[1]; const r = c.width / c.clientWidth; return c.getContext('2d').getImageData(Math.round(${sx} * r), Math.round(${sy} * r), 1, 1).data[3]; })()`)) as number;
    };
    await waitFor(page, async () => (await overlayAlpha()) > 0, 'the stroke on the overlay');

    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) === 0, 'the stroke undone in main');
    await waitFor(page, async () => (await overlayAlpha()) === 0, 'the overlay cleared after undo');
    assert.equal(await saved(), 0, 'the undo is saved too');

    // Redo, then zoom in to 1:1 on the stroke, select it with the select tool and delete it.
    await page.keyboard.press('Control+Shift+Z');
    await waitFor(page, async () => (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) !== 0, 'the stroke redone in main');
    const w = box.width;
    const hgt = box.height;
    await page.evaluate(`window.__grainlab.viewer.setView({ scale: 1, x: ${w / 2 - 2000}, y: ${hgt / 2 - 1500} })`);
    await waitFor(page, async () => (await page.evaluate('window.__grainlab.viewer.canvas.remoteLabelAt(2000, 1500)')) !== 0 && (await page.evaluate('window.__grainlab.viewer.canvas.fetches.busy')) === 0, 'the level-0 label tile under the stroke');
    await page.keyboard.press('q');
    await page.mouse.click(box.x + w / 2, box.y + hgt / 2);
    // The side panel shows the selected segment's area as main counts it from the label tiles.
    const id = (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) as number;
    const [seg] = await service.call('tiles.segments', { imageId, ids: [id] });
    assert.ok(seg);
    assert.ok(seg.area > 100);
    await waitFor(page, async () => (await page.getByTestId('segment-area').textContent()) === `${seg.area.toLocaleString('en-US')} px`, 'the selected segment\'s area in the side panel');
    // The selection is highlighted on the interaction layer (third canvas) over the stroke, not beside it.
    await page.mouse.move(box.x + 5, box.y + hgt - 5);
    const uiAlpha = async (x: number, y: number) => {
      const [sx, sy] = [w / 2 + (x - 2000), hgt / 2 + (y - 1500)];
      return (await page.evaluate(`(() => { const c = document.querySelectorAll('[data-testid=viewer] canvas')[2]; const r = c.width / c.clientWidth; return c.getContext('2d').getImageData(Math.round(${sx} * r), Math.round(${sy} * r), 1, 1).data[3]; })()`)) as number;
    };
    await waitFor(page, async () => (await uiAlpha(2000, 1500)) > 0, 'the selected segment highlighted');
    assert.equal(await uiAlpha(2000, 1700), 0, 'nothing highlighted off the segment');
    await page.keyboard.press('Delete');
    await waitFor(page, async () => (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) === 0, 'the deleted segment gone from main');
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await service.call('tiles.labelAt', { imageId, x: 2000, y: 1500 })) !== 0, 'the delete undone');
    assert.ok(!calls.includes('images.pixels') && !calls.includes('edit.open'));
  } finally {
    await h.close();
  }
});
