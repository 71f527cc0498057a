// End to end in Chromium: corrections are never lost and classes behave as a person expects.
// 1. Segment all, edit an image (a brush stroke, a verified segment), segment all again: the
//    question says what will change, the corrections are kept exactly, the replaced segmentation
//    is a version, and Ctrl+Z restores it.
// 2. Classes given to whole clusters train the classifier and predictions never overwrite them;
//    the cluster menu asks before replacing a class a person gave by key; applying classes to the
//    chosen images changes only those images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { twoPhaseImage } from '../support/cluster-synthetic';
import type { Viewport } from '../../app/view/viewport';
import type { GrainLabService } from '../../main/service';

const W = 200;

async function png(seed: number): Promise<Uint8Array> {
  const t = twoPhaseImage({ width: W, height: W, seed, spacing: 34, radiusA: 11, radiusB: 6 });
  return new Uint8Array(await sharp(Buffer.from(t.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
}

async function screen(page: Page): Promise<(x: number, y: number) => [number, number]> {
  const box = (await page.getByTestId('viewer').boundingBox())!;
  const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
  return (x, y) => [box.x + v.x + (x + 0.5) * v.scale, box.y + v.y + (y + 0.5) * v.scale];
}

async function idle(page: Page): Promise<void> {
  await waitFor(page, async () => (await page.evaluate('!!(window.__grainlab && window.__grainlab.session && window.__grainlab.session.pending === 0)')) as boolean, 'edits answered');
}

async function openImage(page: Page, imageId: number, segmented = true): Promise<void> {
  await page.getByTestId(`image-${imageId}`).click();
  await page.getByTestId('viewer').locator('canvas').first().waitFor();
  if (segmented) await waitFor(page, async () => (await page.evaluate(`!!(window.__grainlab.session && window.__grainlab.session.imageId === ${imageId})`)) as boolean, `image ${imageId} open`, 30_000);
}

async function project(service: GrainLabService, tmp: string, n: number): Promise<number[]> {
  await service.call('project.create', { path: `${tmp}/project`, name: 'E2E corrections' });
  const files = await Promise.all(Array.from({ length: n }, async (_, k) => ({ name: `micrograph-${k + 1}.png`, bytes: await png(11 + k) })));
  return (await service.call('images.importFiles', { files })).imported.map((i) => i.id);
}

test('segment all, edit, segment all again: the question, corrections kept, a version, undo restores it', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    const ids = await project(service, tmp, 3);
    await page.goto(server.url);
    await openImage(page, ids[0]!, false);

    // Segment all: a batch always says what it will change; nothing of a person's is at stake yet.
    await page.getByTestId('segment-menu').click();
    await page.getByTestId('segment-all').click();
    await page.getByTestId('batch-dialog').waitFor();
    assert.match((await page.getByTestId('plan-summary').textContent()) ?? '', /^3 images: none is segmented yet\./);
    await page.getByTestId('choice-keep').click();
    await waitFor(page, async () => (await service.call('images.list', {})).every((i) => i.segmentCount > 0), 'all three segmented', 60_000);
    await page.getByTestId('statusbar').filter({ hasText: /\d+ segments \(classic\)/ }).waitFor({ timeout: 30_000 });
    await idle(page);

    // Edit: a brush stroke makes a new segment across the matrix; V verifies another segment.
    const at = await screen(page);
    const first = (await service.call('segmentation.get', { imageId: ids[0]! }))!;
    const some = first.segments[Math.floor(first.segments.length / 2)]!;
    await page.keyboard.press('b');
    const [ax, ay] = at(4, 4);
    const [bx, by] = at(40, 5);
    await page.mouse.move(ax, ay);
    await page.mouse.down();
    await page.mouse.move(bx, by, { steps: 10 });
    await page.mouse.up();
    await idle(page);
    await page.keyboard.press('q');
    await page.keyboard.press('Escape');
    const cx = some.bbox.x + Math.floor(some.bbox.width / 2);
    const cy = some.bbox.y + Math.floor(some.bbox.height / 2);
    const target = first.labels[cy * W + cx]!;
    await page.mouse.click(...at(cx, cy));
    await page.keyboard.press('v');
    await idle(page);
    const before = (await service.call('segmentation.get', { imageId: ids[0]! }))!;
    const brushed = before.segments.find((s) => s.source === 'brush' && s.edited)!;
    assert.ok(brushed, 'the stroke made a hand-edited segment');
    assert.equal(before.segments.find((s) => s.id === target)!.verified, true);
    assert.match((await page.getByTestId('history-info').textContent()) ?? '', /^2 to undo/);

    // Segment all again, in grain mode: the question names the corrections; keep them.
    await page.getByTestId('mode').selectOption('grain');
    await page.getByTestId('segment-menu').click();
    await page.getByTestId('segment-all').click();
    await page.getByTestId('batch-dialog').waitFor();
    const stake = (await page.getByTestId('plan-corrections').textContent()) ?? '';
    assert.match(stake, /micrograph-1\.png: 2 edits, 2 segments you made/);
    assert.match((await page.getByTestId('choice-keep').textContent()) ?? '', /^Keep my 2 segments, replace \d+/);
    await page.getByTestId('choice-keep').click();
    await waitFor(page, async () => (await service.call('versions.list', { imageId: ids[0]! })).versions.length === 1, 'the replaced segmentation kept as a version', 60_000);
    await waitFor(page, async () => (await service.call('images.list', {})).every((i) => i.status !== 'auto-segmented' || i.id !== ids[0]), 'saved');
    const after = (await service.call('segmentation.get', { imageId: ids[0]! }))!;
    assert.equal(after.engine, 'classic');
    for (const id of [brushed.id, target]) {
      const was = [...before.labels.keys()].filter((i) => before.labels[i] === id);
      const now = [...after.labels.keys()].filter((i) => after.labels[i] === id);
      assert.deepEqual(now, was, `segment ${id} kept its exact pixels`);
    }
    assert.equal(after.segments.find((s) => s.id === target)!.verified, true);
    assert.notDeepEqual(Array.from(after.labels), Array.from(before.labels), 'the rest was re-segmented');
    // The canvas follows (its copy reloaded), and the Versions section lists the old one.
    await waitFor(page, async () => (await page.evaluate(`window.__grainlab.session.doc.revision`)) === (await service.call('edit.history', { imageId: ids[0]! }))!.revision, 'the canvas has the new map');
    await page.getByTestId('version-list').locator('li').first().waitFor();
    assert.match((await page.getByTestId('version-list').textContent()) ?? '', /classic .* 2 yours · 2 edits/);

    // Ctrl+Z: the previous segmentation, exactly, with its rows.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await page.keyboard.press('Control+z');
    await waitFor(page, async () => JSON.stringify(Array.from((await service.call('segmentation.get', { imageId: ids[0]! }))!.labels)) === JSON.stringify(Array.from(before.labels)), 'undo restores the previous version');
    const undone = (await service.call('segmentation.get', { imageId: ids[0]! }))!;
    assert.deepEqual(undone.segments, before.segments);
    await waitFor(page, async () => (await page.evaluate(`window.__grainlab.session.doc.segments.size`)) === before.segments.length, 'the canvas shows it');
    assert.match((await page.getByTestId('history-info').textContent()) ?? '', /^2 to undo · 1 to redo/);

    // Import labels into a segmented image: the dialog says what will change before it imports.
    const halves = new Uint8Array(W * W).map((_, i) => (i % W < W / 2 ? 0 : 3));
    const labelPng = await sharp(halves, { raw: { width: W, height: W, channels: 1 } }).png().toBuffer();
    await page.getByTestId('import-labels-open').click();
    await page.getByTestId('import-kind').selectOption('semantic');
    await page.getByTestId('import-files').setInputFiles({ name: 'micrograph-2.png', mimeType: 'image/png', buffer: labelPng });
    await page.getByTestId('import-value-names').fill('0=matrix, 3=carbide');
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-plan').waitFor();
    assert.match((await page.getByTestId('import-plan').textContent()) ?? '', /^1 image: 1 already has a segmentation/);
    await page.getByTestId('import-confirm').click();
    await page.getByTestId('import-summary').waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId('import-summary').textContent()) ?? '', /micrograph-2\.png: 2 segments \(a new version/);
    const imported = await service.call('classes.list', {});
    assert.deepEqual(imported.filter((c) => c.value !== null).map((c) => [c.name, c.value]), [['matrix', 0], ['carbide', 3]]);
  } finally {
    await h.close();
  }
});

