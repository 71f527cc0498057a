// Schema migrations: a version-1 database with data is upgraded in place, with a backup first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, ProjectStore } from '../../main/store/project-store';
import { latestVersion } from '../../main/store/migrations';

function makeV1Project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grainlab-mig-'));
  mkdirSync(join(dir, 'images'));
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  migrate(db, file, 1);
  db.prepare(`INSERT INTO images (name, file, hash, width, height, channels, bit_depth) VALUES ('a.png', 'images/a.png', 'h1', 10, 8, 1, 8)`).run();
  db.prepare(`INSERT INTO segments (image_id, id, source, area, bbox_x, bbox_y, bbox_w, bbox_h) VALUES (1, 1, 'auto', 5, 0, 0, 2, 3)`).run();
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  db.close();
  return dir;
}

test('opening a v1 project upgrades it to the latest schema, keeps its data and writes a backup', () => {
  const dir = makeV1Project();
  const store = ProjectStore.open(dir);
  assert.equal(store.schemaVersion, latestVersion);
  assert.ok(latestVersion >= 2);
  const images = store.listImages();
  assert.equal(images.length, 1);
  assert.equal(images[0]!.segmentCount, 1);
  // v2 columns exist and work.
  store.db.prepare(`UPDATE segments SET class_source = 'person', class_confidence = 1 WHERE image_id = 1`).run();
  store.setSetting('k', 'v');
  assert.equal(store.getSetting('k'), 'v');
  store.close();
  const backups = readdirSync(dir).filter((f) => f.startsWith('project.sqlite.bak-v1-'));
  assert.equal(backups.length, 1);
  const old = new Database(join(dir, backups[0]!), { readonly: true });
  assert.equal(old.pragma('user_version', { simple: true }), 1);
  assert.equal((old.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n, 1);
  old.close();
});

test('a failing migration rolls back and the database stays at its version', () => {
  const dir = makeV1Project();
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  // Sabotage: v2 creates a table called "embeddings"; make it exist already so v2 fails midway.
  db.exec('CREATE TABLE embeddings (x INTEGER)');
  assert.throws(() => migrate(db, file), /schema 2.*left unchanged.*backup/s);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  const cols = (db.prepare(`PRAGMA table_info(segments)`).all() as { name: string }[]).map((c) => c.name);
  assert.ok(!cols.includes('class_source'), 'the partial ALTER TABLE was rolled back');
  db.close();
});

test('a database from a newer GrainLab is refused with a clear message', () => {
  const dir = makeV1Project();
  const file = join(dir, 'project.sqlite');
  const db = new Database(file);
  db.pragma('user_version = 999');
  db.close();
  assert.throws(() => ProjectStore.open(dir), /newer GrainLab.*schema 999/);
});
