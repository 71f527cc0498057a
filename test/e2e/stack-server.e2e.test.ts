// End to end in Chromium (web mode): "Stack from server…" imports slice files ticked in the server
// folder browser as one stack, in natural name order (slice2 before slice10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, browserAvailable, CHROMIUM, waitFor } from './harness';
import { generateStack } from '../../app/synth/stack';
import { encodePng } from '../../main/export/png';

test('Stack from server: slice files ticked in the folder browser become one stack in natural order', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness(undefined, { browseRoots: (tmp) => [join(tmp, 'root')] });
  try {
    const { page, server, service, tmp } = h;
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'slices'), { recursive: true });
    const st = generateStack({ width: 48, height: 48, depth: 10, particles: 3, seed: 4 });
    for (let z = 0; z < 10; z++) writeFileSync(join(root, 'slices', `slice${z + 1}.png`), await encodePng({ width: 48, height: 48, channels: 1, bitDepth: 8, data: st.slices[z]! }));
    await service.call('project.create', { path: join(tmp, 'project'), name: 'E2E stack from server' });
    await page.goto(server.url);
    await page.getByTestId('import-stack-server').click();
    await page.getByTestId('folder-browser').waitFor();
    await page.getByTestId('browse-entry-slices').click();
    await page.getByTestId('browse-file-slice10.png').waitFor();
    await page.getByTestId('browse-all').click();
    await page.getByTestId('browse-choose').click();
    await waitFor(page, async () => (await service.call('stacks.list', {})).length === 1, 'one stack made');
    const [stack] = await service.call('stacks.list', {});
    const names = new Map((await service.call('images.list', {})).map((im) => [im.id, im.name]));
    assert.deepEqual(stack!.imageIds.map((id) => names.get(id)), [...Array(10).keys()].map((z) => `slice${z + 1}.png`));
  } finally {
    await h.close();
  }
});
