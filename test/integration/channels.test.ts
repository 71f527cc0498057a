// Elemental maps through the real service and CLI: import registers the maps (estimated within a
// pixel of the truth), two point pairs and typed numbers re-register them, bad files are refused
// by name, the overlay look persists, and the maps' 'channels' feature group lets clustering tell
// apart two phases of one grey level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edsProject, grayPng, matchedPhaseIoU } from '../support/eds-kit';
import { writeTiff } from '../fixtures/tiff-writer';
import { runToEnd } from './export-kit';
import { runCli } from '../../main/cli/index';
import { mapToImage } from '../../app/channels/registration';
import type { FeatureGroupName } from '../../app/contract';
import type { GrainLabService } from '../../main/service';
import type { ClassRecord } from '../../app/types';

test('maps are imported with their elements and registered within a pixel of the truth', async () => {
  const { svc, imageId, eds, imported } = await edsProject(2, 256, { x: 11, y: -7 });
  try {
    assert.deepEqual(imported.failed, []);
    assert.deepEqual(imported.added.map((c) => c.element), ['Fe', 'Ni', 'Cr']);
    for (const c of imported.added) {
      assert.equal(c.registeredBy, 'estimate');
      assert.equal(c.registration.sx, 4);
      assert.ok(Math.abs(c.registration.tx - 11) <= 1 && Math.abs(c.registration.ty + 7) <= 1, JSON.stringify(c.registration));
    }
    assert.equal(new Set(imported.added.map((c) => c.color)).size, 3);
    // Two point pairs: scale and shift solved exactly, for every map of the image.
    const truth = eds.registration;
    const pairs = [{ map: { x: 5, y: 9 } }, { map: { x: 50, y: 60 } }].map((p) => ({ ...p, image: mapToImage(truth, p.map.x, p.map.y) })) as [never, never];
    const byPoints = await svc.call('channels.register', { imageId, pairs });
    for (const c of byPoints) assert.deepEqual({ ...c.registration, by: c.registeredBy }, { ...truth, by: 'points' });
    const typed = await svc.call('channels.register', { imageId, ids: [byPoints[0]!.id], registration: { sx: 4, sy: 4, tx: 0, ty: 0 } });
    assert.deepEqual(typed.map((c) => c.registeredBy), ['typed', 'points', 'points']);
    await assert.rejects(svc.call('channels.register', { imageId, estimate: true, registration: { sx: 1, sy: 1, tx: 0, ty: 0 } }), /exactly one/);
    // The overlay look persists; the display map is the map's own grid in 8 bits.
    const look = await svc.call('channels.update', { id: byPoints[1]!.id, opacity: 0.8, visible: false, color: '#123456' });
    assert.deepEqual([look.opacity, look.visible, look.color], [0.8, false, '#123456']);
    assert.deepEqual((await svc.call('channels.list', { imageId }))[1]!.opacity, 0.8);
    const d = await svc.call('channels.display', { id: look.id });
    assert.deepEqual([d.width, d.height, d.data.length], [64, 64, 64 * 64]);
    assert.ok(Math.max(...d.data) === 255 && Math.min(...d.data) === 0);
  } finally {
    await svc.dispose();
  }
});

