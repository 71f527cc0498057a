// End to end in Chromium: on an imported, auto-segmented image, merge two segments, split one
// with a line, brush, erase and delete with real mouse and keyboard input; undo three times,
// redo once; reload. The label map read through the service (segmentation.get) matches the
// original map with the same operations applied by app/edit (the first three of them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startHarness, browserAvailable, CHROMIUM } from './harness';
import { applyEdit, type EditOp } from '../../app/edit';
import type { Viewport } from '../../app/view/viewport';
import type { Page } from 'playwright-core';

const W = 360;
const H = 240;
/** Disc centres (image px) in a 3 x 2 grid, radius 40. */
const DISCS: [number, number][] = [
  [60, 60],
  [180, 60],
  [300, 60],
  [60, 180],
  [180, 180],
  [300, 180],
];

async function discsPng(): Promise<Uint8Array> {
  const px = new Uint8Array(W * H);
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = DISCS.some(([cx, cy]) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < 40 * 40);
      px[y * W + x] = (inside ? 190 : 40) + rnd() * 20;
    }
  }
  return new Uint8Array(await sharp(px, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
}

/** FNV-1a over the ids, the same in the page and here. */
const CHECKSUM = `(labels) => { let h = 2166136261; for (let i = 0; i < labels.length; i++) { h ^= labels[i]; h = Math.imul(h, 16777619) >>> 0; } return h; }`;
function checksum(labels: Uint32Array): number {
  let h = 2166136261;
  for (let i = 0; i < labels.length; i++) {
    h ^= labels[i]!;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

interface Screen {
  at(x: number, y: number): [number, number];
}

async function screenMap(page: Page): Promise<Screen> {
  const box = (await page.getByTestId('viewer').boundingBox())!;
  const v = JSON.parse((await page.getByTestId('zoom').getAttribute('data-view'))!) as Viewport;
  return { at: (x, y) => [box.x + v.x + x * v.scale, box.y + v.y + y * v.scale] };
}

async function drag(page: Page, s: Screen, from: [number, number], to: [number, number]): Promise<void> {
  const [ax, ay] = s.at(...from);
  const [bx, by] = s.at(...to);
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  await page.mouse.move(bx, by, { steps: 12 });
  await page.mouse.up();
}

/** Waits until every edit request of the page was answered (polling: the page's CSP forbids waitForFunction's eval). */
async function idle(page: Page): Promise<void> {
  for (let k = 0; k < 200; k++) {
    if (await page.evaluate('!!(window.__grainlab && window.__grainlab.session && window.__grainlab.session.pending === 0)')) return;
    await page.waitForTimeout(50);
  }
  throw new Error('edits still pending after 10 s');
}

test('merge, split, brush, erase, delete, undo x3, redo, reload: the saved map is the expected one', { timeout: 180_000 }, async () => {
  if (!browserAvailable()) throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium or set CHROMIUM_PATH.`);
  const h = await startHarness();
  try {
    const { page, server, service, tmp } = h;
    await service.call('project.create', { path: `${tmp}/project`, name: 'E2E edit' });
    const imported = await service.call('images.importFiles', { files: [{ name: 'grains.png', bytes: await discsPng() }] });
    const imageId = imported.imported[0]!.id;
    await page.goto(server.url);
    await page.getByTestId(`image-${imageId}`).click();
    await page.getByTestId('viewer').locator('canvas').first().waitFor();
    await page.getByTestId('segment-button').click();
    await page.getByTestId('statusbar').filter({ hasText: '6 segments' }).waitFor({ timeout: 30_000 });
    await idle(page);
    const initial = (await service.call('segmentation.get', { imageId }))!;
    const idAt = ([x, y]: [number, number]) => initial.labels[y * W + x]!;
    const ids = DISCS.map(idAt);
    assert.equal(new Set(ids).size, 6, 'six discs, six segments');
    const s = await screenMap(page);

    // Merge discs 0 and 1: click, Shift-click, M.
    await page.mouse.click(...s.at(...DISCS[0]!));
    await page.keyboard.down('Shift');
    await page.mouse.click(...s.at(...DISCS[1]!));
    await page.keyboard.up('Shift');
    await page.getByTestId('selection-info').filter({ hasText: '2 segments' }).waitFor();
    await page.keyboard.press('m');
    // Split disc 2 with a vertical cut (K = split tool).
    await page.keyboard.press('k');
    await drag(page, s, [300.5, 12], [300.5, 108]);
    // Brush a new segment across the empty band between the rows (Escape: nothing selected, so "new").
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await drag(page, s, [100, 120], [260, 121]);
    // Erase a band across disc 3.
    await page.keyboard.press('Escape');
    await page.keyboard.press('e');
    await drag(page, s, [20, 181], [100, 181]);
    // Delete disc 4.
    await page.keyboard.press('q');
    await page.mouse.click(...s.at(...DISCS[4]!));
    await page.keyboard.press('Delete');
    await idle(page);
    // Undo three times, redo once.
    for (let k = 0; k < 3; k++) await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+Shift+Z');
    await idle(page);

    const log = (await page.evaluate('window.__grainlab.session.log')) as { kind: string; ops?: EditOp[]; status?: string }[];
    assert.deepEqual(log.map((e) => `${e.kind}:${e.status}`), ['edit:applied', 'edit:applied', 'edit:applied', 'edit:applied', 'edit:applied', 'undo:applied', 'undo:applied', 'undo:applied', 'redo:applied']);
    const ops = log.filter((e) => e.kind === 'edit').map((e) => e.ops!);
    // The operations are the ones the gestures describe.
    assert.deepEqual(ops[0], [{ kind: 'merge', ids: [ids[0]!, ids[1]!] }]);
    const split = ops[1]![0]!;
    assert.ok(split.kind === 'splitByLine' && split.segmentId === ids[2]);
    const near = (p: readonly [number, number], q: [number, number]) => Math.hypot(p[0] - q[0], p[1] - q[1]) < 1;
    assert.ok(near(split.points[0]!, [300.5, 12]) && near(split.points[split.points.length - 1]!, [300.5, 108]), 'the cut follows the mouse');
    const brush = ops[2]![0]!;
    assert.ok(brush.kind === 'brush' && brush.mode === 'paint' && brush.target === 'new' && brush.points.length >= 3);
    assert.ok(near(brush.points[0]!, [100, 120]) && near(brush.points[brush.points.length - 1]!, [260, 121]));
    const erase = ops[3]![0]!;
    assert.ok(erase.kind === 'brush' && erase.mode === 'erase' && erase.onlyInto === undefined);
    assert.deepEqual(ops[4], [{ kind: 'delete', ids: [ids[4]!] }]);

    // Expected: the original map with the first three operations (the last two were undone, one redone).
    const expected = { width: W, height: H, data: initial.labels.slice() };
    let nextId = Math.max(...initial.segments.map((x) => x.id)) + 1;
    for (const op of ops.slice(0, 3).flat()) nextId = applyEdit(expected, op, { nextId }).nextId;
    const pageSum = (await page.evaluate(`(${CHECKSUM})(window.__grainlab.session.doc.labels.data)`)) as number;
    assert.equal(pageSum, checksum(expected.data), 'the canvas shows the expected map');

    await page.reload();
    await page.getByTestId('statusbar').filter({ hasText: /\d+ segments/ }).waitFor({ timeout: 15_000 });
    const saved = (await service.call('segmentation.get', { imageId }))!;
    let diff = 0;
    for (let i = 0; i < expected.data.length; i++) if (saved.labels[i] !== expected.data[i]) diff++;
    assert.equal(diff, 0, 'the saved label map matches');
    const segs = new Map(saved.segments.map((x) => [x.id, x]));
    assert.equal(segs.has(ids[1]!), false, 'merged away');
    assert.ok(segs.has(ids[4]!), 'the delete was undone');
    assert.equal(segs.get(ids[4]!)!.area, initial.segments.find((x) => x.id === ids[4])!.area);
    const reloadedSum = (await page.evaluate(`(${CHECKSUM})(window.__grainlab.session.doc.labels.data)`)) as number;
    assert.equal(reloadedSum, checksum(expected.data), 'after reload the canvas shows it too');
    assert.match((await page.getByTestId('history-info').textContent()) ?? '', /3 to undo · 2 to redo/);
  } finally {
    await h.close();
  }
});
