// Makes the README screenshot: the web UI with an imported micrograph and its overlay.
// Usage: node --import tsx test/screenshot.ts [out.png] [image file] [grain|phase] [--invert] [--clusters]
// Uses a UHCS micrograph from ../shared/data when present, else a synthetic image.
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { startHarness } from './e2e/harness';
import { pngGrey8 } from './fixtures/images';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--') && a !== 'grain' && a !== 'phase');
// The first .png is where the screenshot goes; the next positional argument is the image (which may be a .png too).
const outIndex = positional.findIndex((a) => a.endsWith('.png'));
const out = outIndex >= 0 ? positional[outIndex]! : 'docs/screenshot-web.png';
const mode = args.includes('grain') ? 'Grain' : 'Phase';
const invert = args.includes('--invert');
let image = positional.find((_, i) => i !== outIndex);
const uhcs = join(import.meta.dirname, '..', '..', 'shared', 'data', 'uhcs', 'images');
if (!image && existsSync(uhcs)) image = join(uhcs, readdirSync(uhcs).sort()[0]!);

const h = await startHarness({ width: 1360, height: 820 });
try {
  const { page, server, tmp } = h;
  if (!image) {
    image = join(tmp, 'synthetic.png');
    writeFileSync(image, await pngGrey8(640, 480));
  }
  await page.goto(server.url);
  await page.getByTestId('create-path').fill(join(tmp, 'project'));
  await page.getByTestId('create-name').fill('UHCS steel');
  await page.getByTestId('create-project').click();
  await page.getByTestId('file-input').setInputFiles([image]);
  await page.getByTestId('image-1').click();
  await page.getByTestId('mode').selectOption({ label: mode });
  if (invert) await page.getByText('Dark objects').click();
  await page.getByTestId('segment-button').click();
  await page.getByTestId('status-1').filter({ hasText: 'segmented' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('jobs').waitFor({ state: 'detached', timeout: 10_000 });
  if (args.includes('--clusters')) {
    // Cluster the segments, turn on cluster selection and click one segment: its whole cluster is selected.
    await page.getByTestId('tab-clusters').click();
    await page.getByTestId('cluster-run').click();
    await page.getByTestId('cluster-summary').waitFor({ timeout: 60_000 });
    await page.getByTestId('cluster-select-mode').check();
    await page.getByTestId('cluster-panel').scrollIntoViewIfNeeded();
    const v = (await page.getByTestId('viewer').boundingBox())!;
    await page.mouse.click(v.x + v.width * 0.52, v.y + v.height * 0.48);
  }
  const box = (await page.getByTestId('viewer').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
  await page.waitForTimeout(400);
  // Info toasts ("Imported 1 image.") go by themselves after a few seconds; the picture is taken without them.
  await page.getByTestId('toast-info').first().waitFor({ state: 'detached', timeout: 10_000 });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await page.screenshot());
  console.log(`wrote ${out}`);
} finally {
  await h.close();
}
