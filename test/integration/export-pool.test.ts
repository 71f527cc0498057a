// Dataset exports prepare images in the export worker pool (main/export/items.ts) and write them in
// image order: the files must be byte for byte the same with one worker (on the calling thread)
// and with several, for every format and with tiles, copied images and edited images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectStore } from '../../main/store/project-store';
import { EditStore } from '../../main/store/edits';
import { exportDataset } from '../../main/export/dataset';
import type { ExportOptions } from '../../app/contract/export';
import type { ServiceError } from '../../app/errors';
import { discs, makeProject, squares, tempDir, voronoi, type KitImage } from './export-kit';

const W = 150;
const H = 110;

function images(): KitImage[] {
  const maps = [voronoi(W, H, 20, 1), discs(W, H, 30, 11), voronoi(W, H, 33, 2), squares(W, H, 25, 3), voronoi(W, H, 15, 4), discs(W, H, 22, 8), voronoi(W, H, 27, 5)];
  return maps.map((labels, k) => ({
    name: `img ${k}.png`,
    width: W,
    height: H,
    labels,
    classOf: (id: number) => (id % 5 === 0 ? null : id % 2 ? 'ferrite' : 'pearlite'),
    verified: (id: number) => id % 3 === 0,
    pixelSizeUm: 0.25,
  }));
}

function filesUnder(dir: string): Map<string, Buffer> {
  const names = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
  return new Map(names.map((n) => [n, readFileSync(join(dir, n))]));
}

async function exportWith(dir: string, dest: string, opts: Omit<ExportOptions, 'dest'>, workers: number) {
  const store = ProjectStore.open(dir);
  try {
    const edits = new EditStore(store);
    const progress: number[] = [];
    const summary = await exportDataset(
      { store, edits, signal: new AbortController().signal, progress: (d) => progress.push(d), appVersion: '0.1.0-test', createdAt: '2026-01-02T03:04:05.000Z', workers },
      { ...opts, dest } as ExportOptions,
    );
    return { summary, progress };
  } finally {
    store.close();
  }
}

const CASES: [string, Omit<ExportOptions, 'dest'>][] = [
  ['coco rle + images', { format: 'coco', copyImages: true, edge: 'flag', seed: 3 } as Omit<ExportOptions, 'dest'>],
  ['coco polygons, tiles', { format: 'coco', rle: 'polygon', holes: 'rle', tile: { size: 64, overlap: 8 }, edge: 'exclude', seed: 1 } as Omit<ExportOptions, 'dest'>],
  ['png masks, verified only', { format: 'png', verifiedSegments: true, copyImages: true, seed: 2 } as Omit<ExportOptions, 'dest'>],
  ['yolo tiles', { format: 'yolo', tile: { size: 64, overlap: 16 }, copyImages: true, seed: 4 } as Omit<ExportOptions, 'dest'>],
  ['labelme', { format: 'labelme', seed: 5 } as Omit<ExportOptions, 'dest'>],
  ['cvat', { format: 'cvat', seed: 6 } as Omit<ExportOptions, 'dest'>],
  ['labelme tiles, holes filled', { format: 'labelme', holes: 'fill', tile: { size: 64, overlap: 8 }, seed: 7 } as Omit<ExportOptions, 'dest'>],
  ['geojson', { format: 'geojson', seed: 8 } as Omit<ExportOptions, 'dest'>],
  ['imagej', { format: 'imagej', verifiedSegments: true, seed: 9 } as Omit<ExportOptions, 'dest'>],
];

test('every format writes the same files, byte for byte, with 1 and with 3 export workers', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  await makeProject(dir, images(), [
    { name: 'ferrite', color: '#ff0000' },
    { name: 'pearlite', color: '#00ff00' },
  ]);
  for (const [label, opts] of CASES) {
    const one = await exportWith(dir, join(tmp, 'w1', label), opts, 1);
    const three = await exportWith(dir, join(tmp, 'w3', label), opts, 3);
    const a = filesUnder(join(tmp, 'w1', label));
    const b = filesUnder(join(tmp, 'w3', label));
    assert.deepEqual([...b.keys()], [...a.keys()], `${label}: the same file names`);
    assert.ok(a.size > 3, `${label}: a dataset was written`);
    for (const [name, bytes] of a) {
      assert.ok(bytes.equals(b.get(name)!), `${label}: ${name} is the same`);
    }
    assert.ok(one.summary.segments > 0);
    const { seconds: _s1, card: c1, ...s1 } = one.summary;
    const { seconds: _s3, card: c3, ...s3 } = three.summary;
    assert.deepEqual(s3, { ...s1, dest: s3.dest }, `${label}: the same summary`);
    assert.deepEqual(c3, c1, `${label}: the same card`);
    // Progress only goes up and ends at every image.
    for (const run of [one, three]) {
      assert.deepEqual(run.progress, [...run.progress].sort((x, y) => x - y));
      assert.equal(run.progress.at(-1), 700);
    }
  }
});

test('with several workers, an image that cannot be written fails the export by its name, and a cancel stops it; neither leaves a dataset', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  // 70,000 segments do not fit a 16-bit instance map (PNG masks).
  const many = Uint32Array.from({ length: 280 * 250 }, (_, i) => i + 1);
  await makeProject(dir, [...images(), { name: 'too many.png', width: 280, height: 250, labels: many }]);
  const dest = join(tmp, 'png');
  await assert.rejects(exportWith(dir, dest, { format: 'png', seed: 1 } as Omit<ExportOptions, 'dest'>, 3), (e: Error) => /too many/.test(e.message) && /65535|65,535|16-bit/.test(e.message));
  assert.ok(!existsSync(dest), 'no dataset after a failure');
  const store = ProjectStore.open(dir);
  try {
    const ac = new AbortController();
    let calls = 0;
    const run = exportDataset(
      { store, edits: new EditStore(store), signal: ac.signal, progress: () => ++calls === 3 && ac.abort(), appVersion: 't', workers: 3 },
      { dest: join(tmp, 'coco'), format: 'coco', seed: 1 } as ExportOptions,
    );
    await assert.rejects(run, (e: ServiceError) => e.code === 'cancelled');
    assert.ok(!existsSync(join(tmp, 'coco')), 'no dataset after a cancel');
    assert.deepEqual(readdirSync(tmp), ['proj'], 'no staging folder left');
  } finally {
    store.close();
  }
});
