// Segmentation presets saved in the project, exported and imported as JSON; the settings saved with
// each segmentation; the live preview of settings on a region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newService, runToEnd, tempDir } from './export-kit';
import { pngGrey8 } from '../fixtures/images';
import { ServiceError } from '../../app/errors';

test('presets: save, segment with one (recorded with the result), export, import into another project', async () => {
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'a') });
    const [im] = (await svc.call('images.importFiles', { files: [{ name: 'discs.png', bytes: await pngGrey8(120, 80) }] })).imported;
    const saved = await svc.call('presets.save', { name: 'Bright discs', description: 'SE, 5 kx', settings: { mode: 'phase', minArea: 30, invert: false, sigma: 1 } });
    assert.equal(saved.settings.minArea, 30);
    assert.ok(saved.updatedAt);
    await svc.call('presets.save', { name: 'Grains', settings: { mode: 'grain', minArea: 16, invert: false, boundaryStyle: 'lines' } });
    assert.deepEqual((await svc.call('presets.list', {})).map((p) => p.name), ['Bright discs', 'Grains']);

    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [im!.id], preset: 'Bright discs' }));
    const rec = await svc.call('segmentation.settings', { imageId: im!.id });
    assert.ok(rec);
    assert.equal(rec.engine, 'classic');
    assert.equal(rec.preset, 'Bright discs');
    assert.equal(rec.settings.minArea, 30);
    assert.equal(rec.settings.sigma, 1);

    // Settings given directly are recorded as themselves, with the boundary style the engine chose.
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [im!.id], classic: { mode: 'grain', minArea: 16, invert: false } }));
    const rec2 = (await svc.call('segmentation.settings', { imageId: im!.id }))!;
    assert.equal(rec2.preset, null);
    assert.equal(rec2.settings.mode, 'grain');
    assert.ok(['lines', 'edges'].includes(rec2.settings.resolvedBoundaryStyle as string));

    await assert.rejects(svc.call('segment.auto', { imageIds: [im!.id], preset: 'nope' }), (e: ServiceError) => e.code === 'not-found' && /No segmentation preset named 'nope'/.test(e.message));

    const { json } = await svc.call('presets.export', {});
    const b = newService();
    try {
      await b.call('project.create', { path: join(tempDir(), 'b') });
      await b.call('presets.save', { name: 'Grains', settings: { mode: 'grain', minArea: 99, invert: true } });
      const r = await b.call('presets.import', { json, ifExists: 'rename' });
      assert.deepEqual(r.imported.sort(), ['Bright discs', 'Grains (2)']);
      const list = await b.call('presets.list', {});
      assert.equal(list.find((p) => p.name === 'Grains')!.settings.minArea, 99, 'the existing preset is kept');
      assert.equal(list.find((p) => p.name === 'Grains (2)')!.settings.boundaryStyle, 'lines');
      assert.deepEqual((await b.call('presets.import', { json, ifExists: 'skip' })).skipped.sort(), ['Bright discs', 'Grains']);
      await assert.rejects(b.call('presets.import', { json: '{"format":"grainlab-segmentation-presets","version":1,"presets":[{"name":"x","settings":{"mode":"blob"}}]}' }), /preset 1 is not valid/);
      await assert.rejects(b.call('presets.import', { json: 'nonsense' }), /not JSON/);
    } finally {
      await b.dispose();
    }
  } finally {
    await svc.dispose();
  }
});

test('segment.preview: a region comes back reduced to maxSide with the settings scaled; nothing is saved', async () => {
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'p') });
    const [im] = (await svc.call('images.importFiles', { files: [{ name: 'discs.png', bytes: await pngGrey8(400, 300) }] })).imported;
    const full = await svc.call('segment.preview', { imageId: im!.id, region: { x: 0, y: 0, width: 400, height: 300 }, classic: { mode: 'phase', minArea: 16, invert: false }, maxSide: 512 });
    assert.equal(full.scale, 1);
    assert.equal(full.width, 400);
    assert.equal(full.segments, 3, 'the three discs of the pattern');
    const small = await svc.call('segment.preview', { imageId: im!.id, region: { x: 0, y: 0, width: 400, height: 300 }, classic: { mode: 'phase', minArea: 16, invert: false }, maxSide: 100 });
    assert.equal(small.scale, 4);
    assert.deepEqual([small.width, small.height], [100, 75]);
    assert.equal(small.labels.length, 100 * 75);
    assert.equal(small.segments, 3);
    // A region hanging over the edge is clamped; one outside is refused.
    const edge = await svc.call('segment.preview', { imageId: im!.id, region: { x: 350, y: 250, width: 200, height: 200 }, classic: { mode: 'phase', minArea: 16, invert: false } });
    assert.deepEqual(edge.region, { x: 350, y: 250, width: 50, height: 50 });
    await assert.rejects(svc.call('segment.preview', { imageId: im!.id, region: { x: 500, y: 0, width: 10, height: 10 }, classic: { mode: 'phase', minArea: 16, invert: false } }), /outside discs\.png/);
    assert.equal(await svc.call('segmentation.get', { imageId: im!.id }), null);
    // Three requests at once (a slider dragged): the first runs, the second is replaced by the third.
    const region = { x: 0, y: 0, width: 400, height: 300 };
    const runs = [16, 20, 24].map((minArea) => svc.call('segment.preview', { imageId: im!.id, region, classic: { mode: 'phase', minArea, invert: false } }));
    const settled = await Promise.allSettled(runs);
    assert.equal(settled[0]!.status, 'fulfilled');
    assert.equal(settled[1]!.status, 'rejected');
    assert.equal(((settled[1] as PromiseRejectedResult).reason as ServiceError).code, 'cancelled');
    assert.equal(settled[2]!.status, 'fulfilled');
  } finally {
    await svc.dispose();
  }
});
