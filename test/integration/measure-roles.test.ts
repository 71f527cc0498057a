// Grains and particles: the project names its particle classes (stored in its settings, kept
// across reopening); grain statistics and ASTM G then count grains only and particles get their
// own summary; unknown classes are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ServiceError } from '../../app/errors';
import { squares, makeProject, newService, tempDir } from './export-kit';

test('particle classes: left out of grain sizes and ASTM G, summarised apart, stored with the project', async () => {
  const dir = join(tempDir(), 'proj');
  // A 10 x 10 grid of 20 px squares; every 4th square is a "carbide".
  const grid = squares(200, 200, 20, 0);
  await makeProject(dir, [{ name: 'grid.png', width: 200, height: 200, labels: grid, pixelSizeUm: 1, classOf: (id) => (id % 4 === 0 ? 'carbide' : 'ferrite') }]);
  let svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const classes = await svc.call('classes.list', {});
    const carbide = classes.find((c) => c.name === 'carbide')!.id;
    assert.deepEqual(await svc.call('measure.roles', {}), { particleClasses: [] }, 'every class is a grain by default');
    const before = await svc.call('stats.compute', {});
    const total = before.images[0]!.summary.grainCount;
    const carbides = [...new Set(grid)].filter((v) => v !== 0 && v % 4 === 0).length;
    assert.ok(carbides > 0 && total > carbides);
    assert.equal(before.particles, undefined);

    assert.deepEqual(await svc.call('measure.setRoles', { particleClasses: [carbide] }), { particleClasses: [carbide] });
    const after = await svc.call('stats.compute', {});
    assert.equal(after.images[0]!.summary.grainCount, total - carbides, 'carbides are not grains');
    assert.equal(after.ecd.length, total - carbides);
    assert.equal(after.particles!.grainCount, carbides, 'they are summarised as particles');
    assert.deepEqual(after.particleClasses, [carbide]);
    // Fewer grains in the same field: a smaller ASTM G (coarser).
    assert.ok(after.images[0]!.planimetric!.G < before.images[0]!.planimetric!.G);
    assert.equal(after.images[0]!.planimetric!.equivalentGrains < before.images[0]!.planimetric!.equivalentGrains, true);
    // Phase fractions still count every segment.
    assert.deepEqual(after.images[0]!.phases, before.images[0]!.phases);

    await assert.rejects(svc.call('measure.setRoles', { particleClasses: [carbide, 9999] }), (e: unknown) => e instanceof ServiceError && /No class 9999/.test(e.message));
    await svc.dispose();
    svc = newService();
    await svc.call('project.open', { path: dir });
    assert.deepEqual(await svc.call('measure.roles', {}), { particleClasses: [carbide] }, 'kept in the project');
    await svc.call('measure.setRoles', { particleClasses: [] });
    assert.equal((await svc.call('stats.compute', {})).images[0]!.summary.grainCount, total);
  } finally {
    await svc.dispose();
  }
});
