// The SAM tools against the real SAM engine on the tiny test models (scripts/build-tiny-sam.ts):
// without a model the tool says so; with one, clicks prompt sam.prompt, the candidate is shown,
// Enter adds it as a segment (saved by main, one undo step), and a second accept replaces the
// selected segment. Runs the renderer's tool and edit session in Node, wired like the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { GrainLabService } from '../../main/service';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { EditSession } from '../../renderer/editor/session';
import { Selection } from '../../renderer/editor/selection';
import { selectionAfterEdit } from '../../renderer/editor/after-edit';
import { SamPromptTool } from '../../renderer/tools/sam/sam';
import type { Intent, PointerInput, ToolContext } from '../../renderer/tools/types';

process.env.GRAINLAB_MODELS_DIR = mkdtempSync(join(tmpdir(), 'gl-user-models-'));

const W = 160;
const H = 120;
/** Two coloured squares on black (the tiny decoder returns the cells similar to the clicked one). */
const SQUARES = [
  { x: 16, y: 16, width: 48, height: 48, rgb: [220, 30, 30] },
  { x: 96, y: 56, width: 48, height: 48, rgb: [30, 30, 220] },
];

async function squaresPng(): Promise<Uint8Array> {
  const rgb = new Uint8Array(W * H * 3);
  for (const b of SQUARES) for (let y = b.y; y < b.y + b.height; y++) for (let x = b.x; x < b.x + b.width; x++) rgb.set(b.rgb, (y * W + x) * 3);
  return new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
}

function installTinySam(projectDir: string): void {
  const dir = join(projectDir, 'models');
  const m = buildTinySamModels(dir);
  const file = (role: 'encoder' | 'decoder', p: string) => ({ role, file: basename(p), url: `https://example.invalid/${basename(p)}`, size: statSync(p).size });
  const manifest = { version: 1, models: [{ id: 'tiny-sam', name: 'tiny-sam (test model)', convention: { encoder: 'nchw-normalized', decoder: 'meta' }, files: [file('encoder', m.encoderNchw), file('decoder', m.decoder)] }] };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** Pixels of segment `id` inside and outside a square. */
function cover(labels: Uint32Array, id: number, b: { x: number; y: number; width: number; height: number }): { inside: number; outside: number } {
  let inside = 0;
  let outside = 0;
  labels.forEach((v, i) => {
    if (v !== id) return;
    const x = i % W;
    const y = Math.floor(i / W);
    if (x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height) inside++;
    else outside++;
  });
  return { inside, outside };
}

test('SAM prompt tool: unavailable without a model, then click, candidate, Enter adds and replaces', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'gl-edit-sam-'));
  const dir = join(root, 'proj');
  const svc = new GrainLabService({ userDataDir: join(root, 'user'), binding: 'web' });
  try {
    await svc.call('project.create', { path: dir });
    const imageId = (await svc.call('images.importFiles', { files: [{ name: 'squares.png', bytes: await squaresPng() }] })).imported[0]!.id;
    const tool = new SamPromptTool();
    const selection = new Selection();
    const messages: string[] = [];
    // The workspace's availability check: no model installed yet.
    const check = async () => {
      const st = await svc.call('sam.status', {});
      tool.setAvailability(st.active !== null, st.active !== null ? '' : `No SAM model installed. ${st.hint}`);
    };
    await check();
    // An image without a segmentation: the workspace starts an empty one for hand-made segments.
    const session = (await EditSession.open(svc, imageId, {}, true))!;
    assert.equal(session.doc.segments.size, 0);
    let pendingPrompt: Promise<void> = Promise.resolve();
    const ctx = (): ToolContext => ({
      doc: session.doc,
      selection: selection.ids,
      brushRadius: 4,
      emit: (i: Intent) => {
        if (i.type === 'message') messages.push(i.text);
        else if (i.type === 'select') selection.apply(i.ids, i.mode);
        else if (i.type === 'prompt') {
          pendingPrompt = svc
            .call('sam.prompt', { imageId, points: i.points, ...(i.box ? { box: i.box } : {}), refine: i.refine })
            .then((c) => tool.setCandidate({ box: c.box, mask: c.mask, score: c.score }, session.doc));
        } else if (i.type === 'edit') {
          const local = session.edit(i.ops, { ...(i.source ? { source: i.source } : {}) });
          const after = selectionAfterEdit(i, local);
          if (after) selection.apply(after, 'replace');
        }
      },
    });
    const click = (x: number, y: number, button = 0) => {
      const p: PointerInput = { x, y, button, shift: false, alt: false, ctrl: false, pixelSize: 1 };
      tool.onPointerDown(p, ctx());
      tool.onPointerUp(p, ctx());
    };
    click(40, 40);
    assert.match(messages[0] ?? '', /No SAM model installed/);

    installTinySam(dir);
    await check();
    click(40, 40);
    await pendingPrompt;
    assert.ok(tool.preview().some((s) => s.kind === 'mask'), 'the candidate is shown');
    assert.equal(tool.onKey({ key: 'Enter', shift: false, alt: false, ctrl: false }, ctx()), true);
    await session.flush();
    const [id] = selection.ids;
    assert.ok(id, 'the new segment is selected');
    const saved = (await svc.call('edit.open', { imageId }))!;
    const c1 = cover(saved.labels!, id, SQUARES[0]!);
    assert.ok(c1.inside > 0.8 * 48 * 48 && c1.outside < 0.1 * 48 * 48, `the segment is the red square (${c1.inside} in, ${c1.outside} out)`);
    assert.equal(saved.segments.find((s) => s.id === id)!.source, 'prompt');
    assert.equal(saved.undoDepth, 1);

    // With it selected, a prompt on the blue square and Enter replace it (one undo step).
    click(120, 80);
    await pendingPrompt;
    tool.onKey({ key: 'Enter', shift: false, alt: false, ctrl: false }, ctx());
    await session.flush();
    const after = (await svc.call('edit.open', { imageId }))!;
    assert.equal(cover(after.labels!, id, SQUARES[0]!).inside, 0, 'the old pixels are gone');
    assert.ok(cover(after.labels!, id, SQUARES[1]!).inside > 0.8 * 48 * 48, 'the segment is now the blue square');
    assert.equal(after.segments.length, 1);
    assert.equal(after.undoDepth, 2);
    assert.equal(await session.undo(), true);
    assert.ok(cover((await svc.call('edit.open', { imageId }))!.labels!, id, SQUARES[0]!).inside > 0.8 * 48 * 48, 'undo brings the red square back');
    session.dispose();
  } finally {
    await svc.dispose();
  }
});
