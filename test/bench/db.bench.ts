// Database throughput: segment rows written per second in batched transactions (target >= 100k/s),
// the cost of saving a whole segmentation (checkpoint + rows) for a large image, and how long an
// edit takes to be persisted (applied to main's map and committed with its log entry; p95 <= 5 ms).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectStore, compressLabels } from '../../main/store/project-store';
import { EditStore } from '../../main/store/edits';
import { prng } from '../support/edit-testkit';
import type { EditOp } from '../../app/edit';
import { segmentedProject } from '../integration/edit-store';
import { percentile, writeResult, peakRssMiB, type BenchRow } from './common';

const dir = join(mkdtempSync(join(tmpdir(), 'gl-bench-db-')), 'p');
const store = ProjectStore.create(dir);
const image = (name: string) => ({ name, file: `images/${name}`, page: 0, hash: name, width: 8192, height: 8192, channels: 1, bitDepth: 8 as const, pixelSizeUm: null, thumbnail: new Uint8Array() });
const [img, big] = store.insertImages([image('rows.png'), image('big.png')]);
const rows: BenchRow[] = [];

// 1. Segment rows through the store's batched insert (foreign keys on, as in the app).
const rates: number[] = [];
let nextId = 1;
for (let round = 0; round < 5; round++) {
  const n = 100_000;
  const batch = Array.from({ length: n }, () => {
    const id = nextId++;
    return { id, area: 100 + (id % 997), bbox: { x: id % 8000, y: (id * 7) % 8000, width: 12, height: 14 }, source: 'auto' as const };
  });
  const t0 = performance.now();
  store.db.transaction(() => store.insertSegments(img!.id, batch))();
  rates.push(n / ((performance.now() - t0) / 1000));
}
rows.push({ metric: 'segment rows written, batched (100k per transaction), median of 5', value: percentile(rates, 50), unit: 'rows/s', target: '>= 100000' });

// 2. A whole segmentation save: 8192^2 label map with ~5,000 segments.
const w = 8192;
const labels = new Uint32Array(w * w);
const cell = Math.ceil(w / 71);
for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) labels[y * w + x] = Math.floor(y / cell) * 71 + Math.floor(x / cell) + 1;
const segs = Array.from({ length: 71 * 71 }, (_, i) => ({ id: i + 1, area: cell * cell, bbox: { x: 0, y: 0, width: cell, height: cell }, source: 'auto' as const }));
const t1 = performance.now();
const compressed = await compressLabels(labels);
const t2 = performance.now();
store.saveSegmentation(big!.id, { width: w, height: w, data: labels }, segs, 'bench', compressed);
const t3 = performance.now();
const loaded = await store.loadSegmentation(big!.id);
const t4 = performance.now();
if (!loaded || loaded.labels.data[12345] !== labels[12345]) throw new Error('round trip failed');
rows.push({ metric: 'compress 8192^2 label map (deflate, off main thread)', value: t2 - t1, unit: 'ms', note: `${(compressed.byteLength / 2 ** 20).toFixed(2)} MiB` });
rows.push({ metric: 'save segmentation: checkpoint + 5,041 segment rows (1 tx)', value: t3 - t2, unit: 'ms' });
rows.push({ metric: 'load + decompress 8192^2 label map', value: t4 - t3, unit: 'ms' });
store.close();

// 3. Edit persistence through the edit store, as `edit.apply` does it: the operation applied to
// main's map and its log entry, inverse patch and segment rows committed in one transaction (with
// the in-transaction checkpoint for maps up to 512 x 512; larger maps checkpoint in the background).
for (const [side, cells] of [[512, 100], [1024, 300], [4096, 3000]] as const) {
  const p = await segmentedProject(side, side, cells, 11, 0.05);
  const s = ProjectStore.open(p.dir);
  const edits = new EditStore(s);
  const rng = prng(5);
  const brush = (): EditOp => {
    const x = rng() * side;
    const y = rng() * side;
    return { kind: 'brush', mode: 'paint', points: [[x, y], [x + (rng() - 0.5) * 80, y + (rng() - 0.5) * 80]], radius: 4 + rng() * 8, target: 'new' };
  };
  await edits.current(p.imageId);
  const applyMs: number[] = [];
  const undoMs: number[] = [];
  for (let k = 0; k < 220; k++) {
    const t = performance.now();
    const ack = await edits.apply({ imageId: p.imageId, op: brush() });
    const dt = performance.now() - t;
    if (ack.status !== 'applied') throw new Error(`edit ${k} was not applied: ${ack.status}`);
    if (k >= 20) applyMs.push(dt); // the first ones warm up statements and the JIT
    if (k % 5 === 4) {
      const u = performance.now();
      await edits.undo(p.imageId);
      undoMs.push(performance.now() - u);
    }
  }
  const label = `${side}^2, ${cells} segments${side * side <= 1 << 18 ? ', checkpoint in each transaction' : ''}`;
  rows.push({ metric: `edit persisted (brush, ${label}): p50`, value: percentile(applyMs, 50), unit: 'ms' });
  rows.push({ metric: `edit persisted (brush, ${label}): p95`, value: percentile(applyMs, 95), unit: 'ms', target: '<= 5' });
  rows.push({ metric: `undo persisted (${label}): p95`, value: percentile(undoMs, 95), unit: 'ms', target: '<= 5' });
  await edits.flushAll();
  s.close();
}
rows.push({ metric: 'peak RSS', value: peakRssMiB(), unit: 'MiB' });
writeResult('db', rows);
