// Large-image tiles from main: the pyramid built with libvips into the project's cache folder,
// one image tile per call at renderer/viewer/tiles.ts's geometry, label tiles and edits from the
// tiled label map, and the cache removed with its image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { newService, tempDir } from './export-kit';
import { tileRect, maxLevel } from '../../renderer/viewer/tiles';
import { PYRAMID_DIR } from '../../main/tiles/pyramid';
import { viewTileRect } from '../../main/tiles/label-tiles';

/** A grey gradient with a bright square at (600..700, 300..400), as PNG bytes. */
async function gradient(w: number, h: number): Promise<{ png: Uint8Array; px: Uint8Array }> {
  const px = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[y * w + x] = x >= 600 && x < 700 && y >= 300 && y < 400 ? 255 : (x + 2 * y) % 200;
  const png = await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).png().toBuffer();
  return { png: new Uint8Array(png), px };
}

test('image tiles come from a cached pyramid at the viewer geometry; the cache goes with the image', async () => {
  const svc = newService();
  try {
    const dir = join(tempDir(), 'p');
    await svc.call('project.create', { path: dir });
    const W = 1500;
    const H = 1100;
    const { png, px } = await gradient(W, H);
    const { imported } = await svc.call('images.importFiles', { files: [{ name: 'g.png', bytes: png }] });
    const im = imported[0]!;
    const info = await svc.call('tiles.pyramid', { imageId: im.id });
    assert.equal(info.levels, maxLevel(W, H) + 1);
    assert.ok(info.bytes > 0);
    assert.equal(readdirSync(join(dir, PYRAMID_DIR)).length, 1);
    // Level 0: exact pixels.
    const t = await svc.call('tiles.image', { imageId: im.id, level: 0, tx: 1, ty: 0 });
    const r = tileRect({ level: 0, tx: 1, ty: 0 }, W, H);
    assert.deepEqual([t.width, t.height, t.channels], [r.bw, r.bh, 1]);
    for (const [x, y] of [[512, 0], [650, 350], [1000, 511]] as const) assert.equal(t.data[(y - r.y) * t.width + (x - r.x)], px[y * W + x]);
    // The edge tile and every coarser level have the sizes the viewer expects.
    for (let level = 0; level <= maxLevel(W, H); level++) {
      const span = 512 << level;
      const k = { level, tx: Math.floor((W - 1) / span), ty: Math.floor((H - 1) / span) };
      const tt = await svc.call('tiles.image', { imageId: im.id, ...k });
      const rr = tileRect(k, W, H);
      assert.deepEqual([tt.width, tt.height], [rr.bw, rr.bh], `level ${level}`);
    }
    // Level 1 averages 2x2: the bright square is bright there too.
    const l1 = await svc.call('tiles.image', { imageId: im.id, level: 1, tx: 0, ty: 0 });
    assert.equal(l1.data[175 * l1.width + 325], 255);
    await assert.rejects(svc.call('tiles.image', { imageId: im.id, level: 0, tx: 9, ty: 0 }), /outside/);
    // Asked again, the cached pyramid is used.
    assert.equal((await svc.call('tiles.pyramid', { imageId: im.id })).buildMs, 0);

    // Labels: paint, read back as a tile and a pixel, undo.
    assert.equal((await svc.call('tiles.labels', { imageId: im.id, level: 0, tx: 0, ty: 0 })).data, null);
    const e = await svc.call('tiles.edit', { imageId: im.id, ops: [{ kind: 'brush', mode: 'paint', points: [[100, 100], [200, 100]], radius: 5, target: 'new' }] });
    assert.equal(e.created, 1);
    assert.equal(e.canUndo, true);
    assert.equal(await svc.call('tiles.labelAt', { imageId: im.id, x: 150, y: 100 }), 1);
    const lt = await svc.call('tiles.labels', { imageId: im.id, level: 0, tx: 0, ty: 0 });
    assert.equal(lt.data![100 * lt.width + 150], 1);
    // Within the decode limit the stroke is in the saved segmentation too, and so is its undo.
    assert.equal((await svc.call('segmentation.get', { imageId: im.id }))!.labels[100 * W + 150], 1);
    const u = await svc.call('tiles.undo', { imageId: im.id });
    assert.deepEqual(u.box, e.box);
    assert.equal(await svc.call('tiles.labelAt', { imageId: im.id, x: 150, y: 100 }), 0);
    assert.equal((await svc.call('segmentation.get', { imageId: im.id }))!.labels[100 * W + 150], 0);
    await svc.call('tiles.redo', { imageId: im.id });
    // Erase part of it, then reopen the project: the label tiles are seeded from what was saved.
    await svc.call('tiles.edit', { imageId: im.id, ops: [{ kind: 'brush', mode: 'erase', points: [[190, 100]], radius: 6 }] });
    await svc.call('project.close', {});
    await svc.call('project.open', { path: dir });
    assert.equal(await svc.call('tiles.labelAt', { imageId: im.id, x: 150, y: 100 }), 1, 'the stroke was kept');
    assert.equal(await svc.call('tiles.labelAt', { imageId: im.id, x: 190, y: 100 }), 0, 'and so was the erase');
    const again = await svc.call('tiles.edit', { imageId: im.id, ops: [{ kind: 'brush', mode: 'paint', points: [[400, 400]], radius: 5, target: 'new' }] });
    assert.equal(again.created, 2);
    assert.equal(await svc.call('tiles.labelAt', { imageId: im.id, x: 400, y: 400 }), 2);

    await svc.call('images.remove', { ids: [im.id] });
    // Removal runs its cleanup after the event; give it a moment.
    for (let i = 0; i < 50 && readdirSync(join(dir, PYRAMID_DIR)).length > 0; i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(readdirSync(join(dir, PYRAMID_DIR)).length, 0, 'the removed image\'s pyramid is gone');
    assert.ok(existsSync(join(dir, PYRAMID_DIR)));
  } finally {
    await svc.dispose();
  }
});

test('view tile geometry matches the renderer pyramid (512 px tiles, level L samples every 2^L-th pixel)', () => {
  for (const [w, h] of [[8192, 8192], [32768, 20000], [1000, 513], [40000, 7]] as const) {
    for (let level = 0; level <= maxLevel(w, h); level++) {
      const span = 512 << level;
      for (const [tx, ty] of [[0, 0], [Math.floor((w - 1) / span), Math.floor((h - 1) / span)]] as const) {
        const a = viewTileRect(level, tx, ty, w, h);
        const b = tileRect({ level, tx, ty }, w, h);
        assert.deepEqual([a.x, a.y, a.step, a.bw, a.bh], [b.x, b.y, b.step, b.bw, b.bh], `${w}x${h} L${level} ${tx},${ty}`);
      }
    }
  }
  // Past the edge there is nothing to sample.
  assert.equal(viewTileRect(0, 16, 0, 8192, 8192).bw, 0);
});


test('a mosaic over the decode limit imports for tiled viewing: thumbnail and tiles from libvips, whole pixels refused clearly', { timeout: 120_000 }, async () => {
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'p') });
    // 20000 x 14000 (280 MP, over 16384^2 = 268 MP): left half 30, right half 220, a deflate TIFF.
    const W = 20000;
    const H = 14000;
    const tif = await sharp({ create: { width: W / 2, height: H, channels: 3, background: { r: 30, g: 30, b: 30 } }, limitInputPixels: false })
      .extend({ right: W / 2, background: { r: 220, g: 220, b: 220 } })
      .toColourspace('b-w')
      .tiff({ compression: 'deflate' })
      .toBuffer();
    const r = await svc.call('images.importFiles', { files: [{ name: 'mosaic.tif', bytes: new Uint8Array(tif) }] });
    assert.deepEqual(r.failed, []);
    const im = r.imported[0]!;
    assert.deepEqual([im.width, im.height, im.channels], [W, H, 1]);
    assert.ok((await svc.call('images.thumbnail', { id: im.id })).png.length > 0);
    await assert.rejects(svc.call('images.pixels', { id: im.id }), /over GrainLab's limit/);
    const t = await svc.call('tiles.image', { imageId: im.id, level: 0, tx: 0, ty: 0 });
    assert.equal(t.data[0], 30);
    const right = await svc.call('tiles.image', { imageId: im.id, level: 0, tx: 38, ty: 27 });
    const rr = tileRect({ level: 0, tx: 38, ty: 27 }, W, H);
    assert.deepEqual([right.width, right.height], [rr.bw, rr.bh]);
    assert.equal(right.data[right.data.length - 1], 220);
  } finally {
    await svc.dispose();
  }
});
