// Re-segmenting an image that holds corrections: how long saving the new result takes (compose
// with the kept segments, the difference patch, the replaced map kept as a version, one
// transaction), how large the history entry and the version are, and how long undoing it takes.
// Voronoi maps stand in for segmentations; 5 % of the segments are made a person's (verified).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng, voronoiMap } from '../support/edit-testkit';
import { segmentStats } from '../../app/labelmap';
import { ProjectStore, compressLabels } from '../../main/store/project-store';
import { EditStore } from '../../main/store/edits';
import { saveAutomaticResult } from '../../main/store/automatic';
import { writeResult, type BenchRow } from './common';

const rows: BenchRow[] = [];
for (const side of [1024, 2048, 4096]) {
  const cells = Math.round((side * side) / 1500);
  const before = voronoiMap(prng(1), side, side, cells, 0.05, 1);
  const after = voronoiMap(prng(2), side, side, cells, 0.05, 1);
  const dir = join(mkdtempSync(join(tmpdir(), 'gl-bench-reseg-')), 'p');
  const store = ProjectStore.create(dir, 'bench');
  const [img] = store.insertImages([{ name: 'x.png', file: 'images/x.png', page: 0, hash: `h${side}`, width: side, height: side, channels: 1, bitDepth: 8, pixelSizeUm: null, thumbnail: new Uint8Array() }]);
  const stats = segmentStats(before);
  store.saveSegmentation(img!.id, before, stats.map((s, i) => ({ ...s, source: 'auto' as const, verified: i % 20 === 0 })), 'bench', await compressLabels(before.data));
  const edits = new EditStore(store);
  await edits.current(img!.id); // loaded, as an open image is
  const t0 = performance.now();
  const saved = await saveAutomaticResult(edits, img!.id, { labels: after, source: 'auto' }, { engine: 'bench', keep: 'person' });
  const save = performance.now() - t0;
  const entry = store.db.prepare('SELECT length(patch) + length(info) AS n FROM edit_log WHERE image_id = ? ORDER BY seq DESC LIMIT 1').get(img!.id) as { n: number };
  const version = store.db.prepare('SELECT length(labels) + length(segments) AS n FROM segmentation_versions WHERE image_id = ?').get(img!.id) as { n: number };
  const t1 = performance.now();
  await edits.undo(img!.id);
  const undo = performance.now() - t1;
  const note = `${stats.length} segments, ${saved.kept} kept`;
  rows.push({ metric: `${side}²: save a new segmentation over corrections (one undoable step + version)`, value: save, unit: 'ms', note });
  rows.push({ metric: `${side}²: history entry (patch + undo record)`, value: entry.n / 1e6, unit: 'MB', note });
  rows.push({ metric: `${side}²: version kept (compressed map + rows)`, value: version.n / 1e6, unit: 'MB', note });
  rows.push({ metric: `${side}²: undo of the re-segmentation`, value: undo, unit: 'ms', note });
  await edits.flushAll();
  store.close();
}
writeResult('resegment', rows);
