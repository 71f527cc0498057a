// End to end in Chromium: a project on a read-only disk opens read-only. The header says so, import
// and segmentation are disabled, the image and its segmentation are shown, and an edit attempt is
// refused with the read-only message. The disk is a real read-only tmpfs (root on Linux) or, for
// other users, a folder without write permission.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { pngGrey8 } from '../fixtures/images';
import { runToEnd } from '../integration/export-kit';

/** Makes `dir`'s project unwritable; returns how to undo it, or null when this machine cannot. */
function makeReadOnly(mnt: string, dir: string): (() => void) | null {
  if (process.platform !== 'linux') return null;
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    return () => execFileSync('umount', ['-l', mnt]);
  }
  const files = readdirSync(dir).map((f) => join(dir, f));
  for (const f of files) chmodSync(f, 0o555);
  chmodSync(dir, 0o555);
  return () => {
    chmodSync(dir, 0o755);
    for (const f of files) chmodSync(f, 0o755);
  };
}

test('a read-only project: badge in the header, import and segment disabled, image and segments shown, edits refused', { timeout: 120_000 }, async (t) => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
  const h = await startHarness();
  let undo: (() => void) | null = null;
  try {
    const { page, server, tmp, service } = h;
    const mnt = join(tmp, 'disk');
    mkdirSync(mnt);
    if (process.getuid?.() === 0) {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { stdio: 'ignore' });
      } catch {
        t.skip('cannot mount a tmpfs here to make a read-only disk');
        return;
      }
    }
    const dir = join(mnt, 'project');
    await service.call('project.create', { path: dir, name: 'Archived steel' });
    const { imported } = await service.call('images.importFiles', { files: [{ name: 'discs.png', bytes: await pngGrey8(320, 240) }] });
    await runToEnd(service, () => service.call('segment.auto', { imageIds: [imported[0]!.id] }));
    await service.call('project.close', {});
    undo = makeReadOnly(mnt, dir);
    if (!undo) {
      t.skip('cannot make a read-only folder on this system');
      return;
    }
    assert.equal((await service.call('project.open', { path: dir })).readOnly, true);

    await page.goto(server.url);
    await page.getByTestId('project-name').filter({ hasText: 'Archived steel' }).waitFor();
    const badge = page.getByTestId('read-only');
    await badge.waitFor();
    assert.match((await badge.getAttribute('title')) ?? '', /cannot be written.*copy the project to a writable disk/);
    assert.equal(await page.getByTestId('import-button').isDisabled(), true);
    await page.getByTestId('image-1').click();
    await page.getByTestId('statusbar').filter({ hasText: '3 segments' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('segment-button').isDisabled(), true);
    await page.screenshot({ path: join(tmp, 'read-only.png') });
    if (process.env.GRAINLAB_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.GRAINLAB_SCREENSHOT_DIR, 'read-only.png') });

    // Deleting a segment in the page: the renderer sends the edit, the service refuses it, and the
    // person reads why (the renderer's optimistic change is rolled back by its usual error path).
    const box = (await page.getByTestId('viewer').boundingBox())!;
    const scale = Number(((await page.getByTestId('zoom').textContent()) ?? '100%').replace('%', '')) / 100;
    await page.mouse.click(box.x + box.width / 2 + (0.25 - 0.5) * 320 * scale, box.y + box.height / 2 + (0.3 - 0.5) * 240 * scale);
    await page.keyboard.press('Delete');
    const toast = page.getByTestId('toast-error').filter({ hasText: /open read-only/ });
    await toast.first().waitFor({ timeout: 15_000 });
    assert.match((await toast.first().textContent()) ?? '', /copy the project to a writable disk/);
    await page.getByTestId('statusbar').filter({ hasText: '3 segments' }).waitFor({ timeout: 15_000 });
    await assert.rejects(service.call('edit.apply', { imageId: imported[0]!.id, op: { kind: 'delete', ids: [1] } }), (e: Error & { code?: string }) => e.code === 'read-only');
  } finally {
    await h.close().catch(() => {});
    undo?.();
  }
});