test('bad map files are refused by name and leave nothing behind; removing a map removes its file', async () => {
  const { svc, dir, imageId, imported } = await edsProject(3, 256);
  try {
    const r = await svc.call('channels.importFiles', {
      imageId,
      files: [
        { name: 'Al Ka.png', bytes: await grayPng(64, 16, new Uint8Array(64 * 16)) },
        { name: 'Si Ka.tif', bytes: new TextEncoder().encode('not a tiff at all') },
      ],
    });
    assert.deepEqual(r.added, []);
    assert.match(r.failed[0]!.message, /^Al Ka\.png is 64 x 16 px .* the image's proportions/);
    assert.match(r.failed[1]!.message, /^Si Ka\.tif: /);
    assert.equal(readdirSync(join(dir, 'channels')).length, 3);
    await svc.call('channels.remove', { ids: [imported.added[0]!.id] });
    assert.equal(readdirSync(join(dir, 'channels')).length, 2);
    assert.deepEqual((await svc.call('channels.list', { imageId })).map((c) => c.element), ['Ni', 'Cr']);
  } finally {
    await svc.dispose();
  }
});

async function clusterIoU(svc: GrainLabService, imageId: number, groups: FeatureGroupName[], truth: Uint8Array) {
  await runToEnd(svc, () => svc.call('cluster.run', { imageId, groups, k: 3, seed: 1 }));
  const c = (await svc.call('cluster.get', { imageId }))!;
  const seg = (await svc.call('segmentation.get', { imageId }))!;
  const of = new Map<number, number>();
  c.segmentIds.forEach((id, i) => of.set(id, c.clusterIds[i]!));
  return matchedPhaseIoU(Uint8Array.from(seg.labels, (l) => of.get(l) ?? 255), truth, 3, 3);
}

test("the 'channels' feature group separates two phases of one grey level", async () => {
  const { svc, imageId, eds } = await edsProject(4, 256);
  try {
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [imageId], engine: 'classic', classic: { mode: 'grain' } }));
    const sem = await clusterIoU(svc, imageId, ['intensity', 'texture'], eds.classes);
    const withEds = await clusterIoU(svc, imageId, ['intensity', 'texture', 'channels'], eds.classes);
    assert.ok(withEds.perPhase[0]! > 0.8 && withEds.perPhase[1]! > 0.8, `with EDS: ${withEds.perPhase}`);
    assert.ok(withEds.mean > sem.mean + 0.2, `SEM alone ${sem.mean}, with EDS ${withEds.mean}`);
    const [a] = (await svc.call('images.importFiles', { files: [{ name: 'plain.png', bytes: await grayPng(64, 64, eds.image.data.subarray(0, 64 * 64)) }] })).imported;
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [a!.id], engine: 'classic' }));
    await assert.rejects(runToEnd(svc, () => svc.call('cluster.run', { imageId: a!.id, groups: ['intensity', 'channels'], k: 2 })), /no elemental maps/);
  } finally {
    await svc.dispose();
  }
});

test('grainlab synth --eds writes maps with truth; grainlab channels add / list / register / remove', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gl-eds-cli-'));
  const set = join(root, 'set');
  assert.equal(await runCli(['synth', set, '--eds', '--count', '1', '--size', '256', '--seed', '9']), 0);
  const maps = join(set, 'eds', 'eds-256-s9');
  assert.deepEqual(readdirSync(maps).sort(), ['Cr Ka.png', 'Fe Ka.png', 'Ni Ka.png', 'truth.json']);
  const proj = join(root, 'p');
  assert.equal(await runCli(['init', proj]), 0);
  assert.equal(await runCli(['import', proj, join(set, 'images', 'eds-256-s9.png')]), 0);
  const log: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void log.push(a.join(' '));
  try {
    assert.equal(await runCli(['channels', 'add', proj, '1', join(maps, 'Fe Ka.png'), join(maps, 'Ni Ka.png')]), 0);
    assert.equal(await runCli(['channels', 'register', proj, '1', '--scale', '4,4', '--shift', '2,3']), 0);
    assert.equal(await runCli(['channels', 'list', proj, '1']), 0);
    writeFileSync(join(root, 'bad.png'), 'x');
    assert.notEqual(await runCli(['channels', 'add', proj, '1', join(root, 'bad.png')]), 0);
    assert.equal(await runCli(['channels', 'remove', proj, '1']), 0);
  } finally {
    console.log = orig;
  }
  assert.ok(log.some((l) => /added\s+1\s+Fe\s+64x64\s+scale 4\.000,4\.000 .*estimated/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^\s+2\s+Ni .* shift 2\.0,3\.0 px\s+\(typed\)/.test(l)), log.join('\n'));
  assert.ok(existsSync(join(proj, 'channels')));
});

