// Property tests: random label maps and random edit sequences; every edit must invert exactly,
// match a brute-force diff, survive encoding, and report the segment-table changes a full recount finds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentStats } from '../labelmap';
import type { LabelMap } from '../types';
import { measurePatch } from './measure';
import { applyEdit, invertMeta, type EditOp, type MetaChange, type SegmentMeta } from './ops';
import { applyPatch, combinePatches, decodePatch, diffToPatch, emptyPatch, encodePatch, invertPatch, type LabelPatch } from './patch';
import { areaLookup, bboxLookup, cloneMap, maxId, prng, punchHoles, randInt, randomOp, voronoiMap } from '../../test/support/edit-testkit';
import { ServiceError } from '../errors';

type Stats = ReturnType<typeof segmentStats>;
const boxesOf = (stats: Stats) => {
  const m = new Map(stats.map((s) => [s.id, s.bbox]));
  return (id: number) => m.get(id);
};
const areasOf = (stats: Stats) => {
  const m = new Map(stats.map((s) => [s.id, s.area]));
  return (id: number) => m.get(id);
};

function assertSameChanges(before: LabelMap, after: LabelMap, statsBefore: Stats, statsAfter: Stats, got: ReturnType<typeof measurePatch>, label: string): void {
  const b = new Map(statsBefore.map((s) => [s.id, s]));
  const a = new Map(statsAfter.map((s) => [s.id, s]));
  const touched = new Set<number>();
  for (let i = 0; i < before.data.length; i++) {
    if (before.data[i] !== after.data[i]) {
      touched.add(before.data[i]!);
      touched.add(after.data[i]!);
    }
  }
  touched.delete(0);
  const created = [...touched].filter((id) => !b.has(id) && a.has(id)).sort((x, y) => x - y);
  const removed = [...touched].filter((id) => b.has(id) && !a.has(id)).sort((x, y) => x - y);
  const changed = [...touched].filter((id) => b.has(id) && a.has(id)).sort((x, y) => x - y);
  assert.deepEqual(got.created, created, `${label}: created`);
  assert.deepEqual(got.removed, removed, `${label}: removed`);
  assert.deepEqual(got.changed, changed, `${label}: changed`);
  const expectStats = [...created, ...changed].sort((x, y) => x - y).map((id) => a.get(id)!);
  assert.deepEqual(got.stats, expectStats, `${label}: stats`);
}

function metaTable(map: LabelMap, rng: () => number): Map<number, SegmentMeta> {
  const m = new Map<number, SegmentMeta>();
  for (const s of segmentStats(map)) m.set(s.id, { classId: rng() < 0.5 ? null : randInt(rng, 1, 4), verified: rng() < 0.3 });
  return m;
}

test('random edits invert exactly, match a brute-force diff, round-trip encoding and report true segment changes', () => {
  let opsRun = 0;
  let nonEmpty = 0;
  const kinds = new Set<string>();
  for (let seed = 1; seed <= 8; seed++) {
    const rng = prng(seed * 7919);
    const width = randInt(rng, 64, 128);
    const height = randInt(rng, 64, 96);
    const map = voronoiMap(rng, width, height, randInt(rng, 10, 40));
    punchHoles(rng, map, 12, maxId(map) + 1);
    const meta = metaTable(map, rng);
    let nextId = maxId(map) + 1;
    for (let step = 0; step < 40; step++) {
      const op = randomOp(rng, map, meta);
      const before = cloneMap(map);
      const statsBefore = segmentStats(before);
      // The caller may know nothing, the segments' boxes, or boxes and areas.
      const knows = rng();
      const useBoxes = knows < 0.7;
      const useAreas = knows < 0.4;
      const ctx = {
        nextId,
        meta: (id: number) => meta.get(id),
        ...(useBoxes ? { bboxes: boxesOf(statsBefore) } : {}),
        ...(useAreas ? { areas: areasOf(statsBefore) } : {}),
      };
      const label = `seed ${seed} step ${step} ${JSON.stringify(op).slice(0, 160)}`;
      let res;
      try {
        res = applyEdit(map, op, ctx);
      } catch (e) {
        // Random ops may name segments without metadata; that must be a clean, typed refusal.
        assert.ok(e instanceof ServiceError, `${label}: ${String(e)}`);
        assert.deepEqual(map.data, before.data, `${label}: a refused edit left the map unchanged`);
        continue;
      }
      opsRun++;
      kinds.add('mode' in op ? `${op.kind}:${op.mode}` : op.kind);
      const after = cloneMap(map);
      // The patch is exactly the pixel difference (canonical form, tight box).
      assert.deepEqual(res.patch, diffToPatch(before, after), `${label}: patch equals diff`);
      if (res.patch.runs.length > 0) nonEmpty++;
      // Inverse restores; forward again is stable.
      const m2 = cloneMap(after);
      applyPatch(m2, res.patch, 'inverse');
      assert.deepEqual(m2.data, before.data, `${label}: inverse restores`);
      applyPatch(m2, res.patch, 'forward');
      assert.deepEqual(m2.data, after.data, `${label}: forward again`);
      applyPatch(m2, invertPatch(res.patch), 'forward');
      assert.deepEqual(m2.data, before.data, `${label}: inverted patch forward = inverse`);
      // Binary round trip.
      assert.deepEqual(decodePatch(encodePatch(res.patch)), res.patch, `${label}: encode/decode`);
      // Segment-table changes match a full recount, both for the edit and for its undo.
      const statsAfter = segmentStats(after);
      assertSameChanges(before, after, statsBefore, statsAfter, res.segmentChanges, label);
      const undone = cloneMap(after);
      applyPatch(undone, res.patch, 'inverse');
      const undoChanges = measurePatch(undone, res.patch, 'inverse', {
        ...(useBoxes ? { bboxes: boxesOf(statsAfter) } : {}),
        ...(useAreas ? { areas: areasOf(statsAfter) } : {}),
      });
      assertSameChanges(after, before, statsAfter, statsBefore, undoChanges, `${label} (undo)`);
      // New ids come from nextId, and only as many as reported.
      const fresh = [...new Set(after.data)].filter((v) => v >= nextId);
      assert.ok(fresh.every((v) => v < nextId + res.idsUsed), `${label}: new ids within the reserved range`);
      assert.equal(fresh.length, res.idsUsed, `${label}: every reserved id is used`);
      assert.equal(res.nextId, nextId + res.idsUsed);
      for (const [nid, from] of res.segmentChanges.derivedFrom) {
        assert.ok(res.segmentChanges.created.includes(nid) && before.data.includes(from), `${label}: derivedFrom`);
      }
      nextId = res.nextId;
      for (const c of res.meta) {
        const m = meta.get(c.id)!;
        if (c.field === 'classId') {
          assert.equal(m.classId, c.old);
          m.classId = c.new;
        } else {
          assert.equal(m.verified, c.old);
          m.verified = c.new;
        }
      }
      for (const id of res.segmentChanges.created) meta.set(id, { classId: null, verified: false });
    }
  }
  assert.ok(opsRun > 250, `ran ${opsRun} edits`);
  assert.ok(nonEmpty > 120, `${nonEmpty} edits changed pixels`);
  assert.equal(kinds.size, 12, `all kinds exercised: ${[...kinds].join(',')}`);
});

