// End to end in Chromium: a synthetic two-phase micrograph (bright large discs, dark small discs)
// gets a pixel k-means phase map from the side panel, its segments are clustered, and with "click
// selects cluster" on, ONE click on a bright disc selects every bright disc. A class given to the
// cluster in one action lands on all of them; Ctrl+Z takes it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { twoPhaseImage } from '../../app/cluster/synthetic';
import type { Viewport } from '../../app/view/viewport';

const W = 240;

async function waitFor(page: Page, probe: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await probe()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('one click selects every segment of the same kind; a class for the whole cluster in one undoable step', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const truth = twoPhaseImage({ width: W, height: W, seed: 3, spacing: 30, radiusA: 10, radiusB: 5 });
  const png = new Uint8Array(await sharp(Buffer.from(truth.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E clusters' });
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'two-phase.png', bytes: png }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();

    // Phase map in one click (no segmentation yet, so no confirmation).
    await page.getByTestId('phase-map').click();
    await page.getByTestId('statusbar').filter({ hasText: 'pixel-kmeans' }).waitFor({ timeout: 30_000 });
    const seg = (await service.call('segmentation.get', { imageId }))!;
    // The bright discs are their own regions in the phase map.
    const brightCentres: [number, number][] = [];
    const seen = new Set<number>();
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const t = truth.labels.data[y * W + x]!;
        if (t === 0 || truth.kindOf[t] !== 0 || seen.has(t)) continue;
        seen.add(t);
        // Centre of this true disc: the middle of its first row plus its radius.
        brightCentres.push([x, Math.min(W - 1, y + 8)]);
      }
    }
    const brightSegments = new Set(brightCentres.map(([x, y]) => seg.labels[y * W + x]!));
    assert.ok(brightSegments.size >= 10, `${brightSegments.size} bright disc segments`);

    // Cluster from the panel (k = 3: bright discs, dark discs, matrix) and wait for the list.
    await page.getByTestId('cluster-k').selectOption('3');
    await page.getByTestId('cluster-run').click();
    await page.getByTestId('cluster-summary').waitFor({ timeout: 30_000 });
    const clusters = (await service.call('cluster.get', { imageId }))!;
    assert.equal(clusters.k, 3);

    // Cluster-select mode by its shortcut, then one click on a bright disc.
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+C');
    assert.equal(await page.getByTestId('cluster-select-mode').isChecked(), true);
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
    const [cx, cy] = brightCentres[Math.floor(brightCentres.length / 2)]!;
    const clicked = seg.labels[cy * W + cx]!;
    await page.mouse.click(box.x + v.x + (cx + 0.5) * v.scale, box.y + v.y + (cy + 0.5) * v.scale);
    const row = clusters.segmentIds.indexOf(clicked);
    const cluster = clusters.clusterIds[row]!;
    const members = Array.from(clusters.segmentIds).filter((_, i) => clusters.clusterIds[i] === cluster);
    await waitFor(page, async () => ((await page.getByTestId('selection-info').textContent()) ?? '').startsWith(`${members.length} segment`), `${members.length} selected`);
    // The cluster is the bright discs: every member is a bright disc and every bright disc is in it.
    assert.deepEqual([...members].sort((a, b) => a - b), [...brightSegments].sort((a, b) => a - b));

    // A class for the whole cluster from its row, then undo.
    const [cls] = await service.call('classes.ensure', { count: 1 });
    await page.reload();
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('cluster-summary').waitFor({ timeout: 30_000 });
    await page.getByTestId(`cluster-class-${cluster}`).selectOption(String(cls!.id));
    const classesOf = async () => (await service.call('segmentation.get', { imageId }))!.segments.filter((s) => members.includes(s.id)).map((s) => s.classId);
    await waitFor(page, async () => (await classesOf()).every((c) => c === cls!.id), 'the cluster class');
    const rows = (await service.call('segmentation.get', { imageId }))!.segments.filter((s) => members.includes(s.id));
    assert.ok(rows.every((s) => s.classSource === 'cluster'));
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => (await classesOf()).every((c) => c !== cls!.id), 'undo of the cluster class');
  } finally {
    await h.close();
  }
});
