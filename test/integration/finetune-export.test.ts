// Export for fine-tuning (micro-sam layout): matching image/label TIFFs per split whose instance
// ids, read back with sharp and segments.csv, reproduce the verified segments; unverified images
// left out by default; the same seed gives the same split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { greyFor, makeProject, newService, runToEnd, squares, tempDir, voronoi, type KitImage } from './export-kit';
import { runCli } from '../../main/cli/index';
import type { FinetuneSummary } from '../../app/contract/finetune';

const W = 96;
const H = 80;

function kitImages(): KitImage[] {
  return [
    // Reviewed as a whole: every segment is ground truth although none is flagged.
    { name: 'whole.png', width: W, height: H, labels: voronoi(W, H, 20, 1), classOf: (id) => (id % 2 ? 'a' : 'b'), status: 'verified' },
    { name: 'half.png', width: W, height: H, labels: voronoi(W, H, 20, 2), classOf: () => 'a', verified: (id) => id % 2 === 0 },
    { name: 'few.png', width: W, height: H, labels: squares(W, H, 16, 3), classOf: () => 'b', verified: (id) => id % 3 === 0 },
    { name: 'third.png', width: W, height: H, labels: voronoi(W, H, 24, 4), verified: (id) => id < 6 },
    // Nothing verified: left out by default.
    { name: 'raw.png', width: W, height: H, labels: voronoi(W, H, 20, 5) },
  ];
}

async function readLabelTiff(file: string): Promise<Uint32Array> {
  const meta = await sharp(file).metadata();
  assert.equal(meta.channels, 1, `${file}: one channel`);
  const sixteen = meta.depth === 'ushort';
  assert.ok(sixteen || meta.depth === 'uint', `${file}: integer labels (${meta.depth})`);
  const { data } = await sharp(file).toColourspace(sixteen ? 'grey16' : 'b-w').raw({ depth: sixteen ? 'ushort' : 'uint' }).toBuffer({ resolveWithObject: true });
  const arr = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  return Uint32Array.from(arr);
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}

