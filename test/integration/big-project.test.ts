// Queries that big projects (10,000 images, millions of segments) run often use indexes, and the
// image list can be read page by page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore } from '../../main/store/project-store';
import { GrainLabService } from '../../main/service';

const image = (k: number) => ({ name: `img${k}.png`, file: `images/f${k}.png`, page: 0, hash: `h${k}`, width: 64, height: 64, channels: 1, bitDepth: 8 as const, pixelSizeUm: null, thumbnail: new Uint8Array([1, 2, 3]) });

function plan(store: ProjectStore, sql: string, ...params: unknown[]): string {
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
}

test('the image list, its pages and the lookups by id, file, hash and class use indexes', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-big-')), 'p');
  const store = ProjectStore.create(dir);
  const ims = store.insertImages(Array.from({ length: 50 }, (_, k) => image(k)));
  store.db.transaction(() => {
    for (const im of ims) store.insertSegments(im.id, Array.from({ length: 20 }, (_, j) => ({ id: j + 1, area: 10, bbox: { x: 0, y: 0, width: 3, height: 3 }, source: 'auto' as const })));
  })();
  const counted = plan(store, `${ProjectStore.imageSelect} ORDER BY i.id`);
  // The whole list reads every image (that is what it is for), but counts segments through the key.
  assert.match(counted, /SEARCH s USING (COVERING )?(PRIMARY KEY|INDEX)/, counted);
  assert.doesNotMatch(counted, /SCAN s\b/, counted);
  const page = plan(store, `${ProjectStore.imageSelect} WHERE i.id > ? ORDER BY i.id LIMIT ?`, 10, 5);
  assert.match(page, /SEARCH i USING INTEGER PRIMARY KEY \(rowid>\?\)/, page);
  const byFile = plan(store, 'SELECT 1 FROM images WHERE file = ?', 'images/f3.png');
  assert.match(byFile, /SEARCH images USING (COVERING )?INDEX images_file/, byFile);
  const byHash = plan(store, `${ProjectStore.imageSelect} WHERE i.hash = ? AND i.page = ?`, 'h3', 0);
  assert.match(byHash, /SEARCH i USING INDEX sqlite_autoindex_images/, byHash);
  const byClass = plan(store, 'SELECT image_id AS imageId, id FROM segments WHERE class_id = ? ORDER BY image_id, id', 1);
  assert.match(byClass, /SEARCH segments USING (COVERING )?INDEX segments_class/, byClass);
  store.close();
});

test('images.list pages: after an id, at most a limit; no arguments still lists everything', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gl-big-'));
  const store = ProjectStore.create(join(tmp, 'p'));
  store.insertImages(Array.from({ length: 23 }, (_, k) => image(k)));
  store.close();
  const svc = new GrainLabService({ userDataDir: tmp, binding: 'web' });
  const info = await svc.call('project.open', { path: join(tmp, 'p') });
  assert.equal(info.imageCount, 23);
  const all = await svc.call('images.list', {});
  assert.equal(all.length, 23);
  const paged = [];
  let after = 0;
  for (;;) {
    const page = await svc.call('images.list', { afterId: after, limit: 10 });
    assert.ok(page.length <= 10);
    if (page.length === 0) break;
    paged.push(...page);
    after = page[page.length - 1]!.id;
  }
  assert.deepEqual(paged, all);
  await assert.rejects(svc.call('images.list', { limit: 0 }), /images\.list: limit/);
  await svc.dispose();
});
