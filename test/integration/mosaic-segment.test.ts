// Classic phase-mode segmentation of a mosaic over the decode limit (16384²), tile by tile into
// its label tiles (main/tiles/segment-mosaic.ts): a 20000 x 14000 mosaic, dark with four bright
// discs, one across the corner of four 2048 px tiles and one across a tile row's border. The discs
// become segments of their exact areas, each one segment; a disc where a person painted is left
// out and the stroke stays as it was; a cancel while the labels are being written leaves them as
// they were; undo takes the result back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { jobEnd, newService, runToEnd, tempDir } from './export-kit';

const W = 20000;
const H = 14000;
const DISCS = {
  corner: { cx: 2048, cy: 4096, r: 150 },
  row: { cx: 10000, cy: 6144, r: 120 },
  inside: { cx: 15000, cy: 10000, r: 100 },
  painted: { cx: 5000, cy: 11000, r: 100 },
};

/** An RGBA disc (2r+1 px a side), value 220 where (x-r)² + (y-r)² <= r², and its pixel count. */
function disc(r: number): { png: Promise<Buffer>; area: number } {
  const s = 2 * r + 1;
  const px = new Uint8Array(s * s * 4);
  let area = 0;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      if ((x - r) ** 2 + (y - r) ** 2 > r * r) continue;
      area++;
      px.set([220, 220, 220, 255], (y * s + x) * 4);
    }
  }
  return { png: sharp(Buffer.from(px), { raw: { width: s, height: s, channels: 4 } }).png().toBuffer(), area };
}

test('a mosaic over the decode limit is segmented tile by tile into its label tiles; a person\'s stroke stays; cancel leaves the labels', { timeout: 300_000 }, async () => {
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'p') });
    const made = Object.fromEntries(Object.entries(DISCS).map(([k, d]) => [k, { ...d, ...disc(d.r) }]));
    const tif = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 30, g: 30, b: 30 } }, limitInputPixels: false })
      .composite(await Promise.all(Object.values(made).map(async (d) => ({ input: await d.png, left: d.cx - d.r, top: d.cy - d.r }))))
      .toColourspace('b-w')
      .tiff({ compression: 'deflate', tile: true, tileWidth: 512, tileHeight: 512 })
      .toBuffer();
    const r = await svc.call('images.importFiles', { files: [{ name: 'mosaic.tif', bytes: new Uint8Array(tif) }] });
    assert.deepEqual(r.failed, []);
    const id = r.imported[0]!.id;
    const at = (x: number, y: number) => svc.call('tiles.labelAt', { imageId: id, x, y });

    // A person's stroke in one disc.
    const p = made.painted!;
    const stroke = await svc.call('tiles.edit', { imageId: id, ops: [{ kind: 'brush', mode: 'paint', points: [[p.cx, p.cy]], radius: 10, target: 'new' }] });
    assert.equal(stroke.created, 1);
    const [strokeBefore] = await svc.call('tiles.segments', { imageId: id, ids: [1] });

    await assert.rejects(svc.call('segment.auto', { imageIds: [id], engine: 'classic', classic: { mode: 'grain' } }), /only the classic engine's phase mode/);

    // Cancelled while writing: nothing of it is left.
    let cancelled = false;
    const off = svc.on('onDidProgress', (e) => {
      if (!cancelled && e.state === 'running' && /writing labels, tile [3-9] of/.test(e.message ?? '')) {
        cancelled = true;
        void svc.call('jobs.cancel', { jobId: e.jobId });
      }
    });
    const { jobId } = await svc.call('segment.auto', { imageIds: [id], engine: 'classic' });
    const end = await jobEnd(svc, jobId);
    off();
    assert.equal(end.state, 'cancelled', end.message);
    assert.ok(cancelled, 'cancelled while the labels were being written');
    for (const d of Object.values(made)) if (d !== p) assert.equal(await at(d.cx, d.cy), 0, 'a cancelled run leaves no label');
    assert.equal(await at(p.cx, p.cy), 1);

    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: [id], engine: 'classic' }));
    const c = made.corner!;
    const cornerId = await at(c.cx, c.cy);
    assert.ok(cornerId > 1, 'the disc across four tiles is a segment');
    // Its four quarters (each in another 2048 px tile) are one segment.
    for (const [dx, dy] of [[-100, -100], [100, -100], [-100, 100], [100, 100]] as const) assert.equal(await at(c.cx + dx, c.cy + dy), cornerId);
    const row = made.row!;
    const rowId = await at(row.cx, row.cy - 80);
    assert.equal(await at(row.cx, row.cy + 80), rowId, 'the disc across a tile row border is one segment');
    const insideId = await at(made.inside!.cx, made.inside!.cy);
    assert.equal(new Set([1, cornerId, rowId, insideId]).size, 4);
    assert.equal(await at(100, 100), 0, 'the dark background is not labelled');
    // Exactly three new segments, of the discs' areas.
    const segs = await svc.call('tiles.segments', { imageId: id, ids: [2, 3, 4, 5, 6, 7, 8] });
    assert.equal(segs.length, 3, JSON.stringify(segs));
    for (const [k, sid] of [['corner', cornerId], ['row', rowId], ['inside', insideId]] as const) {
      const s = segs.find((x) => x.id === sid)!;
      assert.ok(Math.abs(s.area - made[k]!.area) <= 4, `${k}: area ${s.area}, drawn ${made[k]!.area}`);
      assert.deepEqual([s.bbox.x, s.bbox.y], [made[k]!.cx - made[k]!.r, made[k]!.cy - made[k]!.r]);
    }
    // The painted disc: left out, the stroke exactly as it was.
    assert.equal(await at(p.cx + 60, p.cy), 0);
    assert.deepEqual(await svc.call('tiles.segments', { imageId: id, ids: [1] }), [strokeBefore]);

    // One undo takes the whole result back, the stroke stays.
    await svc.call('tiles.undo', { imageId: id });
    assert.equal(await at(c.cx, c.cy), 0);
    assert.equal(await at(p.cx, p.cy), 1);
  } finally {
    await svc.dispose();
  }
});
