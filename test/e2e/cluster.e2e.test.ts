// End to end in Chromium: a synthetic two-phase micrograph (bright large discs, dark small discs)
// gets a pixel k-means phase map from the Clusters tab, its segments are clustered, and with cluster
// select on (Shift+C) ONE click on a bright disc selects every bright disc. A class given to the
// cluster from its row lands on all of them in one step, the canvas follows, and Ctrl+Z takes it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { twoPhaseImage } from '../support/cluster-synthetic';
import type { Viewport } from '../../app/view/viewport';

const W = 240;

/** Class ids of these segments in the renderer's own copy of the image (what the canvas shows). */
async function rendererClasses(page: Page, ids: number[]): Promise<(number | null)[]> {
  const expr = `${JSON.stringify(ids)}.map((id) => { const s = window.__grainlab.session.doc.segments.get(id); return s ? s.classId : null; })`;
  return (await page.evaluate(expr)) as (number | null)[];
}

/** Undo entries of the renderer's copy of the image. */
async function undoDepth(page: Page): Promise<number> {
  return (await page.evaluate('window.__grainlab.session.doc.undoDepth')) as number;
}

test('one click selects every segment of the same kind; a class for the whole cluster in one undoable step', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const truth = twoPhaseImage({ width: W, height: W, seed: 3, spacing: 30, radiusA: 10, radiusB: 5 });
  const png = new Uint8Array(await sharp(Buffer.from(truth.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const h = await startHarness({ width: 1360, height: 850 });
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E clusters' });
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'two-phase.png', bytes: png }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();

    // Phase map in one click from the Clusters tab (no segmentation yet, so no confirmation).
    await page.getByTestId('tab-clusters').click();
    await page.getByTestId('phase-map').click();
    await page.getByTestId('statusbar').filter({ hasText: 'pixel-kmeans' }).waitFor({ timeout: 30_000 });
    const seg = (await service.call('segmentation.get', { imageId }))!;

    // The centre of every true bright disc, and the phase-map segment there.
    const sum = new Map<number, [number, number, number]>();
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const t = truth.labels.data[y * W + x]!;
        if (t === 0 || truth.kindOf[t] !== 0) continue;
        const a = sum.get(t) ?? [0, 0, 0];
        sum.set(t, [a[0] + x, a[1] + y, a[2] + 1]);
      }
    }
    const brightCentres = [...sum.values()].map(([sx, sy, n]) => [Math.round(sx / n), Math.round(sy / n)] as [number, number]);
    const brightSegments = new Set(brightCentres.map(([x, y]) => seg.labels[y * W + x]!));
    assert.ok(!brightSegments.has(0));
    assert.ok(brightSegments.size >= 10, `${brightSegments.size} bright disc segments`);

    // Cluster from the panel (k = 3: bright discs, dark discs, matrix) and wait for the list.
    await page.getByTestId('cluster-k').selectOption('3');
    await page.getByTestId('cluster-run').click();
    await page.getByTestId('cluster-summary').waitFor({ timeout: 30_000 });
    const clusters = (await service.call('cluster.get', { imageId }))!;
    assert.equal(clusters.k, 3);
    assert.equal(await page.getByTestId('cluster-list').locator('li').count(), 3);

    // Cluster select by its shortcut (focus on the canvas, not the k box), then one click on a bright disc.
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+C');
    assert.equal(await page.getByTestId('cluster-select-mode').isChecked(), true);
    await page.getByTestId('cluster-select-badge').waitFor();
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
    const [cx, cy] = brightCentres[Math.floor(brightCentres.length / 2)]!;
    const clicked = seg.labels[cy * W + cx]!;
    await page.mouse.click(box.x + v.x + (cx + 0.5) * v.scale, box.y + v.y + (cy + 0.5) * v.scale);
    const cluster = clusters.clusterIds[clusters.segmentIds.indexOf(clicked)]!;
    const members = Array.from(clusters.segmentIds).filter((_, i) => clusters.clusterIds[i] === cluster);
    assert.equal(members.length, clusters.clusters[cluster]!.size);
    await waitFor(page, async () => ((await page.getByTestId('selection-info').textContent()) ?? '').startsWith(`${members.length} segments`), `${members.length} selected`);
    // Every selected segment is a bright disc and every bright disc is selected: one true phase.
    assert.deepEqual([...members].sort((a, b) => a - b), [...brightSegments].sort((a, b) => a - b));
    assert.match((await page.getByTestId(`cluster-${cluster}`).getAttribute('class')) ?? '', /selected/);

    // A class for the whole cluster from its row: one step in main and in the canvas's copy.
    const before = await rendererClasses(page, members);
    const undoBefore = await undoDepth(page);
    const cls = (await service.call('classes.list', {})).find((c) => !before.includes(c.id))!;
    assert.ok(cls, 'a class the bright discs do not have yet');
    await page.getByTestId(`cluster-class-${cluster}`).selectOption(String(cls.id));
    const mainClasses = async () => (await service.call('segmentation.get', { imageId }))!.segments.filter((s) => members.includes(s.id));
    await waitFor(page, async () => (await mainClasses()).every((s) => s.classId === cls.id), 'the cluster class in main');
    assert.ok((await mainClasses()).every((s) => s.classSource === 'person'), 'a class a person gives a cluster is the person\'s');
    await waitFor(page, async () => (await rendererClasses(page, members)).every((c) => c === cls.id), 'the cluster class on the canvas');
    assert.equal(await undoDepth(page), undoBefore + 1);

    // Undo (focus off the class picker first): main and the canvas go back to the previous classes.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => JSON.stringify(await rendererClasses(page, members)) === JSON.stringify(before), 'undo on the canvas');
    await waitFor(page, async () => JSON.stringify((await mainClasses()).sort((a, b) => members.indexOf(a.id) - members.indexOf(b.id)).map((s) => s.classId)) === JSON.stringify(before), 'undo in main');
    await service.call('edit.history', { imageId }).then((hist) => assert.equal(hist!.undoDepth, undoBefore));
    // The session followed main without reloading its copy (the undo was its own step).
    const log = (await page.evaluate("window.__grainlab.session.log.map((e) => e.kind + ':' + (e.status || ''))")) as string[];
    assert.deepEqual(log.slice(-2), ['edit:applied', 'undo:applied']);

    // The phase map's clean-up is the user's: merging regions under 200 px takes the small dark discs (~80 px) away.
    const cleaned = seg.segments.length;
    await page.getByTestId('phase-smooth').fill('0');
    await page.getByTestId('phase-min-area').fill('200');
    // Nothing of the person's is at stake (the class step was undone), so no question: a new version.
    await page.getByTestId('phase-map').click();
    await waitFor(page, async () => (await service.call('versions.list', { imageId })).versions.length === 1, 'a new phase map');
    assert.equal(await page.getByTestId('batch-dialog').count(), 0);
    const merged = (await service.call('segmentation.get', { imageId }))!;
    assert.ok(merged.segments.length < cleaned, `${merged.segments.length} regions with merge < 200 px, ${cleaned} with the default 16 px`);
  } finally {
    await h.close();
  }
});
