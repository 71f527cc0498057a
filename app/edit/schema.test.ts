// The edit-operation schema accepts every operation the edit code takes (after a JSON round
// trip, as from the edit log) and refuses malformed ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentMeta } from './ops';
import { EditOpSchema } from './schema';
import { prng, randomOp, voronoiMap } from '../../test/support/edit-testkit';

test('random edit operations survive JSON and pass the schema unchanged', () => {
  const rng = prng(77);
  const map = voronoiMap(rng, 64, 64, 12);
  const meta = new Map<number, SegmentMeta>([[1, { classId: null, verified: false }]]);
  const kinds = new Set<string>();
  for (let k = 0; k < 300; k++) {
    const op = randomOp(rng, map, meta);
    const back = JSON.parse(JSON.stringify(op)) as unknown;
    assert.deepEqual(EditOpSchema.parse(back), op);
    kinds.add(op.kind);
  }
  assert.equal(kinds.size, 10);
});

test('the schema refuses malformed operations', () => {
  const bad: unknown[] = [
    { kind: 'brush', mode: 'paint', points: [[1, 2]], radius: 3 }, // paint without a target
    { kind: 'brush', mode: 'paint', points: [[1, Number.NaN]], radius: 3, target: 2 },
    { kind: 'brush', mode: 'erase', points: [], radius: 3 },
    { kind: 'brush', mode: 'erase', points: [[1, 1]], radius: 0 },
    { kind: 'merge', ids: [] },
    { kind: 'merge', ids: [1.5, 2] },
    { kind: 'delete', ids: [0] },
    { kind: 'splitByLine', segmentId: 3, points: [[1, 1]] },
    { kind: 'polygon', mode: 'add', points: [[0, 0], [1, 1]] },
    { kind: 'addFromMask', mask: { box: { x: 0, y: 0, width: 2, height: 2 }, runs: [-1, 5] }, target: 'new', overwrite: true },
    { kind: 'setClass', ids: [1], classId: 0 },
    { kind: 'setVerified', ids: [1], verified: 'yes' },
    { kind: 'explode', ids: [1] },
  ];
  for (const op of bad) assert.equal(EditOpSchema.safeParse(op).success, false, JSON.stringify(op));
});
