// End to end in Chromium: the Models dialog and the "Which engine fits" panel on a project with the
// tiny SAM-signature model installed (no weights are downloaded). The dialog lists the model with its
// family, marked active; a person's own SAM 2 pair is imported through the form (an empty decoder and
// a decoder of no known signature are refused, naming what is missing), selected and verified; a
// listed model whose address cannot be reached fails its download with the reason shown. The
// evaluation runs on the verified image and shows the ranked table; "Use as default" sets the
// project's default engine. The Export dialog writes the fine-tuning (micro-sam) layout. Removing
// the imported model asks on its row first.
// Screenshots go to $GL_SCREENSHOTS (default: the OS temp folder) for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, browserAvailable, waitFor, CHROMIUM } from './harness';
import { installTinySam, tinyManifestFile, tinyManifestModel } from '../../scripts/build-tiny-sam';
import { buildTinyFamilyModels } from '../../scripts/build-tiny-sam-families';
import { discs, makeProject } from '../integration/export-kit';

// Keep a developer's own user-level models out of this test.
process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-e2e-user-models-'));
const SHOTS = process.env.GL_SCREENSHOTS ?? tmpdir();

const W = 128;
const H = 96;

test('Models dialog: list, import your own, select, verify, a failed download; Which engine fits: ranked table and default; fine-tuning export', { timeout: 300_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness({ width: 1360, height: 850 });
  try {
    const { page, server, service, tmp } = h;
    const dir = join(tmp, 'project');
    await makeProject(dir, [{ name: 'discs.png', width: W, height: H, labels: discs(W, H, 32, 11), status: 'verified', classOf: (id) => (id % 2 ? 'ferrite' : 'pearlite') }]);
    const tiny = installTinySam(dir);
    // A second listed model whose files are not there and whose address cannot be reached.
    const manifestPath = join(dir, 'models', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: number; models: unknown[] };
    manifest.models.push(tinyManifestModel('tiny-absent', tinyManifestFile('encoder', join(dir, 'models', 'absent.encoder.onnx'), 4096), tinyManifestFile('decoder', join(dir, 'models', 'absent.decoder.onnx'), 4096)));
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const fam = buildTinyFamilyModels(join(tmp, 'lab-models'));
    await service.call('project.open', { path: dir });
    await page.goto(server.url);

    // The Models menu in the toolbar opens the dialog.
    await page.getByTestId('models-menu').click();
    await page.getByTestId('models-open').click();
    const dialog = page.getByTestId('models-dialog');
    await dialog.waitFor();
    const tinyRow = page.getByTestId('model-tiny-sam');
    await tinyRow.waitFor();
    assert.equal(await tinyRow.getAttribute('data-active'), 'true');
    assert.match((await tinyRow.textContent()) ?? '', /tiny-sam \(test model\)activeSAM.*yes/);
    assert.match((await page.getByTestId('model-tiny-absent').textContent()) ?? '', /no—/);

    // Import your own: the form names what is missing; main names the decoder's missing inputs.
    await page.getByTestId('models-import').locator('summary').click();
    await page.getByTestId('import-name').fill('Lab SAM 2');
    await page.getByTestId('import-encoder').fill(fam.sam2Encoder);
    await page.getByTestId('import-start').click();
    assert.equal(await page.getByTestId('import-note').textContent(), 'Give the decoder file to import a model.');
    await page.getByTestId('import-decoder').fill(tiny.foreignDecoder);
    await page.getByTestId('import-start').click();
    await waitFor(page, async () => /missing inputs/.test((await page.getByTestId('import-note').textContent()) ?? ''), 'the refusal naming missing inputs');
    assert.match((await page.getByTestId('import-note').textContent()) ?? '', /not a SAM decoder GrainLab recognises.*Nothing was imported/);
    await page.getByTestId('import-decoder').fill(fam.sam2Decoder);
    await page.getByTestId('import-derived').fill('sam2.1-hiera-tiny');
    await page.getByTestId('import-start').click();
    const labRow = page.getByTestId('model-lab-sam-2');
    await labRow.waitFor();
    assert.match((await labRow.textContent()) ?? '', /Lab SAM 2custom, from sam2\.1-hiera-tinySAM 2/);
    await page.screenshot({ path: join(SHOTS, 'umod-models-imported.png') });

    // Select it: it becomes active in main and in the header.
    await page.getByTestId('model-lab-sam-2-select').click();
    await waitFor(page, async () => (await labRow.getAttribute('data-active')) === 'true', 'the imported model active');
    assert.equal((await service.call('sam.status', {})).active, 'lab-sam-2');
    await waitFor(page, async () => /SAM lab-sam-2/.test((await page.getByTestId('sam-badge').textContent()) ?? ''), 'the header naming the new model');
    // Verify: the check is shown under the row.
    await page.getByTestId('model-lab-sam-2-verify').click();
    await page.getByTestId('model-lab-sam-2-check').waitFor();
    assert.match((await page.getByTestId('model-lab-sam-2-check').textContent()) ?? '', /^Files check out/);
    assert.equal(await page.getByTestId('model-lab-sam-2-verified').textContent(), 'yes');

    // A download that cannot reach its address fails, saying so, and installs nothing.
    await page.getByTestId('model-tiny-absent-download').click();
    await waitFor(page, async () => (await page.getByTestId('models-error').count()) > 0, 'the failed download', 60_000);
    assert.match((await page.getByTestId('models-error').textContent()) ?? '', /^Download of tiny-absent failed: .+/);
    assert.equal(existsSync(join(process.env.GRAINLAB_MODELS_DIR!, 'absent.encoder.onnx')), false);
    await page.screenshot({ path: join(SHOTS, 'umod-models.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Which engine fits: the evaluation on the verified image, the ranked table, a default.
    await page.getByTestId('models-menu').click();
    await page.getByTestId('engine-fit-open').click();
    const fit = page.getByTestId('engine-fit');
    await fit.waitFor();
    await waitFor(page, async () => /none set/.test((await page.getByTestId('engine-default').textContent()) ?? ''), 'no default engine yet');
    // Grid prompts are the slow half on the tiny models: left out of this run, and so out of the table.
    for (const m of ['tiny-sam', 'lab-sam-2']) await page.getByTestId(`engine-pick-sam:${m}:grid`).uncheck();
    await page.getByTestId('engine-fit-start').click();
    await page.getByTestId('engine-fit-table').waitFor({ timeout: 240_000 });
    assert.match((await page.getByTestId('engine-fit-images').textContent()) ?? '', /Scored on 1 image: discs\.png \(whole image\)/);
    const rows = page.getByTestId('engine-fit-table').locator('tbody tr');
    const engines = await rows.evaluateAll((trs) => trs.map((tr) => (tr as unknown as { getAttribute(name: string): string | null }).getAttribute('data-testid')));
    assert.deepEqual([...engines].sort(), ['classic', 'sam:lab-sam-2:matsam', 'sam:tiny-sam:matsam'].map((id) => `engine-row-${id}`));
    const first = await rows.first().locator('td').allTextContents();
    assert.equal(first[0], '1');
    assert.match(first[2] ?? '', /^-?\d\.\d{3}$/, 'ARI');
    assert.match(first[3] ?? '', /^\d+%$/, 'recall@0.5');
    assert.match(first[4] ?? '', /ferrite \d\.\d\d · pearlite \d\.\d\d/, 'IoU per class');
    assert.match(first[5] ?? '', /ops \/ 100 segments/, 'effort');
    await page.screenshot({ path: join(SHOTS, 'umod-engine-fit.png') });
    await page.getByTestId('engine-default-classic').click();
    await waitFor(page, async () => /Default engine:classic/.test((await page.getByTestId('engine-default').textContent()) ?? ''), 'classic as the default');
    assert.equal((await service.call('eval.engines', {})).defaultEngine.engine, 'classic');
    await page.keyboard.press('Escape');
    await fit.waitFor({ state: 'detached' });

    // Export for fine-tuning: the same destination and split controls, micro-sam's layout written.
    await page.getByTestId('export-open').click();
    await page.getByTestId('export-format').selectOption('finetune');
    const dest = join(tmp, 'finetune-out');
    await page.getByTestId('export-dest').fill(dest);
    await page.screenshot({ path: join(SHOTS, 'umod-export-finetune.png') });
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-summary').waitFor({ timeout: 60_000 });
    assert.match((await page.getByTestId('export-summary').textContent()) ?? '', /fine-tuning \(micro-sam\)/);
    for (const f of ['dataset-card.json', 'segments.csv', join('train', 'images'), join('train', 'labels')]) assert.ok(existsSync(join(dest, f)), `${f} in the fine-tuning folder`);
    await page.getByTestId('export-summary').getByText('Close').click();

    // Remove asks on the row first; "Keep" leaves it, "Remove" takes the custom model out.
    await page.getByTestId('sam-badge').click();
    await page.getByTestId('model-lab-sam-2-remove').click();
    await page.getByText('Keep').click();
    assert.equal(await page.getByTestId('model-lab-sam-2').count(), 1);
    await page.getByTestId('model-lab-sam-2-remove').click();
    await page.getByTestId('model-lab-sam-2-remove-yes').click();
    await page.getByTestId('model-lab-sam-2').waitFor({ state: 'detached' });
    assert.equal((await service.call('sam.status', {})).models.some((m) => m.id === 'lab-sam-2'), false);
  } finally {
    await h.close();
  }
});
