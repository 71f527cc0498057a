// The built `grainlab export`, `import-labels` and `stats` commands as a user runs them: exit codes,
// output files, one-line errors that say what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBareProject, makeProject, squares, tempDir, voronoi } from './export-kit';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const USER = tempDir('gl-cli-user-');

function grainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GRAINLAB_USER_DATA: USER } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('grainlab export / import-labels / stats: exit 0 with results, non-zero with one-line errors', { timeout: 120_000 }, async () => {
  const tmp = tempDir('gl-cli-export-');
  const dir = join(tmp, 'proj');
  const imgs = [1, 2, 3].map((k) => ({ name: `s${k}.png`, width: 96, height: 80, labels: voronoi(96, 80, 20, k), classOf: (id: number) => (id % 2 ? 'a' : 'b'), pixelSizeUm: 0.25 }));
  imgs.push({ name: 'grid.png', width: 100, height: 100, labels: squares(100, 100, 10, 5), classOf: () => 'a', pixelSizeUm: 1 });
  await makeProject(dir, imgs, [{ name: 'a', color: '#112233' }, { name: 'b', color: '#445566' }]);

  const out = join(tmp, 'coco');
  const ex = grainlab('export', dir, '--format', 'coco', '--out', out, '--split', '2:1:1', '--seed', '5', '--quiet');
  assert.equal(ex.code, 0, ex.err);
  assert.match(ex.out, /Wrote COCO dataset to .*coco\n {2}4 image\(s\), 4 file set\(s\), \d+ segments; train 2 \/ val 1 \/ test 1/);
  assert.ok(existsSync(join(out, 'annotations', 'instances_train.json')));

  const again = grainlab('export', dir, '--format', 'coco', '--out', out);
  assert.equal(again.code, 1);
  assert.equal(again.err.trim().split('\n').length, 1);
  assert.match(again.err, /^grainlab: The folder .*coco already exists\. Choose a new folder name/);
  assert.equal(grainlab('export', dir, '--format', 'coco', '--out', join(tmp, 'x'), '--split', '6:2').code, 1);
  assert.equal(grainlab('export', dir, '--format', 'tiff').code, 2, 'commander rejects an unknown format');

  const yolo = grainlab('export', dir, '--format', 'yolo', '--out', join(tmp, 'yolo'), '--tile', '48', '--overlap', '8', '--edge', 'exclude', '--json');
  assert.equal(yolo.code, 0, yolo.err);
  const ysum = JSON.parse(yolo.out) as { items: number; excluded: { edge: number } };
  assert.ok(ysum.items > 4 && ysum.excluded.edge > 0);

  const png = join(tmp, 'png');
  assert.equal(grainlab('export', dir, '--format', 'png', '--out', png, '-q').code, 0);

  const other = join(tmp, 'other');
  await makeBareProject(other, imgs);
  const insts = readdirSync(join(png, 'instances'), { recursive: true }).map(String).filter((f) => f.endsWith('.png')).map((f) => join(png, 'instances', f));
  const imp = grainlab('import-labels', other, ...insts, '--kind', 'instance', '-q');
  assert.equal(imp.code, 0, imp.err);
  assert.equal(imp.out.trim().split('\n').length, 4);
  const sems = insts.map((f) => f.replace(`${join(png, 'instances')}`, join(png, 'semantic')));
  const sem = grainlab('import-labels', other, ...sems, '--kind', 'semantic', '--onto-segments', '-q');
  assert.equal(sem.code, 0, sem.err);
  assert.match(sem.out, /new classes: a, b/);

  writeFileSync(join(tmp, 'unknown.png'), readFileSync(insts[0]!));
  const bad = grainlab('import-labels', other, join(tmp, 'unknown.png'), '--kind', 'instance', '-q');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no project image is named 'unknown'/);
  assert.match(bad.err, /grainlab: 1 label file\(s\) or entries could not be imported/);
  assert.equal(grainlab('import-labels', other, join(tmp, 'missing.json'), '--kind', 'coco', '-q').code, 1);
  assert.equal(grainlab('import-labels', other, insts[0]!).code, 2, '--kind is required');

  const csvDir = join(tmp, 'csv');
  const st = grainlab('stats', dir, '--csv', csvDir);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /^grid\.png\s+121\s+40\s/m);
  assert.match(st.out, /\(all images\)/);
  assert.deepEqual(readdirSync(csvDir).sort(), ['ecd_histogram.csv', 'grains.csv', 'images.csv', 'phases.csv']);
  const js = grainlab('stats', other, '--json', '--exclude-edge');
  assert.equal(js.code, 0, js.err);
  const parsed = JSON.parse(js.out) as { unit: string; ecd: number[]; images: unknown[] };
  assert.equal(parsed.unit, 'px', 'the second project has no pixel sizes');
  assert.equal(parsed.images.length, 4);
  assert.ok(parsed.ecd.length > 0);

  const empty = join(tmp, 'empty');
  await makeBareProject(empty, imgs.slice(0, 1));
  const none = grainlab('stats', empty);
  assert.equal(none.code, 1);
  assert.match(none.err, /nothing to measure\. Run 'grainlab segment' or 'grainlab import-labels' first/);
  const noExport = grainlab('export', empty, '--format', 'png', '--out', join(tmp, 'e'));
  assert.equal(noExport.code, 1);
  assert.match(noExport.err, /Nothing to export: none of the 1 image\(s\) has a segmentation/);

  for (const c of ['export', 'import-labels', 'stats']) assert.equal(grainlab(c, '--help').code, 0);
});