test('a multi-page TIFF (16-bit, one element per page) becomes one channel per page, named by --elements', async () => {
  const { svc, imageId, eds } = await edsProject(5, 256);
  try {
    const pages = eds.maps.map((m) => ({ width: m.width, height: m.height, channels: 1 as const, bitDepth: 16 as const, data: Uint16Array.from(m.data, (v) => v * 200) }));
    const r = await svc.call('channels.importFiles', { imageId, files: [{ name: 'maps.tif', bytes: writeTiff(pages) }], elements: ['Fe2', 'Ni2', 'Cr2'] });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.added.map((c) => [c.element, c.page, c.bitDepth, c.name]), [['Fe2', 0, 16, 'maps.tif [page 1]'], ['Ni2', 1, 16, 'maps.tif [page 2]'], ['Cr2', 2, 16, 'maps.tif [page 3]']]);
    for (const c of r.added) assert.ok(Math.abs(c.registration.tx - eds.registration.tx) <= 1 && Math.abs(c.registration.ty - eds.registration.ty) <= 1);
    const unnamed = await svc.call('channels.importFiles', { imageId, files: [{ name: 'stack_Al.tif', bytes: writeTiff(pages.slice(0, 2)) }], register: false });
    assert.deepEqual(unnamed.added.map((c) => [c.element, c.registeredBy]), [['Al 1', 'size'], ['Al 2', 'size']]);
  } finally {
    await svc.dispose();
  }
});

test('the pixel classifier trained with channels uses the maps (train, predict, live region) and says which', async () => {
  const W = 192;
  const { svc, imageId, eds } = await edsProject(6, W);
  try {
    const classes: ClassRecord[] = [];
    for (const name of eds.phaseNames) classes.push(await svc.call('classes.create', { name }));
    // Six short scribbles per phase, each well inside its phase.
    for (let p = 1; p <= 3; p++) {
      let n = 0;
      for (let i = 0; i < W * W && n < 6; i += 131) {
        const x = i % W, y = (i / W) | 0;
        if (x < 6 || y < 6 || x >= W - 8 || y >= W - 6) continue;
        let inside = true;
        for (let dy = -4; dy <= 4 && inside; dy++) for (let dx = -4; dx <= 6 && inside; dx++) inside = eds.classes[(y + dy) * W + x + dx] === p;
        if (!inside) continue;
        await svc.call('learn.scribbles.add', { imageId, classId: classes[p - 1]!.id, radius: 2, points: [x, y, x + 2, y] });
        n++;
      }
      assert.equal(n, 6, `scribbles of phase ${p}`);
    }
    const features = { sigmas: [1, 3], kinds: ['gauss', 'gradient'] as ('gauss' | 'gradient')[] };
    const sameGreyIoU = async () => {
      const seg = (await svc.call('segmentation.get', { imageId }))!;
      const cls = new Map(seg.segments.map((s) => [s.id, s.classId]));
      let s = 0;
      for (const p of [0, 1]) {
        let i = 0, u = 0;
        for (let q = 0; q < seg.labels.length; q++) {
          const a = cls.get(seg.labels[q]!) === classes[p]!.id;
          const b = eds.classes[q] === p + 1;
          if (a && b) i++;
          if (a || b) u++;
        }
        s += i / u / 2;
      }
      return s;
    };
    await runToEnd(svc, () => svc.call('learn.train', { features, autoContext: false, channels: false }));
    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId], keep: 'none' }));
    const plain = await sameGreyIoU();
    await runToEnd(svc, () => svc.call('learn.train', { features, autoContext: false, channels: true }));
    assert.deepEqual((await svc.call('learn.status', {}))!.channels, ['Cr', 'Fe', 'Ni']);
    await runToEnd(svc, () => svc.call('learn.predict', { imageIds: [imageId], keep: 'none' }));
    const withMaps = await sameGreyIoU();
    assert.ok(withMaps > 0.7 && withMaps > plain + 0.15, `same-grey phases: grey alone ${plain}, with maps ${withMaps}`);
    const region = await svc.call('learn.predictRegion', { imageId, x: 0, y: 0, width: 64, height: 64 });
    assert.equal(region.classes.length, 64 * 64);
    // An image without maps cannot be predicted by it, and is told why.
    const [other] = (await svc.call('images.importFiles', { files: [{ name: 'plain.png', bytes: await grayPng(64, 64, eds.image.data.subarray(0, 64 * 64)) }] })).imported;
    await assert.rejects(runToEnd(svc, () => svc.call('learn.predict', { imageIds: [other!.id] })), /has no map of Cr, Fe, Ni/);
  } finally {
    await svc.dispose();
  }
});