test('random edit sequences with gestures: undo all restores the original, redo all the final map', () => {
  // History entries as main's edit log keeps them: a gesture's patches combined into one, its
  // meta changes in order; undo applies the inverse, newest entry first.
  interface Entry {
    patch: LabelPatch;
    meta: MetaChange[];
  }
  for (let seed = 1; seed <= 6; seed++) {
    const rng = prng(seed * 104729);
    const map = voronoiMap(rng, randInt(rng, 64, 128), randInt(rng, 64, 96), randInt(rng, 8, 30));
    punchHoles(rng, map, 8, maxId(map) + 1);
    const original = cloneMap(map);
    const meta = metaTable(map, rng);
    const originalMeta = new Map([...meta].map(([k, v]) => [k, { ...v }]));
    const entries: Entry[] = [];
    let nextId = maxId(map) + 1;
    let gesture: Entry | null = null;
    const applyMeta = (changes: { id: number; field: 'classId' | 'verified'; new: number | boolean | null }[]) => {
      for (const c of changes) {
        const m = meta.get(c.id)!;
        if (c.field === 'classId') m.classId = c.new as number | null;
        else m.verified = c.new as boolean;
      }
    };
    for (let step = 0; step < 40; step++) {
      if (!gesture && rng() < 0.15) {
        gesture = { patch: emptyPatch(), meta: [] };
        entries.push(gesture);
      } else if (gesture && rng() < 0.3) gesture = null;
      const op: EditOp = randomOp(rng, map, meta);
      let res;
      try {
        res = applyEdit(map, op, { nextId, bboxes: bboxLookup(map), areas: areaLookup(map), meta: (id) => meta.get(id) });
      } catch (e) {
        assert.ok(e instanceof ServiceError);
        continue;
      }
      nextId = res.nextId;
      for (const id of res.segmentChanges.created) if (!meta.has(id)) meta.set(id, { classId: null, verified: false });
      applyMeta(res.meta);
      if (gesture) {
        gesture.patch = combinePatches(gesture.patch, res.patch);
        gesture.meta.push(...res.meta);
      } else entries.push({ patch: res.patch, meta: res.meta });
    }
    const final = cloneMap(map);
    const finalMeta = new Map([...meta].map(([k, v]) => [k, { ...v }]));
    assert.ok(entries.length > 0);
    for (const e of [...entries].reverse()) {
      applyPatch(map, e.patch, 'inverse');
      applyMeta(invertMeta(e.meta));
    }
    assert.deepEqual(map.data, original.data, `seed ${seed}: undo all`);
    for (const [id, m] of originalMeta) assert.deepEqual(meta.get(id), m, `seed ${seed}: meta of ${id} after undo`);
    for (const e of entries) {
      applyPatch(map, e.patch, 'forward');
      applyMeta(e.meta);
    }
    assert.deepEqual(map.data, final.data, `seed ${seed}: redo all`);
    for (const [id, m] of finalMeta) assert.deepEqual(meta.get(id), m, `seed ${seed}: meta of ${id} after redo`);
  }
});