test('finetune export: image/label TIFF pairs per split reproduce the verified segments; unverified images left out', { timeout: 120_000 }, async () => {
  const tmp = tempDir('gl-finetune-');
  const dir = join(tmp, 'proj');
  const images = kitImages();
  await makeProject(dir, images, [{ name: 'a', color: '#112233' }, { name: 'b', color: '#445566' }]);
  const byName = new Map(images.map((im) => [im.name.replace('.png', ''), im]));
  const svc = newService();
  try {
    await svc.call('project.open', { path: dir });
    const dest = join(tmp, 'ft');
    const jobId = await runToEnd(svc, () => svc.call('export.finetune', { dest, ratios: [2, 1, 1], seed: 7 }));
    const sum = (await svc.call('export.finetuneResult', { jobId })) as FinetuneSummary;
    assert.equal(sum.images, 4);
    assert.equal(sum.excluded.imagesNotVerified, 1);
    assert.deepEqual([sum.perSplit.train.items, sum.perSplit.val.items, sum.perSplit.test.items], [2, 1, 1]);

    const rows = parseCsv(readFileSync(join(dest, 'segments.csv'), 'utf8'));
    let pairs = 0;
    for (const split of ['train', 'val', 'test']) {
      const imgs = readdirSync(join(dest, split, 'images')).sort();
      assert.deepEqual(readdirSync(join(dest, split, 'labels')).sort(), imgs, `${split}: names match`);
      for (const f of imgs) {
        pairs++;
        const src = byName.get(f.replace('.tif', ''));
        assert.ok(src, `${f} is a verified project image`);
        assert.notEqual(src.name, 'raw.png');
        // The micrograph, grey, as it is in the project.
        const img = await sharp(join(dest, split, 'images', f)).toColourspace('b-w').raw().toBuffer();
        assert.deepEqual(new Uint8Array(img), greyFor(src.labels));
        // Label value -> segment id from segments.csv; every pixel reproduces the ground truth.
        const ids = new Map(rows.filter((r) => r.split === split && r.file === f).map((r) => [Number(r.label_value), Number(r.segment_id)]));
        const lab = await readLabelTiff(join(dest, split, 'labels', f));
        const isGt = (id: number) => id !== 0 && (src.status === 'verified' || (src.verified?.(id) ?? false));
        let bad = 0;
        for (let i = 0; i < lab.length; i++) {
          const want = src.labels[i]!;
          const got = lab[i]! === 0 ? 0 : ids.get(lab[i]!);
          if (isGt(want) ? got !== want : got !== 0) bad++;
        }
        assert.equal(bad, 0, `${split}/${f}: ${bad} pixels differ from the verified segments`);
        const gtCount = new Set([...src.labels].filter(isGt)).size;
        assert.equal(ids.size, gtCount, `${f}: one label value per verified segment`);
      }
    }
    assert.equal(pairs, 4);
    // Read the way micro-sam's loaders read it (tifffile, sorted globs), where Python has numpy and tifffile.
    if (spawnSync('/usr/bin/python3', ['-c', 'import numpy, tifffile'], { encoding: 'utf8' }).status === 0) {
      const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'support', 'finetune_check.py'), dest], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const seen = JSON.parse(py.stdout) as Record<string, { image: [number[], string]; labels: string; ids: number[] }>;
      assert.equal(Object.keys(seen).length, 4);
      for (const [key, v] of Object.entries(seen)) {
        const [split, file] = key.split('/');
        assert.deepEqual(v.image, [[H, W], 'uint8'], key);
        assert.equal(v.labels, 'uint16', key);
        const values = rows.filter((r) => r.split === split && r.file === file).map((r) => Number(r.label_value));
        assert.deepEqual(v.ids, values.sort((a, b) => a - b), `${key}: instance ids 1..n as segments.csv lists them`);
      }
    }
    const card = JSON.parse(readFileSync(join(dest, 'dataset-card.json'), 'utf8')) as { format: string; split: { seed: number }; notes: string[] };
    assert.equal(card.split.seed, 7);
    assert.match(card.format, /finetune/);
    assert.ok(card.notes.some((n) => /default_sam_loader/.test(n)));
    assert.ok(card.notes.some((n) => /1 image\(s\) without any left out/.test(n)));

    // Same seed, same split; all segments brings the unverified image in.
    const again = join(tmp, 'ft2');
    await runToEnd(svc, () => svc.call('export.finetune', { dest: again, ratios: [2, 1, 1], seed: 7 }));
    for (const split of ['train', 'val', 'test']) assert.deepEqual(readdirSync(join(again, split, 'images')).sort(), readdirSync(join(dest, split, 'images')).sort());
    const all = join(tmp, 'ft-all');
    const allJob = await runToEnd(svc, () => svc.call('export.finetune', { dest: all, segments: 'all', ratios: [1, 0, 0] }));
    const allSum = (await svc.call('export.finetuneResult', { jobId: allJob }))!;
    assert.equal(allSum.images, 5);
    assert.ok(existsSync(join(all, 'train', 'labels', 'raw.tif')));
    const rawLab = await readLabelTiff(join(all, 'train', 'labels', 'raw.tif'));
    assert.equal(new Set(rawLab.filter((v) => v > 0)).size, new Set(images[4]!.labels.filter((v) => v > 0)).size, 'every segment of the unverified image');
  } finally {
    await svc.call('project.close', {});
  }
});

test('grainlab export --format finetune: tiles, and a clear refusal when nothing is verified', { timeout: 120_000 }, async () => {
  const tmp = tempDir('gl-finetune-cli-');
  const dir = join(tmp, 'proj');
  await makeProject(dir, [{ name: 'only.png', width: W, height: H, labels: voronoi(W, H, 20, 9), verified: (id) => id <= 4 }]);
  const out = join(tmp, 'tiles');
  assert.equal(await runCli(['export', dir, '--format', 'finetune', '--out', out, '--split', '1:0:0', '--tile', '48', '--quiet']), 0);
  const tiles = readdirSync(join(out, 'train', 'labels'));
  // Tiles holding no verified segment are left out (micro-sam needs instances to sample).
  assert.ok(tiles.length >= 1 && tiles.length < 4, `${tiles.length} tiles`);
  assert.deepEqual(readdirSync(join(out, 'train', 'images')).sort(), tiles.sort());

  const bare = join(tmp, 'bare');
  await makeProject(bare, [{ name: 'none.png', width: W, height: H, labels: voronoi(W, H, 20, 9) }]);
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['export', bare, '--format', 'finetune', '--out', join(tmp, 'x'), '--quiet']), 1);
  } finally {
    process.stderr.write = orig;
  }
  assert.match(errs.join(''), /none of the 1 segmented image\(s\) has a segment a person verified.*--all-segments/);
  assert.equal(await runCli(['export', bare, '--format', 'finetune', '--out', join(tmp, 'y'), '--all-segments', '--quiet']), 0);
});
