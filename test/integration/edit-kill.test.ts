// "Nothing is lost": a process that acknowledged edits is killed with SIGKILL at once; reopening
// the project shows every acknowledged edit. The same file runs as the child when
// GRAINLAB_KILL_CHILD is set (it edits forever, printing one line per acknowledged edit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../../main/store/project-store';
import { EditStore } from '../../main/store/edits';
import { applyEdit, type EditOp } from '../../app/edit';
import { cloneMap, prng } from '../support/edit-testkit';
import type { LabelMap } from '../../app/types';
import { firstDifference, segmentedProject } from './edit-store';

const W = 160;
const H = 120;

/** The k-th edit of the child's endless sequence (deterministic, so the parent can replay it). */
function nthOp(k: number): EditOp {
  const rng = prng(1000 + k);
  const x = rng() * W;
  const y = rng() * H;
  return { kind: 'brush', mode: k % 3 === 2 ? 'erase' : 'paint', points: [[x, y], [x + (rng() - 0.5) * 60, y + (rng() - 0.5) * 60]], radius: 1 + rng() * 5, target: 'new' };
}

/** Every 4th step is an undo of the previous edit (so undo records are covered too). */
function isUndo(k: number): boolean {
  return k % 4 === 3;
}

async function child(dir: string, imageId: number): Promise<void> {
  const store = ProjectStore.open(dir);
  // No checkpoints at all: what survives is the log written in each edit's transaction.
  const edits = new EditStore(store, { syncCheckpointPixels: 0, idleCheckpointMs: 3_600_000 });
  for (let k = 0; ; k++) {
    if (isUndo(k)) await edits.undo(imageId);
    else await edits.apply({ imageId, op: nthOp(k) });
    process.stdout.write(`ack ${k}\n`);
  }
}

if (process.env.GRAINLAB_KILL_CHILD) {
  const [dir, id] = process.env.GRAINLAB_KILL_CHILD.split('|');
  void child(dir!, Number(id));
} else {
  test('edits acknowledged before SIGKILL are all there after reopening', { timeout: 60_000 }, async () => {
    const p = await segmentedProject(W, H, 30, 9, 0.1);
    const self = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, ['--import', 'tsx', self], { env: { ...process.env, GRAINLAB_KILL_CHILD: `${p.dir}|${p.imageId}` }, stdio: ['ignore', 'pipe', 'inherit'] });
    const target = 14;
    let last = -1;
    const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
    const lines = createInterface({ input: proc.stdout! });
    for await (const line of lines) {
      const m = /^ack (\d+)$/.exec(line);
      if (!m) continue;
      last = Number(m[1]);
      if (last >= target) {
        proc.kill('SIGKILL');
        break;
      }
    }
    await exited;
    assert.ok(last >= target, 'the child acknowledged edits before it was killed');

    // The expected map after each step. The child goes on editing until the signal lands (on a busy
    // machine that can be several steps after the acknowledgement the parent read), so the reopened
    // map must be the state after the last acknowledged step or after one of the steps that followed.
    const stack: LabelMap[] = [cloneMap(p.map)];
    let nextId = p.map.data.reduce((m, v) => Math.max(m, v), 0) + 1;
    const stateAfter = (k: number): LabelMap => {
      const cur = stack[stack.length - 1]!;
      if (isUndo(k)) stack.pop();
      else {
        const m = cloneMap(cur);
        nextId = applyEdit(m, nthOp(k), { nextId }).nextId;
        stack.push(m);
      }
      return stack[stack.length - 1]!;
    };
    const store = ProjectStore.open(p.dir);
    try {
      const edits = new EditStore(store);
      const now = (await edits.current(p.imageId))!.labels.data;
      let match = -1;
      for (let k = 0; k <= last + 5000 && match < 0; k++) {
        const state = stateAfter(k);
        if (k >= last && firstDifference(now, state.data) === -1) match = k;
      }
      assert.ok(match >= last, `the reopened map is the state after the last acknowledged edit (${last}) or after a later step`);
      assert.ok(firstDifference(now, p.map.data) !== -1);
    } finally {
      store.close();
    }
  });
}
