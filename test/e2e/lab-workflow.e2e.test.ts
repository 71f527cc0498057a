// End to end in Chromium (web mode): A/D move between images and typing in a field does not;
// a shortcut rebound in the Shortcuts dialog (a clash refused first) works and survives a reload;
// the folder browser opens a project and imports images from the server's folders, confined to
// its root; the Measure tab's filter changes the rows and ASTM G shows once calibrated, and a
// toast stacks clear of the jobs card.
// Screenshots of the new dialogs go to $E2E_SHOTS (default /tmp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';

const shots = process.env.E2E_SHOTS ?? '/tmp';
const W = 240;
const H = 160;

/** Bright discs on a dark ground: `big` of radius 24 and `small` of radius 5 (distinct images by `seed`). */
async function discs(seed: number, big = 4, small = 3): Promise<Uint8Array> {
  const px = new Uint8Array(W * H).fill(30 + seed);
  const put = (cx: number, cy: number, r: number) => {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < r * r) px[y * W + x] = 210;
  };
  for (let k = 0; k < big; k++) put(35 + (k % 4) * 55, 45 + Math.floor(k / 4) * 70, 24);
  for (let k = 0; k < small; k++) put(40 + k * 70, 125, 5);
  return new Uint8Array(await sharp(px, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
}

const must = () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
};

const openImage = async (page: Page) => Number(/image=(\d+)/.exec(page.url())?.[1] ?? 0);

