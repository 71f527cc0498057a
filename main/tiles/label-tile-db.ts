// The saved label tiles of an image over the decode limit (schema 10): each edit, undo and redo
// is one SQLite transaction that writes the changed tiles and the undo step together, so a killed
// process loses at most the edit in flight and the tiles always match the step log. Tiles are read
// one at a time when the viewer or an edit needs them; undo steps keep only ids and boxes in
// memory and read their tiles when undone or redone.
import type Database from 'better-sqlite3';
import type { Box } from '../../app/types';
import type { ProjectStore } from '../store/project-store';

/** One undo step as saved: tile key -> packed content before and after (null: no tile). */
export interface SavedStepTiles {
  before: Map<number, Buffer | null>;
  after: Map<number, Buffer | null>;
}

export interface SavedStep {
  id: number;
  box: Box;
  undone: boolean;
}

/** What LabelTileStore needs from its saved copy. */
export interface LabelTilePersistence {
  /** Keys (ty * cols + tx) of the saved tiles. */
  keys(): number[];
  read(key: number): Buffer | null;
  maxId(): number;
  /** Saved steps, oldest first. */
  steps(): SavedStep[];
  stepTiles(id: number): SavedStepTiles;
  /** Saves an edit: its tiles (after), its step, drops the redo steps and the oldest beyond `keep`; returns the step id. */
  saveEdit(step: SavedStepTiles, box: Box, maxId: number, keep: number): number;
  /** Saves an undo (content = before) or redo (content = after) of step `id`. */
  saveStep(id: number, content: Map<number, Buffer | null>, undone: boolean): void;
}

export class SqliteLabelTiles implements LabelTilePersistence {
  private readonly db: Database.Database;
  private ensured = false;

  constructor(
    private readonly store: ProjectStore,
    private readonly imageId: number,
    private readonly cols: number,
    private readonly tileSize: number,
  ) {
    this.db = store.db;
  }

  private xy(key: number): [number, number] {
    return [key % this.cols, Math.floor(key / this.cols)];
  }

  keys(): number[] {
    const rows = this.db.prepare('SELECT tx, ty FROM label_tiles WHERE image_id = ?').all(this.imageId) as { tx: number; ty: number }[];
    return rows.map((r) => r.ty * this.cols + r.tx);
  }

  read(key: number): Buffer | null {
    const [tx, ty] = this.xy(key);
    const r = this.db.prepare('SELECT data FROM label_tiles WHERE image_id = ? AND tx = ? AND ty = ?').get(this.imageId, tx, ty) as { data: Buffer } | undefined;
    return r ? r.data : null;
  }

  maxId(): number {
    const r = this.db.prepare('SELECT max_id FROM label_tile_maps WHERE image_id = ?').get(this.imageId) as { max_id: number } | undefined;
    return r?.max_id ?? 0;
  }

  steps(): SavedStep[] {
    const rows = this.db.prepare('SELECT id, box_x, box_y, box_w, box_h, undone FROM label_tile_steps WHERE image_id = ? ORDER BY id').all(this.imageId) as { id: number; box_x: number; box_y: number; box_w: number; box_h: number; undone: number }[];
    return rows.map((r) => ({ id: r.id, box: { x: r.box_x, y: r.box_y, width: r.box_w, height: r.box_h }, undone: r.undone !== 0 }));
  }

  stepTiles(id: number): SavedStepTiles {
    const rows = this.db.prepare('SELECT tx, ty, before, after FROM label_tile_step_tiles WHERE step_id = ?').all(id) as { tx: number; ty: number; before: Buffer | null; after: Buffer | null }[];
    const out: SavedStepTiles = { before: new Map(), after: new Map() };
    for (const r of rows) {
      const key = r.ty * this.cols + r.tx;
      out.before.set(key, r.before);
      out.after.set(key, r.after);
    }
    return out;
  }

  private writeTiles(content: Map<number, Buffer | null>): void {
    const put = this.db.prepare('INSERT INTO label_tiles (image_id, tx, ty, data) VALUES (?, ?, ?, ?) ON CONFLICT (image_id, tx, ty) DO UPDATE SET data = excluded.data');
    const del = this.db.prepare('DELETE FROM label_tiles WHERE image_id = ? AND tx = ? AND ty = ?');
    for (const [key, data] of content) {
      const [tx, ty] = this.xy(key);
      if (data) put.run(this.imageId, tx, ty, data);
      else del.run(this.imageId, tx, ty);
    }
  }

  saveEdit(step: SavedStepTiles, box: Box, maxId: number, keep: number): number {
    this.store.assertWritable('Editing this image');
    return this.db.transaction(() => {
      if (!this.ensured) {
        this.db.prepare('INSERT INTO label_tile_maps (image_id, tile_size) VALUES (?, ?) ON CONFLICT (image_id) DO NOTHING').run(this.imageId, this.tileSize);
        this.ensured = true;
      }
      this.db.prepare('UPDATE label_tile_maps SET max_id = max(max_id, ?) WHERE image_id = ?').run(maxId, this.imageId);
      this.writeTiles(step.after);
      // A new edit ends the redo branch.
      this.db.prepare('DELETE FROM label_tile_steps WHERE image_id = ? AND undone = 1').run(this.imageId);
      const id = Number(this.db.prepare('INSERT INTO label_tile_steps (image_id, box_x, box_y, box_w, box_h) VALUES (?, ?, ?, ?, ?)').run(this.imageId, box.x, box.y, box.width, box.height).lastInsertRowid);
      const ins = this.db.prepare('INSERT INTO label_tile_step_tiles (step_id, tx, ty, before, after) VALUES (?, ?, ?, ?, ?)');
      for (const [key, before] of step.before) {
        const [tx, ty] = this.xy(key);
        ins.run(id, tx, ty, before, step.after.get(key) ?? null);
      }
      this.db.prepare('DELETE FROM label_tile_steps WHERE image_id = ? AND id NOT IN (SELECT id FROM label_tile_steps WHERE image_id = ? ORDER BY id DESC LIMIT ?)').run(this.imageId, this.imageId, keep);
      return id;
    })();
  }

  saveStep(id: number, content: Map<number, Buffer | null>, undone: boolean): void {
    this.store.assertWritable('Undo and redo on this image');
    this.db.transaction(() => {
      this.writeTiles(content);
      this.db.prepare('UPDATE label_tile_steps SET undone = ? WHERE id = ? AND image_id = ?').run(undone ? 1 : 0, id, this.imageId);
    })();
  }
}
