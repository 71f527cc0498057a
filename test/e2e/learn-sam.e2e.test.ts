// End to end in Chromium: the Learn section's "SAM embeddings" option (issue 12). With a SAM model
// installed (the tiny test model) the option shows, unticked; ticked, Train adds the model's
// embedding features and the status line names the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { twoPhaseImage } from '../support/cluster-synthetic';
import { installTinySam } from '../../scripts/build-tiny-sam';

const W = 160;

test('Learn: the SAM embeddings option trains with the installed model', { timeout: 240_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const truth = twoPhaseImage({ width: W, height: W, seed: 3, spacing: 32, radiusA: 11, radiusB: 4 });
  const png = new Uint8Array(await sharp(Buffer.from(truth.image.data as Uint8Array), { raw: { width: W, height: W, channels: 1 } }).png().toBuffer());
  const h = await startHarness({ width: 1360, height: 900 });
  try {
    const { page, server, service, tmp } = h;
    const dir = `${tmp}/project`;
    await service.call('project.create', { path: dir, name: 'E2E learn SAM' });
    installTinySam(dir);
    const imageId = (await service.call('images.importFiles', { files: [{ name: 'a.png', bytes: png }] })).imported[0]!.id;
    const [c1, c2] = await service.call('classes.ensure', { count: 2 });
    // Scribbles of two classes (the discs and the matrix as the truth says), painted through the service.
    let painted = 0;
    for (let i = 0; i < W * W && painted < 40; i += 37) {
      const x = i % W;
      const y = Math.floor(i / W);
      if (x < 2 || x > W - 3) continue;
      const disc = truth.labels.data[i]! !== 0 && truth.kindOf[truth.labels.data[i]!] === 0;
      if (disc || painted % 2 === 0) {
        await service.call('learn.scribbles.add', { imageId, classId: disc ? c1!.id : c2!.id, radius: 1, points: [x - 1, y, x + 1, y] });
        painted++;
      }
    }
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    const option = page.getByTestId('learn-sam-features');
    await option.waitFor();
    assert.equal(await option.isChecked(), false, 'off by default');
    await option.check();
    await page.getByTestId('learn-train').click();
    await page.getByTestId('learn-status').filter({ hasText: 'SAM embeddings of tiny-sam' }).waitFor({ timeout: 120_000 });
    const status = (await service.call('learn.status', {}))!;
    assert.equal(status.sam?.model, 'tiny-sam');
    assert.ok(status.sam.components.length >= 256);
  } finally {
    await h.close();
  }
});
