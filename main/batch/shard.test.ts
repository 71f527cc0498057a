import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderInputs, inShard, parseShard, shardOf } from './shard';

test('sharding puts every image in exactly one shard, whatever the order of the list', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => ({ key: `img${i}.png` }));
  for (const n of [1, 2, 3, 4, 7, 16]) {
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) for (const k of inShard(keys, { index: i, count: n })) seen.set(k.key, (seen.get(k.key) ?? 0) + 1);
    assert.equal(seen.size, keys.length, `n=${n}: every key in some shard`);
    assert.ok([...seen.values()].every((c) => c === 1), `n=${n}: no key in two shards`);
    const reversed = [...keys].reverse();
    for (let i = 0; i < n; i++) {
      assert.deepEqual(inShard(reversed, { index: i, count: n }).map((k) => k.key).sort(), inShard(keys, { index: i, count: n }).map((k) => k.key).sort());
    }
  }
  // Roughly even: no shard of 4 holds under half or over twice its share of 1,000.
  for (let i = 0; i < 4; i++) {
    const size = inShard(keys, { index: i, count: 4 }).length;
    assert.ok(size > 125 && size < 500, `shard ${i} has ${size}`);
  }
  assert.equal(shardOf('a.png', 5), shardOf('a.png', 5));
});

test('--shard takes i/n with 0 <= i < n and says how to pass a Slurm array index', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
  for (const bad of ['4/4', '1', 'a/b', '-1/3', '1/0', '']) assert.throws(() => parseShard(bad), /not i\/n with 0 <= i < n.*SLURM_ARRAY_TASK_ID/);
});

test('a folder lists its image files by name, and nothing else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-shard-'));
  for (const f of ['b.PNG', 'a.tif', 'notes.txt', 'c.jpeg']) writeFileSync(join(dir, f), 'x');
  mkdirSync(join(dir, 'sub.png'));
  assert.deepEqual(folderInputs(dir).map((i) => i.name), ['a.tif', 'b.PNG', 'c.jpeg']);
  assert.throws(() => folderInputs(join(dir, 'missing')), /Cannot read the folder .*missing.*folder of images or a GrainLab project/);
});