test('A/D move between images; a rebound shortcut works, clashes are refused, and it survives a reload', { timeout: 180_000 }, async () => {
  must();
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: join(tmp, 'project'), name: 'E2E keys' });
    const files = await Promise.all([1, 2, 3].map(async (k) => ({ name: `im${k}.png`, bytes: await discs(k) })));
    const ids = (await service.call('images.importFiles', { files })).imported.map((i) => i.id);
    await page.goto(server.url);
    await page.getByTestId(`image-${ids[0]}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await waitFor(page, async () => (await openImage(page)) === ids[0], 'the first image open');

    await page.keyboard.press('d');
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'D opens the next image');
    await page.keyboard.press('d');
    await waitFor(page, async () => (await openImage(page)) === ids[2], 'D again');
    await page.keyboard.press('a');
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'A opens the previous one');
    await page.keyboard.press('PageUp');
    await waitFor(page, async () => (await openImage(page)) === ids[0], 'PageUp still works');

    // Keys typed into a field stay in it.
    await page.getByTestId('tab-measure').click();
    await page.getByTestId('calibration-input').click();
    await page.keyboard.type('dd');
    assert.equal(await page.getByTestId('calibration-input').inputValue(), 'dd');
    await page.waitForTimeout(300);
    assert.equal(await openImage(page), ids[0], 'D typed in a field does not move');
    await page.getByTestId('calibration-input').fill('');
    // A ticked checkbox keeps the focus but not the letters: D still moves.
    await page.getByText('Dark objects').click();
    assert.equal(await page.evaluate(`document.activeElement && document.activeElement.type`), 'checkbox');
    await page.keyboard.press('d');
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'D after ticking a checkbox');
    await page.keyboard.press('a');
    await waitFor(page, async () => (await openImage(page)) === ids[0], 'A after ticking a checkbox');
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });

    // The Shortcuts dialog from the help: rebind "Next image"; M (Merge's key) is refused first.
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-edit').click();
    const dialog = page.getByTestId('shortcuts-dialog');
    await dialog.waitFor();
    await page.getByTestId('rebind-image.next').click();
    await page.keyboard.press('m');
    await page.getByTestId('shortcuts-message').filter({ hasText: 'already the key of "Merge selected segments"' }).waitFor();
    await page.keyboard.press('Control+w');
    await page.getByTestId('shortcuts-message').filter({ hasText: 'belongs to the browser' }).waitFor();
    await page.keyboard.press('l');
    await page.getByTestId('shortcuts-message').filter({ hasText: 'L now runs "Next image"' }).waitFor();
    assert.equal((await page.getByTestId('rebind-image.next').textContent())?.trim(), 'L');
    await page.getByTestId('reset-image.next').waitFor();
    await page.screenshot({ path: `${shots}/grainlab-shortcuts-dialog.png` });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.keyboard.press('l');
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'L opens the next image');
    await page.keyboard.press('d');
    await page.waitForTimeout(300);
    assert.equal(await openImage(page), ids[1], 'D no longer does');

    await page.reload();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'the same image after the reload');
    await page.getByTestId('viewer').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('l');
    await waitFor(page, async () => (await openImage(page)) === ids[2], 'L still opens the next image after a reload');

    // Reset all: D is back.
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-edit').click();
    await page.getByTestId('shortcuts-reset-all').click();
    await page.getByTestId('shortcuts-message').filter({ hasText: 'back to its default' }).waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('a');
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'A after resetting');

    // Closing the project and opening it again (no image in the address) reopens its last image.
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByTestId('open-path').waitFor();
    assert.equal(await openImage(page), 0, 'the address names no image once the project is closed');
    await page.getByRole('button', { name: join(tmp, 'project') }).click();
    await waitFor(page, async () => (await openImage(page)) === ids[1], 'the last image reopened');
    assert.match((await page.getByTestId(`image-${ids[1]}`).getAttribute('class')) ?? '', /selected/);
  } finally {
    await h.close();
  }
});

test('folder browser: opens a project and imports images from the server, confined to its root', { timeout: 180_000 }, async () => {
  must();
  const h = await startHarness(undefined, { browseRoots: (tmp) => [join(tmp, 'root')] });
  try {
    const { page, server, service, tmp } = h;
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'micrographs'), { recursive: true });
    mkdirSync(join(root, 'projects'), { recursive: true });
    for (const k of [1, 2]) writeFileSync(join(root, 'micrographs', `steel-${k}.png`), await discs(k));
    writeFileSync(join(root, 'micrographs', 'notes.txt'), 'not an image');
    await service.call('project.create', { path: join(root, 'projects', 'steel'), name: 'Steel from the browser' });
    await service.call('project.close', {});

    await page.goto(server.url);
    await page.getByTestId('browse-open').click();
    const browser = page.getByTestId('folder-browser');
    await browser.waitFor();
    await page.getByTestId('browse-path').filter({ hasText: root }).waitFor();
    assert.equal(await page.getByTestId('browse-up').isDisabled(), true, 'nothing above the root');
    assert.equal(await page.getByTestId('browse-choose').isDisabled(), true, 'the root holds no project');
    await page.getByTestId('browse-entry-projects').click();
    await page.getByTestId('browse-open-steel').waitFor();
    await page.screenshot({ path: `${shots}/grainlab-folder-browser.png` });
    await page.getByTestId('browse-open-steel').click();
    await page.getByTestId('project-name').filter({ hasText: 'Steel from the browser' }).waitFor();

    // Import from the server: only the images are offered; both ticked by "All images here".
    await page.getByTestId('import-server').click();
    await browser.waitFor();
    // It starts where the last browsing ended (the projects folder here); up to the root, then down.
    await page.getByTestId('browse-path').filter({ hasText: join(root, 'projects') }).waitFor();
    await page.getByTestId('browse-up').click();
    await page.getByTestId('browse-entry-micrographs').click();
    await page.getByTestId('browse-file-steel-1.png').waitFor();
    assert.equal(await page.getByTestId('browse-file-notes.txt').count(), 0, 'other files are not offered');
    await page.getByTestId('browse-all').click();
    await page.screenshot({ path: `${shots}/grainlab-folder-browser-images.png` });
    await page.getByTestId('browse-choose').click();
    await waitFor(page, async () => (await service.call('images.list', {})).length === 2, 'two images imported');
    await page.getByText('Imported 2 images').waitFor();

    // Up from a subfolder stops at the root.
    await page.getByTestId('import-server').click();
    await page.getByTestId('browse-path').filter({ hasText: 'micrographs' }).waitFor();
    await page.getByTestId('browse-up').click();
    await waitFor(page, async () => (await page.getByTestId('browse-up').isDisabled()) && (await page.getByTestId('browse-path').textContent()) === root, 'back at the root');
    await page.keyboard.press('Escape');
    await browser.waitFor({ state: 'detached' });
  } finally {
    await h.close();
  }
});

test('Measure tab: a class and area filter changes the rows; ASTM G shows once calibrated', { timeout: 180_000 }, async () => {
  must();
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: join(tmp, 'project'), name: 'E2E measure' });
    const id = (await service.call('images.importFiles', { files: [{ name: 'discs.png', bytes: await discs(0) }] })).imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${id}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('segment-button').click();
    await page.getByTestId('statusbar').filter({ hasText: '7 segments' }).waitFor({ timeout: 30_000 });

    await page.getByTestId('tab-measure').click();
    const count = page.getByTestId('measure-count');
    await count.filter({ hasText: '(7)' }).waitFor();
    const rows = page.getByTestId('measure-table').locator('tbody tr');
    assert.equal(await rows.count(), 7);
    await page.getByTestId('filter-min').fill('500');
    await count.filter({ hasText: '(4 of 7)' }).waitFor();
    assert.equal(await rows.count(), 4, 'only the big discs');
    await page.getByTestId('filter-max').fill('100');
    await count.filter({ hasText: '(0 of 7)' }).waitFor();
    await page.getByTestId('filter-clear').click();
    await count.filter({ hasText: '(7)' }).waitFor();
    await page.getByTestId('filter-class').selectOption('none');
    await count.filter({ hasText: '(7)' }).waitFor();

    await page.getByTestId('grain-size').filter({ hasText: 'Set a calibration' }).waitFor();
    // A tall jobs card where the stage shows it (as three running jobs would make it): the toast
    // that setting the calibration raises must stack clear of it.
    await page.evaluate(`(() => { const d = document.createElement('div'); d.className = 'jobs'; d.id = 'fake-jobs'; d.style.height = '220px'; d.style.width = '560px'; d.style.background = 'red'; document.querySelector('.stage-area').appendChild(d); })()`);
    await page.getByTestId('calibration-input').fill('0.5');
    await page.getByTestId('calibration-set').click();
    await page.getByTestId('astm-g').filter({ hasText: /^G -?\d+\.\d$/ }).waitFor({ timeout: 10_000 });
    const toast = page.getByTestId('toast-info').filter({ hasText: 'µm/px set for this image' });
    await toast.waitFor();
    const clear = async () => {
      const t = (await toast.boundingBox())!;
      const j = (await page.locator('#fake-jobs').boundingBox())!;
      return t.y + t.height <= j.y || t.x + t.width <= j.x || t.x >= j.x + j.width;
    };
    await waitFor(page, clear, 'the toast clear of the jobs card', 5_000);
    await page.evaluate(`document.getElementById('fake-jobs').remove()`);
    await page.getByTestId('filter-key').selectOption('ecd');
    await page.getByTestId('filter-min').fill('20');
    await count.filter({ hasText: '(4 of 7)' }).waitFor();

    // The small dots become class 1, then particles: G counts the four big discs only.
    const before = (await page.getByTestId('astm-g').textContent())!;
    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-key').selectOption('area');
    await page.getByTestId('filter-max').fill('200');
    await count.filter({ hasText: '(3 of 7)' }).waitFor();
    const small = (await page.evaluate(`[...document.querySelectorAll('[data-testid=measure-table] tbody tr')].map((tr) => Number(tr.dataset.id))`)) as number[];
    assert.equal(small.length, 3);
    await service.call('classes.ensure', { count: 1 });
    const cls = (await service.call('classes.list', {}))[0]!;
    await service.call('edit.apply', { imageId: id, ops: [{ kind: 'setClass', ids: small, classId: cls.id }] });
    await page.reload();
    await page.getByTestId('tab-measure').click();
    await page.getByTestId(`role-${cls.id}`).selectOption('particle');
    await waitFor(page, async () => (await page.getByTestId('astm-g').textContent()) !== before, 'G without the particles');
    assert.deepEqual(await service.call('measure.roles', {}), { particleClasses: [cls.id] }, 'saved in the project');
    await page.getByTestId('grain-size').filter({ hasText: 'particle classes left out' }).waitFor();
    await page.screenshot({ path: `${shots}/grainlab-measure-filter.png` });
  } finally {
    await h.close();
  }
});
