// Tests for the embedding caches: byte-bounded LRU, the in-memory store, cache keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru, embeddingCacheKey, MemoryEmbeddingStore } from './cache';

test('LRU evicts least recently used entries past the byte budget', () => {
  const lru = new ByteLru<Float32Array>(3 * 400); // three arrays of 100 floats
  lru.set('a', new Float32Array(100));
  lru.set('b', new Float32Array(100));
  lru.set('c', new Float32Array(100));
  assert.ok(lru.get('a')); // a is now most recent
  lru.set('d', new Float32Array(100));
  assert.deepEqual(lru.keys(), ['c', 'a', 'd']);
  assert.equal(lru.bytes, 1200);
  lru.set('big', new Float32Array(1000)); // larger than the budget: not kept, nothing evicted
  assert.equal(lru.has('big'), false);
  assert.equal(lru.size, 3);
  lru.set('c', new Float32Array(200)); // replacing resizes the total
  assert.equal(lru.bytes, 1200); // a evicted to fit: d(400) + c(800)
  assert.deepEqual(lru.keys(), ['d', 'c']);
  assert.ok(lru.delete('d'));
  assert.equal(lru.bytes, 800);
});

test('memory store keeps its own copy', () => {
  const store = new MemoryEmbeddingStore();
  const data = Float32Array.of(1, 2, 3);
  store.put('k', data);
  data[0] = 99;
  assert.deepEqual([...store.get('k')!], [1, 2, 3]);
  assert.equal(store.get('missing'), undefined);
});

test('cache key depends on image, model and preprocessing', () => {
  const k = embeddingCacheKey('img', 'model', 'pre');
  assert.notEqual(k, embeddingCacheKey('img2', 'model', 'pre'));
  assert.notEqual(k, embeddingCacheKey('img', 'model2', 'pre'));
  assert.notEqual(k, embeddingCacheKey('img', 'model', 'pre2'));
});