test('cluster classes train and predictions never overwrite them; the cluster menu asks; classes applied to the chosen images only', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    const ids = await project(service, tmp, 3);
    const { jobId } = await service.call('segment.auto', { imageIds: ids });
    await waitFor(page, async () => (await service.call('images.list', {})).every((i) => i.segmentCount > 0), `job ${jobId}`, 60_000);
    await service.call('classes.create', { name: 'bright' });
    await service.call('classes.create', { name: 'dark' });
    await page.goto(server.url);
    await openImage(page, ids[0]!);

    // Two clusters, each given a class from its menu (no key pressed at all).
    await page.getByTestId('tab-clusters').click();
    await page.getByTestId('group-texture').uncheck();
    await page.getByTestId('group-shape').uncheck();
    await page.getByTestId('group-boundary').uncheck();
    await page.getByTestId('cluster-k').selectOption('2');
    await page.getByTestId('cluster-run').click();
    await page.getByTestId('cluster-summary').waitFor({ timeout: 30_000 });
    const classes = await service.call('classes.list', {});
    for (const [c, cls] of [[0, classes[0]!], [1, classes[1]!]] as const) {
      await page.getByTestId(`cluster-class-${c}`).selectOption(String(cls.id));
      await idle(page);
    }
    await waitFor(page, async () => (await service.call('segmentation.get', { imageId: ids[0]! }))!.segments.every((s) => s.classId !== null), 'every segment has a class');
    const given = (await service.call('segmentation.get', { imageId: ids[0]! }))!.segments;
    assert.ok(given.every((s) => s.classSource === 'person'), 'a class given to a cluster is the person\'s');

    // They train (no "give at least two classes"), and predicting this image changes none of them.
    await page.getByTestId('train-predict').click();
    await page.getByTestId('predict-result').waitFor({ timeout: 30_000 });
    assert.match((await page.getByTestId('classifier-status').textContent()) ?? '', new RegExp(`trained on ${given.length} segments in 1 image`));
    assert.match((await page.getByTestId('predict-result').textContent()) ?? '', /No segment left to predict/);
    await page.getByTestId('classifier-report').waitFor();
    assert.deepEqual((await service.call('segmentation.get', { imageId: ids[0]! }))!.segments, given);

    // Key 2 on one member of the 'bright' cluster, then the cluster menu again: it asks; keep it.
    const state = (await service.call('cluster.get', { imageId: ids[0]! }))!;
    const brightCluster = state.clusterIds[state.segmentIds.indexOf(given.find((s) => s.classId === classes[0]!.id)!.id)]!;
    const member = given.find((s) => s.classId === classes[0]!.id)!;
    await page.getByTestId('tab-edit').click();
    const at = await screen(page);
    const seg = (await service.call('segmentation.get', { imageId: ids[0]! }))!;
    const px = [...seg.labels.keys()].find((i) => seg.labels[i] === member.id)!;
    await page.mouse.click(...at(px % W, Math.floor(px / W)));
    await page.getByTestId('selection-info').filter({ hasText: '1 segment' }).waitFor();
    await page.keyboard.press('2');
    await idle(page);
    await page.getByTestId('tab-clusters').click();
    await page.getByTestId(`cluster-class-${brightCluster}`).selectOption(String(classes[0]!.id));
    await page.getByTestId('overwrite-dialog').waitFor();
    assert.match((await page.getByTestId('overwrite-dialog').textContent()) ?? '', /1 segment of this cluster has a different class you gave it yourself/);
    await page.getByTestId('choice-keep').click();
    await idle(page);
    assert.equal((await service.call('segmentation.get', { imageId: ids[0]! }))!.segments.find((s) => s.id === member.id)!.classId, classes[1]!.id, 'the class given by key is kept');

    // Choose image 3 only (Ctrl-click it, Ctrl-click the open image away) and apply classes to it.
    await page.getByTestId(`image-${ids[2]!}`).click({ modifiers: ['Control'] });
    await page.getByTestId(`image-${ids[0]!}`).click({ modifiers: ['Control'] });
    await page.getByTestId('image-choice').filter({ hasText: '1 chosen' }).waitFor();
    await page.getByTestId('apply-chosen-images').click();
    await page.getByTestId('batch-dialog').waitFor();
    assert.match((await page.getByTestId('plan-summary').textContent()) ?? '', /Predicting classes on 1 image: up to \d+ segments may get a predicted class/);
    await page.getByTestId('choice-apply').click();
    await waitFor(page, async () => (await service.call('segmentation.get', { imageId: ids[2]! }))!.segments.some((s) => s.classSource === 'classifier'), 'classes on the chosen image', 60_000);
    assert.ok((await service.call('segmentation.get', { imageId: ids[1]! }))!.segments.every((s) => s.classId === null), 'the image not chosen is untouched');
    assert.deepEqual((await service.call('segmentation.get', { imageId: ids[0]! }))!.segments.map((s) => [s.id, s.classId, s.classSource]), (await service.call('segmentation.get', { imageId: ids[0]! }))!.segments.map((s) => [s.id, s.classId, 'person']));

    // "Only predicted": on image 3 the overlay filter is available and the legend counts predictions.
    await openImage(page, ids[2]!);
    await page.getByTestId('tab-edit').click();
    await page.getByTestId('only-predicted').check();
    assert.match((await page.getByTestId('class-list').textContent()) ?? '', /predicted/);
  } finally {
    await h.close();
  }
});
