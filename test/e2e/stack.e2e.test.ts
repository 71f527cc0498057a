// End to end in Chromium: slice files imported as one stack (natural z order), moving through the
// slices with the slider, , and . and Alt+Up/Down ("Slice i / n"), propagating a segmented slice to
// the next two (a job; the result shows on those slices), and the stack's 3D statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { generateStack } from '../../app/synth/stack';
import { encodePng } from '../../main/export/png';

const DEPTH = 5;

async function sliceText(page: Page): Promise<string> {
  return (await page.getByTestId('stack-slice').textContent()) ?? '';
}

async function expectSlice(page: Page, i: number): Promise<void> {
  await waitFor(page, async () => (await sliceText(page)) === `Slice ${i} / ${DEPTH}`, `slice ${i} / ${DEPTH} shown`, 15_000);
}

test('stack: import as one stack, move through slices with slider and keys, propagate, 3D stats', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const st = generateStack({ width: 160, height: 160, depth: DEPTH, particles: 8, seed: 4, minRadius: 10, maxRadius: 16 });
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: join(tmp, 'project'), name: 'E2E stack' });
    // Given in reverse order, named so that plain string order would be wrong past 9 (slice10 < slice2).
    const files: string[] = [];
    for (let z = DEPTH - 1; z >= 0; z--) {
      const f = join(tmp, `slice${z + 1}.png`);
      writeFileSync(f, await encodePng({ width: 160, height: 160, channels: 1, bitDepth: 8, data: st.slices[z]! }));
      files.push(f);
    }
    await page.goto(server.url);
    await page.getByTestId('stack-file-input').setInputFiles(files);
    await waitFor(page, async () => (await service.call('stacks.list', {})).length === 1, 'the stack is made');
    const stack = (await service.call('stacks.list', {}))[0]!;
    const names = new Map((await service.call('images.list', {})).map((im) => [im.id, im.name]));
    assert.deepEqual(stack.imageIds.map((id) => names.get(id)), ['slice1.png', 'slice2.png', 'slice3.png', 'slice4.png', 'slice5.png']);
    // The first slice opens with the bar.
    await expectSlice(page, 1);

    // Keys: . and Alt+Up go up, , and Alt+Down go down; the slider goes anywhere.
    await page.getByTestId('stack-slice').click();
    await page.keyboard.press('.');
    await expectSlice(page, 2);
    await page.keyboard.press('Alt+ArrowUp');
    await expectSlice(page, 3);
    await page.getByTestId('stack-slider').fill('5');
    await expectSlice(page, 5);
    await page.getByTestId('stack-slice').click();
    await page.keyboard.press(',');
    await expectSlice(page, 4);
    await page.keyboard.press('Alt+ArrowDown');
    await expectSlice(page, 3);
    await page.getByTestId('stack-prev').click();
    await expectSlice(page, 2);
    assert.equal(await page.getByTestId('stack-propagate').isDisabled(), true, 'nothing to propagate on an unsegmented slice');

    // Slice 1 segmented; propagate it to the next two slices.
    const seg = await service.call('segment.auto', { imageIds: [stack.imageIds[0]!], engine: 'classic' });
    await service.jobs.wait(seg.jobId);
    await page.getByTestId('stack-slider').fill('1');
    await expectSlice(page, 1);
    await waitFor(page, async () => !(await page.getByTestId('stack-propagate').isDisabled()), 'Propagate enabled on a segmented slice');
    await page.getByTestId('stack-propagate-count').fill('2');
    await page.getByTestId('stack-propagate').click();
    await page.locator('.job-title', { hasText: 'Propagating slice 1' }).first().waitFor({ timeout: 15_000 });
    await waitFor(page, async () => {
      const s = await service.call('segmentation.get', { imageId: stack.imageIds[2]! });
      return s?.engine === 'propagate:classic';
    }, 'slices 2 and 3 propagated', 60_000);
    assert.equal((await service.call('segmentation.get', { imageId: stack.imageIds[1]! }))?.engine, 'propagate:classic');
    assert.equal(await service.call('segmentation.get', { imageId: stack.imageIds[3]! }), null, 'slice 4 was not asked for');
    // The result shows on slice 2: its segments.
    await page.getByTestId('stack-slice').click();
    await page.keyboard.press('.');
    await expectSlice(page, 2);
    await waitFor(page, async () => /^[1-9]\d* segments$/.test((await page.getByTestId('stack-segments').textContent()) ?? ''), 'slice 2 has segments');

    await page.getByTestId('stack-stats-button').click();
    const objects = (await page.getByTestId('stack-objects').textContent()) ?? '';
    assert.match(objects, /^[1-9]\d* 3D objects in 5 slices$/);
    const fromService = await service.call('stacks.stats', { stackId: stack.id });
    assert.equal(objects, `${fromService.objectCount} 3D objects in 5 slices`);
    if (process.env.GRAINLAB_SCREENSHOT_DIR) writeFileSync(join(process.env.GRAINLAB_SCREENSHOT_DIR, 'stack.png'), await page.screenshot());
  } finally {
    await h.close();
  }
});
