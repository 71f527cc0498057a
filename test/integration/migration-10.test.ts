// Schema 10 (label tiles of images over 16384²): a version-9 project with data upgrades in place;
// the new tables take a large image's tiles and steps, and go with the image when it is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, ProjectStore } from '../../main/store/project-store';
import { latestVersion } from '../../main/store/migrations';

test('a v9 project upgrades to schema 10: its data kept, label tiles saved per image and removed with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grainlab-mig10-'));
  mkdirSync(join(dir, 'images'));
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  migrate(db, file, 9);
  db.prepare(`INSERT INTO images (name, file, hash, width, height, channels, bit_depth) VALUES ('m.tif', 'images/m.tif', 'h1', 20000, 14000, 1, 8)`).run();
  assert.equal(db.pragma('user_version', { simple: true }), 9);
  assert.equal(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'label_tiles'`).get(), undefined);
  db.close();

  const store = ProjectStore.open(dir);
  assert.ok(latestVersion >= 10);
  assert.equal(store.schemaVersion, latestVersion);
  assert.equal(store.listImages().length, 1);
  assert.ok(readdirSync(dir).some((f) => f.startsWith('project.sqlite.bak-v9-')), 'a backup of the v9 database');
  const d = store.db;
  d.prepare('INSERT INTO label_tile_maps (image_id, tile_size, max_id) VALUES (1, 1024, 3)').run();
  d.prepare('INSERT INTO label_tiles (image_id, tx, ty, data) VALUES (1, 17, 12, ?)').run(Buffer.from([1, 2, 3]));
  const step = Number(d.prepare('INSERT INTO label_tile_steps (image_id, box_x, box_y, box_w, box_h) VALUES (1, 0, 0, 5, 5)').run().lastInsertRowid);
  d.prepare('INSERT INTO label_tile_step_tiles (step_id, tx, ty, before, after) VALUES (?, 17, 12, NULL, ?)').run(step, Buffer.from([1, 2, 3]));
  // One tile per (image, tx, ty).
  assert.throws(() => d.prepare('INSERT INTO label_tiles (image_id, tx, ty, data) VALUES (1, 17, 12, ?)').run(Buffer.from([4])), /UNIQUE/);
  // Tiles of an image that does not exist are refused.
  assert.throws(() => d.prepare('INSERT INTO label_tiles (image_id, tx, ty, data) VALUES (2, 0, 0, ?)').run(Buffer.from([4])), /FOREIGN KEY/);
  store.removeImages([1]);
  for (const t of ['label_tile_maps', 'label_tiles', 'label_tile_steps', 'label_tile_step_tiles']) assert.equal((d.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, 0, t);
  store.close();
});
