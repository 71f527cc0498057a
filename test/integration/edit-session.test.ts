// The renderer's edit session against the real service in-process: local edits and main's saved
// map stay identical, undo/redo follow main's patches, and an edit made against a map another
// window changed is refused and the session reloads main's map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrainLabService } from '../../main/service';
import { EditSession } from '../../renderer/editor/session';
import { segmentStats } from '../../app/labelmap';
import { maskToRle } from '../../app/edit';
import { firstDifference, segmentedProject } from './edit-store';

async function mainLabels(svc: GrainLabService, imageId: number): Promise<Uint32Array> {
  return (await svc.call('edit.open', { imageId }))!.labels!;
}

function rows(s: EditSession): string {
  return JSON.stringify([...s.doc.segments.values()].sort((a, b) => a.id - b.id));
}

test('local edits, main and undo/redo stay in step; stale edits reload', async () => {
  const p = await segmentedProject(120, 80, 30, 21, 0.1);
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'grainlab-user-')), binding: 'web' });
  try {
    await svc.call('project.open', { path: p.dir });
    const messages: string[] = [];
    const s = (await EditSession.open(svc, p.imageId, { onMessage: (_k, t) => messages.push(t) }))!;
    const ids = segmentStats(p.map).map((x) => x.id);
    const brush = s.edit([{ kind: 'brush', mode: 'paint', points: [[5, 5], [60, 40], [100, 10]], radius: 4, target: 'new' }], { source: 'brush' });
    assert.ok(brush && brush.created.length === 1, 'the stroke made a new segment locally at once');
    s.edit([{ kind: 'merge', ids: [ids[2]!, ids[3]!] }]);
    const cut = segmentStats(p.map).find((x) => x.id === ids[8]!)!;
    const cx = cut.bbox.x + cut.bbox.width / 2;
    assert.ok(s.edit([{ kind: 'splitByLine', segmentId: cut.id, points: [[cx, cut.bbox.y - 1], [cx + 1, cut.bbox.y + cut.bbox.height + 1]] }]), 'the cut splits');
    const mask = new Uint8Array(10 * 8).fill(1);
    s.edit([{ kind: 'delete', ids: [ids[12]!] }, { kind: 'addFromMask', mask: maskToRle(mask, { x: 50, y: 50, width: 10, height: 8 }), target: ids[12]!, overwrite: true }], { source: 'prompt' });
    s.edit([{ kind: 'setVerified', ids: [ids[0]!], verified: true }]);
    assert.ok(s.pending > 0, 'requests are under way while the map already shows the edits');
    await s.flush();
    assert.equal(firstDifference(s.doc.labels.data, await mainLabels(svc, p.imageId)), -1, 'main saved the same map');
    const snap = (await svc.call('edit.open', { imageId: p.imageId }))!;
    assert.equal(rows(s), JSON.stringify(snap.segments), 'and the same segment table');
    assert.equal(s.doc.undoDepth, 5);
    assert.equal(s.doc.segment(ids[12]!)!.area, 80, 'the replaced segment is exactly the mask');

    const u1 = s.undo();
    assert.equal(s.doc.segment(ids[0]!)!.verified, true, 'undo is main\u2019s: nothing changes before it answers');
    assert.equal(await u1, true);
    assert.equal(s.doc.segment(ids[0]!)!.verified, false, 'main\u2019s patch and rows are shown');
    assert.equal(await s.undo(), true);
    assert.equal(firstDifference(s.doc.labels.data, await mainLabels(svc, p.imageId)), -1);
    assert.equal(s.doc.segment(ids[0]!)!.verified, false);
    // A new session (a reload) undoes older entries with main's patch.
    const fresh = (await EditSession.open(svc, p.imageId))!;
    assert.equal(await fresh.undo(), true);
    assert.equal(firstDifference(fresh.doc.labels.data, await mainLabels(svc, p.imageId)), -1);
    assert.equal(await fresh.redo(), true);
    fresh.dispose();
    await s.externalChange();
    await s.flush();
    assert.equal(await s.redo(), true);
    assert.equal(firstDifference(s.doc.labels.data, await mainLabels(svc, p.imageId)), -1);
    assert.equal(s.doc.redoDepth, 1);

    // Another window edits the same image; this session's next edit is refused and it reloads.
    const other = (await EditSession.open(svc, p.imageId))!;
    other.edit([{ kind: 'delete', ids: [ids[20]!] }]);
    await other.flush();
    s.edit([{ kind: 'delete', ids: [ids[21]!] }]);
    await s.flush();
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /changed elsewhere/);
    assert.equal(firstDifference(s.doc.labels.data, await mainLabels(svc, p.imageId)), -1, 'reloaded main\u2019s map');
    assert.ok(s.doc.segment(ids[21]!), 'the refused edit is not applied');
    assert.equal(s.doc.segment(ids[20]!), undefined, 'the other window\u2019s edit is shown');
    // And an announced change from elsewhere is picked up.
    other.edit([{ kind: 'delete', ids: [ids[22]!] }]);
    await other.flush();
    await s.externalChange();
    await s.flush();
    assert.equal(s.doc.segment(ids[22]!), undefined);
    assert.equal(firstDifference(s.doc.labels.data, await mainLabels(svc, p.imageId)), -1);
    s.dispose();
    other.dispose();
  } finally {
    await svc.dispose();
  }
});
