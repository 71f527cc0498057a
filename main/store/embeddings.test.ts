// The project database's embedding cache: round trip, the persist filter, and the row bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from './project-store';
import { SqliteEmbeddingStore } from './embeddings';

test('embeddings round-trip, crops are not persisted, and the oldest rows go beyond the bound', () => {
  const root = mkdtempSync(join(tmpdir(), 'gl-emb-'));
  const store = ProjectStore.create(join(root, 'p'));
  try {
    const emb = new SqliteEmbeddingStore(store.db, { maxEntries: 2, persist: (k) => !k.includes('@') });
    const a = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    emb.put('a', a);
    const back = emb.get('a')!;
    assert.ok(back instanceof Float32Array);
    assert.notEqual(back.buffer, a.buffer);
    assert.deepEqual(back, a);
    emb.put('img@0,0,10x10', a);
    assert.equal(emb.get('img@0,0,10x10'), undefined);
    emb.put('b', a.map((v) => v + 1));
    emb.put('c', a.map((v) => v + 2));
    assert.equal(emb.count(), 2);
    assert.equal(emb.get('a'), undefined, 'the oldest is dropped');
    assert.equal(emb.get('c')![0], 2);
    emb.put('c', a.map((v) => v + 3));
    assert.equal(emb.get('c')![0], 3, 'a key is replaced in place');
    assert.equal(emb.count(), 2);
  } finally {
    store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
