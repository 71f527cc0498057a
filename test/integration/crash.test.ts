// "Nothing lost", tested the hard way: 200 SIGKILLs at random moments of edits, segmentation writes,
// imports, exports and migrations (test/crash/run.ts). GRAINLAB_CRASH_KILLS sets another count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashTest, PHASES } from '../crash/run';

test('after every SIGKILL the project opens intact with every acknowledged step, and nothing half-written', { timeout: 30 * 60_000 }, async () => {
  const kills = Number(process.env.GRAINLAB_CRASH_KILLS ?? 200);
  const r = await runCrashTest({ kills, seed: 1, log: (s) => console.log(`crash test: ${s}`) });
  console.log(
    `crash test: ${r.kills} kills in ${r.seconds.toFixed(0)} s; ${PHASES.map((p) => `${p} ${r.perPhase[p].kills}`).join(', ')}; ` +
      `acknowledged and found again: ${r.checked.edits} edits, ${r.checked.segmentations} segmentations, ${r.checked.imports} imports, ${r.checked.exports} exports, ${r.checked.migrations} migrations; ` +
      `${r.integrityChecks} integrity checks ok; ${r.failures.length} failures`,
  );
  assert.deepEqual(r.failures, []);
  assert.equal(r.kills, kills);
  for (const p of PHASES) assert.ok(r.perPhase[p].kills > 0, `${p} was killed at least once`);
  assert.ok(r.checked.edits > 0 && r.checked.imports > 0 && r.checked.exports > 0, 'steps were acknowledged before kills, and checked');
});
